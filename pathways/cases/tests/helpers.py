"""Helpers for the case tests: the whole state a refusal must leave unchanged."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.db.models import Q, Sum

from pathways.audit.models import AuditEvent
from pathways.cases.models import (
    Case,
    CaseEvent,
    CaseStatusChange,
    HeldCharge,
    PlanRequirement,
    ProsecutorReview,
    RequirementProgress,
)
from pathways.followups.models import WorkItem

#: Tue Nov 3 2026, 9:00 in Chicago (CST, UTC-6; clocks fell back on Sun Nov 1).
NOW = dt.datetime(2026, 11, 3, 15, 0, tzinfo=dt.UTC)


def state() -> dict[str, Any]:
    """Counts and values of everything a case service writes."""
    return {
        "cases": list(Case.objects.order_by("pk").values_list("pk", "status", "closed_at")),
        "history": CaseStatusChange.objects.count(),
        "charges": list(HeldCharge.objects.order_by("pk").values_list("pk", "outcome")),
        "requirements": PlanRequirement.objects.count(),
        "requirements_closed": PlanRequirement.objects.filter(
            Q(completed_at__isnull=False) | Q(waived_at__isnull=False)
        ).count(),
        "progress_totals": PlanRequirement.objects.aggregate(
            h=Sum("hours_done"), a=Sum("amount_paid")
        ),
        "progress": RequirementProgress.objects.count(),
        "events": CaseEvent.objects.count(),
        "reviews": ProsecutorReview.objects.count(),
        "work_items": WorkItem.objects.count(),
        "open_work_items": WorkItem.objects.open().count(),
        "audit": AuditEvent.objects.writes().count(),
    }


@contextmanager
def unchanged() -> Iterator[None]:
    """Assert the block changes nothing a case service writes."""
    before = state()
    yield
    assert state() == before


@contextmanager
def refused(exc: type[Exception], match: str | None = None) -> Iterator[Any]:
    """The block raises `exc` (matching `match`) and changes nothing."""
    before = state()
    with pytest.raises(exc, match=match) as info:
        yield info
    assert state() == before


def messages_of(info: Any) -> str:
    """All messages of a raised ValidationError, in one string."""
    return " ".join(info.value.messages)
