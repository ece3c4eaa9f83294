"""Writes for encounters."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.core.exceptions import ValidationError

from pathways.audit.services import audit_log, created
from pathways.core.models import clean_fields_only
from pathways.core.services import service
from pathways.eligibility.rules import Outcome
from pathways.encounters.eligibility import decide, rules_of, stored_answers
from pathways.encounters.models import Disposition, Encounter
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
    pathway_checked: bool = False,
    config: PathwayConfig | None = None,
    eligibility_answers: dict[str, Any] | None = None,
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
        program_id=agency.program_id,
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
        config=config,
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
