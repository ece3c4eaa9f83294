"""The outcomes and equity reports count people by record linkage cluster (issue 21), with
the headline figures at a stricter and a looser threshold, on a hand-built county whose right
answers are worked out here."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from pathways.core import clock
from pathways.linkage.models import ArrestRecord, CandidatePair
from pathways.linkage.services import decision_undo, pair_decide
from pathways.linkage.thresholds import LOOSE, MAIN, STRICT
from pathways.outcomes import extract
from pathways.outcomes.reports import equity, orm_outcomes, recurrence
from pathways.outcomes.reports.linkage import HEADING
from pathways.outcomes.reports.recurrence import ARRESTED, DIVERTED
from pathways.outcomes.tables import Report
from pathways.outcomes.testing import (
    T0,
    arrest,
    contact,
    linkage_key,
    linked_pairs,
    person,
    report_filters,
)

DAY = dt.timedelta(days=1)
HOUR = dt.timedelta(hours=1)
#: Everyone's index contact is more than 365 days before: shares by 12 months are simple
#: proportions.
AS_OF = T0 + 500 * DAY
WHITE = {"races": ["white"], "ethnicity": "not_hispanic"}
BLACK = {"races": ["black"], "ethnicity": "not_hispanic"}


@pytest.fixture
def county(cast: Any) -> dict[str, Any]:
    """P1 and P2: one person recorded twice (0.995, linked at every threshold), referred at
    T0 and again 30 days later. P3: referred at T0; the jail's A1 40 days later carries no
    number Pathways knows, and the model puts it with P3 at 0.97 (the main and the looser
    threshold, not the stricter); the record's own race differs from P3's. P5: referred at
    100 days; with P3 at 0.85 (waiting for review: the looser threshold only). P4: arrested
    at a contact at 200 days; P7 with P4 at 0.97; the jail's A3 two hours after P4's arrest
    carries P7's number (the same arrest, where P4 and P7 are one person).

    All of it recorded two hours ago, and a bystander's contact (never an index contact) an
    hour ago, so that an incremental refresh reads again only what changed since."""
    now = clock.now()
    with clock.frozen(now - 2 * HOUR):
        found = _county(cast)
    with clock.frozen(now - HOUR):
        contact(cast, who=person(), disposition="transported")
    return found


def _county(cast: Any) -> dict[str, Any]:
    # P1's key before P2's: P1 is their cluster person
    first, second = sorted((person(**WHITE), person(**WHITE)), key=linkage_key)
    people = {
        1: first,
        2: second,
        3: person(**BLACK),
        4: person(**WHITE),
        5: person(**BLACK),
        7: person(**WHITE),
    }
    contact(cast, who=people[1])
    contact(cast, who=people[2], at=T0 + 30 * DAY)
    contact(cast, who=people[3])
    contact(cast, who=people[5], at=T0 + 100 * DAY)
    contact(cast, who=people[4], at=T0 + 200 * DAY, disposition="arrested")
    a1 = arrest(cast, at=T0 + 40 * DAY, race="white", ethnicity="not_hispanic")
    a3 = arrest(cast, who=people[7], at=T0 + 200 * DAY + 2 * HOUR)
    return {"cast": cast, "people": people, "a1": a1, "a3": a3}


def link(county: dict[str, Any], *more: tuple[Any, Any, float]) -> None:
    p = county["people"]
    linked_pairs(
        county["cast"],
        [
            (p[1], p[2], 0.995),
            (p[3], county["a1"], 0.97),
            (p[3], p[5], 0.85),
            (p[4], p[7], 0.97),
            *more,
        ],
    )


def rows(cast: Any, threshold: str = MAIN, **options: Any) -> dict[Any, Any]:
    with extract.connect() as db:
        return recurrence.recurrence_counts(
            db, report_filters(cast), AS_OF, threshold=threshold, **options
        ).rows


def outcomes_report(cast: Any, *, suppress_small: bool = False) -> Report:
    with extract.connect() as db:
        return recurrence.build(
            db, report_filters(cast), as_of=AS_OF, suppress_small=suppress_small
        )


def linkage_rows(report: Report) -> dict[str, list[str]]:
    section = next(s for s in report.sections if s.heading == HEADING)
    return {row.key: [v.display() for v in row.values] for row in section.table.rows}


def test_before_linkage_each_record_is_a_person(county: dict[str, Any]) -> None:
    cast = county["cast"]
    extract.refresh()
    # P1, P2, P3 and P5 each an index contact; A1 and A3 are no one's re-arrest
    assert rows(cast)[(DIVERTED, "contact")] == [(365, 0, 4)]
    assert rows(cast)[(DIVERTED, "arrest")] == [(365, 0, 4)]
    report = outcomes_report(cast)
    # the report is as it was: its three sections, and the method says linkage never ran
    assert [s.heading for s in report.sections] == [m.label for m in recurrence.MEASURES]
    assert "has not run record linkage" in report.method[-1]


def test_two_records_of_one_person_are_one_person_with_a_repeat_contact(
    county: dict[str, Any],
) -> None:
    cast = county["cast"]
    link(county)
    extract.refresh()
    main = rows(cast)
    # {P1, P2}: index at T0, a repeat contact on day 30; {P3, A1}: re-arrested on day 40; P5
    assert main[(DIVERTED, "contact")] == [(30, 1, 0), (365, 0, 2)]
    # an arrest the model links (no number) is a re-arrest
    assert main[(DIVERTED, "arrest")] == [(40, 1, 0), (365, 0, 2)]
    assert main[(DIVERTED, "overdose")] == [(365, 0, 3)]
    # P4 arrested at 200 days, followed 300; A3 is the same arrest (P7 is P4): no re-arrest
    assert main[(ARRESTED, "arrest")] == [(300, 0, 1)]
    # the stricter threshold: A1 (0.97) is nobody's; {P1, P2} (0.995) still one person
    strict = rows(cast, STRICT)
    assert strict[(DIVERTED, "contact")] == [(30, 1, 0), (365, 0, 2)]
    assert strict[(DIVERTED, "arrest")] == [(365, 0, 3)]
    # the looser: P5 is P3, so P5's referral is P3's repeat contact (day 100)
    loose = rows(cast, LOOSE)
    assert loose[(DIVERTED, "contact")] == [(30, 1, 0), (100, 1, 0)]
    assert loose[(DIVERTED, "arrest")] == [(40, 1, 0), (365, 0, 1)]


def test_every_path_gives_the_same_counts_at_every_threshold(county: dict[str, Any]) -> None:
    cast = county["cast"]
    link(county)
    extract.refresh()
    stored = rows(cast)
    assert rows(cast, recompute=True) == stored
    assert rows(cast, force_grouped=True) == stored
    for threshold in (MAIN, STRICT, LOOSE):
        orm = orm_outcomes.recurrence_counts(report_filters(cast), AS_OF, threshold=threshold)
        assert orm.rows == rows(cast, threshold), threshold


def test_the_record_linkage_section_of_the_outcomes_report(county: dict[str, Any]) -> None:
    cast = county["cast"]
    link(county)
    extract.refresh()
    report = outcomes_report(cast)
    assert report.sections[-1].heading == HEADING
    assert [c.label for c in report.sections[-1].table.columns] == [
        "Figure",
        "Stricter (0.99)",
        "As reported (0.95)",
        "Looser (0.80)",
    ]
    found = linkage_rows(report)
    # A3 by P7's number; A1 by the model at 0.97
    assert found["by_number"] == ["1", "1", "1"]
    assert found["by_model"] == ["0", "1", "1"]
    # {P1, P2} and {P4, P7} (0.97: not at the stricter); and {P3, P5} at the looser
    assert found["recorded_more_than_once"] == ["2", "4", "6"]
    assert found["counted_as"] == ["1", "2", "3"]
    # diverted: 3 people (strict), 3 (main), 2 (looser, P5 being P3)
    assert found[f"{DIVERTED}:people"] == ["3", "3", "2"]
    # repeat contact by 12 months: 1 of 3, 1 of 3, 2 of 2
    assert found[f"{DIVERTED}:contact"] == ["33.3%", "33.3%", "100.0%"]
    # re-arrest: A1 is P3's at the main and looser thresholds only
    assert found[f"{DIVERTED}:arrest"] == ["0.0%", "33.3%", "50.0%"]
    assert found[f"{ARRESTED}:people"] == ["1", "1", "1"]
    # the middle column is the report's own figure
    contact_rows = {r.key: r for r in report.sections[0].table.rows}
    assert contact_rows[DIVERTED].values[0].display() == "3"
    assert "all their records" in report.method[-1]


def test_the_section_suppresses_small_counts(county: dict[str, Any]) -> None:
    cast = county["cast"]
    link(county)
    extract.refresh()
    found = linkage_rows(outcomes_report(cast, suppress_small=True))
    assert found["by_model"] == ["0", "*", "*"]
    assert found["recorded_more_than_once"] == ["*", "*", "*"]
    assert found[f"{DIVERTED}:people"] == ["*", "*", "*"]
    assert found[f"{DIVERTED}:arrest"] == ["*", "*", "*"]


def test_a_decision_and_its_undo_move_the_figures(county: dict[str, Any]) -> None:
    """P8 (no contacts of their own) is P1 as well (0.999): when P2 is split off, P1 stays in
    a cluster under the same cluster person, and P1's contacts still lose P2's as events."""
    cast = county["cast"]
    p = county["people"]
    link(county, (p[1], person(), 0.999))
    extract.refresh()
    assert rows(cast)[(DIVERTED, "contact")] == [(30, 1, 0), (365, 0, 2)]
    left, right = sorted((linkage_key(p[1]), linkage_key(p[2])))
    pair = CandidatePair.objects.get(left_key=left, right_key=right)
    decision = pair_decide(
        actor=cast.coordinator, program=cast.program, pair_id=pair.pk, same=False, expected="auto"
    )
    # not the same person, at every threshold: P2's referral is their own index contact
    extract.refresh()
    incremental = {t: rows(cast, t) for t in (MAIN, STRICT, LOOSE)}
    assert incremental[MAIN][(DIVERTED, "contact")] == [(365, 0, 4)]
    assert incremental[STRICT][(DIVERTED, "contact")] == [(365, 0, 4)]
    assert incremental[LOOSE][(DIVERTED, "contact")] == [(100, 1, 0), (365, 0, 2)]
    # the incremental refresh rebuilt what the decision touched: as a full one does
    facts = _facts()
    extract.refresh(full=True)
    assert _facts() == facts
    assert {t: rows(cast, t) for t in (MAIN, STRICT, LOOSE)} == incremental
    # undone: one person again
    decision_undo(actor=cast.coordinator, program=cast.program, decision_id=decision.pk)
    extract.refresh()
    assert rows(cast)[(DIVERTED, "contact")] == [(30, 1, 0), (365, 0, 2)]
    facts = _facts()
    extract.refresh(full=True)
    assert _facts() == facts


def _facts() -> dict[str, list[tuple[Any, ...]]]:
    with extract.connect() as db:
        return {
            table: sorted(db.execute(f"SELECT * FROM {table}").fetchall(), key=repr)  # noqa: S608
            for table in ("encounter_facts", "arrest_facts", "person_clusters")
        }


def test_an_arrest_record_moved_to_another_person_is_seen_by_an_incremental_refresh(
    county: dict[str, Any],
) -> None:
    """P5 and A1 at 0.96 too: P3, P5 and A1 are one person, re-arrested at 40 days. A reviewer
    says P3 and A1 are not the same: the weaker link stays, so A1 moves to P5, whose index
    contact (100 days) is after it: nobody's re-arrest, without a full refresh."""
    cast = county["cast"]
    p, a1 = county["people"], county["a1"]
    link(county, (p[5], a1, 0.96))
    extract.refresh()
    assert rows(cast)[(DIVERTED, "arrest")] == [(40, 1, 0), (365, 0, 1)]
    left, right = sorted((linkage_key(p[3]), linkage_key(a1)))
    pair = CandidatePair.objects.get(left_key=left, right_key=right)
    pair_decide(
        actor=cast.coordinator, program=cast.program, pair_id=pair.pk, same=False, expected="auto"
    )
    extract.refresh()
    a1.refresh_from_db()
    assert a1.model_person_id == p[5].pk
    # A1 at 40 days is before P5's index contact (100 days): nobody's re-arrest now
    assert rows(cast)[(DIVERTED, "arrest")] == [(365, 0, 3)]
    facts = _facts()
    extract.refresh(full=True)
    assert _facts() == facts


def equity_report(cast: Any, *, suppress_small: bool = False) -> Report:
    with extract.connect() as db:
        return equity.build(db, report_filters(cast), as_of=AS_OF, suppress_small=suppress_small)


def test_equity_counts_an_arrest_of_a_person_recorded_twice_once(county: dict[str, Any]) -> None:
    cast = county["cast"]
    dimension = equity.DIMENSIONS["race_group"]
    extract.refresh()
    with extract.connect() as db:
        before = equity.group_counts(db, report_filters(cast), dimension)
    # 4 referred and P4's arrest; A1 (nobody's: its own race) and A3 (P7's, no arrest of P7's
    # at a contact) both count
    assert before.counts[("diversion_base", "all")] == 7
    assert before.counts[("diversion_base", "white")] == 5
    assert "has not run record linkage" in equity_report(cast).method[-1]
    assert HEADING not in [s.heading for s in equity_report(cast).sections]
    link(county)
    extract.refresh()
    with extract.connect() as db:
        at = {
            t: equity.group_counts(db, report_filters(cast), dimension, threshold=t)
            for t in (MAIN, STRICT, LOOSE)
        }
    # main: A3 is the same arrest as P4's (P7 is P4); A1 is P3's, so grouped as P3 (Black)
    assert at[MAIN].counts[("diversion_base", "all")] == 6
    assert at[MAIN].counts[("diversion_base", "white")] == 3
    assert at[MAIN].counts[("diversion_base", "black")] == 3
    # stricter: P7 is not P4 (0.97), and A1 is nobody's (grouped by its own race, White)
    assert at[STRICT].counts[("diversion_base", "all")] == 7
    assert at[STRICT].counts[("diversion_base", "white")] == 5
    assert at[STRICT].counts[("diversion_base", "black")] == 2
    # looser: as the main one (A1 with P3 and P5, both Black)
    assert at[LOOSE].counts == at[MAIN].counts
    report = equity_report(cast)
    found = linkage_rows(report)
    assert found["diversion_base:all"] == ["7", "6", "6"]
    assert found["diverted:all"] == ["57.1%", "66.7%", "66.7%"]
    assert found["diverted:white"] == ["40.0%", "66.7%", "66.7%"]
    assert found["diverted:black"] == ["100.0%", "66.7%", "66.7%"]
    assert found["by_model"] == ["0", "1", "1"]
    # the report's own section uses the main threshold
    diverted = {
        r.key: r
        for r in next(
            s for s in report.sections if s.heading == "Diverted rather than arrested"
        ).table.rows
    }
    assert diverted["all"].values[0].display() == "6"
    assert "same person" in report.method[-1]


def test_an_arrest_its_number_moves_to_another_person_leaves_the_first_one(
    county: dict[str, Any],
) -> None:
    """No linkage: A1 carries P3's number (P3's re-arrest at 40 days), then a corrected file
    gives it P5's: P3's contacts are rebuilt by an incremental refresh, not only P5's."""
    cast = county["cast"]
    p, a1 = county["people"], county["a1"]
    ArrestRecord.objects.filter(pk=a1.pk).update(person=p[3], updated_at=clock.now())
    extract.refresh()
    assert rows(cast)[(DIVERTED, "arrest")] == [(40, 1, 0), (365, 0, 3)]
    ArrestRecord.objects.filter(pk=a1.pk).update(person=p[5], updated_at=clock.now())
    extract.refresh()
    assert rows(cast)[(DIVERTED, "arrest")] == [(365, 0, 4)]
    facts = _facts()
    extract.refresh(full=True)
    assert _facts() == facts
