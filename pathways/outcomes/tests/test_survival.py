"""The Kaplan–Meier estimator: a worked example done by hand, edge cases, and properties."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pathways.outcomes.survival import (
    KMSummary,
    at,
    group,
    kaplan_meier,
    kaplan_meier_grouped,
)

E, C = True, False  # had the event, censored

# Eight people: times 1, 2, 2, 3, 4, 4, 5, 6 with censorings at 2 (tied with an event), 3, 5.
DURATIONS = [1, 2, 2, 3, 4, 4, 5, 6]
EVENTS = [E, E, C, C, E, E, C, E]


def test_worked_example_by_hand() -> None:
    # t=1: 8 at risk, 1 event:                       S = 7/8
    # t=2: 7 at risk (the one censored at 2 counts:  S = 7/8 * (1 - 1/7) = 6/8
    #      events come first), 1 event; 5 left after the event and the censoring
    # t=3: 1 censored, no drop; 4 left
    # t=4: 4 at risk, 2 events:                      S = 6/8 * (1 - 2/4) = 3/8
    # t=5: 1 censored, no drop; 1 left
    # t=6: 1 at risk, 1 event:                       S = 3/8 * (1 - 1/1) = 0
    curve = kaplan_meier(DURATIONS, EVENTS, horizon=10)
    expected = [(1, 7 / 8), (2, 7 / 8 * 6 / 7), (4, 7 / 8 * 6 / 7 * 2 / 4), (6, 0.0)]
    assert [t for t, _ in curve] == [t for t, _ in expected]
    assert [s for _, s in curve] == pytest.approx([s for _, s in expected])
    assert curve[1][1] == pytest.approx(0.75)  # not 7/8 * 5/6, as censoring first would give
    assert curve[2][1] == pytest.approx(0.375)
    # the horizon cuts the curve: the drop at 6 is past it
    assert kaplan_meier(DURATIONS, EVENTS, horizon=5) == curve[:3]
    # S(t) is the last drop at or before t
    assert at(curve, 0) == 1.0
    assert at(curve, 0.99) == 1.0
    assert at(curve, 1) == pytest.approx(7 / 8)
    assert at(curve, 3.5) == pytest.approx(0.75)
    assert at(curve, 5) == pytest.approx(0.375)
    assert at(curve, 100) == 0.0


def test_grouped_rows_give_the_same_curve() -> None:
    rows = group(DURATIONS, EVENTS)
    assert rows == [(1, 1, 0), (2, 1, 1), (3, 0, 1), (4, 2, 0), (5, 0, 1), (6, 1, 0)]
    # rows need not be sorted nor one per time: equal times are added up
    split = [(6, 1, 0), (2, 0, 1), (4, 1, 0), (1, 1, 0), (4, 1, 0), (3, 0, 1), (2, 1, 0), (5, 0, 1)]
    assert kaplan_meier_grouped(split, horizon=10) == kaplan_meier(DURATIONS, EVENTS, horizon=10)


def test_summary_at_risk_events_and_where_the_curve_ends() -> None:
    summary = KMSummary.from_rows(group(DURATIONS, EVENTS), horizon=10)
    assert summary.people == 8
    assert [summary.at_risk(t) for t in (0, 1, 2, 2.5, 4, 6, 7)] == [8, 8, 7, 5, 4, 1, 0]
    assert [summary.events_by(t) for t in (0, 1, 2, 4, 6)] == [0, 1, 2, 4, 5]
    assert summary.survival(4) == pytest.approx(0.375)
    assert summary.survival(8) == 0.0  # the last person had the event: 0 from then on
    assert summary.survival(11) is None  # past the horizon
    # when the last person was censored, the curve says nothing after that
    censored_last = KMSummary.from_rows([(1, 1, 0), (5, 0, 1)], horizon=10)
    assert censored_last.survival(5) == pytest.approx(0.5)
    assert censored_last.survival(6) is None


def test_edge_cases() -> None:
    # no events: flat at 1
    assert kaplan_meier([3, 5, 8], [C, C, C], horizon=10) == []
    assert at([], 7) == 1.0
    # all events at one time: one drop to 0
    assert kaplan_meier([4, 4, 4], [E, E, E], horizon=10) == [(4, 0.0)]
    # an event at time 0 counts
    assert kaplan_meier([0, 2], [E, C], horizon=10) == [(0, 0.5)]
    # nobody
    assert kaplan_meier([], [], horizon=10) == []
    assert KMSummary.from_rows([], horizon=10).survival(1) is None
    with pytest.raises(ValueError, match="same length"):
        kaplan_meier([1, 2], [E], horizon=10)
    with pytest.raises(ValueError, match="negative"):
        kaplan_meier([-1], [E], horizon=10)
    with pytest.raises(ValueError, match="negative"):
        kaplan_meier_grouped([(1, -1, 0)], horizon=10)


people = st.lists(st.tuples(st.integers(0, 40), st.booleans()), max_size=60)


@settings(max_examples=300, deadline=None)
@given(people, st.integers(0, 50))
def test_curve_never_rises_and_stays_between_0_and_1(
    observations: list[tuple[int, bool]], horizon: int
) -> None:
    durations = [d for d, _ in observations]
    events = [e for _, e in observations]
    curve = kaplan_meier(durations, events, horizon=horizon)
    times = [t for t, _ in curve]
    assert times == sorted(set(times))  # one point per time, in order
    assert all(t <= horizon for t in times)
    shares = [1.0, *(s for _, s in curve)]
    assert all(0 <= s <= 1 for s in shares)
    assert all(later < earlier for earlier, later in itertools.pairwise(shares))
    # a drop only where someone had the event
    assert set(times) <= {d for d, e in observations if e}


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(0, 40), min_size=1, max_size=60), st.integers(0, 50))
def test_without_censoring_it_is_the_share_without_the_event(
    durations: list[int], horizon: int
) -> None:
    curve = kaplan_meier(durations, [E] * len(durations), horizon=horizon)
    for t in range(horizon + 1):
        without = sum(d > t for d in durations) / len(durations)
        assert at(curve, t) == pytest.approx(without, abs=1e-12)


def test_a_coarsened_curve_drops_only_on_eleven_or_more_events() -> None:
    # 30 people: 4 events on day 1, 8 on day 2, 3 on day 5, 12 on day 9; 3 censored on day 10
    rows = [(1, 4, 0), (2, 8, 0), (5, 3, 0), (9, 12, 0), (10, 0, 3)]
    summary = KMSummary.from_rows(rows, horizon=30)
    # merged steps: days 1+2 (12 events) then 5+9 (15 events); each point is the true S there
    assert summary.coarsened(11) == [(2, pytest.approx(18 / 30)), (9, pytest.approx(3 / 30))]
    assert summary.followed_to == 10
