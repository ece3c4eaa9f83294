"""Writes for overdose events."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError

from pathways.audit.services import audit_log, created
from pathways.core.models import clean_fields_only
from pathways.core.services import service
from pathways.surveillance.models import AdministeredBy, OverdoseEvent, OverdoseSource

if TYPE_CHECKING:
    from pathways.accounts.models import User

OVERDOSE_FIELDS = [
    "program",
    "person",
    "encounter",
    "reporting_agency",
    "occurred_at",
    "naloxone_given",
    "naloxone_doses",
    "administered_by",
    "fatal",
    "transported",
    "source",
]


@dataclass(frozen=True)
class OverdoseFacts:
    """What the responder records about an overdose."""

    naloxone_given: bool
    naloxone_doses: int | None
    administered_by: str
    fatal: bool
    transported: bool
    destination: str = ""


@service
def overdose_record(
    *,
    actor: User,
    agency: Any,
    occurred_at: dt.datetime,
    facts: OverdoseFacts,
    person: Any = None,
    encounter: Any = None,
    location_text: str = "",
    area: str = "",
    source: str = OverdoseSource.FIELD,
) -> OverdoseEvent:
    errors: dict[str, str] = {}
    if facts.naloxone_given and facts.administered_by == AdministeredBy.NONE:
        errors["administered_by"] = "Say who gave the naloxone."
    if not facts.naloxone_given and facts.naloxone_doses:
        errors["naloxone_doses"] = "Doses are recorded only when naloxone was given."
    if facts.naloxone_doses is not None and not 1 <= facts.naloxone_doses <= 20:
        errors["naloxone_doses"] = "Enter the number of doses given, 1 to 20."
    if facts.transported and not facts.destination.strip():
        errors["destination"] = "Say where the person was taken, e.g. the hospital."
    if not facts.transported and facts.destination.strip():
        errors["destination"] = "A destination is recorded only when the person was transported."
    if source not in OverdoseSource.values:
        errors["source"] = "Say where the overdose was recorded."
    if errors:
        raise ValidationError(errors)
    event = OverdoseEvent(
        program_id=agency.program_id,
        person=person,
        encounter=encounter,
        reporting_agency=agency,
        recorded_by=actor if getattr(actor, "pk", None) else None,
        occurred_at=occurred_at,
        location_text=location_text.strip(),
        area=area.strip(),
        naloxone_given=facts.naloxone_given,
        naloxone_doses=facts.naloxone_doses if facts.naloxone_given else None,
        administered_by=facts.administered_by if facts.naloxone_given else AdministeredBy.NONE,
        fatal=facts.fatal,
        transported=facts.transported,
        destination=facts.destination.strip(),
        source=source,
    )
    clean_fields_only(event)
    event.save()
    audit_log(
        actor=actor,
        actor_agency=agency,
        event_type="overdose.record",
        obj=event,
        changes=created(event, OVERDOSE_FIELDS),
    )
    return event
