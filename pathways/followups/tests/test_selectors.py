"""Who sees which work items, and how the worklist splits them."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import connection
from django.test.utils import CaptureQueriesContext

from pathways.accounts.factories import MembershipFactory
from pathways.audit.models import AuditEvent
from pathways.core import clock
from pathways.followups import selectors
from pathways.followups.factories import WorkItemFactory

NOW = dt.datetime(2026, 11, 3, 15, 0, tzinfo=dt.UTC)


def hours(n: float) -> dt.datetime:
    return NOW + dt.timedelta(hours=n)


def test_worklist_splits_open_items_by_due_time_in_order(cast: Any) -> None:
    a = cast.police_a
    overdue_old = WorkItemFactory.create(team=a, due_at=hours(-30))
    overdue_new = WorkItemFactory.create(team=a, due_at=hours(-1))
    soon_2 = WorkItemFactory.create(team=a, due_at=hours(20))
    soon_1 = WorkItemFactory.create(team=a, due_at=hours(2))
    edge = WorkItemFactory.create(team=a, due_at=hours(24))
    later = WorkItemFactory.create(team=a, due_at=hours(24.01))
    WorkItemFactory.create(team=a, due_at=hours(3), completed_at=NOW)
    WorkItemFactory.create(team=a, due_at=hours(-3), cancelled_at=NOW, cancel_reason="dup")
    with clock.frozen(NOW):
        worklist = selectors.worklist_for(user=cast.officer_a)
    assert worklist.overdue == [overdue_old, overdue_new]
    assert worklist.due_soon == [soon_1, soon_2, edge]
    assert worklist.later == [later]
    assert len(worklist) == 6
    assert worklist.now == NOW
    assert not worklist.truncated


def test_a_team_sees_its_own_items_and_not_another_agencys(cast: Any) -> None:
    mine = WorkItemFactory.create(team=cast.police_a, due_at=hours(1))
    theirs = WorkItemFactory.create(team=cast.police_b, due_at=hours(1))
    provider = WorkItemFactory.create(team=cast.provider_p, due_at=hours(1))

    assert selectors.worklist_for(user=cast.officer_a, now=NOW).due_soon == [mine]
    assert selectors.worklist_for(user=cast.supervisor_a, now=NOW).due_soon == [mine]
    assert selectors.worklist_for(user=cast.officer_b, now=NOW).due_soon == [theirs]
    assert selectors.worklist_for(user=cast.intake_p, now=NOW).due_soon == [provider]
    assert len(selectors.worklist_for(user=cast.intake_q, now=NOW)) == 0
    assert len(selectors.worklist_for(user=cast.researcher, now=NOW)) == 0

    assert selectors.work_item_for_user(user=cast.officer_a, item_id=mine.pk) == mine
    assert selectors.work_item_for_user(user=cast.officer_a, item_id=theirs.pk) is None
    assert selectors.work_item_for_user(user=cast.officer_b, item_id=mine.pk) is None
    assert selectors.work_item_for_user(user=cast.intake_q, item_id=provider.pk) is None
    assert selectors.can_complete(user=cast.officer_a, item=mine)
    assert not selectors.can_complete(user=cast.officer_b, item=mine)


def test_coordinator_sees_every_team_in_the_program_but_does_not_act(cast: Any) -> None:
    items = [
        WorkItemFactory.create(team=team, due_at=hours(n))
        for n, team in enumerate([cast.police_a, cast.police_b, cast.provider_p], start=1)
    ]
    worklist = selectors.worklist_for(user=cast.coordinator, now=NOW)
    assert worklist.due_soon == items
    assert selectors.work_item_for_user(user=cast.coordinator, item_id=items[1].pk) == items[1]
    assert not selectors.can_complete(user=cast.coordinator, item=items[1])


def test_coordinator_of_another_program_sees_nothing(cast: Any) -> None:
    from pathways.accounts.factories import AgencyFactory, member
    from pathways.programs.factories import ProgramFactory

    elsewhere = AgencyFactory.create(
        program=ProgramFactory.create(name="Elsewhere County"), kind="program_office"
    )
    outsider = member(elsewhere, "coordinator", "outsider")
    item = WorkItemFactory.create(team=cast.police_a, due_at=hours(1))
    assert len(selectors.worklist_for(user=outsider, now=NOW)) == 0
    assert selectors.work_item_for_user(user=outsider, item_id=item.pk) is None


def test_inactive_membership_sees_nothing(cast: Any) -> None:
    WorkItemFactory.create(team=cast.police_a, due_at=hours(1))
    cast.officer_a.memberships.update(is_active=False)
    assert len(selectors.worklist_for(user=cast.officer_a, now=NOW)) == 0


def test_worklist_is_bounded_and_reads_in_one_query_without_audit(
    cast: Any, monkeypatch: Any
) -> None:
    monkeypatch.setattr(selectors, "WORKLIST_LIMIT", 5)
    for n in range(7):
        WorkItemFactory.create(team=cast.police_a, due_at=hours(n - 3))
    selectors.worklist_for(user=cast.officer_a, now=NOW)  # caches the memberships
    audit_before = AuditEvent.objects.writes().count()
    with CaptureQueriesContext(connection) as queries:
        worklist = selectors.worklist_for(user=cast.officer_a, now=NOW)
        teams = [item.team.name for item in worklist.overdue + worklist.due_soon]
    assert len(queries) == 1
    assert len(worklist) == 5
    assert worklist.truncated
    assert teams == ["Northside Police Department"] * 5
    assert AuditEvent.objects.writes().count() == audit_before


def test_team_email_addresses_are_active_members_with_an_address(cast: Any) -> None:
    cast.officer_a.email = "officer.a@northside.example"
    cast.officer_a.save()
    cast.supervisor_a.email = "sup.a@northside.example"
    cast.supervisor_a.is_active = False  # account switched off
    cast.supervisor_a.save()
    left = MembershipFactory.create(agency=cast.police_a, role="officer", is_active=False)
    left.user.email = "left@northside.example"
    left.user.save()
    # the same person holding two roles gets one copy
    MembershipFactory.create(user=cast.officer_a, agency=cast.police_a, role="outreach")
    cast.officer_b.email = "officer.b@southside.example"
    cast.officer_b.save()
    assert selectors.team_email_addresses(team_id=cast.police_a.pk) == [
        "officer.a@northside.example"
    ]
