"""Importing arrest records and linking them to people: the counts, the audit, re-imports that
change nothing or change a record, links by (system, number) only to the one person of the
program, and refusals that save nothing."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.exceptions import ValidationError

from pathways.accounts.factories import AgencyFactory
from pathways.audit.models import AuditEvent
from pathways.core import clock
from pathways.linkage import services
from pathways.linkage.imports import ArrestRow
from pathways.linkage.models import ArrestRecord, RecordImport
from pathways.linkage.services import arrest_records_import, arrest_records_link
from pathways.people.factories import PersonFactory
from pathways.people.models import ExternalIdentifier, Person
from pathways.programs.factories import ProgramFactory

NOW = dt.datetime(2026, 3, 10, 11, 0, tzinfo=dt.UTC)
AT = dt.datetime(2026, 3, 4, 20, 30, tzinfo=dt.UTC)
EVENTS = ("record_import.create", "arrest_record.update", "arrest_records.link")


@pytest.fixture(autouse=True)
def _frozen() -> Iterator[None]:
    with clock.frozen(NOW):
        yield


def row(number: str = "R-1", **fields: Any) -> ArrestRow:
    values: dict[str, Any] = {
        "line": 2,
        "record_number": number,
        "arrested_at": AT,
        "id_system": "booking",
        "id_number": "B-100",
        "charge_level": "misdemeanor",
    }
    values.update(fields)
    return ArrestRow(**values)


def run(
    cast: Any, rows: list[ArrestRow], *, source: Any = "County jail", program: Any = None
) -> RecordImport:
    return arrest_records_import(
        actor=cast.coordinator,
        program=program or cast.program,
        source=source,
        file_name="march.csv",
        rows=rows,
    )


def person_with(agency: Any, system: str, number: str, **fields: Any) -> Person:
    """A person recorded by `agency` (so of its program) with `number` in `system`."""
    person = PersonFactory.create(created_by_agency=agency, **fields)
    ExternalIdentifier.objects.create(
        person=person, system=system, value=number, assigning_agency=agency
    )
    return person


def events(event_type: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(event_type=event_type).order_by("occurred_at", "id"))


def nothing_saved() -> None:
    assert not RecordImport.objects.exists()
    assert not ArrestRecord.objects.exists()
    assert not AuditEvent.objects.filter(event_type__in=EVENTS).exists()


# --- a first import ------------------------------------------------------------------------


def test_a_first_import_adds_the_records_links_and_audits(cast: Any) -> None:
    known = person_with(cast.police_a, "booking", "B-100")
    rows = [
        row(
            "R-1",
            agency_id=cast.police_a.id,
            area="Beat 4",
            booked=True,
            date_of_birth=dt.date(1985, 7, 14),
            sex="male",
            race="black",
            ethnicity="not_hispanic",
        ),
        row("R-2", id_number="B-200", charge_level="felony"),
        row("R-3", id_system="rms", id_number="B-100"),  # the same number in another system
    ]
    batch = run(cast, rows, source="  County jail  ")
    assert (batch.rows, batch.added, batch.updated, batch.unchanged, batch.linked) == (
        3,
        3,
        0,
        0,
        1,
    )
    assert batch.program == cast.program and batch.source == "County jail"
    assert batch.file_name == "march.csv" and batch.imported_by == cast.coordinator
    assert batch.created_at == NOW

    records = {r.record_number: r for r in ArrestRecord.objects.all()}
    assert set(records) == {"R-1", "R-2", "R-3"}
    first = records["R-1"]
    assert first.program == cast.program and first.record_import == batch
    assert first.source == "County jail"
    assert first.arrested_at == AT and first.agency == cast.police_a and first.area == "Beat 4"
    assert first.booked and first.charge_level == "misdemeanor"
    assert (first.id_system, first.id_number) == ("booking", "B-100")
    assert first.date_of_birth == dt.date(1985, 7, 14)
    assert (first.sex, first.race, first.ethnicity) == ("male", "black", "not_hispanic")
    assert first.person == known and first.linked_at == NOW
    assert records["R-2"].person is None and records["R-2"].linked_at is None
    assert records["R-2"].charge_level == "felony"
    assert records["R-3"].person is None  # rms B-100 is not booking B-100

    (event,) = events("record_import.create")
    assert event.actor == cast.coordinator
    assert (event.object_type, event.object_id) == ("linkage.recordimport", str(batch.pk))
    assert event.changes == {
        "source": [None, "County jail"],
        "rows": [None, 3],
        "added": [None, 3],
        "updated": [None, 0],
        "unchanged": [None, 0],
        "linked": [None, 1],
    }
    assert events("arrest_record.update") == []


def _other_program_agency() -> Any:
    other = ProgramFactory.create(name="Other County Program")
    return AgencyFactory.create(program=other, name="Westside Police", kind="law_enforcement")


@pytest.mark.parametrize(
    "case", ["two_people", "other_program", "archived", "other_system", "no_agency"]
)
def test_a_record_links_only_to_the_one_person_of_the_program(cast: Any, case: str) -> None:
    if case == "two_people":
        person_with(cast.police_a, "booking", "B-100")
        person_with(cast.police_b, "booking", "B-100")
    elif case == "other_program":
        person_with(_other_program_agency(), "booking", "B-100")
    elif case == "archived":
        gone = person_with(cast.police_a, "booking", "B-100")
        Person.objects.filter(pk=gone.pk).update(
            archived_at=NOW, archived_by=cast.coordinator, archive_reason="Duplicate record"
        )
    elif case == "other_system":
        person_with(cast.police_a, "rms", "B-100")
    elif case == "no_agency":
        person = PersonFactory.create(created_by_agency=None)
        ExternalIdentifier.objects.create(person=person, system="booking", value="B-100")
    batch = run(cast, [row()])
    record = ArrestRecord.objects.get()
    assert record.person is None and record.linked_at is None
    assert batch.linked == 0 and batch.added == 1
    assert events("record_import.create")[0].changes["linked"] == [None, 0]


def test_one_person_with_the_number_twice_is_still_one_person(cast: Any) -> None:
    known = person_with(cast.police_a, "booking", "B-100")
    ExternalIdentifier.objects.create(
        person=known, system="booking", value="B-100", assigning_agency=cast.police_b
    )
    assert run(cast, [row()]).linked == 1
    assert ArrestRecord.objects.get().person == known


def test_the_number_must_match_exactly(cast: Any) -> None:
    person_with(cast.police_a, "booking", "B-100")
    batch = run(cast, [row("R-1", id_number="b-100"), row("R-2", id_number="B-1000")])
    assert batch.linked == 0
    assert not ArrestRecord.objects.filter(person__isnull=False).exists()


# --- importing again -----------------------------------------------------------------------


def test_the_same_rows_again_change_nothing(cast: Any) -> None:
    known = person_with(cast.police_a, "booking", "B-100")
    rows = [row("R-1", agency_id=cast.police_a.id, date_of_birth=dt.date(1985, 7, 14))]
    rows.append(row("R-2", id_number="B-200"))
    first = run(cast, rows)
    before = {
        r.record_number: (r.updated_at, r.record_import_id) for r in ArrestRecord.objects.all()
    }
    later = NOW + dt.timedelta(days=1)
    with clock.frozen(later):
        again = run(cast, list(reversed(rows)))
    assert (again.rows, again.added, again.updated, again.unchanged, again.linked) == (
        2,
        0,
        0,
        2,
        0,
    )
    assert ArrestRecord.objects.count() == 2
    after = {
        r.record_number: (r.updated_at, r.record_import_id) for r in ArrestRecord.objects.all()
    }
    assert after == before
    assert all(record_import == first.pk for _, record_import in after.values())
    assert ArrestRecord.objects.get(record_number="R-1").person == known
    assert events("arrest_record.update") == []
    created = events("record_import.create")
    assert len(created) == 2
    assert created[1].changes == {
        "source": [None, "County jail"],
        "rows": [None, 2],
        "added": [None, 0],
        "updated": [None, 0],
        "unchanged": [None, 2],
        "linked": [None, 0],
    }


def test_a_changed_charge_level_is_updated_and_audited(cast: Any) -> None:
    known = person_with(cast.police_a, "booking", "B-100")
    run(cast, [row("R-1"), row("R-2", id_number="B-200")])
    record = ArrestRecord.objects.get(record_number="R-1")
    later = NOW + dt.timedelta(days=1)
    with clock.frozen(later):
        again = run(cast, [row("R-1", charge_level="felony"), row("R-2", id_number="B-200")])
    assert (again.rows, again.added, again.updated, again.unchanged, again.linked) == (
        2,
        0,
        1,
        1,
        0,
    )
    record.refresh_from_db()
    assert record.charge_level == "felony"
    assert record.record_import == again and record.updated_at == later
    assert record.person == known and record.linked_at == NOW  # the link is kept
    unchanged = ArrestRecord.objects.get(record_number="R-2")
    assert unchanged.record_import != again and unchanged.updated_at == NOW
    (event,) = events("arrest_record.update")
    assert event.actor == cast.coordinator
    assert (event.object_type, event.object_id) == ("linkage.arrestrecord", str(record.pk))
    assert event.changes == {"charge_level": ["misdemeanor", "felony"]}


def test_every_changed_value_is_audited_with_old_and_new(cast: Any) -> None:
    run(cast, [row("R-1")])
    moved = AT - dt.timedelta(hours=3)
    run(
        cast,
        [
            row(
                "R-1",
                arrested_at=moved,
                agency_id=cast.police_b.id,
                booked=True,
                date_of_birth=dt.date(1985, 7, 14),
                race="white",
            )
        ],
    )
    (event,) = events("arrest_record.update")
    assert event.changes == {
        "arrested_at": [str(AT), str(moved)],
        "agency_id": [None, str(cast.police_b.id)],
        "booked": [False, True],
        "date_of_birth": [None, "1985-07-14"],
        "race": ["", "white"],
    }
    record = ArrestRecord.objects.get()
    assert record.arrested_at == moved and record.agency == cast.police_b and record.booked


def test_a_changed_number_drops_the_old_link_and_links_again(cast: Any) -> None:
    first = person_with(cast.police_a, "booking", "B-100")
    second = person_with(cast.police_a, "booking", "B-200")
    run(cast, [row("R-1", id_number="B-100")])
    assert ArrestRecord.objects.get().person == first
    later = NOW + dt.timedelta(hours=2)
    with clock.frozen(later):
        again = run(cast, [row("R-1", id_number="B-200")])
    assert (again.updated, again.linked) == (1, 1)
    record = ArrestRecord.objects.get()
    assert record.person == second and record.linked_at == later
    (event,) = events("arrest_record.update")
    assert event.changes == {"id_number": ["B-100", "B-200"]}
    # to a number nobody has: no link at all
    third = run(cast, [row("R-1", id_number="B-300")])
    assert (third.updated, third.linked) == (1, 0)
    record.refresh_from_db()
    assert record.person is None and record.linked_at is None
    # a change of system drops the link too
    run(cast, [row("R-1", id_number="B-100")])
    assert ArrestRecord.objects.get().person == first
    run(cast, [row("R-1", id_system="rms", id_number="B-100")])
    assert ArrestRecord.objects.get().person is None


def test_an_unlinked_record_changed_otherwise_is_linked_when_its_person_is_known(
    cast: Any,
) -> None:
    run(cast, [row("R-1")])
    known = person_with(cast.police_a, "booking", "B-100")
    again = run(cast, [row("R-1", booked=True)])
    assert (again.updated, again.linked) == (1, 1)
    assert ArrestRecord.objects.get().person == known


def test_two_sources_with_the_same_record_number_are_two_records(cast: Any) -> None:
    run(cast, [row("R-1")], source="County jail")
    other = run(cast, [row("R-1", charge_level="felony")], source="City police RMS")
    assert (other.added, other.updated, other.unchanged) == (1, 0, 0)
    assert ArrestRecord.objects.count() == 2
    levels = dict(ArrestRecord.objects.values_list("source", "charge_level"))
    assert levels == {"County jail": "misdemeanor", "City police RMS": "felony"}
    assert events("arrest_record.update") == []


def test_two_programs_with_the_same_source_and_number_are_two_records(cast: Any) -> None:
    westside = _other_program_agency()
    run(cast, [row("R-1")])
    theirs = run(cast, [row("R-1", charge_level="felony")], program=westside.program)
    assert (theirs.added, theirs.updated) == (1, 0)
    mine = ArrestRecord.objects.get(program=cast.program)
    assert mine.charge_level == "misdemeanor"


# --- refusals ------------------------------------------------------------------------------


REFUSED: list[tuple[dict[str, Any], str, str]] = [
    ({"source": ""}, "source", "Name the system these records come from."),
    ({"source": "   "}, "source", "Name the system these records come from."),
    ({"source": None}, "source", "Name the system these records come from."),
    (
        {"source": "County\x07jail"},
        "source",
        "Remove the hidden control characters from this text.",
    ),
    ({"source": "County\njail"}, "source", "The source must be on one line."),
    ({"source": "J" * 201}, "source", "The source can have at most 200 characters (it has 201)."),
    ({"rows": []}, "file", "The file has no records."),
    (
        {"rows": [row("R-1"), row("R-1", line=3)]},
        "file",
        "A record number appears twice in the file.",
    ),
    (
        {"rows": [row("R-1", arrested_at=NOW + dt.timedelta(minutes=1))]},
        "file",
        "An arrest time is in the future.",
    ),
]


@pytest.mark.parametrize(("overrides", "field", "message"), REFUSED)
def test_bad_input_is_refused_and_nothing_is_saved(
    cast: Any, overrides: dict[str, Any], field: str, message: str
) -> None:
    person_with(cast.police_a, "booking", "B-100")
    values: dict[str, Any] = {"source": "County jail", "rows": [row("R-1"), row("R-2")]}
    values.update(overrides)
    with pytest.raises(ValidationError) as refused:
        run(cast, values["rows"], source=values["source"])
    assert refused.value.message_dict == {field: [message]}
    nothing_saved()


def test_an_agency_of_another_program_or_kind_is_refused(cast: Any) -> None:
    westside = _other_program_agency()
    for agency in (westside, cast.provider_p):
        with pytest.raises(ValidationError) as refused:
            run(cast, [row("R-1", agency_id=cast.police_a.id), row("R-2", agency_id=agency.id)])
        assert refused.value.message_dict == {
            "file": ["An arresting agency is not one of the program's."]
        }
    nothing_saved()


def test_a_refused_reimport_leaves_the_earlier_records_as_they_were(cast: Any) -> None:
    first = run(cast, [row("R-1")])
    with pytest.raises(ValidationError):
        run(cast, [row("R-1", charge_level="felony"), row("R-2", agency_id=cast.provider_p.id)])
    assert list(RecordImport.objects.all()) == [first]
    record = ArrestRecord.objects.get()
    assert record.charge_level == "misdemeanor" and record.record_import == first
    assert [e.event_type for e in AuditEvent.objects.filter(event_type__in=EVENTS)] == [
        "record_import.create"
    ]


def test_a_failure_part_way_saves_nothing(cast: Any, monkeypatch: Any) -> None:
    run(cast, [row("R-1")])

    def broken(*args: Any, **kwargs: Any) -> int:
        raise RuntimeError("the database went away")

    monkeypatch.setattr(services, "_link", broken)
    with pytest.raises(RuntimeError):
        run(cast, [row("R-1", charge_level="felony"), row("R-2")])
    assert RecordImport.objects.count() == 1
    assert list(ArrestRecord.objects.values_list("record_number", "charge_level")) == [
        ("R-1", "misdemeanor")
    ]
    assert events("arrest_record.update") == []
    assert len(events("record_import.create")) == 1


# --- linking again -------------------------------------------------------------------------


def test_linking_again_after_the_number_is_recorded(cast: Any) -> None:
    first = run(cast, [row("R-1"), row("R-2", id_number="B-200"), row("R-3", id_number="B-300")])
    assert first.linked == 0
    known = person_with(cast.police_a, "booking", "B-100")
    other = person_with(cast.police_b, "booking", "B-200")
    later = NOW + dt.timedelta(days=3)
    with clock.frozen(later):
        linked = arrest_records_link(actor=cast.coordinator, program=cast.program)
    assert linked == 2
    records = {r.record_number: r for r in ArrestRecord.objects.all()}
    assert records["R-1"].person == known and records["R-1"].linked_at == later
    assert records["R-2"].person == other
    assert records["R-3"].person is None and records["R-3"].linked_at is None
    (event,) = events("arrest_records.link")
    assert event.actor == cast.coordinator
    assert (event.object_type, event.object_id) == ("programs.program", str(cast.program.pk))
    assert event.changes == {"linked": [None, 2], "still_unlinked": [None, 1]}
    # the import's own count is what it linked when it ran
    first.refresh_from_db()
    assert first.linked == 0

    # again: nothing more to link, and the links made stay as they were
    with clock.frozen(later + dt.timedelta(hours=1)):
        assert arrest_records_link(actor=cast.coordinator, program=cast.program) == 0
    assert ArrestRecord.objects.get(record_number="R-1").linked_at == later
    assert events("arrest_records.link")[1].changes == {
        "linked": [None, 0],
        "still_unlinked": [None, 1],
    }


def test_linking_again_keeps_to_the_program_and_its_rules(cast: Any) -> None:
    westside = _other_program_agency()
    run(cast, [row("R-1"), row("R-2", id_number="B-200")])
    theirs = run(cast, [row("R-1")], program=westside.program)
    # the other program's person with B-100 links only the other program's record
    stranger = person_with(westside, "booking", "B-100")
    person_with(cast.police_a, "booking", "B-200")
    person_with(cast.police_b, "booking", "B-200")  # shared: links neither
    assert arrest_records_link(actor=cast.coordinator, program=cast.program) == 0
    assert not ArrestRecord.objects.filter(program=cast.program, person__isnull=False).exists()
    assert arrest_records_link(actor=None, program=westside.program) == 1
    assert ArrestRecord.objects.get(record_import=theirs).person == stranger
    assert not ArrestRecord.objects.filter(program=cast.program, person__isnull=False).exists()


def test_linking_again_skips_archived_records(cast: Any) -> None:
    run(cast, [row("R-1")])
    ArrestRecord.objects.update(archived_at=NOW, archive_reason="Sealed by court order")
    person_with(cast.police_a, "booking", "B-100")
    assert arrest_records_link(actor=cast.coordinator, program=cast.program) == 0
    assert ArrestRecord.objects.get().person is None
