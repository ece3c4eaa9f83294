"""The reports' quantiles of whole minutes: one per measure and group and over all groups,
NULLs left out, equal to `quantile_cont` computed group by group."""

from __future__ import annotations

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pathways.outcomes.reports.common import (
    EVERY_GROUP,
    _bucket_span,
    _bucket_sql,
    _span_sql,
    grouped_quantiles,
    minute_quantiles,
)

QUANTILES = (0.25, 0.5, 0.75, 0.9)
rows = st.lists(
    st.tuples(
        st.sampled_from(["to_referral", "to_intake"]),
        st.sampled_from(["a", "b", "c"]),
        st.integers(min_value=-700, max_value=5000) | st.integers(min_value=-5, max_value=40),
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


@settings(max_examples=80, deadline=None)
@given(rows)
def test_minute_quantiles_equal_quantile_cont(values: list[tuple[str, str, int]]) -> None:
    _check(values)


def test_groups_of_several_columns_with_nulls() -> None:
    db = duckdb.connect()
    sql = (
        "SELECT p, s, d FROM (VALUES ('x', 'a', 1), ('x', 'a', 900), ('x', NULL, 5), "
        "('y', 'a', 300), ('y', 'a', 301), ('y', 'a', NULL)) t(p, s, d)"
    )
    got = minute_quantiles(db, {"m": sql}, {}, (0.5,), by=("p", "s"))
    assert got == {
        ("m", "x|a"): (2, [450.5]),
        ("m", "x|"): (1, [5.0]),
        ("m", "y|a"): (2, [300.5]),
        ("m", EVERY_GROUP): (5, [300.0]),
    }


def test_spread_over_many_buckets() -> None:
    # values in many buckets, negative ones included: the wanted ranks lie in buckets apart
    values = [("to_referral", "a", d) for d in range(-30, 30000, 7)]
    values += [("to_referral", "b", d * d) for d in range(300)]
    values += [("to_intake", "b", 5), ("to_intake", "c", 2999)]
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


two_dimensions = st.lists(
    st.tuples(
        st.sampled_from(["a", "b", None]),
        st.sampled_from(["x", "y"]),
        st.booleans(),
        st.integers(min_value=-50, max_value=20000),
    ),
    min_size=1,
    max_size=60,
)


@settings(max_examples=60, deadline=None)
@given(two_dimensions)
def test_two_dimensions_in_one_pass_equal_quantile_cont(
    values: list[tuple[str | None, str, bool, int]],
) -> None:
    db = duckdb.connect()
    db.execute("CREATE TABLE v (p VARCHAR, q VARCHAR, c BOOLEAN, d BIGINT)")
    db.executemany("INSERT INTO v VALUES (?, ?, ?, ?)", values)
    got = grouped_quantiles(
        db, "SELECT * FROM v", {}, QUANTILES, {"p": ("p",), "q": ("q",)}, counted=("c",)
    )
    picks = ", ".join(f"quantile_cont(d, {q})" for q in QUANTILES)
    expected: dict[tuple[str, str], tuple[int, list[float]]] = {}
    for dimension in ("p", "q"):
        for group, n, *qs in db.execute(
            f"SELECT {dimension}, count(*), {picks} FROM v GROUP BY {dimension}"  # noqa: S608
        ).fetchall():
            expected[(dimension, "" if group is None else group)] = (n, qs)
        every = db.execute(f"SELECT count(*), {picks} FROM v").fetchall()  # noqa: S608
        expected[(dimension, EVERY_GROUP)] = (every[0][0], list(every[0][1:]))
    assert got.values.keys() == expected.keys()
    for key, (n, qs) in expected.items():
        assert got.values[key][0] == n
        assert got.values[key][1] == pytest.approx(qs), key
    counted = db.execute("SELECT p, q, c, count(*) FROM v GROUP BY ALL").fetchall()
    assert got.counts == {(p, q, c): n for p, q, c, n in counted}


def test_bucket_spans_hold_exactly_their_buckets_minutes() -> None:
    """The fine pass keeps the rows of the wanted buckets by ranges of minutes: each bucket's
    span (first and last minute) is exactly the minutes the SQL puts in it, from a negative
    duration to a year."""
    db = duckdb.connect()
    rows = db.execute(
        f"SELECT b, min(d), max(d), count(*) FROM (SELECT d, {_bucket_sql()} AS b "  # noqa: S608
        "FROM range(-300, 525_601) t(d)) GROUP BY b ORDER BY b"
    ).fetchall()
    for b, first, last, n in rows[:-1]:  # the last bucket runs past the range
        assert _bucket_span(b) == (first, last), b
        assert n == last - first + 1  # no gap inside a bucket
    assert _span_sql([4, 9, 3]) == "d BETWEEN 7 AND 90"
    assert _span_sql([-2, 0]) == "d BETWEEN -2 AND 0"
    assert _span_sql([]) == "FALSE"
