"""Reads of imported records: the program office's summary (never a list of records)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Max, Min, Q
from django.http import Http404
from django.urls import reverse

from pathways.linkage.models import (
    ArrestRecord,
    CandidatePair,
    ClusterMember,
    LinkageModel,
    LinkageRun,
    LinkDecision,
    PairStatus,
    RecordImport,
)
from pathways.linkage.sources import ARREST, PERSON, split_key
from pathways.people.models import ExternalIdentifier, Person, PersonAlias
from pathways.people.selectors import in_program


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


# --- probabilistic linkage: the program office's pages ---------------------------------------

PAGE = 50


@dataclass(frozen=True)
class RecordShown:
    """One source record as the reviewer sees it, beside the other."""

    key: str
    kind: str  # "Person in Pathways" / "Arrest record"
    fields: list[tuple[str, str]]
    url: str = ""


@dataclass(frozen=True)
class LinkRoutes:
    """How many imported arrest records each route links to a person of the program."""

    arrests: int
    by_number: int
    #: in a cluster with a person, and not linked by a number
    by_model: int
    by_either: int


def link_routes(*, program_id: Any) -> LinkRoutes:
    arrests = ArrestRecord.objects.active().filter(program_id=program_id)
    by_number = set(arrests.filter(person__isnull=False).values_list("pk", flat=True))
    clusters: dict[str, list[str]] = {}
    for key, cluster in ClusterMember.objects.filter(program_id=program_id).values_list(
        "record_key", "cluster_key"
    ):
        clusters.setdefault(cluster, []).append(key)
    by_model: set[str] = set()
    for keys in clusters.values():
        if any(split_key(k)[0] == PERSON for k in keys):
            by_model.update(pk for kind, pk in map(split_key, keys) if kind == ARREST)
    numbered = {str(pk) for pk in by_number}
    return LinkRoutes(
        arrests=arrests.count(),
        by_number=len(numbered),
        by_model=len(by_model - numbered),
        by_either=len(numbered | by_model),
    )


@dataclass(frozen=True)
class LinkagePage:
    model: LinkageModel | None
    runs: list[LinkageRun]
    open_pairs: int
    decisions: list[LinkDecision]
    clustered_records: int
    routes: LinkRoutes


def linkage_page(*, program_id: Any) -> LinkagePage:
    return LinkagePage(
        model=LinkageModel.objects.filter(program_id=program_id).order_by("-created_at").first(),
        runs=list(LinkageRun.objects.filter(program_id=program_id).order_by("-created_at")[:5]),
        open_pairs=CandidatePair.objects.filter(
            program_id=program_id, status=PairStatus.OPEN
        ).count(),
        decisions=list(
            LinkDecision.objects.filter(program_id=program_id, undone_at__isnull=True)
            .select_related("decided_by")
            .order_by("-created_at")[:20]
        ),
        clustered_records=ClusterMember.objects.filter(program_id=program_id).count(),
        routes=link_routes(program_id=program_id),
    )


def run_of_program(*, program_id: Any, run_id: Any) -> LinkageRun:
    run = LinkageRun.objects.filter(program_id=program_id, pk=run_id).first()
    if run is None:
        raise Http404
    return run


def review_queue(*, program_id: Any, page: int = 1) -> tuple[list[CandidatePair], bool]:
    """The pairs waiting for review, likeliest first; and whether there are more."""
    start = (max(page, 1) - 1) * PAGE
    rows = list(
        CandidatePair.objects.filter(program_id=program_id, status=PairStatus.OPEN).order_by(
            "-probability", "left_key"
        )[start : start + PAGE + 1]
    )
    return rows[:PAGE], len(rows) > PAGE


def pair_of_program(*, program_id: Any, pair_id: Any) -> CandidatePair:
    pair = CandidatePair.objects.filter(program_id=program_id, pk=pair_id).first()
    if pair is None:
        raise Http404
    return pair


def _date(value: Any) -> str:
    return value.strftime("%b %-d, %Y") if value else "—"


def _cluster_url(key: str) -> str:
    return reverse("linkage:cluster", kwargs={"key": key})


def record_shown(*, program_id: Any, key: str) -> RecordShown:
    """A source record's identifying fields for the reviewer (a record of another program,
    or one no longer there, shows as removed)."""
    kind, pk = split_key(key)
    if kind == PERSON:
        person = Person.objects.filter(in_program(program=program_id), pk=pk).first()
        if person is not None:
            aliases = [
                f"{a.first_name} {a.last_name}".strip()
                for a in PersonAlias.objects.filter(person=person)
            ]
            numbers = [
                f"{i.get_system_display()} {i.value}"
                for i in ExternalIdentifier.objects.filter(person=person)
            ]
            return RecordShown(
                key=key,
                url=_cluster_url(key),
                kind="Person in Pathways",
                fields=[
                    (
                        "Name",
                        " ".join(
                            p
                            for p in (person.first_name, person.middle_name, person.last_name)
                            if p
                        )
                        or "—",
                    ),
                    ("Other names", ", ".join(aliases) or "—"),
                    ("Date of birth", _date(person.date_of_birth)),
                    ("Sex", person.get_sex_display()),
                    ("ZIP code", person.postal_code or "—"),
                    ("Numbers in other systems", ", ".join(numbers) or "—"),
                ],
            )
    if kind == ARREST:
        arrest = ArrestRecord.objects.filter(pk=pk, program_id=program_id).first()
        if arrest is not None:
            return RecordShown(
                key=key,
                url=_cluster_url(key),
                kind="Arrest record",
                fields=[
                    ("Source", arrest.source),
                    ("Arrested", _date(arrest.arrested_at)),
                    ("Subject's number", f"{arrest.get_id_system_display()} {arrest.id_number}"),
                    ("Date of birth", _date(arrest.date_of_birth)),
                    ("Sex", arrest.get_sex_display()),
                ],
            )
    return RecordShown(key=key, kind="Record no longer in Pathways", fields=[])


def cluster_of(*, program_id: Any, key: str) -> list[str]:
    """The keys of the records in `key`'s cluster (itself alone when it is linked to none)."""
    member = ClusterMember.objects.filter(program_id=program_id, record_key=key).first()
    if member is None:
        return [key]
    return list(
        ClusterMember.objects.filter(program_id=program_id, cluster_key=member.cluster_key)
        .order_by("record_key")
        .values_list("record_key", flat=True)
    )


def decision_on(*, program_id: Any, pair: CandidatePair) -> LinkDecision | None:
    return (
        LinkDecision.objects.filter(
            program_id=program_id,
            left_key=pair.left_key,
            right_key=pair.right_key,
            undone_at__isnull=True,
        )
        .select_related("decided_by")
        .first()
    )


@dataclass(frozen=True)
class PairPage:
    pair: CandidatePair
    left: RecordShown
    right: RecordShown
    #: the other records already in each side's cluster
    left_cluster: list[RecordShown]
    right_cluster: list[RecordShown]
    decision: LinkDecision | None


def pair_page(*, program_id: Any, pair: CandidatePair) -> PairPage:
    def others(key: str) -> list[RecordShown]:
        return [
            record_shown(program_id=program_id, key=other)
            for other in cluster_of(program_id=program_id, key=key)
            if other not in (pair.left_key, pair.right_key)
        ]

    return PairPage(
        pair=pair,
        left=record_shown(program_id=program_id, key=pair.left_key),
        right=record_shown(program_id=program_id, key=pair.right_key),
        left_cluster=others(pair.left_key),
        right_cluster=others(pair.right_key),
        decision=decision_on(program_id=program_id, pair=pair),
    )


@dataclass(frozen=True)
class ClusterPage:
    key: str
    records: list[RecordShown]
    #: the scored pairs inside the cluster, strongest first
    pairs: list[tuple[CandidatePair, RecordShown, RecordShown]]


def cluster_page(*, program_id: Any, key: str) -> ClusterPage:
    """A record's cluster: every record in it and the pairs that hold it together. 404 when
    the record is not the program's."""
    first = record_shown(program_id=program_id, key=key)
    if not first.fields:
        raise Http404
    keys = cluster_of(program_id=program_id, key=key)
    shown = {k: record_shown(program_id=program_id, key=k) for k in keys}
    pairs = (
        CandidatePair.objects.filter(program_id=program_id, left_key__in=keys, right_key__in=keys)
        .exclude(status=PairStatus.NOT_SAME)
        .order_by("-probability")
    )
    return ClusterPage(
        key=key,
        records=[shown[k] for k in keys],
        pairs=[(p, shown[p.left_key], shown[p.right_key]) for p in pairs],
    )
