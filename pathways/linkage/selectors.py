"""Reads of imported records: the program office's summary (never a list of records)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
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
    LinkageRunStatus,
    LinkDecision,
    PairStatus,
    RecordImport,
)
from pathways.linkage.registry import source
from pathways.linkage.sources import ARREST, PERSON, record_key, split_key
from pathways.linkage.thresholds import LOOSE, MAIN, STRICT, THRESHOLDS, link_threshold
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
        clustered_records=sum(
            ClusterMember.objects.filter(program_id=program_id)
            .values("cluster_key")
            .annotate(n=Count("id"))
            .filter(n__gte=2)
            .values_list("n", flat=True)
        ),
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
    registered = source(kind)
    if registered is not None:
        shown = registered.shown(program_id, pk)
        if shown is not None:
            return RecordShown(key=key, url=_cluster_url(key), kind=shown.kind, fields=shown.fields)
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


# --- clusters at the three thresholds: the reports count people by them (issue 21) --------------

CHUNK = 2000
#: ClusterMember's column of the first person of a record's cluster, per threshold.
_PERSON_COLUMN = {MAIN: "cluster_person", STRICT: "strict_person", LOOSE: "loose_person"}
#: ArrestRecord's column of the first person of the record's cluster, per threshold.
_MODEL_PERSON = {MAIN: "model_person", STRICT: "model_person_strict", LOOSE: "model_person_loose"}


@dataclass(frozen=True)
class ClusterPerson:
    """A person of the program and their *cluster person* at each threshold: the first
    person (by key order) of the cluster they are in, themselves when alone in it. Every
    record the reports hold under any of the cluster's people is that person's."""

    person_id: str
    main: str
    strict: str
    loose: str

    def at(self, threshold: str) -> str:
        return {MAIN: self.main, STRICT: self.strict, LOOSE: self.loose}[threshold]


def _cluster_person(key: str, row: dict[str, Any]) -> ClusterPerson:
    own = split_key(key)[1]

    def person(threshold: str) -> str:
        found = row[_PERSON_COLUMN[threshold]]
        return own if found is None else str(found)

    return ClusterPerson(own, person(MAIN), person(STRICT), person(LOOSE))


def cluster_people(*, program_id: Any, chunk_size: int = CHUNK) -> Iterator[list[ClusterPerson]]:
    """The cluster person at each threshold of each person of the program in a cluster with
    another record at any threshold, in chunks of `chunk_size`, by key. Every other person of
    the program is their own cluster person at every threshold."""
    rows = (
        ClusterMember.objects.filter(program_id=program_id, record_key__startswith=f"{PERSON}:")
        .order_by("record_key")
        .values("record_key", *_PERSON_COLUMN.values())
    )
    chunk: list[ClusterPerson] = []
    for row in rows.iterator(chunk_size=chunk_size):
        chunk.append(_cluster_person(row["record_key"], row))
        if len(chunk) >= chunk_size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def cluster_people_of(*, program_id: Any, person_ids: Iterable[Any]) -> dict[str, ClusterPerson]:
    """The cluster person at each threshold of each of these people (by pk as text; a person
    in no cluster is their own). Read in chunks."""
    wanted = sorted({str(pk) for pk in person_ids})
    found = {pk: ClusterPerson(pk, pk, pk, pk) for pk in wanted}
    for start in range(0, len(wanted), CHUNK):
        keys = [record_key(PERSON, pk) for pk in wanted[start : start + CHUNK]]
        for row in ClusterMember.objects.filter(program_id=program_id, record_key__in=keys).values(
            "record_key", *_PERSON_COLUMN.values()
        ):
            person = _cluster_person(row["record_key"], row)
            found[person.person_id] = person
    return found


@dataclass(frozen=True)
class ArrestClusterPerson:
    """An imported arrest record and the cluster person it counts under at each threshold:
    the person its number links it to (by_number), else the person the model puts it with at
    that threshold; then that person's cluster person. None where it is linked to nobody."""

    arrest_id: str
    by_number: bool
    main: str | None
    strict: str | None
    loose: str | None

    def at(self, threshold: str) -> str | None:
        return {MAIN: self.main, STRICT: self.strict, LOOSE: self.loose}[threshold]


def arrest_cluster_people(
    *, program_id: Any, chunk_size: int = CHUNK
) -> Iterator[list[ArrestClusterPerson]]:
    """The program's imported arrest records (not archived) linked to a person at any
    threshold, with their cluster person at each, in chunks of `chunk_size`."""
    linked = Q(person__isnull=False) | Q(model_person__isnull=False)
    linked |= Q(model_person_strict__isnull=False) | Q(model_person_loose__isnull=False)
    rows = (
        ArrestRecord.objects.active()
        .filter(linked, program_id=program_id)
        .order_by("pk")
        .values_list("pk", "person_id", *(f"{f}_id" for f in _MODEL_PERSON.values()))
    )
    batch: list[tuple[Any, ...]] = []

    def resolved() -> list[ArrestClusterPerson]:
        people = cluster_people_of(
            program_id=program_id,
            person_ids={pk for row in batch for pk in row[1:] if pk is not None},
        )
        out = []
        for pk, number, *model in batch:
            at: dict[str, str | None] = {}
            for threshold, by_model in zip(_MODEL_PERSON, model, strict=True):
                person = number if number is not None else by_model
                at[threshold] = None if person is None else people[str(person)].at(threshold)
            out.append(
                ArrestClusterPerson(str(pk), number is not None, at[MAIN], at[STRICT], at[LOOSE])
            )
        return out

    for row in rows.iterator(chunk_size=chunk_size):
        batch.append(row)
        if len(batch) >= chunk_size:
            yield resolved()
            batch = []
    if batch:
        yield resolved()


@dataclass(frozen=True)
class ThresholdFigures:
    """What record linkage links at one threshold, over all the program's records."""

    threshold: str
    probability: float
    #: imported arrest records (not archived)
    arrests: int
    #: linked to a person by the same number recorded in Pathways
    by_number: int
    #: linked to a person by the model only (no number links them)
    by_model: int
    #: people's records in Pathways that share a cluster with another person's record: a
    #: person recorded more than once
    recorded_more_than_once: int
    #: the people those records are counted as (their clusters)
    counted_as: int


NEVER_RUN, NOT_REBUILT, LINKED = "never_run", "not_rebuilt", "linked"


@dataclass(frozen=True)
class LinkageFigures:
    #: NEVER_RUN: no linkage run has finished; NOT_REBUILT: the clusters were kept before the
    #: thresholds existed and are rebuilt at the next run or decision; LINKED: figures below
    state: str
    #: per threshold (THRESHOLDS order), when LINKED
    thresholds: dict[str, ThresholdFigures]


def linkage_figures(*, program_id: Any) -> LinkageFigures:
    """How many records each route links at each threshold, and how many people's records
    are of someone recorded more than once (the reports' "Record linkage" section)."""
    ran = LinkageRun.objects.filter(program_id=program_id, status=LinkageRunStatus.DONE).exists()
    if not ran:
        return LinkageFigures(NEVER_RUN, {})
    members = ClusterMember.objects.filter(program_id=program_id)
    if members.filter(strict_cluster_key="").exists():
        return LinkageFigures(NOT_REBUILT, {})
    arrests = ArrestRecord.objects.active().filter(program_id=program_id)
    total = arrests.count()
    by_number = arrests.filter(person__isnull=False).count()
    people = members.filter(record_key__startswith=f"{PERSON}:")
    out: dict[str, ThresholdFigures] = {}
    for threshold in THRESHOLDS:
        by_model = arrests.filter(
            person__isnull=True, **{f"{_MODEL_PERSON[threshold]}__isnull": False}
        ).count()
        shared = (
            people.values(_PERSON_COLUMN[threshold])
            .annotate(n=Count("id"))
            .filter(n__gte=2)
            .values_list("n", flat=True)
        )
        sizes = list(shared.iterator(chunk_size=CHUNK))
        out[threshold] = ThresholdFigures(
            threshold=threshold,
            probability=link_threshold(threshold),
            arrests=total,
            by_number=by_number,
            by_model=by_model,
            recorded_more_than_once=sum(sizes),
            counted_as=len(sizes),
        )
    return LinkageFigures(LINKED, out)
