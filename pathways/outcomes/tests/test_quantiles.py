"""The reports' quantiles of whole minutes: one per measure and group and over all groups,
NULLs left out, equal to `quantile_cont` computed group by group."""

from __future__ import annotations

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pathways.outcomes.reports.common import EVERY_GROUP, minute_quantiles

QUANTILES = (0.25, 0.5, 0.75, 0.9)
rows = st.lists(
    st.tuples(
        st.sampled_from(["to_referral", "to_intake"]),
        st.sampled_from(["a", "b", "c"]),
        st.integers(min_value=-5, max_value=400),
    ),
    min_size=1,
    max_size=60,
)


def _check(values: list[tuple[str, str, int]]) -> None:
    db = duckdb.connect()
    db.execute("CREATE TABLE v (k VARCHAR, grp VARCHAR, d BIGINT)")
    db.executemany("INSERT INTO v VALUES (?, ?, ?)", values)
    measures = {k: f"SELECT grp, d FROM v WHERE k = '{k}'" for k in ("to_referral", "to_intake")}  # noqa: S608
    got = minute_quantiles(db, measures, {}, QUANTILES)
    picks = ", ".join(f"quantile_cont(d, {q})" for q in QUANTILES)
    expected = {
        (k, g): (n, list(qs))
        for k, g, n, *qs in db.execute(
            f"SELECT k, coalesce(grp, '{EVERY_GROUP}'), count(*), {picks} FROM v "  # noqa: S608
            "GROUP BY GROUPING SETS ((k, grp), (k))"
        ).fetchall()
    }
    assert got.keys() == expected.keys()
    for key, (n, qs) in expected.items():
        assert got[key][0] == n
        assert got[key][1] == pytest.approx(qs), key


@settings(max_examples=60, deadline=None)
@given(rows)
def test_minute_quantiles_equal_quantile_cont(values: list[tuple[str, str, int]]) -> None:
    _check(values)


def test_a_worked_example() -> None:
    # 1, 2, 2, 10 minutes: the median is halfway between 2 and 2, the 90th percentile 7.6
    # (position 2.7: 2 + 0.7 * (10 - 2)); NULL durations are left out
    db = duckdb.connect()
    got = minute_quantiles(
        db,
        {"x": "SELECT 'a' AS grp, d FROM (VALUES (1), (2), (2), (10), (NULL)) t(d)"},
        {},
        (0.5, 0.9),
    )
    assert got[("x", "a")] == (4, [2.0, pytest.approx(7.6)])
    assert got[("x", EVERY_GROUP)] == (4, [2.0, pytest.approx(7.6)])
