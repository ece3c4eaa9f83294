"""Writes for encounters."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.core.exceptions import ValidationError

from pathways.audit.services import audit_log, created
from pathways.core.models import clean_fields_only
from pathways.core.services import service
from pathways.encounters.models import Encounter
from pathways.programs.selectors import can_start

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
) -> Encounter:
    """Record a contact. `pathway_checked` says the caller already resolved the pathway through
    startable_pathways() for this actor and agency (the field form does)."""
    if not pathway_checked and not can_start(actor, pathway, agency):
        raise ValidationError(f"Your agency's role does not allow starting {pathway.name}.")
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
