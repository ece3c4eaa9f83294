"""Active Outreach writes: lists, putting a person on a list (the visit lands on the team's
worklist, due after the pathway's outreach_visit_days in the program's zone), visits moving the
engagement status, lead assignment and closing. Every refusal changes nothing."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import ValidationError

from pathways.audit.models import AuditEvent
from pathways.core import clock
from pathways.encounters.factories import EncounterFactory
from pathways.encounters.models import Encounter
from pathways.followups.models import (
    OutreachEntry,
    OutreachList,
    OutreachStatus,
    OutreachStatusChange,
    Visit,
    WorkItem,
    WorkKind,
)
from pathways.followups.services import (
    VisitReferral,
    outreach_entry_add,
    outreach_entry_assign,
    outreach_entry_close,
    outreach_list_create,
    outreach_visit_record,
)
from pathways.followups.tests.conftest import Outreach
from pathways.people.factories import PersonFactory
from pathways.programs.models import Pathway, ProgramPathway
from pathways.programs.services import pathway_config_save, program_pathway_set_enabled
from pathways.referrals.models import Referral

NOW = dt.datetime(2026, 11, 20, 15, 0, tzinfo=dt.UTC)  # Fri Nov 20, 09:00 CST


def counts() -> tuple[int, ...]:
    return (
        OutreachList.objects.count(),
        OutreachEntry.objects.count(),
        OutreachStatusChange.objects.count(),
        WorkItem.objects.count(),
        WorkItem.objects.open().count(),
        Visit.objects.count(),
        Encounter.objects.count(),
        AuditEvent.objects.writes().count(),
    )


def add(cast: Any, o: Outreach, **kwargs: Any) -> OutreachEntry:
    values: dict[str, Any] = {
        "actor": cast.officer_a,
        "outreach_list": o.outreach_list,
        "person": o.person,
        "reason": "repeat_overdose",
    }
    values.update(kwargs)
    return outreach_entry_add(**values)


def visit(o: Outreach, entry: OutreachEntry, outcome: str, **kwargs: Any) -> Any:
    values: dict[str, Any] = {
        "actor": o.worker,
        "entry": entry,
        "visited_at": clock.now(),
        "members": ["peer", "clinician"],
        "outcome": outcome,
    }
    values.update(kwargs)
    return outreach_visit_record(**values)


def history(entry: OutreachEntry) -> list[str]:
    return [c.to_status for c in entry.history.all()]


def set_outreach_config(cast: Any, **values: Any) -> None:
    pp = ProgramPathway.objects.get(program=cast.program, pathway__code="active_outreach")
    assert pp.current_config is not None
    if "outreach_visit_days" in values:
        days = values.pop("outreach_visit_days")
        values["deadlines"] = {**pp.current_config.deadlines, "outreach_visit_days": days}
    pathway_config_save(
        actor=cast.coordinator, program_pathway=pp, note="Outreach set-up", **values
    )


# --- Lists -------------------------------------------------------------------------------------


def test_a_list_is_created_for_a_team_and_audited(cast: Any, outreach: Outreach) -> None:
    created = outreach_list_create(
        actor=cast.coordinator,
        program=cast.program,
        name="  Downtown frequent contacts ",
        team=outreach.team,
    )
    assert created.name == "Downtown frequent contacts"
    assert created.created_by == cast.coordinator
    event = AuditEvent.objects.get(event_type="outreach_list.create", object_id=str(created.pk))
    assert event.changes["name"] == [None, "Downtown frequent contacts"]


@pytest.mark.parametrize(
    ("name", "field", "message"),
    [
        ("   ", "name", "Enter the list name."),
        ("east SIDE repeat overdoses", "name", "There is already a list called"),
        ("x" * 121, "name", "at most 120 characters"),
        ("Two\nlines", "name", "must be on one line"),
    ],
)
def test_bad_list_names_are_refused_and_change_nothing(
    cast: Any, outreach: Outreach, name: str, field: str, message: str
) -> None:
    before = counts()
    with pytest.raises(ValidationError) as exc:
        outreach_list_create(
            actor=cast.coordinator, program=cast.program, name=name, team=outreach.team
        )
    assert message in " ".join(exc.value.message_dict[field])
    assert counts() == before


def test_a_team_of_another_program_is_refused(cast: Any, outreach: Outreach) -> None:
    elsewhere_team = outreach.elsewhere_officer.memberships.get().agency
    before = counts()
    with pytest.raises(ValidationError) as exc:
        outreach_list_create(
            actor=cast.coordinator, program=cast.program, name="Mixed", team=elsewhere_team
        )
    assert "Choose an active team of the program." in exc.value.message_dict["team"]
    assert counts() == before


def test_a_team_that_cannot_record_outreach_contacts_is_refused(
    cast: Any, outreach: Outreach
) -> None:
    prosecutors = cast.prosecutor.memberships.get().agency
    before = counts()
    with pytest.raises(ValidationError) as exc:
        outreach_list_create(
            actor=cast.coordinator, program=cast.program, name="Odd", team=prosecutors
        )
    assert "cannot record Active Outreach contacts" in exc.value.message_dict["team"][0]
    assert counts() == before


def test_no_list_when_the_program_does_not_run_active_outreach(
    cast: Any, outreach: Outreach
) -> None:
    program_pathway_set_enabled(
        actor=cast.coordinator,
        program=cast.program,
        pathway=Pathway.objects.get(code="active_outreach"),
        enabled=False,
    )
    before = counts()
    with pytest.raises(ValidationError, match="does not run Active Outreach"):
        outreach_list_create(
            actor=cast.coordinator, program=cast.program, name="Later", team=outreach.team
        )
    assert counts() == before


def test_an_archived_lists_name_can_be_used_again(cast: Any, outreach: Outreach) -> None:
    OutreachList.objects.filter(pk=outreach.outreach_list.pk).update(archived_at=clock.now())
    again = outreach_list_create(
        actor=cast.coordinator,
        program=cast.program,
        name="East side repeat overdoses",
        team=outreach.team,
    )
    assert again.pk != outreach.outreach_list.pk


# --- Putting a person on a list ----------------------------------------------------------------


def test_adding_a_person_opens_an_outreach_visit_for_the_team(
    cast: Any, outreach: Outreach
) -> None:
    with clock.frozen(NOW):
        entry = add(cast, outreach, note="Two overdoses in October", assigned_to=outreach.peer)
    assert entry.status == OutreachStatus.IDENTIFIED
    assert entry.added_by == cast.officer_a
    assert entry.assigned_to == outreach.peer
    assert history(entry) == ["identified"]
    item = entry.work_item
    assert item is not None and item.is_open
    assert item.kind == WorkKind.OUTREACH_VISIT
    assert item.team == outreach.team
    assert item.person == outreach.person
    assert item.encounter is None  # the person has no contact yet
    assert item.title == "Outreach visit — East side repeat overdoses"
    assert "Vandermolen" not in item.title
    # 7 calendar days (the default) in Chicago: the end of Fri Nov 27, CST (UTC-6).
    assert item.due_at == dt.datetime(2026, 11, 28, 5, 59, 59, tzinfo=dt.UTC)
    event = AuditEvent.objects.get(event_type="outreach_entry.add")
    assert event.changes["note"] == ["[redacted]", "[redacted]"]
    assert event.changes["status"] == [None, "identified"]
    assert AuditEvent.objects.filter(event_type="work_item.open", object_id=str(item.pk)).exists()


@pytest.mark.parametrize(
    ("added_at", "due_at"),
    [
        # Thu Oct 29, 10:00 CDT: seven calendar days cross the fall-back night of Nov 1, so
        # the end of Thu Nov 5 is in CST (UTC-6), not CDT.
        (
            dt.datetime(2026, 10, 29, 15, 0, tzinfo=dt.UTC),
            dt.datetime(2026, 11, 6, 5, 59, 59, tzinfo=dt.UTC),
        ),
        # Sat Oct 24, 23:30 CDT (already Oct 25 in UTC): the local day counts; the end of
        # Sat Oct 31 is still CDT (UTC-5).
        (
            dt.datetime(2026, 10, 25, 4, 30, tzinfo=dt.UTC),
            dt.datetime(2026, 11, 1, 4, 59, 59, tzinfo=dt.UTC),
        ),
        # Sun Oct 25, 12:00 CDT: due the end of Sun Nov 1, the day the clocks fall back.
        (
            dt.datetime(2026, 10, 25, 17, 0, tzinfo=dt.UTC),
            dt.datetime(2026, 11, 2, 5, 59, 59, tzinfo=dt.UTC),
        ),
    ],
)
def test_the_due_date_is_counted_in_local_calendar_days_across_dst(
    cast: Any, outreach: Outreach, added_at: dt.datetime, due_at: dt.datetime
) -> None:
    with clock.frozen(added_at):
        entry = add(cast, outreach)
    assert entry.work_item is not None
    assert entry.work_item.due_at == due_at


def test_the_programs_outreach_visit_days_are_used(cast: Any, outreach: Outreach) -> None:
    set_outreach_config(cast, outreach_visit_days=3)
    with clock.frozen(NOW):
        entry = add(cast, outreach)
    assert entry.work_item is not None
    assert entry.work_item.due_at == dt.datetime(2026, 11, 24, 5, 59, 59, tzinfo=dt.UTC)


def test_the_item_follows_up_the_persons_latest_contact(cast: Any, outreach: Outreach) -> None:
    naloxone = Pathway.objects.get(code="naloxone_plus")
    EncounterFactory.create(
        agency=cast.police_a,
        responder=cast.officer_a,
        person=outreach.person,
        occurred_at=NOW - dt.timedelta(days=30),
    )
    latest = EncounterFactory.create(
        agency=cast.police_b,
        responder=cast.officer_b,
        person=outreach.person,
        pathway=naloxone,
        occurred_at=NOW - dt.timedelta(days=3),
    )
    with clock.frozen(NOW):
        entry = add(cast, outreach)
    assert entry.work_item is not None
    assert entry.work_item.encounter == latest


def test_bad_entries_are_refused_and_change_nothing(cast: Any, outreach: Outreach) -> None:
    add(cast, outreach)
    archived = PersonFactory.create(archived_at=NOW)
    before = counts()
    for kwargs, field, message in [
        ({}, "person", "Casey Vandermolen is already on this list."),
        ({"person": PersonFactory.create(), "reason": "gossip"}, "reason", "Choose why"),
        ({"person": PersonFactory.create(), "note": "n" * 301}, "note", "at most 300"),
        (
            {"person": PersonFactory.create(), "assigned_to": cast.officer_b},
            "assigned_to",
            "Choose a member of Harbor Peer Outreach.",
        ),
        ({"person": archived}, "person", "archived"),
    ]:
        with pytest.raises(ValidationError) as exc:
            add(cast, outreach, **kwargs)
        assert message in " ".join(exc.value.message_dict[field]), kwargs
    assert counts() == before


def test_no_entry_when_the_program_does_not_run_active_outreach(
    cast: Any, outreach: Outreach
) -> None:
    program_pathway_set_enabled(
        actor=cast.coordinator,
        program=cast.program,
        pathway=Pathway.objects.get(code="active_outreach"),
        enabled=False,
    )
    before = counts()
    with pytest.raises(ValidationError, match="does not run Active Outreach"):
        add(cast, outreach)
    assert counts() == before


def test_an_archived_list_takes_no_one(cast: Any, outreach: Outreach) -> None:
    OutreachList.objects.filter(pk=outreach.outreach_list.pk).update(archived_at=NOW)
    outreach.outreach_list.refresh_from_db()
    before = counts()
    with pytest.raises(ValidationError, match="archived"):
        add(cast, outreach)
    assert counts() == before


# --- Visits ------------------------------------------------------------------------------------


def test_not_found_moves_the_person_to_attempting_and_keeps_the_visit_open(
    cast: Any, outreach: Outreach
) -> None:
    with clock.frozen(NOW):
        entry = add(cast, outreach)
        first = visit(outreach, entry, "not_found", note="Nobody home")
    entry.refresh_from_db()
    assert entry.status == OutreachStatus.ATTEMPTING
    assert first.entry.status == OutreachStatus.ATTEMPTING
    assert first.next_item is None
    assert entry.work_item is not None and entry.work_item.is_open
    assert first.visit.outreach_entry == entry
    assert first.visit.contact is None
    with clock.frozen(NOW + dt.timedelta(days=1)):
        visit(outreach, entry, "not_found")
    entry.refresh_from_db()
    assert entry.status == OutreachStatus.ATTEMPTING
    assert history(entry) == ["identified", "attempting"]  # no row for a non-change
    assert entry.visits.count() == 2
    assert Encounter.objects.count() == 0


def test_declined_closes_the_visit_and_records_an_active_outreach_contact(
    cast: Any, outreach: Outreach
) -> None:
    with clock.frozen(NOW):
        entry = add(cast, outreach)
        result = visit(outreach, entry, "declined")
    entry.refresh_from_db()
    assert entry.status == OutreachStatus.DECLINED
    assert entry.work_item is None
    item = WorkItem.objects.get(kind=WorkKind.OUTREACH_VISIT)
    assert item.completed_at is not None
    contact = result.visit.contact
    assert contact is not None
    assert contact.pathway.code == "active_outreach"
    assert contact.call_source == "outreach"
    assert contact.agency == outreach.team
    assert contact.presenting_needs == ["substance_use"]  # no earlier contact: the pathway's
    change = entry.history.last()
    assert change is not None and change.visit == result.visit
    assert change.changed_by == outreach.worker


def test_engaged_opens_the_next_visit_under_active_outreach_not_the_index_pathway(
    cast: Any, outreach: Outreach
) -> None:
    index = EncounterFactory.create(
        agency=cast.police_a,
        responder=cast.officer_a,
        person=outreach.person,
        pathway=Pathway.objects.get(code="naloxone_plus"),
        presenting_needs=["opioid_use"],
        occurred_at=NOW - dt.timedelta(days=2),
    )
    with clock.frozen(NOW):
        entry = add(cast, outreach)
    first_item = entry.work_item
    assert first_item is not None and first_item.encounter == index
    visited = dt.datetime(2026, 11, 23, 17, 0, tzinfo=dt.UTC)  # Mon Nov 23, 11:00 CST
    with clock.frozen(visited + dt.timedelta(hours=1)):
        result = visit(outreach, entry, "engaged", visited_at=visited, family_resources=True)
    entry.refresh_from_db()
    first_item.refresh_from_db()
    assert entry.status == OutreachStatus.ENGAGED
    assert first_item.completed_at is not None
    assert result.next_item is not None
    assert entry.work_item == result.next_item
    assert result.next_item.is_open
    assert result.next_item.kind == WorkKind.OUTREACH_VISIT
    # Counted from the visit: the end of Mon Nov 30, CST.
    assert result.next_item.due_at == dt.datetime(2026, 12, 1, 5, 59, 59, tzinfo=dt.UTC)
    contact = result.visit.contact
    assert contact.pathway.code == "active_outreach"
    assert contact.presenting_needs == ["opioid_use"]  # carried from the index contact
    assert history(entry) == ["identified", "engaged"]
    event = AuditEvent.objects.get(event_type="outreach_entry.visit")
    assert event.changes["status"] == ["identified", "engaged"]
    assert event.changes["work_item"] == [str(first_item.pk), str(result.next_item.pk)]


def test_engaged_without_a_further_visit_leaves_nothing_open(cast: Any, outreach: Outreach) -> None:
    with clock.frozen(NOW):
        entry = add(cast, outreach)
        result = visit(outreach, entry, "engaged", further_visit=False)
    entry.refresh_from_db()
    assert entry.status == OutreachStatus.ENGAGED
    assert result.next_item is None
    assert entry.work_item is None
    assert WorkItem.objects.open().count() == 0


def test_an_engaged_person_missed_on_the_next_visit_stays_engaged(
    cast: Any, outreach: Outreach
) -> None:
    with clock.frozen(NOW):
        entry = add(cast, outreach)
        visit(outreach, entry, "engaged")
    with clock.frozen(NOW + dt.timedelta(days=3)):
        result = visit(outreach, entry, "not_found")
    assert result.entry.status == OutreachStatus.ENGAGED
    assert result.entry.work_item is not None and result.entry.work_item.is_open
    assert result.entry.visits.count() == 2


def test_referred_moves_the_person_to_in_treatment(cast: Any, outreach: Outreach) -> None:
    with clock.frozen(NOW):
        entry = add(cast, outreach)
        visit(outreach, entry, "not_found")
        result = visit(
            outreach,
            entry,
            "referred",
            referral=VisitReferral(service=cast.detox_p, warm_handoff=True),
        )
    entry.refresh_from_db()
    assert entry.status == OutreachStatus.IN_TREATMENT
    assert entry.work_item is None
    referral = Referral.objects.get()
    assert referral.encounter == result.visit.contact
    assert referral.encounter.pathway.code == "active_outreach"
    assert history(entry) == ["identified", "attempting", "in_treatment"]


def test_the_active_outreach_team_requirement_applies(cast: Any, outreach: Outreach) -> None:
    set_outreach_config(cast, requires_clinician=True)
    with clock.frozen(NOW):
        entry = add(cast, outreach)
    before = counts()
    with clock.frozen(NOW), pytest.raises(ValidationError) as exc:
        visit(outreach, entry, "engaged", members=["peer"])
    assert "include a clinician" in exc.value.message_dict["members"][0]
    assert counts() == before
    entry.refresh_from_db()
    assert entry.status == OutreachStatus.IDENTIFIED


def test_no_visit_without_an_open_outreach_visit(cast: Any, outreach: Outreach) -> None:
    with clock.frozen(NOW):
        entry = add(cast, outreach)
        visit(outreach, entry, "declined")
    before = counts()
    with clock.frozen(NOW), pytest.raises(ValidationError, match="no open outreach visit"):
        visit(outreach, entry, "engaged")
    assert counts() == before


def test_a_bad_visit_changes_nothing(cast: Any, outreach: Outreach) -> None:
    with clock.frozen(NOW):
        entry = add(cast, outreach)
    before = counts()
    bad: list[tuple[str, dict[str, Any]]] = [
        ("engaged", {"members": []}),
        ("vanished", {}),
        ("engaged", {"note": "n" * 301}),
        ("engaged", {"visited_at": NOW + dt.timedelta(days=1)}),
    ]
    for outcome, kwargs in bad:
        with clock.frozen(NOW), pytest.raises(ValidationError):
            visit(outreach, entry, outcome, **kwargs)
    assert counts() == before


# --- Lead and closing --------------------------------------------------------------------------


def test_the_lead_is_a_team_member(cast: Any, outreach: Outreach) -> None:
    entry = add(cast, outreach)
    outreach_entry_assign(actor=outreach.worker, entry=entry, assigned_to=outreach.peer)
    entry.refresh_from_db()
    assert entry.assigned_to == outreach.peer
    assert AuditEvent.objects.filter(event_type="outreach_entry.assign").count() == 1
    before = counts()
    with pytest.raises(ValidationError) as exc:
        outreach_entry_assign(actor=outreach.worker, entry=entry, assigned_to=outreach.other_worker)
    assert "Choose a member of Harbor Peer Outreach." in exc.value.message_dict["assigned_to"]
    # The same lead again is no change and no event.
    outreach_entry_assign(actor=outreach.worker, entry=entry, assigned_to=outreach.peer)
    assert counts() == before
    outreach_entry_assign(actor=outreach.worker, entry=entry, assigned_to=None)
    entry.refresh_from_db()
    assert entry.assigned_to is None


def test_closing_cancels_the_open_visit_and_the_person_can_be_added_again(
    cast: Any, outreach: Outreach
) -> None:
    with clock.frozen(NOW):
        entry = add(cast, outreach)
    item = entry.work_item
    assert item is not None
    closed = outreach_entry_close(actor=outreach.worker, entry=entry, reason="Moved out of state")
    item.refresh_from_db()
    assert closed.status == OutreachStatus.CLOSED
    assert closed.work_item is None
    assert item.cancelled_at is not None
    assert item.cancel_reason == "Moved out of state"
    last = closed.history.last()
    assert last is not None and last.note == "Moved out of state"
    event = AuditEvent.objects.get(event_type="outreach_entry.close")
    assert event.changes["status"] == ["identified", "closed"]
    assert event.changes["reason"] == ["[redacted]", "[redacted]"]
    again = add(cast, outreach)
    assert again.pk != entry.pk and again.status == OutreachStatus.IDENTIFIED


def test_bad_closes_are_refused_and_change_nothing(cast: Any, outreach: Outreach) -> None:
    entry = add(cast, outreach)
    before = counts()
    with pytest.raises(ValidationError) as exc:
        outreach_entry_close(actor=outreach.worker, entry=entry, reason="  ")
    assert exc.value.message_dict["reason"] == ["Enter the reason."]
    assert counts() == before
    outreach_entry_close(actor=outreach.worker, entry=entry, reason="No longer needed")
    before = counts()
    with pytest.raises(ValidationError, match="already closed"):
        outreach_entry_close(actor=outreach.worker, entry=entry, reason="Again")
    with pytest.raises(ValidationError, match="closed"):
        outreach_entry_assign(actor=outreach.worker, entry=entry, assigned_to=outreach.peer)
    assert counts() == before


def test_closing_after_the_item_was_marked_done_elsewhere(cast: Any, outreach: Outreach) -> None:
    from pathways.followups.services import work_item_complete

    entry = add(cast, outreach)
    assert entry.work_item is not None
    work_item_complete(entry.work_item, actor=outreach.worker, outcome_note="Done by hand")
    closed = outreach_entry_close(actor=outreach.worker, entry=entry, reason="No longer needed")
    assert closed.status == OutreachStatus.CLOSED


def test_status_history_is_append_only(cast: Any, outreach: Outreach) -> None:
    entry = add(cast, outreach)
    change = entry.history.get()
    with pytest.raises(PermissionError):
        change.save()
    with pytest.raises(PermissionError):
        change.delete()
