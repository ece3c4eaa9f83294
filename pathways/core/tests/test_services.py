"""`@service`: nested services share one transaction, and rows handed to `insert_at_end` are
inserted once, at the end of the outermost service, or not at all."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from pathways.audit.models import AuditEvent
from pathways.audit.services import audit_log
from pathways.core.services import in_service, insert_at_end, service


def audit_inserts(queries: CaptureQueriesContext) -> int:
    return sum(
        q["sql"].startswith('INSERT INTO "audit_auditevent"') for q in queries.captured_queries
    )


@service
def inner(*, program: Any, event_type: str) -> AuditEvent:
    return audit_log(actor=None, event_type=event_type, obj=program)


@service
def outer(*, program: Any, fail: bool = False) -> list[AuditEvent]:
    events = [inner(program=program, event_type=f"test.step{n}") for n in range(3)]
    events.append(audit_log(actor=None, event_type="test.outer", obj=program))
    if fail:
        raise ValidationError("the composite failed after writing its events")
    return events


def test_a_composite_writes_its_audit_events_in_one_statement_at_the_end(cast: Any) -> None:
    with CaptureQueriesContext(connection) as queries:
        events = outer(program=cast.program)
    assert audit_inserts(queries) == 1
    stored = AuditEvent.objects.filter(event_type__startswith="test.")
    assert sorted(stored.values_list("event_type", flat=True)) == [
        "test.outer",
        "test.step0",
        "test.step1",
        "test.step2",
    ]
    assert {e.pk for e in events} == set(stored.values_list("pk", flat=True))
    assert not any(e._state.adding for e in events)  # saved: append-only from here on


def test_events_are_held_until_the_outermost_service_ends(cast: Any) -> None:
    seen: list[int] = []

    @service
    def look() -> None:
        inner(program=cast.program, event_type="test.held")
        seen.append(AuditEvent.objects.filter(event_type="test.held").count())
        assert in_service()

    look()
    assert seen == [0]
    assert AuditEvent.objects.filter(event_type="test.held").count() == 1
    assert not in_service()


def test_a_failed_composite_writes_no_event_and_leaves_none_for_the_next(cast: Any) -> None:
    before = AuditEvent.objects.count()
    with pytest.raises(ValidationError):
        outer(program=cast.program, fail=True)
    assert AuditEvent.objects.count() == before
    outer(program=cast.program)  # the next composite writes its own four events, no more
    assert AuditEvent.objects.count() == before + 4


def test_a_failure_caught_outside_the_service_leaves_the_callers_transaction_alone(
    cast: Any,
) -> None:
    """A view may catch a service's error inside its own transaction and write on: the failed
    service's events are gone with its savepoint, the caller's own writes stay."""
    with transaction.atomic():
        audit_log(actor=None, event_type="test.caller", obj=cast.program)
        with pytest.raises(ValidationError):
            outer(program=cast.program, fail=True)
        inner(program=cast.program, event_type="test.after")
    types = set(AuditEvent.objects.values_list("event_type", flat=True))
    assert {"test.caller", "test.after"} <= types
    assert not types & {"test.step0", "test.outer"}


def test_outside_a_service_a_row_is_inserted_at_once(cast: Any) -> None:
    with transaction.atomic():
        event = AuditEvent(event_type="test.direct", object_type="x.y", object_id="1")
        insert_at_end(event)
        assert AuditEvent.objects.filter(pk=event.pk).exists()
