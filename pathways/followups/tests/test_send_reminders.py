"""manage.py send_reminders: once per item, to the team, with no personal data."""

from __future__ import annotations

import datetime as dt
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from pathways.audit.models import AuditEvent
from pathways.core import clock
from pathways.encounters.factories import EncounterFactory
from pathways.followups import services
from pathways.followups.factories import WorkItemFactory
from pathways.followups.models import WorkItem, WorkKind
from pathways.people.factories import PersonFactory

NOW = dt.datetime(2026, 11, 20, 18, 0, tzinfo=dt.UTC)  # Fri Nov 20, 12:00 CST


def run(*args: str, at: dt.datetime = NOW) -> str:
    out = StringIO()
    with clock.frozen(at):
        call_command("send_reminders", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def emails(cast: Any) -> None:
    for user, address in (
        (cast.officer_a, "officer.a@northside.example"),
        (cast.supervisor_a, "sup.a@northside.example"),
        (cast.officer_b, "officer.b@southside.example"),
    ):
        user.email = address
        user.save()


def test_due_soon_reminder_goes_to_the_team_once(cast: Any, emails: None, mailoutbox: Any) -> None:
    item = WorkItemFactory.create(
        team=cast.police_a, kind=WorkKind.OUTREACH_VISIT, due_at=NOW + dt.timedelta(hours=5)
    )
    WorkItemFactory.create(team=cast.police_a, due_at=NOW + dt.timedelta(hours=30))  # too far

    output = run()
    assert len(mailoutbox) == 1
    mail = mailoutbox[0]
    assert sorted(mail.to) == ["officer.a@northside.example", "sup.a@northside.example"]
    assert mail.subject == "[Pathways] Due soon: Outreach visit"
    assert "Due: Fri Nov 20, 2026, 5:00 PM CST" in mail.body  # 23:00 UTC in Chicago
    assert "Team: Northside Police Department" in mail.body
    assert "/worklist/" in mail.body
    assert "Sent 1 due-soon reminder(s) and 0 overdue notice(s) (window 24 h)." in output
    assert WorkItem.objects.get(pk=item.pk).reminder_sent_at == NOW

    assert "Sent 0 due-soon" in run(at=NOW + dt.timedelta(minutes=15))
    assert len(mailoutbox) == 1


def test_overdue_notice_goes_once_and_after_the_reminder(
    cast: Any, emails: None, mailoutbox: Any
) -> None:
    item = WorkItemFactory.create(team=cast.police_a, due_at=NOW + dt.timedelta(hours=1))
    run()
    run(at=NOW + dt.timedelta(hours=2))
    run(at=NOW + dt.timedelta(hours=3))
    assert [m.subject for m in mailoutbox] == [
        "[Pathways] Due soon: Outreach visit",
        "[Pathways] Overdue: Outreach visit",
    ]
    assert "past its due time" in mailoutbox[1].body
    item.refresh_from_db()
    assert item.overdue_sent_at == NOW + dt.timedelta(hours=2)


def test_window_option_and_already_overdue_items_get_only_the_overdue_notice(
    cast: Any, emails: None, mailoutbox: Any
) -> None:
    WorkItemFactory.create(team=cast.police_b, due_at=NOW - dt.timedelta(days=2))
    WorkItemFactory.create(team=cast.police_a, due_at=NOW + dt.timedelta(hours=30))
    output = run("--window-hours", "48")
    assert "Sent 1 due-soon reminder(s) and 1 overdue notice(s) (window 48 h)." in output
    assert {m.subject for m in mailoutbox} == {
        "[Pathways] Due soon: Outreach visit",
        "[Pathways] Overdue: Outreach visit",
    }
    overdue = next(m for m in mailoutbox if "Overdue" in m.subject)
    assert overdue.to == ["officer.b@southside.example"]


def test_closed_items_and_teams_without_addresses_get_nothing(
    cast: Any, emails: None, mailoutbox: Any
) -> None:
    WorkItemFactory.create(team=cast.police_a, due_at=NOW - dt.timedelta(hours=1), completed_at=NOW)
    WorkItemFactory.create(
        team=cast.police_a, due_at=NOW + dt.timedelta(hours=1), cancelled_at=NOW, cancel_reason="x"
    )
    nobody = WorkItemFactory.create(team=cast.provider_q, due_at=NOW + dt.timedelta(hours=1))
    output = run()
    assert mailoutbox == []
    assert "1 item(s) not sent: the team has no active member with an e-mail address." in output
    assert WorkItem.objects.get(pk=nobody.pk).reminder_sent_at is None


def test_mail_and_output_hold_no_personal_data(cast: Any, emails: None, mailoutbox: Any) -> None:
    person = PersonFactory.create(
        first_name="Marisol", last_name="Quintero-Vance", date_of_birth=dt.date(1991, 2, 14)
    )
    encounter = EncounterFactory.create(
        agency=cast.police_a, responder=cast.officer_a, person=person
    )
    services.work_item_open(
        actor=cast.officer_a,
        program=cast.program,
        team=cast.police_a,
        kind=WorkKind.OVERDOSE_FOLLOWUP,
        title="Follow-up after overdose on Nov 19 at the motel",
        due_at=NOW - dt.timedelta(hours=1),
        person=person,
        encounter=encounter,
    )
    services.work_item_open(
        actor=cast.officer_a,
        program=cast.program,
        team=cast.police_a,
        kind=WorkKind.PLACEMENT,
        title="Placement target",
        due_at=NOW + dt.timedelta(hours=1),
        person=person,
    )
    audit_before = AuditEvent.objects.writes().count()
    output = run()
    assert len(mailoutbox) == 2
    for mail in mailoutbox:
        for text in (mail.subject, mail.body):
            for private in ("Marisol", "Quintero", "1991", "Feb 14", "motel", str(person.pk)):
                assert private not in text
            assert str(encounter.pk) not in text
    for private in ("Marisol", "Quintero", "motel", "@"):
        assert private not in output
    assert AuditEvent.objects.writes().count() == audit_before


def test_a_claimed_item_is_not_sent_again_by_a_concurrent_run(
    cast: Any, emails: None, mailoutbox: Any, monkeypatch: Any
) -> None:
    item = WorkItemFactory.create(team=cast.police_a, due_at=NOW + dt.timedelta(hours=1))
    real_claim = services.work_item_claim_notice

    def other_run_claims_first(item_id: Any, *, notice: Any, at: dt.datetime) -> bool:
        assert real_claim(item_id, notice=notice, at=at)  # the other run wins
        return real_claim(item_id, notice=notice, at=at)

    monkeypatch.setattr(
        "pathways.followups.management.commands.send_reminders.work_item_claim_notice",
        other_run_claims_first,
    )
    run()
    assert mailoutbox == []
    assert WorkItem.objects.get(pk=item.pk).reminder_sent_at is not None


def test_a_failed_send_gives_the_claim_back_and_the_next_run_retries(
    cast: Any, emails: None, mailoutbox: Any, monkeypatch: Any
) -> None:
    item = WorkItemFactory.create(team=cast.police_a, due_at=NOW + dt.timedelta(hours=1))

    def refuse(*args: Any, **kwargs: Any) -> int:
        raise ConnectionRefusedError("mail server down")

    monkeypatch.setattr("pathways.followups.management.commands.send_reminders.send_mail", refuse)
    with pytest.raises(CommandError, match="1 e-mail"):
        run()
    assert WorkItem.objects.get(pk=item.pk).reminder_sent_at is None
    monkeypatch.undo()
    run()
    assert len(mailoutbox) == 1


def test_window_must_be_positive(cast: Any) -> None:
    with pytest.raises(CommandError, match="more than 0"):
        run("--window-hours", "0")
