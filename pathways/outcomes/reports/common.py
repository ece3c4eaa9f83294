"""Helpers the report modules share: publishing counts under suppression, rates and medians
that never give a hidden count away."""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Mapping, Sequence
from typing import Any

from pathways.outcomes.suppression import SMALL_MAX, Line, suppress
from pathways.outcomes.tables import Kind, Value

#: A median or percentile of fewer than this many people is not shown.
MIN_FOR_STATISTIC = SMALL_MAX + 1


def publish(
    values: Mapping[Hashable, int],
    lines: Iterable[Line],
    *,
    suppress_small: bool,
) -> dict[Hashable, Value]:
    """Counts as Values, with small cells and their complements hidden when `suppress_small`.

    `values` may hold cells that are never shown but tie shown ones together, such as the people
    lost between two funnel stages (the difference of two shown counts). They are suppressed like
    any cell: a small one is hidden with a complement on its line, so it cannot be worked out;
    hiding one that is never shown anyway is real protection too, as the reader cannot see it."""
    hidden = suppress(values, lines) if suppress_small else set()
    return {cell: Value(n, Kind.COUNT, cell in hidden) for cell, n in values.items()}


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


def minute_quantiles(
    db: Any,
    values_sql: str,
    params: Mapping[str, Any],
    quantiles: Sequence[float],
) -> dict[tuple[str, str], tuple[int, list[float | None]]]:
    """Quantiles of durations counted in whole minutes, exactly as `quantile_cont` (linear
    interpolation between the two nearest values) would give them, per (measure, group) and
    per measure over every group (group EVERY_GROUP): {(measure, group): (n, [q...])}.

    `values_sql` selects rows (k VARCHAR, grp VARCHAR, d BIGINT): the measure, the group and
    the duration in minutes (NULL rows are left out). The durations are first counted by value
    (a histogram far smaller than the rows), and each quantile is read off the running count:
    several times faster than sorting millions of values for each quantile and group."""
    picks = ", ".join(
        f"min(d) FILTER (WHERE cum > floor((tot - 1) * {q!r})), "
        f"min(d) FILTER (WHERE cum > ceil((tot - 1) * {q!r}))"
        for q in quantiles
    )
    sql = f"""
        WITH raw AS ({values_sql}),
        h AS (
            SELECT k, CASE WHEN grouping(grp) = 1 THEN '{EVERY_GROUP}'
                           ELSE coalesce(CAST(grp AS VARCHAR), '') END AS g,
                   d, count(*) AS n
            FROM raw WHERE d IS NOT NULL
            GROUP BY GROUPING SETS ((k, grp, d), (k, d))
        ),
        c AS (
            SELECT k, g, d, sum(n) OVER (PARTITION BY k, g ORDER BY d) AS cum,
                   sum(n) OVER (PARTITION BY k, g) AS tot
            FROM h
        )
        SELECT k, g, any_value(tot), {picks} FROM c GROUP BY k, g
    """  # noqa: S608 (the caller's own SQL and these quantiles only)
    out: dict[tuple[str, str], tuple[int, list[float | None]]] = {}
    for k, g, total, *picked in db.execute(sql, dict(params)).fetchall():
        n = int(total)
        values: list[float | None] = []
        for i, q in enumerate(quantiles):
            low, high = picked[2 * i], picked[2 * i + 1]
            position = (n - 1) * q
            fraction = position - math.floor(position)
            values.append(float(low) + fraction * (float(high) - float(low)))
        out[(str(k), str(g))] = (n, values)
    return out
