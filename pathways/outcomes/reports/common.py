"""Helpers the report modules share: publishing counts under suppression, rates and medians
that never give a hidden count away."""

from __future__ import annotations

import math
import re
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import duckdb

from pathways.outcomes.filters import ReportFilters
from pathways.outcomes.suppression import SMALL_MAX, Line, rounded, suppress
from pathways.outcomes.tables import Kind, Value


def kept_by_day(db: duckdb.DuckDBPyConnection, f: ReportFilters, table: str) -> bool:
    """Can a report sum `table`, one of the per-local-day counts the refresh keeps (extract.py),
    for the filter `f`? Yes when the extract has it and counted the program's days in the
    filter's time zone (the program may have moved zone since the refresh)."""
    assert table.replace("_", "").isalnum(), table  # our own table names
    try:
        row = db.execute(
            f"SELECT (SELECT any_value(time_zone) FROM local_days WHERE program_id = $p), "  # noqa: S608
            f"EXISTS (SELECT 1 FROM {table} LIMIT 0)",
            {"p": str(f.program_id)},
        ).fetchone()
    except duckdb.CatalogException:  # an extract from before they were kept
        return False
    return row is not None and row[0] == f.time_zone


#: A median or percentile of fewer than this many people is not shown.
MIN_FOR_STATISTIC = SMALL_MAX + 1


def publish(
    values: Mapping[Hashable, int],
    lines: Iterable[Line],
    *,
    suppress_small: bool,
    linked: Iterable[Sequence[Hashable]] = (),
) -> dict[Hashable, Value]:
    """Counts as Values, with small cells and their complements hidden when `suppress_small`.

    `values` may hold cells that are never shown but tie shown ones together, such as the people
    lost between two funnel stages (the difference of two shown counts). They are suppressed like
    any cell: a small one is hidden with a complement on its line, so it cannot be worked out;
    hiding one that is never shown anyway is real protection too, as the reader cannot see it.
    Each group of `linked` cells (the same count in two tables, or near enough) is hidden
    together (suppression.suppress).

    When suppressed, the counts shown are also rounded to the nearest ten
    (suppression.rounded), and rates, shares and costs worked out from these Values use the
    rounded numbers: two overlapping selections (a date range and the same range a day longer)
    cannot be subtracted to find a small count."""
    hidden = suppress(values, lines, linked) if suppress_small else set()
    return {
        cell: Value(
            rounded(n) if suppress_small and cell not in hidden else n, Kind.COUNT, cell in hidden
        )
        for cell, n in values.items()
    }


def rate(part: Value, whole: Value) -> Value:
    """part / whole as a percentage; hidden when either count is hidden, none when whole is 0."""
    if part.hidden or whole.hidden:
        return Value(None, Kind.PERCENT, hidden=True)
    if not whole.number:
        return Value(None, Kind.PERCENT)
    return Value(100 * (part.number or 0) / whole.number, Kind.PERCENT)


def statistic(value: float | None, n: Value, kind: Kind, *, suppress_small: bool) -> Value:
    """A median (or other statistic) over `n` people: hidden when n is hidden or too few."""
    if n.hidden or (suppress_small and (n.number or 0) < MIN_FOR_STATISTIC):
        return Value(None, kind, hidden=bool(n.number))
    return Value(value, kind)


def share_note(part: Value, whole: Value, of: str = "") -> str:
    """A bar's note: part's share of whole ("62.5%", or "62.5% of declines" with `of`); empty
    when the share is hidden or there is none."""
    share = rate(part, whole)
    if share.shown is None:
        return ""
    return f"{share.display()} of {of}" if of else share.display()


#: The label of the row over every group.
EVERY_GROUP = "all"


def _bucket_sql() -> str:
    """A duration's bucket, in SQL: its square root, rounded (about 2·√d minutes wide, so
    narrow where short durations crowd, and a few hundred in all even over months); a negative
    duration is a bucket of its own. Buckets order as their durations."""
    return "(CASE WHEN d < 0 THEN d ELSE CAST(sqrt(d) AS BIGINT) END)"


def _bucket_span(b: int) -> tuple[int, int]:
    """The whole minutes in bucket b, first and last: √d rounds to b, so d lies between
    (b - ½)² and (b + ½)², which are never whole."""
    if b <= 0:
        return b, b
    return b * b - b + 1, b * b + b


def _span_sql(buckets: Iterable[int]) -> str:
    """SQL true for a duration from the first minute of the lowest of `buckets` to the last of
    the highest: a plain comparison on the stored minutes, which spares the rows outside it
    the bucket and hash arithmetic. (One range: a chain of one range per bucket measured
    slower than none.)"""
    spans = [_bucket_span(b) for b in buckets]
    if not spans:
        return "FALSE"
    return f"d BETWEEN {min(s[0] for s in spans)} AND {max(s[1] for s in spans)}"


def minute_quantiles(
    db: Any,
    measures: Mapping[str, str],
    params: Mapping[str, Any],
    quantiles: Sequence[float],
    *,
    by: Sequence[str] = ("grp",),
) -> dict[tuple[str, str], tuple[int, list[float | None]]]:
    """Quantiles (as `quantile_cont`: linear interpolation between the two nearest values) of
    durations in whole minutes, per (measure, group) and per measure over every group (group
    EVERY_GROUP): {(measure, group): (n, [q...])}.

    `measures` maps each measure to SQL selecting the `by` columns (the group; several are
    joined with "|" in the answer) and d, the duration in whole minutes, read from the integer
    columns the extract stores (NULLs are left out). See `grouped_quantiles`."""
    out: dict[tuple[str, str], tuple[int, list[float | None]]] = {}
    for measure, select in measures.items():
        found = grouped_quantiles(db, select, params, quantiles, {measure: by})
        out.update(found.values)
    return out


@dataclass
class GroupedQuantiles:
    #: {(dimension, group or EVERY_GROUP): (n, [q...])}; EVERY_GROUP is under each dimension
    values: dict[tuple[str, str], tuple[int, list[float | None]]]
    #: the rows counted by every dimension's columns (as text) and the `counted` ones, in
    #: that order
    counts: dict[tuple[Any, ...], int]


def grouped_quantiles(
    db: Any,
    select: str,
    params: Mapping[str, Any],
    quantiles: Sequence[float],
    dimensions: Mapping[str, Sequence[str]],
    *,
    counted: Sequence[str] = (),
) -> GroupedQuantiles:
    """Quantiles of the durations d (whole minutes; NULLs left out) that `select` gives, per
    group of each dimension (a dimension's group: its columns' values, joined with "|"; no two
    dimensions share a column) and over all rows; with the rows counted by every column named,
    `counted` ones too.

    Exact, from two small grouped counts rather than a sort: the first counts the durations
    by group and bucket (`_bucket_sql`), which tells in which bucket each wanted order
    statistic lies; the second counts them minute by minute in those buckets only. Measured
    faster than `quantile_cont` at ten million contacts, where collecting every value per
    group, and over all groups, was most of a report's time; and several dimensions cost one
    pass."""
    names = list(dimensions)
    columns = [c for cols in dimensions.values() for c in cols]
    assert len(set(columns)) == len(columns), "dimensions share no column"
    hs = [f"h{k}" for k in range(len(names))]
    # each row's bucket, and a hash of its group in each dimension (NULLs included)
    hashes = ", ".join(
        f"hash({', '.join(dimensions[n])}) AS {h}" for n, h in zip(names, hs, strict=True)
    )
    bucketed = (
        f"SELECT *, {_bucket_sql()} AS b, {hashes} "  # noqa: S608
        f"FROM ({select}) WHERE d IS NOT NULL"
    )
    # the groups' columns as text, once the rows are counted
    text = ", ".join(f"CAST({c} AS VARCHAR)" for c in columns)
    # (the groups' hashes once they are counted: the same values, hashed once per group)
    coarse = f"""
        SELECT {text}, {", ".join(counted)}{"," if counted else ""} {hashes}, b, n FROM (
            SELECT {", ".join([*columns, *counted])}, b, count(*) AS n
            FROM (SELECT *, {_bucket_sql()} AS b FROM ({select}) WHERE d IS NOT NULL)
            GROUP BY ALL
        )
    """  # noqa: S608 (the caller's own SQL only)
    # only the parameters the SQL names (DuckDB refuses others)
    used = {k: v for k, v in params.items() if re.search(rf"\${k}\b", select)}
    position = {c: i for i, c in enumerate(columns)}
    buckets: dict[tuple[str, str], dict[int, int]] = {}
    hashed: dict[tuple[str, str], int] = {}
    counts: dict[tuple[Any, ...], int] = {}
    overall: dict[int, int] = {}
    width = len(columns) + len(counted)
    for row in db.execute(coarse, used).fetchall():
        values, group_hashes, b, n = row[:width], row[width:-2], int(row[-2]), int(row[-1])
        counts[values] = counts.get(values, 0) + n
        overall[b] = overall.get(b, 0) + n
        for name, h in zip(names, group_hashes, strict=True):
            group = (name, _group([values[position[c]] for c in dimensions[name]]))
            hashed[group] = int(h)
            cells = buckets.setdefault(group, {})
            cells[b] = cells.get(b, 0) + n
    # the buckets holding each group's wanted order statistics, and those over all rows
    wanted = {g: _ranks(sum(c.values()), quantiles) for g, c in buckets.items()}
    needed = {g: _buckets_of(buckets[g], ranks) for g, ranks in wanted.items()}
    every_wanted = _ranks(sum(overall.values()), quantiles)
    every_needed = _buckets_of(overall, every_wanted)
    minutes: dict[tuple[str, str], dict[tuple[int, int], int]] = {g: {} for g in buckets}
    every_minutes: dict[tuple[int, int], int] = {}
    if overall:
        # the rows of each group's own buckets, counted minute by minute per group of each
        # dimension, and those of the buckets over all rows, over all rows (a hash two groups
        # share only brings rows that are then left out)
        overall_in = f"b IN ({', '.join(map(str, sorted(every_needed)))})"
        picks, kept = (
            [overall_in],
            [f"({' AND '.join(f'grouping({h}) = 1' for h in hs)} AND {overall_in})"],
        )
        for name, h in zip(names, hs, strict=True):
            pairs = ", ".join(
                f"({hashed[g]}, {b})" for g in hashed if g[0] == name for b in sorted(needed[g])
            )
            own = f"({h}, b) IN (SELECT * FROM (VALUES {pairs}) v(h, b))"  # noqa: S608
            picks.append(own)
            kept.append(f"(grouping({h}) = 0 AND {own})")
        span = _span_sql(every_needed.union(*needed.values()))
        sets = ", ".join(
            f"({', '.join(dimensions[n])}, {h}, b, d)" for n, h in zip(names, hs, strict=True)
        )
        fine = f"""
            SELECT {", ".join(f"g{k}" for k in range(len(names)))}, {text}, b, d, n FROM (
                SELECT {", ".join(f"grouping({h}) AS g{k}" for k, h in enumerate(hs))},
                       {", ".join(columns)}, b, d, count(*) AS n
                FROM ({bucketed}) WHERE ({span}) AND ({" OR ".join(picks)})
                GROUP BY GROUPING SETS ({sets}, (b, d))
                HAVING {" OR ".join(kept)}
            )
        """  # noqa: S608 (the caller's own SQL and integers only)
        for row in db.execute(fine, used).fetchall():
            flags = row[: len(names)]
            values = row[len(names) : len(names) + len(columns)]
            cell, n = (int(row[-3]), int(row[-2])), int(row[-1])
            if all(flags):  # over all rows
                every_minutes[cell] = every_minutes.get(cell, 0) + n
                continue
            name = names[flags.index(0)]
            group = (name, _group([values[position[c]] for c in dimensions[name]]))
            if cell[0] in needed[group]:
                minutes[group][cell] = minutes[group].get(cell, 0) + n
    out: dict[tuple[str, str], tuple[int, list[float | None]]] = {}
    for group, cells in buckets.items():
        n = sum(cells.values())
        order = _order_statistics(cells, minutes[group], wanted[group])
        out[group] = (n, [_interpolate(n, q, order) for q in quantiles])
    if overall:
        n = sum(overall.values())
        order = _order_statistics(overall, every_minutes, every_wanted)
        for name in names:
            out[(name, EVERY_GROUP)] = (n, [_interpolate(n, q, order) for q in quantiles])
    return GroupedQuantiles(out, counts)


def _group(key: Sequence[Any]) -> str:
    return "|".join("" if v is None else str(v) for v in key)


def _positions(n: int, q: float) -> tuple[float, int, int]:
    """quantile_cont's position among n sorted values (0-based) and its two neighbours."""
    position = (n - 1) * q
    return position, math.floor(position), math.ceil(position)


def _ranks(n: int, quantiles: Sequence[float]) -> set[int]:
    return {r for q in quantiles for r in _positions(n, q)[1:]}


def _buckets_of(counts: Mapping[int, int], ranks: set[int]) -> set[int]:
    """The buckets in which the values of these 0-based ranks lie."""
    found: set[int] = set()
    seen = 0
    for b in sorted(counts):
        if any(seen <= r < seen + counts[b] for r in ranks):
            found.add(b)
        seen += counts[b]
    return found


def _order_statistics(
    buckets: Mapping[int, int], minutes: Mapping[tuple[int, int], int], ranks: set[int]
) -> dict[int, int]:
    """The value of each rank: `minutes` counts the values of the buckets holding them minute
    by minute ((bucket, minute): n), `buckets` every bucket's count (the values before each)."""
    before: dict[int, int] = {}
    seen = 0
    for b in sorted(buckets):
        before[b] = seen
        seen += buckets[b]
    values: dict[int, int] = {}
    position: dict[int, int] = {}  # values seen so far in each bucket
    for b, d in sorted(minutes):
        start = before[b] + position.get(b, 0)
        n = minutes[(b, d)]
        values.update({r: d for r in ranks if start <= r < start + n})
        position[b] = position.get(b, 0) + n
    return values


def _interpolate(n: int, q: float, order: Mapping[int, int]) -> float:
    position, low, high = _positions(n, q)
    value = float(order[low])
    return value + (position - low) * (order[high] - value) if high != low else value
