"""Reads for overdose events."""

from __future__ import annotations

from typing import Any

from pathways.surveillance.models import OverdoseEvent


def overdoses_of_person(*, person: Any, limit: int = 20) -> list[OverdoseEvent]:
    """The person's recorded overdoses, newest first (a repeat overdose shows here)."""
    if person is None:
        return []
    return list(
        OverdoseEvent.objects.filter(person=person)
        .select_related("reporting_agency")
        .order_by("-occurred_at")[:limit]
    )
