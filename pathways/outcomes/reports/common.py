"""Helpers the report modules share: publishing counts under suppression, rates and medians
that never give a hidden count away."""

from __future__ import annotations

import re
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
    measures: Mapping[str, str],
    params: Mapping[str, Any],
    quantiles: Sequence[float],
    *,
    by: Sequence[str] = ("grp",),
) -> dict[tuple[str, str], tuple[int, list[float | None]]]:
    """Quantiles (`quantile_cont`: linear interpolation between the two nearest values) of
    durations in whole minutes, per (measure, group) and per measure over every group (group
    EVERY_GROUP): {(measure, group): (n, [q...])}.

    `measures` maps each measure to SQL selecting the `by` columns (the group; several are
    joined with "|" in the answer) and d, the duration in whole minutes, read from the integer
    columns the extract stores (NULLs are left out). One query per measure, all quantiles from
    one sort: measured fastest at ten million contacts (several holistic aggregates in one
    query, or beside many counts, run slower)."""
    wanted = "[" + ", ".join(repr(float(q)) for q in quantiles) + "]"
    columns = ", ".join(by)
    out: dict[tuple[str, str], tuple[int, list[float | None]]] = {}
    for measure, select in measures.items():
        sql = f"""
            SELECT grouping({by[0]}), {columns}, count(*), quantile_cont(d, {wanted})
            FROM ({select}) WHERE d IS NOT NULL
            GROUP BY GROUPING SETS (({columns}), ())
        """  # noqa: S608 (the caller's own SQL and these quantiles only)
        # only the parameters this measure's SQL names (DuckDB refuses others)
        used = {k: v for k, v in params.items() if re.search(rf"\${k}\b", sql)}
        for every, *key, n, values in db.execute(sql, used).fetchall():
            if not n:
                continue
            group = EVERY_GROUP if every else "|".join("" if v is None else str(v) for v in key)
            out[(measure, group)] = (int(n), [None if v is None else float(v) for v in values])
    return out
