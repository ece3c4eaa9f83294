"""Who sees which case, what each viewer may do, and the prosecutor's queue."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from pathways.accounts.factories import AgencyFactory, member
from pathways.cases import selectors, services
from pathways.cases.factories import intervention_config, open_case
from pathways.cases.models import Case
from pathways.cases.tests.helpers import NOW
from pathways.core import clock
from pathways.people.factories import PersonFactory
from pathways.programs.factories import ProgramFactory


@pytest.fixture
def lead(cast: Any) -> Any:
    return intervention_config(cast.program, prosecutor_review=True)


def open_at(cast: Any, at: dt.datetime, **kwargs: Any) -> Case:
    kwargs.setdefault("case_agency", cast.provider_p)
    with clock.frozen(at):
        return open_case(actor=cast.officer_a, agency=cast.police_a, **kwargs)


def test_who_sees_a_case(cast: Any, lead: Any) -> None:
    case = open_at(cast, NOW)
    seeing = [
        cast.case_manager_p,
        cast.intake_p,
        cast.officer_a,
        cast.supervisor_a,
        cast.prosecutor,
        cast.coordinator,
    ]
    for user in seeing:
        assert selectors.case_for_user(user=user, case_id=case.pk) == case, user
    for user in (cast.officer_b, cast.intake_q, cast.researcher):
        assert selectors.case_for_user(user=user, case_id=case.pk) is None, user
    elsewhere = AgencyFactory.create(
        program=ProgramFactory.create(name="Other County"), kind="prosecutor"
    )
    assert (
        selectors.case_for_user(user=member(elsewhere, "prosecutor", "p2"), case_id=case.pk) is None
    )
    assert selectors.case_for_encounter(user=cast.officer_a, encounter=case.encounter) == case
    assert selectors.case_for_encounter(user=cast.officer_b, encounter=case.encounter) is None


def test_a_case_without_a_case_agency_is_not_shown_to_providers(cast: Any, lead: Any) -> None:
    case = open_at(cast, NOW, case_agency=None)
    assert selectors.case_for_user(user=cast.case_manager_p, case_id=case.pk) is None
    assert selectors.case_for_user(user=cast.officer_a, case_id=case.pk) == case
    assert selectors.case_for_user(user=cast.coordinator, case_id=case.pk) == case


def test_access_flags(cast: Any, lead: Any) -> None:
    case = open_at(cast, NOW)
    manager = selectors.access_for(user=cast.case_manager_p, case=case)
    assert (manager.manage, manager.review, manager.sees_log) == (True, False, True)
    prosecutor = selectors.access_for(user=cast.prosecutor, case=case)
    assert (prosecutor.manage, prosecutor.review, prosecutor.sees_log) == (False, True, False)
    assert prosecutor.sees_progress
    officer = selectors.access_for(user=cast.officer_a, case=case)
    assert (officer.manage, officer.review, officer.field) == (False, False, True)
    assert not officer.sees_log and not officer.sees_progress and not officer.sees_reasons
    coordinator = selectors.access_for(user=cast.coordinator, case=case)
    assert coordinator.manage and coordinator.sees_log


def test_review_queue_pending_oldest_first_with_due_dates(cast: Any, lead: Any) -> None:
    later = open_at(cast, NOW + dt.timedelta(days=1))
    first = open_at(cast, NOW)
    accepted = open_at(cast, NOW - dt.timedelta(days=3))
    services.prosecutor_review_decide(
        actor=cast.prosecutor,
        case=accepted,
        decision="accepted",
        expected_status="pending_review",
    )
    queue = list(selectors.review_queue_for(user=cast.prosecutor))
    assert queue == [first, later]
    annotated: Any = queue[0]  # with_next_due() annotations
    assert annotated.review_due_at == dt.datetime(2026, 11, 9, 5, 59, 59, tzinfo=dt.UTC)
    assert annotated.next_due_date == dt.date(2026, 12, 3)
    assert list(selectors.review_queue_for(user=cast.case_manager_p)) == []
    assert list(selectors.review_queue_for(user=cast.coordinator)) == []


def test_case_list_open_and_closed(cast: Any, lead: Any) -> None:
    open_one = open_at(cast, NOW)
    closed = open_at(cast, NOW, person=PersonFactory.create())
    services.case_withdraw(
        actor=cast.case_manager_p,
        case=closed,
        reason="Moved away.",
        expected_status="pending_review",
    )
    assert list(selectors.case_list_for(user=cast.case_manager_p)) == [open_one]
    assert list(selectors.case_list_for(user=cast.case_manager_p, open_only=False)) == [closed]
    assert list(selectors.case_list_for(user=cast.intake_q)) == []
    assert list(selectors.case_list_for(user=cast.officer_b, open_only=False)) == []
