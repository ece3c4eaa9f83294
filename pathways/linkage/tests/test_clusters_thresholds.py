"""Clusters at three thresholds (issue 21): every recluster builds the clusters at the main
threshold (0.95) and at a stricter (0.99) and a looser (0.80) one from the same kept pairs,
decisions and number links; each record's cluster person at each; the selectors the reports
read. Hand-built pairs, so each right answer is worked out here."""

from __future__ import annotations

from typing import Any

import pytest

from pathways.linkage import services
from pathways.linkage.models import (
    ArrestRecord,
    CandidatePair,
    ClusterMember,
    LinkageRun,
    LinkageRunStatus,
    PairStatus,
    RecordImport,
)
from pathways.linkage.selectors import (
    LINKED,
    NEVER_RUN,
    NOT_REBUILT,
    ArrestClusterPerson,
    arrest_cluster_people,
    cluster_people,
    cluster_people_of,
    linkage_figures,
    linkage_page,
)
from pathways.linkage.sources import ARREST, PERSON, record_key
from pathways.linkage.thresholds import (
    LOOSE,
    LOOSE_LINK,
    MAIN,
    STRICT,
    STRICT_LINK,
    link_threshold,
)
from pathways.people.factories import PersonFactory
from pathways.people.models import Person

pytestmark = pytest.mark.django_db


def key(record: Any) -> str:
    return record_key(PERSON if isinstance(record, Person) else ARREST, record.pk)


def arrest(cast: Any, number: str, person: Person | None = None) -> ArrestRecord:
    batch = RecordImport.objects.create(program=cast.program, source="Jail", file_name="j.csv")
    return ArrestRecord.objects.create(
        program=cast.program,
        record_import=batch,
        source="Jail",
        record_number=number,
        arrested_at="2026-03-02T15:00:00Z",
        id_system="booking",
        id_number=f"B-{number}",
        person=person,
    )


def kept_pairs(cast: Any, pairs: list[tuple[Any, Any, float]]) -> LinkageRun:
    """A finished run that kept these pairs (linked at 0.95 or more, for review below), then
    the clusters it builds."""
    run = LinkageRun.objects.create(program=cast.program, status=LinkageRunStatus.DONE)
    for a, b, probability in pairs:
        left, right = sorted((key(a), key(b)))
        CandidatePair.objects.create(
            program=cast.program,
            run=run,
            left_key=left,
            right_key=right,
            probability=probability,
            match_weight=0.0,
            status=PairStatus.AUTO if probability >= 0.95 else PairStatus.OPEN,
        )
    services._recluster(cast.program, records=0)
    return run


def clusters(threshold: str) -> dict[str, str]:
    column = {MAIN: "cluster_key", STRICT: "strict_cluster_key", LOOSE: "loose_cluster_key"}
    return dict(ClusterMember.objects.values_list("record_key", column[threshold]))


def groups(threshold: str) -> set[frozenset[str]]:
    """The clusters of more than one record at a threshold."""
    found: dict[str, set[str]] = {}
    for record, cluster in clusters(threshold).items():
        found.setdefault(cluster, set()).add(record)
    return {frozenset(keys) for keys in found.values() if len(keys) > 1}


def first_person(*people: Person) -> str:
    return str(min(people, key=key).pk)


@pytest.fixture
def county(cast: Any) -> dict[str, Any]:
    """P1 and P2 are one person recorded twice (0.995: linked at every threshold); P3 and the
    jail's record A1 at 0.97 (linked at the main and looser threshold, not the stricter); P3
    and P5 at 0.85 (waiting for review: linked at the looser threshold only); P1 and P6 at
    0.999; A2 carries P4's number (linked at every threshold, with no pair at all)."""
    p = {n: PersonFactory.create(created_by_agency=cast.police_a) for n in range(1, 7)}
    a1 = arrest(cast, "A1")
    a2 = arrest(cast, "A2", person=p[4])
    kept_pairs(
        cast,
        [(p[1], p[2], 0.995), (p[3], a1, 0.97), (p[3], p[5], 0.85), (p[1], p[6], 0.999)],
    )
    return {"p": p, "a1": a1, "a2": a2}


def test_the_thresholds() -> None:
    assert (STRICT_LINK, LOOSE_LINK) == (0.99, 0.80)
    assert link_threshold(MAIN) == 0.95
    with pytest.raises(ValueError, match="unknown linkage threshold"):
        link_threshold("lenient")


def test_each_threshold_clusters_the_same_pairs_at_its_own_line(county: dict[str, Any]) -> None:
    p, a1, a2 = county["p"], county["a1"], county["a2"]
    one = frozenset({key(p[1]), key(p[2]), key(p[6])})
    numbered = frozenset({key(p[4]), key(a2)})
    assert groups(MAIN) == {one, frozenset({key(p[3]), key(a1)}), numbered}
    assert groups(STRICT) == {one, numbered}
    assert groups(LOOSE) == {one, frozenset({key(p[3]), key(a1), key(p[5])}), numbered}
    # a row for every record in a cluster with another at any threshold; where it is alone
    # its cluster is named by its own key, and every cluster by its smallest key
    assert set(clusters(MAIN)) == {key(r) for r in (*p.values(), a1, a2)}
    assert clusters(STRICT)[key(a1)] == key(a1) and clusters(MAIN)[key(p[5])] == key(p[5])
    for threshold in (MAIN, STRICT, LOOSE):
        for record, cluster in clusters(threshold).items():
            mates = [r for r, c in clusters(threshold).items() if c == cluster]
            assert cluster == min(mates), (threshold, record)


def test_cluster_people_and_model_people_at_each_threshold(county: dict[str, Any]) -> None:
    p, a1, a2 = county["p"], county["a1"], county["a2"]
    first = first_person(p[1], p[2], p[6])
    program_id = p[1].created_by_agency.program_id
    chunks = list(cluster_people(program_id=program_id, chunk_size=2))
    assert [len(c) for c in chunks] == [2, 2, 2]  # read in chunks: P1 to P6, not A1 or A2
    found = {c.person_id: c for chunk in chunks for c in chunk}
    assert {found[str(p[n].pk)].at(t) for n in (1, 2, 6) for t in (MAIN, STRICT, LOOSE)} == {first}
    assert (found[str(p[5].pk)].main, found[str(p[5].pk)].strict) == (str(p[5].pk),) * 2
    assert found[str(p[5].pk)].loose == first_person(p[3], p[5])
    assert found[str(p[3].pk)].loose == first_person(p[3], p[5])
    # a person in no cluster is their own, at every threshold
    other = PersonFactory.create(created_by_agency=p[1].created_by_agency)
    looked_up = cluster_people_of(program_id=program_id, person_ids=[other.pk, p[2].pk])
    assert looked_up[str(other.pk)].at(STRICT) == str(other.pk)
    assert looked_up[str(p[2].pk)].at(LOOSE) == first
    # the model's person of each arrest record, at each threshold
    a1.refresh_from_db()
    assert (a1.model_person_id, a1.model_person_strict_id) == (p[3].pk, None)
    assert str(a1.model_person_loose_id) == first_person(p[3], p[5])
    arrests = {
        a.arrest_id: a for chunk in arrest_cluster_people(program_id=program_id) for a in chunk
    }
    assert arrests[str(a1.pk)] == ArrestClusterPerson(
        str(a1.pk), False, str(p[3].pk), None, first_person(p[3], p[5])
    )
    assert arrests[str(a2.pk)].by_number
    assert {arrests[str(a2.pk)].at(t) for t in (MAIN, STRICT, LOOSE)} == {str(p[4].pk)}


def test_the_linkage_figures_count_each_route_and_people_recorded_twice(
    county: dict[str, Any],
) -> None:
    program_id = county["p"][1].created_by_agency.program_id
    figures = linkage_figures(program_id=program_id)
    assert figures.state == LINKED
    by = figures.thresholds
    assert [by[t].probability for t in (STRICT, MAIN, LOOSE)] == [0.99, 0.95, 0.80]
    assert {by[t].arrests for t in by} == {2} and {by[t].by_number for t in by} == {1}
    # A1 by the model at the main and looser threshold only
    assert [by[t].by_model for t in (STRICT, MAIN, LOOSE)] == [0, 1, 1]
    # P1, P2 and P6 are one person; at the looser threshold P3 and P5 are one more
    assert [by[t].recorded_more_than_once for t in (STRICT, MAIN, LOOSE)] == [3, 3, 5]
    assert [by[t].counted_as for t in (STRICT, MAIN, LOOSE)] == [1, 1, 2]
    # the program page still counts the records clustered at the main threshold only
    assert linkage_page(program_id=program_id).clustered_records == 7


def test_not_the_same_splits_at_every_threshold_and_undo_joins_again(
    cast: Any, county: dict[str, Any]
) -> None:
    p = county["p"]
    left, right = sorted((key(p[1]), key(p[6])))
    pair = CandidatePair.objects.get(left_key=left, right_key=right)
    decision = services.pair_decide(
        actor=cast.coordinator, program=cast.program, pair_id=pair.pk, same=False, expected="auto"
    )
    for threshold in (MAIN, STRICT, LOOSE):
        assert key(p[6]) not in {r for g in groups(threshold) for r in g}, threshold
        assert frozenset({key(p[1]), key(p[2])}) in groups(threshold)
    # P6 is alone everywhere: no row is kept for it
    assert key(p[6]) not in clusters(MAIN)
    figures = linkage_figures(program_id=cast.program.pk).thresholds
    assert [figures[t].recorded_more_than_once for t in (STRICT, MAIN, LOOSE)] == [2, 2, 4]
    # undone: the model's link is back at every threshold
    services.decision_undo(actor=cast.coordinator, program=cast.program, decision_id=decision.pk)
    for threshold in (MAIN, STRICT, LOOSE):
        assert clusters(threshold)[key(p[6])] == clusters(threshold)[key(p[1])], threshold


def test_the_same_joins_at_every_threshold_and_a_number_link_too(
    cast: Any, county: dict[str, Any]
) -> None:
    p, a1 = county["p"], county["a1"]
    # a reviewer says P3 and P5 are the same: a must-link at every threshold
    left, right = sorted((key(p[3]), key(p[5])))
    pair = CandidatePair.objects.get(left_key=left, right_key=right)
    services.pair_decide(
        actor=cast.coordinator, program=cast.program, pair_id=pair.pk, same=True, expected="open"
    )
    assert clusters(STRICT)[key(p[5])] == clusters(STRICT)[key(p[3])]
    assert clusters(STRICT)[key(a1)] == key(a1)  # still 0.97: not at the stricter threshold
    a1.refresh_from_db()
    assert a1.model_person_strict_id is None
    assert str(a1.model_person_id) == first_person(p[3], p[5])


def test_states_before_a_run_and_for_clusters_kept_before_the_thresholds(cast: Any) -> None:
    assert linkage_figures(program_id=cast.program.pk).state == NEVER_RUN
    person = PersonFactory.create(created_by_agency=cast.police_a)
    LinkageRun.objects.create(program=cast.program, status=LinkageRunStatus.DONE)
    # a row as the migration leaves one: no keys at the other thresholds, no cluster person
    ClusterMember.objects.create(
        program=cast.program, record_key=key(person), cluster_key=key(person)
    )
    assert linkage_figures(program_id=cast.program.pk).state == NOT_REBUILT
    # read as its own cluster person until rebuilt
    (chunk,) = list(cluster_people(program_id=cast.program.pk))
    assert chunk[0].at(LOOSE) == str(person.pk)
    services._recluster(cast.program, records=1)
    assert linkage_figures(program_id=cast.program.pk).state == LINKED
    assert not ClusterMember.objects.exists()
