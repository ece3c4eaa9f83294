"""Writes for encounters."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.core.exceptions import ValidationError

from pathways.audit.services import audit_log, created
from pathways.core import clock
from pathways.core.models import clean_fields_only
from pathways.core.services import service
from pathways.eligibility.rules import Outcome
from pathways.encounters.eligibility import decide, rules_of, stored_answers
from pathways.encounters.models import (
    CrisisResponse,
    CrisisTeamMember,
    Disposition,
    Encounter,
    SurrenderedItem,
)
from pathways.programs.models import PathwayConfig
from pathways.programs.selectors import can_start, current_config

ENCOUNTER_FIELDS = [
    "program",
    "pathway",
    "person",
    "agency",
    "responder",
    "occurred_at",
    "location_text",
    "area",
    "call_source",
    "presenting_needs",
    "disposition",
    "config",
    "eligibility_outcome",
    "companion",
    "contact_details",
]


@service
def encounter_create(
    *,
    actor: Any,
    agency: Any,
    pathway: Any,
    person: Any,
    occurred_at: dt.datetime,
    call_source: str,
    presenting_needs: list[str],
    disposition: str,
    location_text: str = "",
    area: str = "",
    notes: str = "",
    idempotency_key: uuid.UUID | None = None,
    idempotency_digest: str = "",
    pathway_checked: bool = False,
    config: PathwayConfig | None = None,
    eligibility_answers: dict[str, Any] | None = None,
    companion: Any = None,
    contact_details: Any = None,
) -> Encounter:
    """Record a contact. `pathway_checked` says the caller already resolved the pathway through
    startable_pathways() for this actor and agency (the field form does).

    The contact records the pathway configuration version in force (or `config`, the one the
    form was shown under) and, when its rules ask questions, the answers and the decision."""
    if not pathway_checked and not can_start(actor, pathway, agency):
        raise ValidationError(f"Your agency's role does not allow starting {pathway.name}.")
    if config is None:
        config = current_config(agency.program_id, pathway)
    answers = stored_answers(eligibility_answers or {})
    decision = None
    rules = rules_of(config)
    if rules:
        decision = decide(rules, answers, person.date_of_birth, occurred_at, agency.program)
        if decision.outcome == Outcome.INELIGIBLE and disposition == Disposition.REFERRED:
            raise ValidationError(
                {
                    "disposition": "Under the program's rules this person is not eligible: "
                    + " ".join(decision.reasons)
                }
            )
    encounter = Encounter(
        program=agency.program,  # cached with the memberships: no query
        pathway=pathway,
        person=person,
        agency=agency,
        responder=actor,
        occurred_at=occurred_at,
        location_text=location_text.strip(),
        area=area.strip(),
        call_source=call_source,
        presenting_needs=sorted(set(presenting_needs)),
        disposition=disposition,
        notes=notes.strip(),
        idempotency_key=idempotency_key,
        idempotency_digest=idempotency_digest,
        config=config,
        companion=companion,
        contact_details=contact_details,
        eligibility_answers=answers if rules else {},
        eligibility_outcome=str(decision.outcome) if decision else "",
        eligibility_reasons=list(decision.reasons) if decision else [],
    )
    clean_fields_only(encounter)
    encounter.save()
    audit_log(
        actor=actor,
        actor_agency=agency,
        event_type="encounter.create",
        obj=encounter,
        changes=created(encounter, ENCOUNTER_FIELDS, redact=["location_text"]),
    )
    return encounter


@service
def surrendered_items_log(
    *,
    actor: Any,
    encounter: Encounter,
    items: list[Any],
    disposal_method: str = "",
) -> list[SurrenderedItem]:
    """Log what a person handed in, for disposal (never as evidence). With a disposal method the
    items are recorded as disposed of now, by the actor."""
    method = disposal_method.strip()
    now = clock.now()
    logged = []
    for item in items:
        row = SurrenderedItem(
            encounter=encounter,
            kind=item.kind,
            quantity=item.quantity.strip(),
            disposal_method=method,
            disposed_at=now if method else None,
            disposed_by=actor if method else None,
        )
        clean_fields_only(row)
        row.save()
        audit_log(
            actor=actor,
            actor_agency=encounter.agency,
            event_type="surrendered_item.log",
            obj=row,
            changes=created(row, ["encounter", "kind", "quantity", "disposal_method"]),
        )
        logged.append(row)
    return logged


@service
def crisis_response_record(
    *,
    actor: Any,
    encounter: Encounter,
    team_members: list[str],
    arrived_at: dt.datetime | None,
    outcome: str,
) -> CrisisResponse:
    members = list(dict.fromkeys(team_members))
    errors: dict[str, str] = {}
    if not members:
        errors["team_members"] = "Say who responded."
    elif unknown := set(members) - set(CrisisTeamMember.values):
        errors["team_members"] = f"Unknown team members: {', '.join(sorted(unknown))}."
    config = encounter.config
    if config is not None and not errors:
        if config.requires_clinician and "clinician" not in members:
            errors["team_members"] = "This program's crisis team includes a clinician."
        elif config.requires_peer and "peer" not in members:
            errors["team_members"] = "This program's crisis team includes a peer."
    if arrived_at is not None and arrived_at < encounter.occurred_at - dt.timedelta(hours=12):
        errors["arrived_at"] = "The team cannot arrive long before the call."
    if errors:
        raise ValidationError(errors)
    crisis = CrisisResponse(
        encounter=encounter,
        team_members=members,
        arrived_at=arrived_at or encounter.occurred_at,
        outcome=outcome,
    )
    clean_fields_only(crisis)
    crisis.save()
    audit_log(
        actor=actor,
        actor_agency=encounter.agency,
        event_type="crisis_response.record",
        obj=crisis,
        changes=created(crisis, ["encounter", "team_members", "arrived_at", "outcome"]),
    )
    return crisis
