"""Linkage runs end to end on the database: a run trains the program's model, keeps the
scored pairs, links the likeliest into clusters, queues the middle band; decisions are kept,
respected by the next run, and undone; a failed run changes nothing."""

from __future__ import annotations

from itertools import combinations
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from pathways.accounts.factories import AgencyFactory, member
from pathways.audit.models import AuditEvent
from pathways.core.conflicts import StaleEdit
from pathways.imports.tests.helpers import run_jobs_at_once
from pathways.linkage.models import (
    CandidatePair,
    ClusterMember,
    LinkageModel,
    LinkageRun,
    LinkDecision,
    PairStatus,
)
from pathways.linkage.services import decision_undo, linkage_run_start, pair_decide
from pathways.linkage.tests.linkage_helpers import people_from_generator
from pathways.programs.factories import ProgramFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _runs_at_once(settings: Any, tmp_path: Any) -> None:
    run_jobs_at_once(settings, tmp_path)


def start(cast: Any, capture: Any, *, retrain: bool = False) -> LinkageRun:
    with capture(execute=True):
        run = linkage_run_start(actor=cast.coordinator, program=cast.program, retrain=retrain)
    run.refresh_from_db()
    return run


def test_a_run_trains_links_and_queues_the_middle_band(
    cast: Any, django_capture_on_commit_callbacks: Any
) -> None:
    truth = people_from_generator(cast.police_a, 250)
    run = start(cast, django_capture_on_commit_callbacks)
    assert run.status == "done", run.problem
    assert run.records == len(truth) and run.retrain
    model = LinkageModel.objects.get(program=cast.program)
    assert run.model == model and model.version.startswith("splink-5/")
    assert run.pairs == CandidatePair.objects.filter(program=cast.program).count() > 0
    assert run.auto_linked == CandidatePair.objects.filter(status=PairStatus.AUTO).count() > 0
    assert run.to_review == CandidatePair.objects.filter(status=PairStatus.OPEN).count()
    # the clusters are mostly right: pairwise precision from the known truth
    members: dict[str, list[str]] = {}
    for key, cluster in ClusterMember.objects.values_list("record_key", "cluster_key"):
        members.setdefault(cluster, []).append(key)
    linked_pairs = [p for keys in members.values() for p in combinations(sorted(keys), 2)]
    assert linked_pairs
    right = sum(truth[a] == truth[b] for a, b in linked_pairs)
    assert right / len(linked_pairs) > 0.95
    # every pair carries each field's agreement and weight, no value
    pair = CandidatePair.objects.order_by("-probability").first()
    assert pair is not None and {row[0] for row in pair.weights} >= {"First name", "Last name"}
    assert all(isinstance(row[2], float) for row in pair.weights)
    assert AuditEvent.objects.filter(event_type="linkage_model.train").count() == 1
    assert AuditEvent.objects.filter(event_type="linkage_run.done").count() == 1

    # a second run uses the kept model (no retraining) and gives the same pairs
    again = start(cast, django_capture_on_commit_callbacks)
    assert (again.status, again.retrain, again.model_id) == ("done", False, model.pk)
    assert again.pairs == run.pairs
    assert LinkageModel.objects.count() == 1
    # retraining is an explicit step and makes a new version row
    retrained = start(cast, django_capture_on_commit_callbacks, retrain=True)
    assert retrained.status == "done" and LinkageModel.objects.count() == 2


def test_decisions_are_kept_respected_and_undone(
    cast: Any, django_capture_on_commit_callbacks: Any
) -> None:
    people_from_generator(cast.police_a, 250, seed=11)
    start(cast, django_capture_on_commit_callbacks)
    auto = CandidatePair.objects.filter(status=PairStatus.AUTO).order_by("probability").first()
    assert auto is not None
    together = ClusterMember.objects.filter(record_key__in=(auto.left_key, auto.right_key))
    assert len({m.cluster_key for m in together}) == 1

    # "not the same" splits the pair, and a later run keeps them apart
    decision = pair_decide(
        actor=cast.coordinator, program=cast.program, pair_id=auto.pk, same=False, expected="auto"
    )

    def clusters_of() -> dict[str, str]:
        return dict(
            ClusterMember.objects.filter(
                record_key__in=(auto.left_key, auto.right_key)
            ).values_list("record_key", "cluster_key")
        )

    def apart() -> bool:
        found = clusters_of()
        return len(found) < 2 or found[auto.left_key] != found[auto.right_key]

    assert apart()
    start(cast, django_capture_on_commit_callbacks)
    assert apart()
    assert CandidatePair.objects.get(left_key=auto.left_key, right_key=auto.right_key).status == (
        PairStatus.NOT_SAME
    )
    # a decision on a pair someone decided meanwhile is refused, nothing changes
    pair = CandidatePair.objects.get(left_key=auto.left_key, right_key=auto.right_key)
    with pytest.raises(StaleEdit):
        pair_decide(
            actor=cast.coordinator,
            program=cast.program,
            pair_id=pair.pk,
            same=True,
            expected="auto",
        )
    assert LinkDecision.objects.count() == 1

    # undone: the model's link is back
    decision_undo(actor=cast.coordinator, program=cast.program, decision_id=decision.pk)
    assert not apart()
    assert CandidatePair.objects.get(pk=pair.pk).status == PairStatus.AUTO
    with pytest.raises(ValidationError, match="undone already"):
        decision_undo(actor=cast.coordinator, program=cast.program, decision_id=decision.pk)
    kinds = set(AuditEvent.objects.values_list("event_type", flat=True))
    assert {"link_decision.record", "link_decision.undo"} <= kinds

    # "the same" on a pair in the review band joins the two
    open_pair = CandidatePair.objects.filter(status=PairStatus.OPEN).first()
    if open_pair is not None:
        pair_decide(
            actor=cast.coordinator,
            program=cast.program,
            pair_id=open_pair.pk,
            same=True,
            expected="open",
        )
        joined = dict(
            ClusterMember.objects.filter(
                record_key__in=(open_pair.left_key, open_pair.right_key)
            ).values_list("record_key", "cluster_key")
        )
        assert len(joined) == 2 and len(set(joined.values())) == 1


def test_only_the_program_office_links_and_one_run_at_a_time(cast: Any) -> None:
    for actor in (cast.officer_a, cast.intake_p, cast.researcher):
        with pytest.raises(PermissionDenied):
            linkage_run_start(actor=actor, program=cast.program, retrain=False)
    other = ProgramFactory.create(name="Other County")
    with pytest.raises(PermissionDenied):
        linkage_run_start(actor=cast.coordinator, program=other, retrain=False)
    linkage_run_start(actor=cast.coordinator, program=cast.program, retrain=False)
    with pytest.raises(ValidationError, match="already under way"):
        linkage_run_start(actor=cast.coordinator, program=cast.program, retrain=False)
    assert LinkageRun.objects.count() == 1


def test_a_run_that_fails_changes_nothing(
    cast: Any, django_capture_on_commit_callbacks: Any
) -> None:
    run = start(cast, django_capture_on_commit_callbacks)  # no records at all
    assert run.status == "failed"
    assert run.problem == "There are fewer than two records to link; nothing was changed."
    assert not LinkageModel.objects.exists() and not CandidatePair.objects.exists()
    # another program's pair cannot be decided from this one
    people_from_generator(cast.police_a, 120, seed=3)
    done = start(cast, django_capture_on_commit_callbacks)
    assert done.status == "done"
    pair = CandidatePair.objects.first()
    assert pair is not None
    # another program's coordinator does not find this program's pair
    office = AgencyFactory.create(
        program=ProgramFactory.create(name="Other County"), kind="program_office"
    )
    elsewhere = member(office, "coordinator", "coord.elsewhere")
    with pytest.raises(CandidatePair.DoesNotExist):
        pair_decide(
            actor=elsewhere, program=office.program, pair_id=pair.pk, same=True, expected="auto"
        )
    with pytest.raises(PermissionDenied):
        pair_decide(
            actor=elsewhere, program=cast.program, pair_id=pair.pk, same=True, expected="auto"
        )
    assert not LinkDecision.objects.exists()


def test_an_arrest_links_by_its_number_through_the_model_and_the_routes_are_counted(
    cast: Any, django_capture_on_commit_callbacks: Any
) -> None:
    """An arrest record carries no name: its booking number (recorded for the person in
    another form: 'b-77 12') and birth date are the evidence. The number route misses it, the
    model links it, and the page's route counts say so."""
    import datetime as dt

    from pathways.core import clock
    from pathways.linkage.imports import ArrestRow
    from pathways.linkage.selectors import link_routes
    from pathways.linkage.services import arrest_records_import
    from pathways.linkage.sources import ARREST, PERSON, record_key
    from pathways.people.factories import PersonFactory
    from pathways.people.models import ExternalIdentifier

    people_from_generator(cast.police_a, 150, seed=2)
    person = PersonFactory.create(
        created_by_agency=cast.police_a,
        first_name="Dolores",
        last_name="Quintanilla",
        date_of_birth=dt.date(1979, 2, 3),
        sex="female",
    )
    ExternalIdentifier.objects.create(person=person, system="booking", value="B-77 12")
    arrest_records_import(
        actor=cast.coordinator,
        program=cast.program,
        source="County jail",
        file_name="jail.csv",
        rows=[
            ArrestRow(
                line=2,
                record_number="J-1",
                arrested_at=clock.now() - dt.timedelta(days=3),
                id_system="booking",
                id_number="b_77_12",  # the jail's spelling of the same number
                date_of_birth=dt.date(1979, 2, 3),
                sex="female",
            ),
            # the police's record with the number exactly as Pathways has it: linked by number
            ArrestRow(
                line=3,
                record_number="J-2",
                arrested_at=clock.now() - dt.timedelta(days=40),
                id_system="booking",
                id_number="B-77 12",
            ),
        ],
    )
    before = link_routes(program_id=cast.program.pk)
    assert (before.arrests, before.by_number, before.by_model) == (2, 1, 0)
    run = start(cast, django_capture_on_commit_callbacks)
    assert run.status == "done", run.problem
    from pathways.linkage.models import ArrestRecord

    arrest = ArrestRecord.objects.get(record_number="J-1")
    numbered = ArrestRecord.objects.get(record_number="J-2")
    assert numbered.person_id == person.pk
    # the pair the number links is not for review, and its records are in one cluster
    number_pair = CandidatePair.objects.filter(
        left_key__in=(record_key(PERSON, person.pk), record_key(ARREST, numbered.pk)),
        right_key__in=(record_key(PERSON, person.pk), record_key(ARREST, numbered.pk)),
    ).first()
    assert number_pair is None or number_pair.status == PairStatus.AUTO
    cluster = dict(
        ClusterMember.objects.filter(
            record_key__in=(record_key(PERSON, person.pk), record_key(ARREST, arrest.pk))
        ).values_list("record_key", "cluster_key")
    )
    assert len(cluster) == 2 and len(set(cluster.values())) == 1
    after = link_routes(program_id=cast.program.pk)
    assert (after.arrests, after.by_number, after.by_model, after.by_either) == (2, 1, 1, 2)
    # the reports' re-arrests see it through model_person
    arrest.refresh_from_db()
    assert arrest.model_person_id == person.pk and arrest.person_id is None
    # "not the same person" takes it back, at once
    left, right = sorted((record_key(PERSON, person.pk), record_key(ARREST, arrest.pk)))
    pair = CandidatePair.objects.get(left_key=left, right_key=right)
    pair_decide(
        actor=cast.coordinator,
        program=cast.program,
        pair_id=pair.pk,
        same=False,
        expected=pair.status,
    )
    arrest.refresh_from_db()
    assert arrest.model_person_id is None
    assert link_routes(program_id=cast.program.pk).by_model == 0
    numbered.refresh_from_db()
    assert numbered.model_person_id == person.pk  # still with the person, by its number
