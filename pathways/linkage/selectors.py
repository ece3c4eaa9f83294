"""Reads of imported records: the program office's summary (never a list of records)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Max, Min, Q

from pathways.linkage.models import ArrestRecord, RecordImport


@dataclass(frozen=True)
class SourceSummary:
    source: str
    records: int
    linked: int
    first: dt.datetime | None
    last: dt.datetime | None

    @property
    def unlinked(self) -> int:
        return self.records - self.linked

    @property
    def linked_percent(self) -> float | None:
        return 100 * self.linked / self.records if self.records else None


def arrest_sources(*, program_id: Any) -> list[SourceSummary]:
    """Per source: how many records, how many linked to a person, the time span."""
    rows = (
        ArrestRecord.objects.active()
        .filter(program_id=program_id)
        .values("source")
        .annotate(
            records=Count("id"),
            linked=Count("id", filter=Q(person__isnull=False)),
            first=Min("arrested_at"),
            last=Max("arrested_at"),
        )
        .order_by("source")
    )
    return [SourceSummary(**row) for row in rows]


def recent_imports(*, program_id: Any, limit: int = 20) -> list[RecordImport]:
    return list(
        RecordImport.objects.filter(program_id=program_id)
        .select_related("imported_by")
        .order_by("-created_at")[:limit]
    )


def source_names(*, program_id: Any) -> list[str]:
    return list(
        RecordImport.objects.filter(program_id=program_id)
        .values_list("source", flat=True)
        .distinct()
        .order_by("source")
    )
