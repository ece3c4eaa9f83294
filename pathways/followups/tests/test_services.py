"""Opening, completing and cancelling work items: validation, refusals, and one audit event each."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import ValidationError

from pathways.accounts.factories import AgencyFactory
from pathways.audit.models import AuditEvent
from pathways.core import clock
from pathways.encounters.factories import EncounterFactory
from pathways.followups import services
from pathways.followups.factories import WorkItemFactory
from pathways.followups.models import WorkItem, WorkKind
from pathways.programs.factories import ProgramFactory
from pathways.referrals.factories import make_referral

NOW = dt.datetime(2026, 11, 3, 15, 0, tzinfo=dt.UTC)


def open_item(cast: Any, **overrides: Any) -> WorkItem:
    kwargs: dict[str, Any] = {
        "actor": cast.supervisor_a,
        "program": cast.program,
        "team": cast.police_a,
        "kind": WorkKind.OVERDOSE_FOLLOWUP,
        "title": "Follow-up after overdose on Nov 3",
        "due_at": NOW + dt.timedelta(hours=72),
    }
    kwargs.update(overrides)
    with clock.frozen(NOW):
        return services.work_item_open(**kwargs)


def audit_events(item: WorkItem) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(object_id=str(item.pk)).order_by("occurred_at", "id"))


def test_open_stores_utc_and_writes_one_audit_event(cast: Any) -> None:
    encounter = EncounterFactory.create(agency=cast.police_a, responder=cast.officer_a)
    chicago_due = dt.datetime(2026, 11, 6, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=-6)))
    item = open_item(
        cast,
        title="  Follow-up after overdose on Nov 3  ",
        due_at=chicago_due,
        person=encounter.person,
        encounter=encounter,
    )
    item.refresh_from_db()
    assert item.title == "Follow-up after overdose on Nov 3"
    assert item.due_at == dt.datetime(2026, 11, 6, 15, 0, tzinfo=dt.UTC)
    assert item.is_open
    assert item.created_at == NOW
    assert item.subject_url == f"/encounters/{encounter.pk}/"
    [event] = audit_events(item)
    assert event.event_type == "work_item.open"
    assert event.actor == cast.supervisor_a
    assert event.changes["kind"] == [None, "overdose_followup"]
    assert event.changes["team"] == [None, str(cast.police_a.pk)]


def test_subject_url_prefers_the_referral_and_is_none_without_a_subject(cast: Any) -> None:
    encounter = EncounterFactory.create(agency=cast.police_a, responder=cast.officer_a)
    referral = make_referral(actor=cast.officer_a, encounter=encounter, service=cast.detox_p)
    item = open_item(cast, team=cast.provider_p, kind=WorkKind.REFERRAL_RESPONSE, referral=referral)
    assert item.subject_url == f"/referrals/{referral.pk}/"
    assert item.subject_label == "Open the referral"
    bare = open_item(cast)
    assert bare.subject_url is None


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"title": ""}, "Enter the title"),
        ({"title": "   "}, "Enter the title"),
        ({"title": "x" * 201}, "at most 200 characters"),
        ({"title": "Visit\u0007 today"}, "control characters"),
        ({"title": "Visit\u202e today"}, "control characters"),
        ({"title": "Line one\nline two"}, "one line"),
        ({"kind": "coffee"}, "kind of work"),
        ({"due_at": dt.datetime(2026, 11, 6, 9, 0)}, "time zone"),  # noqa: DTZ001
    ],
)
def test_open_refuses_bad_input_and_writes_nothing(
    cast: Any, overrides: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        open_item(cast, **overrides)
    assert not WorkItem.objects.exists()
    assert not AuditEvent.objects.filter(event_type__startswith="work_item").exists()


def test_open_accepts_a_200_character_title(cast: Any) -> None:
    assert len(open_item(cast, title="x" * 200).title) == 200


def test_open_refuses_a_team_or_contact_of_another_program(cast: Any) -> None:
    other_program = ProgramFactory.create(name="Elsewhere County")
    with pytest.raises(ValidationError, match="team is not part"):
        open_item(cast, program=other_program)
    encounter = EncounterFactory.create(agency=cast.police_a, responder=cast.officer_a)
    other_team = AgencyFactory.create(program=other_program, name="Elsewhere Police")
    with pytest.raises(ValidationError, match="contact is not part"):
        open_item(cast, program=other_program, team=other_team, encounter=encounter)
    assert not WorkItem.objects.exists()


def test_complete_records_who_when_and_the_note_and_audits_once(cast: Any) -> None:
    item = open_item(cast)
    done_at = NOW + dt.timedelta(hours=20)
    with clock.frozen(done_at):
        done = services.work_item_complete(
            item, actor=cast.officer_a, outcome_note="Visited; accepted naloxone kit."
        )
    done.refresh_from_db()
    assert done.completed_at == done_at
    assert done.completed_by == cast.officer_a
    assert done.outcome_note == "Visited; accepted naloxone kit."
    assert not done.is_open
    assert not done.is_overdue(done_at + dt.timedelta(days=9))
    events = audit_events(item)
    assert [e.event_type for e in events] == ["work_item.open", "work_item.complete"]
    changes = events[1].changes
    assert changes["completed_at"] == [None, done_at.isoformat()]
    assert changes["completed_by"] == [None, str(cast.officer_a.pk)]
    # the free-text note is on the row, not copied into the audit trail
    assert changes["outcome_note"] == ["[redacted]", "[redacted]"]


def test_completing_twice_is_refused_and_changes_nothing(cast: Any) -> None:
    item = open_item(cast)
    services.work_item_complete(item, actor=cast.officer_a, outcome_note="first")
    stale = WorkItem.objects.get(pk=item.pk)
    stale.completed_at = None  # a page rendered before the first completion
    with pytest.raises(ValidationError, match="already marked done"):
        services.work_item_complete(stale, actor=cast.supervisor_a, outcome_note="second")
    fresh = WorkItem.objects.get(pk=item.pk)
    assert fresh.completed_by == cast.officer_a
    assert fresh.outcome_note == "first"
    assert len(audit_events(item)) == 2


def test_complete_without_expecting_open_returns_the_closed_item_unchanged(cast: Any) -> None:
    item = open_item(cast)
    services.work_item_complete(item, actor=cast.officer_a)
    again = services.work_item_complete(item, actor=cast.supervisor_a, expected_open=False)
    assert again.completed_by == cast.officer_a
    assert len(audit_events(item)) == 2


def test_complete_refuses_a_cancelled_item_and_an_over_long_note(cast: Any) -> None:
    item = open_item(cast)
    with pytest.raises(ValidationError, match="at most 300 characters"):
        services.work_item_complete(item, actor=cast.officer_a, outcome_note="n" * 301)
    assert WorkItem.objects.get(pk=item.pk).is_open
    with clock.frozen(NOW + dt.timedelta(hours=1)):
        services.work_item_cancel(item, actor=cast.supervisor_a, reason="Duplicate of another item")
    with pytest.raises(ValidationError, match="cancelled"):
        services.work_item_complete(item, actor=cast.officer_a)
    fresh = WorkItem.objects.get(pk=item.pk)
    assert fresh.completed_at is None
    assert [e.event_type for e in audit_events(item)] == ["work_item.open", "work_item.cancel"]


def test_cancel_needs_a_reason_and_is_audited_once(cast: Any) -> None:
    item = open_item(cast)
    for reason in ("", "   "):
        with pytest.raises(ValidationError, match="Enter the reason"):
            services.work_item_cancel(item, actor=cast.supervisor_a, reason=reason)
    assert WorkItem.objects.get(pk=item.pk).is_open
    cancel_at = NOW + dt.timedelta(hours=2)
    with clock.frozen(cancel_at):
        cancelled = services.work_item_cancel(
            item, actor=cast.supervisor_a, reason="Moved out of the county"
        )
    assert cancelled.cancelled_at == cancel_at
    assert cancelled.cancel_reason == "Moved out of the county"
    assert not cancelled.is_open
    with pytest.raises(ValidationError, match="cancelled"):
        services.work_item_cancel(item, actor=cast.supervisor_a, reason="again")
    assert [e.event_type for e in audit_events(item)] == ["work_item.open", "work_item.cancel"]


def test_is_overdue_compares_with_the_given_time(cast: Any) -> None:
    item = WorkItemFactory.build(team=cast.police_a, due_at=NOW)
    assert not item.is_overdue(NOW)
    assert item.is_overdue(NOW + dt.timedelta(seconds=1))


def test_claiming_a_notice_succeeds_once(cast: Any) -> None:
    item = WorkItemFactory.create(team=cast.police_a)
    assert services.work_item_claim_notice(item.pk, notice="reminder", at=NOW) is True
    assert services.work_item_claim_notice(item.pk, notice="reminder", at=NOW) is False
    assert services.work_item_claim_notice(item.pk, notice="overdue", at=NOW) is True
    services.work_item_release_notice(item.pk, notice="reminder", at=NOW)
    assert WorkItem.objects.get(pk=item.pk).reminder_sent_at is None
    assert services.work_item_claim_notice(item.pk, notice="reminder", at=NOW) is True
