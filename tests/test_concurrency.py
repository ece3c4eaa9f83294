"""Concurrency on PostgreSQL, the production database: many writers at once lose no update, and
a retried submission creates exactly one record.

Each test runs real threads, each with its own database connection, against committed data
(transactional_db). SQLite serialises every writer behind one file lock, so these races cannot
happen there; the tests run in CI's PostgreSQL pass."""

from __future__ import annotations

import threading
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.urls import reverse

from pathways.audit.models import AuditEvent
from pathways.cases.factories import intervention_config, leon_plan, open_case
from pathways.cases.models import PlanRequirement, RequirementKind, RequirementProgress
from pathways.cases.services import requirement_progress_record
from pathways.core.conflicts import StaleEdit
from pathways.encounters.factories import EncounterFactory, field_entry_data
from pathways.encounters.models import Encounter
from pathways.referrals.factories import make_referral
from pathways.referrals.models import Referral, ReferralStatus, ReferralStatusChange
from pathways.referrals.services import referral_accept, referral_decline

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="row locks and concurrent writers: PostgreSQL only (CI runs it)",
    ),
    pytest.mark.django_db(transaction=True),
]

THREADS = 8


def run_in_threads(tasks: Sequence[Callable[[], Any]], threads: int = THREADS) -> list[Any]:
    """Run the tasks on `threads` threads, each with its own connection; returns each task's
    result or the exception it raised, in task order. Neighbouring tasks run at the same time."""
    results: list[Any] = [None] * len(tasks)
    lock = threading.Lock()
    next_task = iter(range(len(tasks)))
    start = threading.Barrier(threads)

    def worker() -> None:
        start.wait()
        try:
            while True:
                with lock:
                    index = next(next_task, None)
                if index is None:
                    return
                try:
                    results[index] = tasks[index]()
                except Exception as exc:
                    results[index] = exc
        finally:
            connection.close()

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    return results


def test_1000_concurrent_progress_entries_on_one_requirement_lose_no_update(cast: Any) -> None:
    """1,000 entries of one hour each, from 8 case managers' sessions at once, on the same
    1,000-hour requirement: every hour is counted, every entry and audit event is kept."""
    intervention_config(cast.program, charges="civil_citation", requirements=leon_plan(hours=1000))
    case = open_case(actor=cast.officer_a, agency=cast.police_a, case_agency=cast.provider_p)
    requirement = case.requirements.get(kind=RequirementKind.COMMUNITY_SERVICE)

    def one_hour() -> Any:
        return requirement_progress_record(
            actor=cast.case_manager_p, requirement=requirement, hours=Decimal("1")
        )

    results = run_in_threads([one_hour] * 1000)

    assert [r for r in results if isinstance(r, Exception)] == []
    requirement = PlanRequirement.objects.get(pk=requirement.pk)
    assert requirement.hours_done == Decimal("1000")
    assert RequirementProgress.objects.filter(requirement=requirement).count() == 1000
    assert (
        AuditEvent.objects.filter(
            event_type="plan_requirement.progress", object_id=str(requirement.pk)
        ).count()
        == 1000
    )


def test_1000_conflicting_decisions_on_500_referrals_apply_exactly_one_each(cast: Any) -> None:
    """Two intake workers decide each of 500 referrals at the same moment from the same page
    (one accepts, one declines): exactly one decision lands per referral, the other gets the
    stale-edit conflict, and the history never shows both."""
    referrals = [
        make_referral(
            actor=cast.officer_a,
            encounter=EncounterFactory.create(agency=cast.police_a, responder=cast.officer_a),
            service=cast.detox_p,
        )
        for _ in range(500)
    ]

    def accept(referral: Referral, shown: str) -> Callable[[], Any]:
        return lambda: referral_accept(
            actor=cast.intake_p, referral=referral, expected_status=shown
        )

    def decline(referral: Referral, shown: str) -> Callable[[], Any]:
        return lambda: referral_decline(
            actor=cast.intake_p, referral=referral, reason="no_capacity", expected_status=shown
        )

    tasks: list[Callable[[], Any]] = []
    for referral in referrals:
        tasks += [accept(referral, referral.status), decline(referral, referral.status)]

    results = run_in_threads(tasks)

    outcome = Counter("conflict" if isinstance(r, StaleEdit) else type(r).__name__ for r in results)
    assert outcome == {"Referral": 500, "conflict": 500}
    statuses = Counter(Referral.objects.values_list("status", flat=True))
    assert sum(statuses.values()) == 500
    assert set(statuses) <= {ReferralStatus.ACCEPTED, ReferralStatus.DECLINED}
    decisions = Counter(
        ReferralStatusChange.objects.filter(
            to_status__in=[ReferralStatus.ACCEPTED, ReferralStatus.DECLINED]
        ).values_list("referral_id", flat=True)
    )
    assert len(decisions) == 500
    assert set(decisions.values()) == {1}
    assert (
        AuditEvent.objects.filter(event_type__in=["referral.accept", "referral.decline"]).count()
        == 500
    )


def _submission(cast: Any, number: int) -> dict[str, Any]:
    return field_entry_data(
        cast.detox_p,
        last_name=f"Whitfield {chr(65 + number % 26)}{chr(65 + number // 26 % 26)}",
        person_choice="new",
        date_of_birth=f"{1950 + number % 50}-0{1 + number % 9}-1{number % 9}",
    )


def test_1000_field_submissions_sent_with_retries_make_exactly_1000_records(cast: Any) -> None:
    """Each of 1,000 field submissions is sent twice at the same moment (a double tap, a
    retry on a bad signal) and every tenth a third time after: exactly 1,000 contacts and
    1,000 referrals, and every copy of a submission lands on the same contact."""
    url = reverse("encounters:new", kwargs={"code": "officer_prevention"})
    submissions = [_submission(cast, n) for n in range(1000)]
    local = threading.local()

    def post(data: dict[str, Any]) -> Callable[[], Any]:
        def send() -> Any:
            if not hasattr(local, "client"):
                local.client = cast.client_for(cast.officer_a)
            response = local.client.post(url, data)
            return response.status_code, response.get("Location", "")

        return send

    tasks = [post(data) for data in submissions for _ in range(2)]
    tasks += [post(data) for data in submissions[::10]]

    results = run_in_threads(tasks)

    assert [r for r in results if isinstance(r, Exception)] == []
    assert {status for status, _ in results} == {302}
    landed: dict[int, set[str]] = {}
    for index, (_, location) in enumerate(results):
        number = index // 2 if index < 2000 else (index - 2000) * 10
        landed.setdefault(number, set()).add(location)
    assert all(len(locations) == 1 for locations in landed.values())
    assert Encounter.objects.count() == 1000
    assert Referral.objects.count() == 1000
    keys = {uuid.UUID(data["idempotency_key"]) for data in submissions}
    assert set(Encounter.objects.values_list("idempotency_key", flat=True)) == keys
    assert AuditEvent.objects.filter(event_type="encounter.create").count() == 1000
