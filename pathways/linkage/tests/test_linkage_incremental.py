"""Incremental linkage: after an import and from the daily job, only the records added or
changed since the last run are scored (against all the others) with the model as it is; the
other pairs are kept as they were, decisions are respected, and records gone since lose their
pairs."""

from __future__ import annotations

import datetime as dt
import io
from collections import Counter
from typing import Any

import pytest
from django.core.management import call_command

from pathways.audit.models import AuditEvent
from pathways.core import clock
from pathways.imports.tests.helpers import run_jobs_at_once
from pathways.linkage.imports import ArrestRow
from pathways.linkage.models import (
    CandidatePair,
    ClusterMember,
    LinkageModel,
    LinkageRun,
    RunReason,
)
from pathways.linkage.services import (
    arrest_records_import,
    linkage_run_queue,
    linkage_run_start,
)
from pathways.linkage.sources import PERSON, record_key
from pathways.linkage.tests.linkage_helpers import people_from_generator
from pathways.people.models import Person, PersonAlias

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _runs_at_once(settings: Any, tmp_path: Any) -> None:
    run_jobs_at_once(settings, tmp_path)


def _held_out(truth_rows: list[tuple[int, str]]) -> set[int]:
    """Positions of the second record of each generated person with two or more records."""
    seen: Counter[str] = Counter()
    held: set[int] = set()
    for position, true_id in truth_rows:
        seen[true_id] += 1
        if seen[true_id] == 2:
            held.add(position)
    return held


def _first_run(cast: Any, capture: Any, held: set[int]) -> tuple[dict[str, str], LinkageRun]:
    with clock.frozen(T0 - dt.timedelta(days=1)):
        truth = people_from_generator(
            cast.police_a, 200, seed=5, only=lambda position, row: position not in held
        )
    with clock.frozen(T0), capture(execute=True):
        run = linkage_run_start(actor=cast.coordinator, program=cast.program, retrain=False)
    run.refresh_from_db()
    assert run.status == "done" and not run.incremental, run.problem
    return truth, run


def _positions() -> list[tuple[int, str]]:
    from pathways.linkage.engine.generator import generate

    frame = generate(200, seed=5)
    return [(i, str(t)) for i, t in enumerate(frame["true_id"])]


def _cluster_of(key: str) -> str:
    found = ClusterMember.objects.filter(record_key=key).values_list("cluster_key", flat=True)
    return found.first() or key


def test_the_daily_run_links_only_the_new_records_and_keeps_the_other_pairs(
    cast: Any, django_capture_on_commit_callbacks: Any
) -> None:
    held = _held_out(_positions())
    truth, first = _first_run(cast, django_capture_on_commit_callbacks, held)
    before = {
        (p.left_key, p.right_key): (p.pk, p.probability)
        for p in CandidatePair.objects.filter(program=cast.program)
    }
    assert before
    # the next day, the held-out records (each a second record of someone already known)
    # are recorded at field entry
    with clock.frozen(T0 + dt.timedelta(days=1)):
        new_truth = people_from_generator(
            cast.police_a, 200, seed=5, only=lambda position, row: position in held
        )
    assert len(new_truth) >= 10
    out = io.StringIO()
    with (
        clock.frozen(T0 + dt.timedelta(days=1, hours=1)),
        django_capture_on_commit_callbacks(execute=True),
    ):
        call_command("link_records_daily", stdout=out)
    assert "Queued 1 linkage run(s); skipped 0" in out.getvalue()
    run = LinkageRun.objects.filter(incremental=True).get()
    assert (run.status, run.reason, run.retrain) == ("done", RunReason.DAILY, False), run.problem
    assert run.new_records == len(new_truth)
    assert run.records == len(truth) + len(new_truth)
    assert run.model_id == first.model_id and LinkageModel.objects.count() == 1
    # every pair between two old records is the same row, untouched
    after = {
        (p.left_key, p.right_key): (p.pk, p.probability)
        for p in CandidatePair.objects.filter(program=cast.program)
    }
    old_keys = set(truth)
    kept = {k: v for k, v in after.items() if k[0] in old_keys and k[1] in old_keys}
    assert kept == before
    # the new pairs all involve a new record, and most new records joined their true twin
    new_pairs = [k for k in after if k not in before]
    assert new_pairs and all(k[0] in new_truth or k[1] in new_truth for k in new_pairs)
    assert run.pairs == len(new_pairs)
    everyone = {**truth, **new_truth}
    joined = 0
    for key, true_id in new_truth.items():
        cluster = _cluster_of(key)
        mates = ClusterMember.objects.filter(cluster_key=cluster).exclude(record_key=key)
        if any(everyone[m] == true_id for m in mates.values_list("record_key", flat=True)):
            joined += 1
    assert joined / len(new_truth) >= 0.8
    event = AuditEvent.objects.filter(event_type="linkage_run.start").latest("occurred_at")
    assert event.changes["reason"] == [None, "daily"]

    # nothing changed since: the next daily run scores nothing and changes nothing
    with (
        clock.frozen(T0 + dt.timedelta(days=2)),
        django_capture_on_commit_callbacks(execute=True),
    ):
        call_command("link_records_daily", stdout=io.StringIO())
    quiet = LinkageRun.objects.filter(incremental=True).order_by("-created_at").first()
    assert quiet is not None and quiet.status == "done"
    assert (quiet.new_records, quiet.pairs) == (0, 0)
    assert {
        (p.left_key, p.right_key): (p.pk, p.probability)
        for p in CandidatePair.objects.filter(program=cast.program)
    } == after


def test_a_changed_or_archived_person_is_scored_again_or_dropped(
    cast: Any, django_capture_on_commit_callbacks: Any
) -> None:
    _first_run(cast, django_capture_on_commit_callbacks, set())
    paired = CandidatePair.objects.filter(program=cast.program).order_by("-probability")
    pair = paired.first()
    assert pair is not None
    gone_key, aliased_key = pair.left_key, pair.right_key
    gone = Person.objects.get(pk=gone_key.split(":", 1)[1])
    aliased = Person.objects.get(pk=aliased_key.split(":", 1)[1])
    with clock.frozen(T0 + dt.timedelta(days=1)):
        Person.objects.filter(pk=gone.pk).update(archived_at=clock.now(), updated_at=clock.now())
        PersonAlias.objects.create(person=aliased, first_name="Zebulon", last_name="Quarterman")
        with django_capture_on_commit_callbacks(execute=True):
            run = linkage_run_queue(actor=None, program=cast.program, reason=RunReason.DAILY)
    assert run is not None
    run.refresh_from_db()
    assert run.status == "done", run.problem
    assert run.new_records == 1  # the aliased person; the archived one is not a record now
    keys = CandidatePair.objects.filter(program=cast.program).values_list("left_key", "right_key")
    assert all(gone_key not in k for k in keys)
    assert not ClusterMember.objects.filter(record_key=gone_key).exists()
    assert record_key(PERSON, aliased.pk) == aliased_key


def test_an_import_queues_an_incremental_run_once_a_model_exists(
    cast: Any, django_capture_on_commit_callbacks: Any
) -> None:
    def row(number: str) -> ArrestRow:
        return ArrestRow(
            line=2,
            record_number=number,
            arrested_at=T0 - dt.timedelta(days=3),
            id_system="booking",
            id_number=f"B-{number}",
            date_of_birth=dt.date(1980, 5, 6),
            sex="male",
        )

    with clock.frozen(T0 - dt.timedelta(days=1)):
        people_from_generator(cast.police_a, 60, seed=9)
        # no model yet: an import queues nothing (the first run, which trains, is started by
        # hand)
        arrest_records_import(
            actor=cast.coordinator,
            program=cast.program,
            source="Jail",
            file_name="a.csv",
            rows=[row("1")],
        )
    assert not LinkageRun.objects.exists()
    with clock.frozen(T0), django_capture_on_commit_callbacks(execute=True):
        linkage_run_start(actor=cast.coordinator, program=cast.program, retrain=False)
    with (
        clock.frozen(T0 + dt.timedelta(hours=2)),
        django_capture_on_commit_callbacks(execute=True),
    ):
        arrest_records_import(
            actor=cast.coordinator,
            program=cast.program,
            source="Jail",
            file_name="b.csv",
            rows=[row("1"), row("2")],
        )
    run = LinkageRun.objects.get(incremental=True)
    assert (run.status, run.reason, run.created_by) == ("done", "import", cast.coordinator)
    assert run.new_records == 1  # the new record; the unchanged one is not read again
    # a file that changes nothing queues nothing
    with clock.frozen(T0 + dt.timedelta(hours=3)), django_capture_on_commit_callbacks(execute=True):
        arrest_records_import(
            actor=cast.coordinator,
            program=cast.program,
            source="Jail",
            file_name="c.csv",
            rows=[row("1"), row("2")],
        )
    assert LinkageRun.objects.filter(incremental=True).count() == 1


def test_no_incremental_run_while_another_is_under_way(cast: Any) -> None:
    people_from_generator(cast.police_a, 30, seed=4)
    # the first run is queued (its job never runs here: no on-commit callbacks execute)
    first = linkage_run_start(actor=cast.coordinator, program=cast.program, retrain=False)
    LinkageModel.objects.create(program=cast.program, version="v", parameters={})
    assert linkage_run_queue(actor=None, program=cast.program, reason=RunReason.DAILY) is None
    out = io.StringIO()
    call_command("link_records_daily", stdout=out)
    assert "Queued 0 linkage run(s); skipped 1" in out.getvalue()
    assert list(LinkageRun.objects.values_list("pk", flat=True)) == [first.pk]
