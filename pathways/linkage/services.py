"""Writes of imported records: importing a file of arrests, and linking records to people.

Linking is by the subject's number: a record links to the person of the program who has the
same number in the same identifier system recorded in Pathways (an RMS number, a booking number,
a state ID). A number two people share links neither. Names are never compared: probabilistic
linkage on names and birth dates is a later step (see docs/decisions/0014)."""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from pathways.accounts.models import Agency, AgencyKind, Role
from pathways.accounts.selectors import holds_role_in_program
from pathways.audit.services import audit_log
from pathways.core import clock
from pathways.core.conflicts import StaleEdit
from pathways.core.services import service
from pathways.core.validators import text_problem
from pathways.linkage.imports import ArrestRow
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
    RunReason,
)
from pathways.people.models import ContactDetails, ExternalIdentifier, PersonAlias
from pathways.people.selectors import people_of_program
from pathways.programs.models import Program

if TYPE_CHECKING:
    from pathways.accounts.models import User

logger = logging.getLogger("pathways.linkage")

SOURCE_MAX = 200
#: The columns of a record an import sets (and compares, to tell a changed record).
ROW_FIELDS = (
    "arrested_at",
    "id_system",
    "id_number",
    "agency_id",
    "area",
    "booked",
    "charge_level",
    "date_of_birth",
    "sex",
    "race",
    "ethnicity",
)
CHUNK = 1000


def _chunks(items: Sequence[Any], size: int = CHUNK) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _check(program: Program, source: Any, rows: Sequence[ArrestRow]) -> str:
    text = str(source or "").strip()
    if not text:
        raise ValidationError({"source": "Name the system these records come from."})
    if problem := text_problem(text, label="source", max_length=SOURCE_MAX, one_line=True):
        raise ValidationError({"source": problem})
    if not rows:
        raise ValidationError({"file": "The file has no records."})
    numbers = [r.record_number for r in rows]
    if len(set(numbers)) != len(numbers):
        raise ValidationError({"file": "A record number appears twice in the file."})
    agencies = {r.agency_id for r in rows if r.agency_id is not None}
    if agencies:
        known = set(
            Agency.objects.active()
            .filter(program=program, kind=AgencyKind.LAW_ENFORCEMENT, id__in=agencies)
            .values_list("id", flat=True)
        )
        if agencies - known:
            raise ValidationError({"file": "An arresting agency is not one of the program's."})
    now = clock.now()
    if any(r.arrested_at > now for r in rows):
        raise ValidationError({"file": "An arrest time is in the future."})
    return text


@service
def arrest_records_import(
    *,
    actor: User | None,
    program: Program,
    source: Any,
    file_name: str,
    rows: Sequence[ArrestRow],
) -> RecordImport:
    """Add the file's records, update the ones imported before from the same source (by record
    number) that changed, and link the unlinked ones to people. One audit event for the file
    (its counts) and one per changed record (old and new values). All or nothing."""
    source_name = _check(program, source, rows)
    # the program's row is the lock two imports of the same records would race on
    Program.objects.select_for_update().get(pk=program.pk)
    now = clock.now()
    batch = RecordImport.objects.create(
        program=program,
        source=source_name,
        file_name=file_name[:255],
        imported_by=actor if getattr(actor, "pk", None) else None,
        rows=len(rows),
    )
    added: list[ArrestRecord] = []
    changed: list[tuple[ArrestRecord, dict[str, list[Any]]]] = []
    for chunk in _chunks(rows):
        existing = {
            r.record_number: r
            for r in ArrestRecord.objects.filter(
                program=program,
                source=source_name,
                record_number__in=[row.record_number for row in chunk],
            )
        }
        for row in chunk:
            record = existing.get(row.record_number)
            values = {name: getattr(row, name) for name in ROW_FIELDS}
            if record is None:
                added.append(
                    ArrestRecord(
                        program=program,
                        record_import=batch,
                        source=source_name,
                        record_number=row.record_number,
                        created_at=now,
                        updated_at=now,
                        **values,
                    )
                )
                continue
            changes = {
                name: [_plain(getattr(record, name)), _plain(value)]
                for name, value in values.items()
                if getattr(record, name) != value
            }
            if not changes:
                continue
            for name, value in values.items():
                setattr(record, name, value)
            if "id_system" in changes or "id_number" in changes:
                record.person = None  # the number changed: link again below
                record.linked_at = None
            record.record_import = batch
            record.updated_at = now
            changed.append((record, changes))
    ArrestRecord.objects.bulk_create(added, batch_size=CHUNK)
    ArrestRecord.objects.bulk_update(
        [r for r, _ in changed],
        [*ROW_FIELDS, "person", "linked_at", "record_import", "updated_at"],
        batch_size=CHUNK,
    )
    for record, changes in changed:
        audit_log(actor=actor, event_type="arrest_record.update", obj=record, changes=changes)
    linked = _link(program, [*added, *(r for r, _ in changed)], now=now)
    batch.added = len(added)
    batch.updated = len(changed)
    batch.unchanged = len(rows) - len(added) - len(changed)
    batch.linked = linked
    batch.save(update_fields=["added", "updated", "unchanged", "linked"])
    audit_log(
        actor=actor,
        event_type="record_import.create",
        obj=batch,
        changes={
            "source": [None, source_name],
            "rows": [None, batch.rows],
            "added": [None, batch.added],
            "updated": [None, batch.updated],
            "unchanged": [None, batch.unchanged],
            "linked": [None, linked],
        },
    )
    if added or changed:
        linkage_run_queue(actor=actor, program=program, reason=RunReason.IMPORT)
    return batch


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | str):
        return value
    return str(value)


def _link(program: Program, records: Sequence[ArrestRecord], *, now: Any) -> int:
    """Link the unlinked `records` to the one person of the program with their number."""
    unlinked = [r for r in records if r.person_id is None]
    linked: list[ArrestRecord] = []
    for chunk in _chunks(unlinked):
        by_number: dict[tuple[str, str], set[Any]] = defaultdict(set)
        wanted = {(r.id_system, r.id_number) for r in chunk}
        identifiers = ExternalIdentifier.objects.filter(
            person__created_by_agency__program=program,
            person__archived_at__isnull=True,
            value__in={number for _, number in wanted},
        ).values_list("system", "value", "person_id")
        for system, value, person_id in identifiers:
            if (system, value) in wanted:
                by_number[(system, value)].add(person_id)
        for record in chunk:
            people = by_number.get((record.id_system, record.id_number), set())
            if len(people) == 1:
                record.person_id = next(iter(people))
                record.linked_at = now
                record.updated_at = now
                linked.append(record)
    ArrestRecord.objects.bulk_update(
        linked, ["person", "linked_at", "updated_at"], batch_size=CHUNK
    )
    return len(linked)


@service
def arrest_records_link(*, actor: User | None, program: Program) -> int:
    """Link the program's unlinked records again (after people's numbers were recorded in
    Pathways); returns how many were linked. Audited with the count."""
    Program.objects.select_for_update().get(pk=program.pk)
    records = list(ArrestRecord.objects.active().filter(program=program, person__isnull=True))
    linked = _link(program, records, now=clock.now())
    audit_log(
        actor=actor,
        event_type="arrest_records.link",
        obj=program,
        changes={"linked": [None, linked], "still_unlinked": [None, len(records) - linked]},
    )
    return linked


# --- probabilistic linkage ----------------------------------------------------------------------

#: The program office links and reviews: the records are CJIS (arrests) and may sit beside
#: Part 2 records, so no field or provider role sees the pairs.
LINKAGE_ROLES = (Role.COORDINATOR, Role.ADMIN)
TRAINING_SEED = 20261207


def may_link(actor: Any, program: Program) -> bool:
    return holds_role_in_program(user=actor, program=program, roles=LINKAGE_ROLES)


def _require_linker(actor: Any, program: Program) -> None:
    if not may_link(actor, program):
        raise PermissionDenied("Only the program's coordinator or administrator links records.")


@service
def linkage_run_start(*, actor: User, program: Program, retrain: bool) -> LinkageRun:
    """Queue a linkage run (after the transaction commits); the first run trains the model.
    One run at a time per program."""
    _require_linker(actor, program)
    Program.objects.select_for_update().get(pk=program.pk)
    if _busy(program):
        raise ValidationError("A linkage run is already under way: wait for it to finish.")
    has_model = LinkageModel.objects.filter(program=program).exists()
    run = LinkageRun.objects.create(
        program=program, retrain=retrain or not has_model, created_by=actor
    )
    audit_log(
        actor=actor,
        event_type="linkage_run.start",
        obj=run,
        changes={"retrain": [None, run.retrain]},
    )
    run_id = run.pk
    transaction.on_commit(lambda: _enqueue(run_id))
    return run


def _busy(program: Program) -> bool:
    return (
        LinkageRun.objects.filter(program=program)
        .exclude(status__in=(LinkageRunStatus.DONE, LinkageRunStatus.FAILED))
        .exists()
    )


@service
def linkage_run_queue(*, actor: User | None, program: Program, reason: str) -> LinkageRun | None:
    """Queue an incremental run (the records added or changed since the last finished run,
    scored against all the others with the model as it is): after an import, and from the
    daily job. No person asks for it, so no role is checked; the caller has already been
    allowed to import. None when the program has no model yet (the first run, which trains
    it, is started on the linkage page) or a run is queued or under way: that run, or the
    next daily one, reads the records."""
    Program.objects.select_for_update().get(pk=program.pk)
    if _busy(program) or not LinkageModel.objects.filter(program=program).exists():
        return None
    run = LinkageRun.objects.create(
        program=program,
        incremental=True,
        reason=reason,
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    audit_log(
        actor=run.created_by,
        event_type="linkage_run.start",
        obj=run,
        changes={"incremental": [None, True], "reason": [None, reason]},
    )
    run_id = run.pk
    transaction.on_commit(lambda: _enqueue(run_id))
    return run


def _enqueue(run_id: Any) -> None:
    from pathways.linkage.tasks import run_linkage

    result = run_linkage.enqueue(str(run_id))
    LinkageRun.objects.filter(pk=run_id).update(task_id=str(result.id)[:64])


def _status(run: LinkageRun, status: str) -> None:
    run.status = status
    LinkageRun.objects.filter(pk=run.pk).update(status=status, updated_at=clock.now())


def linkage_run_execute(*, run_id: Any) -> LinkageRun | None:
    """Run a queued linkage run (the worker calls this; tests too). A run already claimed is
    left alone. Not a @service: each phase shows its progress; what it changes (a new model
    version, the pairs and the clusters) is written in one transaction at the end, so a
    failed run changes nothing."""
    claimed = LinkageRun.objects.filter(pk=run_id, status=LinkageRunStatus.QUEUED).update(
        status=LinkageRunStatus.READING, started_at=clock.now(), updated_at=clock.now()
    )
    if not claimed:
        return None
    run = LinkageRun.objects.select_related("program", "created_by").get(pk=run_id)
    try:
        _execute(run)
    except Exception as exc:
        # engine messages name columns and rules, never values; still, only the kind is logged
        if not isinstance(exc, NothingToLink):
            logger.error("linkage run %s failed: %s", run.pk, type(exc).__name__)
        LinkageRun.objects.filter(pk=run.pk).update(
            status=LinkageRunStatus.FAILED,
            problem=_problem(exc),
            finished_at=clock.now(),
            updated_at=clock.now(),
        )
    run.refresh_from_db()
    return run


class NothingToLink(Exception):
    """The program has fewer than two records."""


def _problem(exc: Exception) -> str:
    from pathways.linkage.engine.model import BlockingTooWide

    if isinstance(exc, NothingToLink):
        return "There are fewer than two records to link; nothing was changed."
    if isinstance(exc, BlockingTooWide):
        return (
            "The blocking rules would compare too many pairs of records; nothing was changed. "
            "Tell the system administrator."
        )
    return (
        "An unexpected error stopped the run; nothing was changed. Tell the system "
        "administrator the run's number."
    )


def _execute(run: LinkageRun) -> None:
    from pathways.linkage.engine import model as engine
    from pathways.linkage.sources import program_frame

    program = run.program
    frame = program_frame(program=program)
    run.records = len(frame)
    if run.records < 2:
        raise NothingToLink
    latest = LinkageModel.objects.filter(program=program).order_by("-created_at").first()
    new_model: engine.TrainedModel | None = None
    if run.retrain or latest is None:
        _status(run, LinkageRunStatus.TRAINING)
        trained = new_model = engine.train(frame, seed=TRAINING_SEED)
    else:
        trained = engine.TrainedModel.from_json(json.dumps(latest.parameters))
    _status(run, LinkageRunStatus.SCORING)
    since = _since(run) if new_model is None else None
    if since is None:
        scored = engine.predict(trained, frame, threshold=engine.REVIEW_BAND)
        replaced: set[str] | None = None
    else:
        replaced = _changed_keys(program, since) & set(frame["unique_id"])
        run.new_records = len(replaced)
        fresh = frame["unique_id"].isin(replaced)
        if not replaced:
            scored = frame.iloc[0:0]
        elif fresh.all():
            scored = engine.predict(trained, frame, threshold=engine.REVIEW_BAND)
        else:
            scored = engine.link_incremental(
                trained, frame[fresh], frame[~fresh], threshold=engine.REVIEW_BAND
            )
    _status(run, LinkageRunStatus.CLUSTERING)
    _apply(run, frame, scored, trained, new_model, replaced=replaced)


#: Records changed this long before the last run started are read again: a transaction that
#: began earlier may have committed after that run read the tables.
INCREMENTAL_OVERLAP = dt.timedelta(minutes=10)


def _since(run: LinkageRun) -> dt.datetime | None:
    """From when an incremental run reads changed records: the start of the last finished run
    (less the overlap). None for a full run, or when no run has finished."""
    if not run.incremental:
        return None
    last = (
        LinkageRun.objects.filter(
            program=run.program, status=LinkageRunStatus.DONE, started_at__isnull=False
        )
        .exclude(pk=run.pk)
        .order_by("-started_at")
        .first()
    )
    if last is None or last.started_at is None:
        return None
    return last.started_at - INCREMENTAL_OVERLAP


def _changed_keys(program: Program, since: dt.datetime) -> set[str]:
    """The keys of the program's records added or changed since `since`: people (their own
    row, an alias, a number or contact details) and arrest records."""
    from pathways.linkage.registry import sources
    from pathways.linkage.sources import ARREST, PERSON, record_key

    people = people_of_program(program=program).filter(merged_into__isnull=True)
    ids: set[Any] = set(people.filter(updated_at__gte=since).values_list("pk", flat=True))
    for related in (PersonAlias, ExternalIdentifier, ContactDetails):
        ids |= set(
            related.objects.filter(updated_at__gte=since, person__in=people).values_list(
                "person_id", flat=True
            )
        )
    keys = {record_key(PERSON, pk) for pk in ids}
    arrests = ArrestRecord.objects.active().filter(program=program, updated_at__gte=since)
    keys |= {record_key(ARREST, pk) for pk in arrests.values_list("pk", flat=True)}
    for source in sources():
        keys |= {record_key(source.kind, pk) for pk in source.changed(program, since)}
    return keys


def _weights(row: Any) -> list[list[Any]]:
    from pathways.linkage.engine.model import FIELDS

    out = []
    for name, label in FIELDS:
        level = row.get(f"{name}_level")
        if level is None:
            continue
        out.append([label, str(level), round(float(row.get(f"{name}_weight") or 0.0), 2)])
    return out


@service
def _apply(
    run: LinkageRun,
    frame: Any,
    scored: Any,
    trained: Any,
    new_model: Any | None,
    *,
    replaced: set[str] | None = None,
) -> None:
    """Write what a run found. A full run (`replaced` None) replaces every kept pair; an
    incremental one replaces the pairs of the records it scored again and drops those of
    records gone since (archived, merged)."""
    from pathways.linkage.engine.model import AUTO_LINK

    program = run.program
    Program.objects.select_for_update().get(pk=program.pk)
    if new_model is not None:
        version = LinkageModel.objects.create(
            program=program,
            version=new_model.version,
            parameters=json.loads(new_model.to_json()),
            records=run.records,
            comparisons=int(dict(new_model.counts).get("comparisons", 0)),
            trained_by=run.created_by,
        )
        audit_log(
            actor=run.created_by,
            event_type="linkage_model.train",
            obj=version,
            changes={"version": [None, version.version], "records": [None, run.records]},
        )
        run.model = version
    else:
        run.model = LinkageModel.objects.filter(program=program).order_by("-created_at").first()
    decided = _decisions(program)
    numbered = _number_links(program)
    if replaced is None:
        CandidatePair.objects.filter(program=program).delete()
    else:
        _drop_pairs(program, replaced, set(frame["unique_id"]))
    pairs: list[CandidatePair] = []
    for row in scored.to_dict("records"):
        left, right = sorted((str(row["unique_id_l"]), str(row["unique_id_r"])))
        probability = float(row["match_probability"])
        status = PairStatus.AUTO if probability >= AUTO_LINK else PairStatus.OPEN
        if (left, right) in numbered:
            status = PairStatus.AUTO  # the same number links them: nothing to review
        if (left, right) in decided:
            status = PairStatus.SAME if decided[(left, right)] else PairStatus.NOT_SAME
        pairs.append(
            CandidatePair(
                program=program,
                run=run,
                left_key=left,
                right_key=right,
                probability=probability,
                match_weight=float(row["match_weight"]),
                weights=_weights(row),
                status=status,
            )
        )
    CandidatePair.objects.bulk_create(pairs, batch_size=CHUNK)
    run.pairs = len(pairs)
    run.auto_linked = sum(p.status == PairStatus.AUTO for p in pairs)
    run.to_review = sum(p.status == PairStatus.OPEN for p in pairs)
    run.clusters = _recluster(program, records=run.records)
    run.status = LinkageRunStatus.DONE
    run.finished_at = clock.now()
    run.save()
    audit_log(
        actor=run.created_by,
        event_type="linkage_run.done",
        obj=run,
        changes={
            "records": [None, run.records],
            "pairs": [None, run.pairs],
            "auto_linked": [None, run.auto_linked],
            "to_review": [None, run.to_review],
            "new_records": [None, run.new_records],
        },
    )


def _drop_pairs(program: Program, replaced: set[str], present: set[str]) -> None:
    """Delete the kept pairs of the records scored again, and of records no longer present."""
    stale = [
        pk
        for pk, left, right in CandidatePair.objects.filter(program=program)
        .values_list("pk", "left_key", "right_key")
        .iterator(chunk_size=CHUNK)
        if left in replaced or right in replaced or left not in present or right not in present
    ]
    for chunk in _chunks(stale):
        CandidatePair.objects.filter(pk__in=chunk).delete()


def _number_links(program: Program) -> set[tuple[str, str]]:
    """(key, key) of each arrest record and the person its number links it to, in key order."""
    from pathways.linkage.sources import ARREST, PERSON, record_key

    rows = (
        ArrestRecord.objects.active()
        .filter(program=program, person__isnull=False)
        .values_list("pk", "person_id")
    )
    links: set[tuple[str, str]] = set()
    for arrest, person in rows.iterator(chunk_size=CHUNK):
        left, right = sorted((record_key(ARREST, arrest), record_key(PERSON, person)))
        links.add((left, right))
    return links


def _decisions(program: Program) -> dict[tuple[str, str], bool]:
    return {
        (left, right): same
        for left, right, same in LinkDecision.objects.filter(
            program=program, undone_at__isnull=True
        ).values_list("left_key", "right_key", "same")
    }


def _recluster(program: Program, *, records: int | None = None) -> int:
    """Rebuild the program's clusters from its kept pairs and the decisions in force, at the
    main threshold and at the stricter and looser ones (pathways.linkage.thresholds); returns
    the number of clusters at the main one (records with no link are clusters of their own)."""
    from pathways.linkage.sources import PERSON, split_key
    from pathways.linkage.thresholds import LOOSE, MAIN, STRICT

    decided = _decisions(program)
    # a record the number route links to a person is with that person, unless a reviewer
    # said otherwise
    by_number = [pair for pair in _number_links(program) if decided.get(pair) is not False]
    mappings = {
        threshold: _clusters_at(program, threshold, decided, by_number)
        for threshold in (MAIN, STRICT, LOOSE)
    }
    sizes = {threshold: _sizes(mapping) for threshold, mapping in mappings.items()}
    people = {threshold: _first_people(mapping) for threshold, mapping in mappings.items()}

    def at(threshold: str, key: str) -> tuple[str, str | None]:
        """The record's cluster at a threshold and the first person in it."""
        cluster = mappings[threshold].get(key, key)
        person = people[threshold].get(cluster)
        kind, pk = split_key(key)
        if person is None and cluster == key and kind == PERSON:
            person = pk  # alone: its own person
        return cluster, person

    kept = sorted(
        {
            key
            for threshold, mapping in mappings.items()
            for key, cluster in mapping.items()
            if sizes[threshold][cluster] > 1
        }
    )
    members = []
    for key in kept:
        (main, main_person), (strict, strict_person), (loose, loose_person) = (
            at(threshold, key) for threshold in (MAIN, STRICT, LOOSE)
        )
        members.append(
            ClusterMember(
                program=program,
                record_key=key,
                cluster_key=main,
                strict_cluster_key=strict,
                loose_cluster_key=loose,
                cluster_person=main_person,
                strict_person=strict_person,
                loose_person=loose_person,
            )
        )
    ClusterMember.objects.filter(program=program).delete()
    ClusterMember.objects.bulk_create(members, batch_size=CHUNK)
    _model_people(program, mappings, people)
    linked = sum(size for size in sizes[MAIN].values() if size > 1)
    multi = sum(1 for size in sizes[MAIN].values() if size > 1)
    total = records if records is not None else _last_records(program)
    return multi + max(0, total - linked)


def _clusters_at(
    program: Program,
    threshold: str,
    decided: dict[tuple[str, str], bool],
    by_number: list[tuple[str, str]],
) -> dict[str, str]:
    """record key -> cluster (its smallest key) at one threshold: the kept pairs the model
    scored at or above it (linked or waiting for review; at the main threshold the linked
    ones, as every pair there is), reviewers' "same" decisions and number links as
    must-links, "not the same" as cannot-links."""
    from pathways.linkage.engine.clusters import clusters
    from pathways.linkage.thresholds import MAIN, link_threshold

    statuses = [PairStatus.AUTO, PairStatus.SAME]
    if threshold != MAIN:
        statuses.append(PairStatus.OPEN)
    edges = CandidatePair.objects.filter(program=program, status__in=statuses).values_list(
        "left_key", "right_key", "probability"
    )
    return clusters(
        list(edges.iterator(chunk_size=CHUNK)),
        threshold=link_threshold(threshold),
        must_link=[pair for pair, same in decided.items() if same] + by_number,
        cannot_link=[pair for pair, same in decided.items() if not same],
    )


def _sizes(mapping: dict[str, str]) -> dict[str, int]:
    sizes: dict[str, int] = defaultdict(int)
    for cluster in mapping.values():
        sizes[cluster] += 1
    return sizes


def _first_people(mapping: dict[str, str]) -> dict[str, str]:
    """cluster -> the pk of the first person (by key) in it, for clusters with a person."""
    from pathways.linkage.sources import PERSON, split_key

    first: dict[str, str] = {}
    for key, cluster in sorted(mapping.items()):
        kind, pk = split_key(key)
        if kind == PERSON and cluster not in first:
            first[cluster] = pk
    return first


#: ArrestRecord's field keeping the first person of the record's cluster at each threshold.
#: (The keys are pathways.linkage.thresholds' names.)
MODEL_PERSON_FIELDS = {
    "main": "model_person",
    "strict": "model_person_strict",
    "loose": "model_person_loose",
}


def _model_people(
    program: Program, mappings: dict[str, dict[str, str]], people: dict[str, dict[str, str]]
) -> None:
    """Keep each arrest record's `model_person` (and `model_person_strict`, `_loose`): the
    first person of its cluster at that threshold, or none; a record that changes gets a new
    `updated_at`, so the reports' incremental extract copies it again."""
    from pathways.linkage.sources import ARREST, split_key

    wanted: dict[str, dict[str, str | None]] = defaultdict(dict)
    for threshold, mapping in mappings.items():
        for key, cluster in mapping.items():
            kind, pk = split_key(key)
            if kind == ARREST:
                wanted[pk][threshold] = people[threshold].get(cluster)
    now = clock.now()
    changed: list[ArrestRecord] = []
    fields = [MODEL_PERSON_FIELDS[threshold] for threshold in mappings]
    current = ArrestRecord.objects.filter(program=program).only(
        "pk", *(f"{field}_id" for field in fields)
    )
    for record in current.iterator(chunk_size=CHUNK):
        mine = wanted.get(str(record.pk), {})
        moved = False
        for threshold in mappings:
            attribute = f"{MODEL_PERSON_FIELDS[threshold]}_id"
            person = mine.get(threshold)
            if str(getattr(record, attribute) or "") != str(person or ""):
                setattr(record, attribute, person)
                moved = True
        if moved:
            record.updated_at = now
            changed.append(record)
    ArrestRecord.objects.bulk_update(changed, [*fields, "updated_at"], batch_size=CHUNK)


def _last_records(program: Program) -> int:
    last = (
        LinkageRun.objects.filter(program=program, status=LinkageRunStatus.DONE)
        .order_by("-finished_at")
        .first()
    )
    return last.records if last else 0


@service
def pair_decide(
    *, actor: User, program: Program, pair_id: Any, same: bool, expected: str
) -> LinkDecision:
    """Record a reviewer's decision on a pair (same person or not) and rebuild the clusters.
    `expected` is the pair's status the reviewer saw: a pair decided meanwhile is refused."""
    _require_linker(actor, program)
    Program.objects.select_for_update().get(pk=program.pk)
    pair = CandidatePair.objects.filter(program=program, pk=pair_id).first()
    if pair is None:
        raise CandidatePair.DoesNotExist
    if pair.status != expected:
        raise StaleEdit(noun="pair", current=pair.get_status_display(), changed_at=pair.updated_at)
    if pair.status in (PairStatus.SAME, PairStatus.NOT_SAME):
        raise ValidationError("This pair is decided: undo the decision first.")
    decision = LinkDecision.objects.create(
        program=program,
        left_key=pair.left_key,
        right_key=pair.right_key,
        same=same,
        decided_by=actor,
    )
    old = pair.status
    pair.status = PairStatus.SAME if same else PairStatus.NOT_SAME
    pair.save(update_fields=["status", "updated_at"])
    audit_log(
        actor=actor,
        event_type="link_decision.record",
        obj=decision,
        changes={"pair_status": [old, pair.status]},
    )
    _recluster(program)
    return decision


@service
def decision_undo(*, actor: User, program: Program, decision_id: Any) -> LinkDecision:
    """Undo a decision: the pair goes back to what the model said, and the clusters that
    used it are rebuilt."""
    from pathways.linkage.engine.model import AUTO_LINK

    _require_linker(actor, program)
    Program.objects.select_for_update().get(pk=program.pk)
    decision = LinkDecision.objects.filter(
        program=program, pk=decision_id, undone_at__isnull=True
    ).first()
    if decision is None:
        raise ValidationError("This decision was undone already.")
    decision.undone_at = clock.now()
    decision.undone_by = actor
    decision.save(update_fields=["undone_at", "undone_by", "updated_at"])
    pair = CandidatePair.objects.filter(
        program=program, left_key=decision.left_key, right_key=decision.right_key
    ).first()
    if pair is not None:
        pair.status = PairStatus.AUTO if pair.probability >= AUTO_LINK else PairStatus.OPEN
        pair.save(update_fields=["status", "updated_at"])
    audit_log(
        actor=actor,
        event_type="link_decision.undo",
        obj=decision,
        changes={"undone": [False, True]},
    )
    _recluster(program)
    return decision
