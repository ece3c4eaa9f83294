"""Recording an overdose event: what the responder says is checked, saved with its audit event,
and bad input is refused with a message per field and nothing saved."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction

from pathways.audit.models import AuditEvent
from pathways.core import clock
from pathways.encounters.factories import EncounterFactory
from pathways.people.factories import PersonFactory
from pathways.surveillance.models import AdministeredBy, OverdoseEvent, OverdoseSource
from pathways.surveillance.selectors import overdoses_of_person
from pathways.surveillance.services import OverdoseFacts, overdose_record

GIVEN = OverdoseFacts(
    naloxone_given=True,
    naloxone_doses=2,
    administered_by=AdministeredBy.POLICE,
    fatal=False,
    transported=True,
    destination="County General",
)


def record(cast: Any, facts: OverdoseFacts = GIVEN, **extra: Any) -> OverdoseEvent:
    return overdose_record(
        actor=cast.officer_a,
        agency=cast.police_a,
        occurred_at=clock.now() - dt.timedelta(hours=1),
        facts=facts,
        **extra,
    )


def test_an_overdose_is_saved_in_the_agencys_program_and_audited(cast: Any) -> None:
    person = PersonFactory.create()
    encounter = EncounterFactory.create(
        program=cast.program, agency=cast.police_a, responder=cast.officer_a, person=person
    )
    event = record(
        cast, person=person, encounter=encounter, location_text=" Motel 9 ", area=" 60601 "
    )
    event.refresh_from_db()
    assert event.program == cast.program
    assert event.reporting_agency == cast.police_a
    assert event.recorded_by == cast.officer_a
    assert (event.location_text, event.area, event.destination) == (
        "Motel 9",
        "60601",
        "County General",
    )
    assert event.source == OverdoseSource.FIELD
    audit = AuditEvent.objects.get(event_type="overdose.record", object_id=str(event.pk))
    assert audit.actor == cast.officer_a
    assert audit.changes["naloxone_doses"] == [None, 2]
    # the place is personal: kept encrypted, never in the audit row
    assert "Motel 9" not in str(audit.changes)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT location_text FROM surveillance_overdoseevent WHERE id = %s",
            [event.pk.hex] if connection.vendor == "sqlite" else [str(event.pk)],
        )
        stored = cursor.fetchone()[0]
    assert "Motel 9" not in stored


def test_no_naloxone_keeps_no_doses_and_no_giver(cast: Any) -> None:
    facts = OverdoseFacts(
        naloxone_given=False,
        naloxone_doses=None,
        administered_by=AdministeredBy.NONE,
        fatal=False,
        transported=False,
    )
    event = record(cast, facts=facts)
    assert (event.naloxone_doses, event.administered_by) == (None, AdministeredBy.NONE)


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"administered_by": AdministeredBy.NONE}, "administered_by", "Say who gave"),
        ({"naloxone_doses": 0}, "naloxone_doses", "1 to 20"),
        ({"naloxone_doses": 21}, "naloxone_doses", "1 to 20"),
        ({"naloxone_given": False}, "naloxone_doses", "only when naloxone was given"),
        ({"destination": "  "}, "destination", "Say where the person was taken"),
        ({"transported": False}, "destination", "only when the person was transported"),
        ({"destination": "x" * 121}, "destination", "at most 120"),
        ({"administered_by": "wizard"}, "administered_by", "not a valid choice"),
    ],
)
def test_bad_facts_are_refused_at_the_field_and_nothing_is_saved(
    cast: Any, changes: dict[str, Any], field: str, message: str
) -> None:
    facts = OverdoseFacts(**{**GIVEN.__dict__, **changes})
    writes = AuditEvent.objects.writes().count()
    with pytest.raises(ValidationError) as refused:
        record(cast, facts=facts)
    assert message in " ".join(refused.value.message_dict[field])
    assert OverdoseEvent.objects.count() == 0
    assert AuditEvent.objects.writes().count() == writes


def test_the_database_refuses_doses_without_naloxone_and_transport_without_a_place(
    cast: Any,
) -> None:
    event = record(cast)
    for changes in ({"naloxone_given": False}, {"destination": ""}):
        with pytest.raises(IntegrityError), transaction.atomic():
            OverdoseEvent.objects.filter(pk=event.pk).update(**changes)
    event.refresh_from_db()
    assert event.naloxone_given and event.destination == "County General"


def test_a_persons_overdoses_newest_first_and_nobody_elses(cast: Any) -> None:
    person, other = PersonFactory.create_batch(2)
    older = record(cast, person=person)
    newer = overdose_record(
        actor=cast.officer_b,
        agency=cast.police_b,
        occurred_at=clock.now(),
        facts=GIVEN,
        person=person,
    )
    record(cast, person=other)
    assert overdoses_of_person(person=person) == [newer, older]
    assert overdoses_of_person(person=person, limit=1) == [newer]
    assert overdoses_of_person(person=None) == []
