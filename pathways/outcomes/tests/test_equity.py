"""The relative rate index against worked examples."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pathways.outcomes.equity import relative_rate


def test_a_worked_example() -> None:
    """Group: 30 of 100 offered diversion; reference: 60 of 300.
    Rates 0.30 and 0.20, RRI 1.5. SE(ln) = sqrt(1/30 - 1/100 + 1/60 - 1/300)
    = sqrt(0.033333 - 0.01 + 0.016667 - 0.003333) = sqrt(0.036667) = 0.191485.
    Interval exp(ln 1.5 ± 1.96 × 0.191485) = exp(0.405465 ± 0.375302) = (1.0306, 2.1832):
    above 1, so flagged."""
    rate = relative_rate(30, 100, 60, 300)
    assert rate.rri == pytest.approx(1.5)
    assert rate.low == pytest.approx(1.0306, abs=1e-4)
    assert rate.high == pytest.approx(2.1832, abs=1e-4)
    assert rate.flagged


def test_parity_inside_the_interval_is_not_flagged() -> None:
    """12 of 60 against 20 of 100: RRI 1.0, interval about (0.52, 1.91)."""
    rate = relative_rate(12, 60, 20, 100)
    assert rate.rri == pytest.approx(1.0)
    assert rate.low is not None and rate.low < 1 < (rate.high or 0)
    assert not rate.flagged


def test_a_rate_below_the_reference_is_flagged_when_the_interval_is_below_1() -> None:
    rate = relative_rate(20, 200, 60, 200)  # 0.10 against 0.30
    assert rate.rri == pytest.approx(1 / 3)
    assert rate.high is not None and rate.high < 1 and rate.flagged


@pytest.mark.parametrize(
    ("args", "why"),
    [
        ((0, 0, 5, 50), "No one in the group"),
        ((5, 50, 0, 50), "reference group's rate is 0"),
        ((0, 50, 5, 50), "group's rate is 0"),
    ],
)
def test_no_index_without_the_rates_to_divide(args: tuple[int, int, int, int], why: str) -> None:
    rate = relative_rate(*args)
    assert why in rate.why_none and not rate.flagged


@pytest.mark.parametrize("args", [(-1, 10, 1, 10), (11, 10, 1, 10), (1, 10, 11, 10)])
def test_impossible_counts_are_refused(args: tuple[int, int, int, int]) -> None:
    with pytest.raises(ValueError):
        relative_rate(*args)


@given(
    st.integers(1, 500).flatmap(lambda n: st.tuples(st.integers(1, n), st.just(n))),
    st.integers(1, 500).flatmap(lambda n: st.tuples(st.integers(1, n), st.just(n))),
)
def test_the_interval_holds_the_index_and_swapping_groups_inverts_it(
    group: tuple[int, int], reference: tuple[int, int]
) -> None:
    rate = relative_rate(*group, *reference)
    swapped = relative_rate(*reference, *group)
    assert rate.rri is not None and rate.low is not None and rate.high is not None
    assert rate.low <= rate.rri <= rate.high
    assert swapped.rri == pytest.approx(1 / rate.rri)
    assert swapped.low == pytest.approx(1 / rate.high) and swapped.high == pytest.approx(
        1 / rate.low
    )
    assert math.isfinite(rate.high)


def test_a_group_where_everyone_reached_the_decision_still_gets_a_real_interval() -> None:
    # 20 of 20 against 15 of 20: Katz's error would be sqrt(0 + 1/15 - 1/20) = 0.129; with 0.5
    # added to each cell it is sqrt(1/20.5 - 1/21 + 1/15.5 - 1/21) = 0.131
    result = relative_rate(20, 20, 15, 20)
    assert result.rri == pytest.approx(20 / 15)
    se = math.sqrt(1 / 20.5 - 1 / 21 + 1 / 15.5 - 1 / 21)
    assert result.low == pytest.approx(math.exp(math.log(20 / 15) - 1.959964 * se), rel=1e-5)
    assert result.high == pytest.approx(math.exp(math.log(20 / 15) + 1.959964 * se), rel=1e-5)
    both = relative_rate(30, 30, 40, 40)
    assert both.rri == 1.0
    assert both.low is not None and both.low < 1 < (both.high or 0)  # not a zero-width interval
    assert not both.flagged
