"""Writes for encounters."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.core.exceptions import ValidationError

from pathways.accounts.models import Agency, User
from pathways.accounts.selectors import agency_ids_for
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
from pathways.people.models import ContactDetails, Person
from pathways.programs.models import Pathway, PathwayConfig, ProgramPathway
from pathways.programs.selectors import VISIT_ROLES, current_config

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


def _starting_config(
    *, actor: User, agency: Agency, pathway: Pathway, program_pathway: ProgramPathway | None
) -> PathwayConfig:
    """The configuration under which `actor` starts `pathway` at `agency`: the program's row for
    the pathway must be enabled, and its current configuration allow one of the actor's roles
    at `agency`, an agency of an allowed kind. `program_pathway` is that row when the caller
    read it in this request (programs.selectors.startable_pathway): it is checked, not read
    again. The actor's memberships are read once per request (accounts.selectors)."""
    pp = program_pathway
    if pp is None:
        pp = (
            ProgramPathway.objects.filter(program_id=agency.program_id, pathway=pathway)
            .select_related("current_config")
            .first()
        )
    config = (
        pp.current_config
        if pp is not None
        and pp.is_enabled
        and pp.program_id == agency.program_id
        and pp.pathway_id == pathway.pk
        else None
    )
    if (
        config is None
        or agency.kind not in config.starter_agency_kinds
        or agency.pk not in agency_ids_for(actor, *config.starter_roles)
    ):
        raise ValidationError(f"Your agency's role does not allow starting {pathway.name}.")
    return config


@service
def encounter_create(
    *,
    actor: User,
    agency: Agency,
    pathway: Pathway,
    person: Person,
    occurred_at: dt.datetime,
    call_source: str,
    presenting_needs: list[str],
    disposition: str,
    location_text: str = "",
    area: str = "",
    notes: str = "",
    idempotency_key: uuid.UUID | None = None,
    idempotency_digest: str = "",
    program_pathway: ProgramPathway | None = None,
    eligibility_answers: dict[str, Any] | None = None,
    companion: Any = None,
    contact_details: ContactDetails | None = None,
) -> Encounter:
    """Record a contact that starts `pathway`: the actor must be allowed to start it at
    `agency` (see _starting_config; `program_pathway` is the program's row for the pathway
    when the caller has read it, e.g. the field form it was shown under).

    The contact records the pathway configuration in force (the one on `program_pathway`)
    and, when its rules ask questions, the answers and the decision."""
    config = _starting_config(
        actor=actor, agency=agency, pathway=pathway, program_pathway=program_pathway
    )
    return _encounter_record(
        Encounter(
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
        ),
        actor=actor,
        eligibility_answers=eligibility_answers,
    )


@service
def followup_contact_create(
    *,
    actor: User,
    agency: Agency,
    pathway: Pathway,
    person: Person,
    occurred_at: dt.datetime,
    call_source: str,
    presenting_needs: list[str],
    disposition: str,
) -> Encounter:
    """Record the contact a follow-up or outreach visit made with the person, under `pathway`.
    A visit does not start the pathway, so its starting roles do not apply: the authority is
    the visiting team's (docs/decisions/0017), and the actor must hold a visit role at
    `agency`. Which team may visit for which item is the worklist's own check
    (followups.services.visit_record). The contact records the configuration in force."""
    if agency.pk not in agency_ids_for(actor, *VISIT_ROLES):
        raise ValidationError(f"Only the staff of {agency} who go on visits record them.")
    return _encounter_record(
        Encounter(
            program=agency.program,
            pathway=pathway,
            person=person,
            agency=agency,
            responder=actor,
            occurred_at=occurred_at,
            call_source=call_source,
            presenting_needs=sorted(set(presenting_needs)),
            disposition=disposition,
            config=current_config(program_id=agency.program_id, pathway=pathway),
        ),
        actor=actor,
    )


def _encounter_record(
    encounter: Encounter, *, actor: User, eligibility_answers: dict[str, Any] | None = None
) -> Encounter:
    """Decide eligibility under the contact's configuration (when its rules ask questions,
    the answers and the decision are kept), then save and audit the contact. The caller has
    checked the actor's authority for it."""
    answers = stored_answers(eligibility_answers or {})
    rules = rules_of(encounter.config)
    if rules:
        decision = decide(
            rules,
            answers,
            encounter.person.date_of_birth,
            encounter.occurred_at,
            encounter.program,
        )
        if decision.outcome == Outcome.INELIGIBLE and encounter.disposition == Disposition.REFERRED:
            raise ValidationError(
                {
                    "disposition": "Under the program's rules this person is not eligible: "
                    + " ".join(decision.reasons)
                }
            )
        encounter.eligibility_answers = answers
        encounter.eligibility_outcome = str(decision.outcome)
        encounter.eligibility_reasons = list(decision.reasons)
    clean_fields_only(encounter)
    encounter.save()
    audit_log(
        actor=actor,
        actor_agency=encounter.agency,
        event_type="encounter.create",
        obj=encounter,
        changes=created(encounter, ENCOUNTER_FIELDS, redact=["location_text"]),
    )
    return encounter


@service
def surrendered_items_log(
    *,
    actor: User,
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
    actor: User,
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
