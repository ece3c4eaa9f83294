"""Small-cell suppression for published counts.

A count of 1 to 10 people or events is never published: it could point at a person. Primary
suppression hides such cells; complementary suppression then hides more cells until no small
count can be worked out from what is shown. The tables are described by their *lines*: a set of
inner cells and the cell holding their total (a row with its row total, a column with its column
total). Along every line, after suppression:

- no hidden cell stands alone (one unknown in a sum is derivable), and
- when the line's total is shown, the hidden inner cells together sum to 0 or to more than 10
  (so "total minus what is shown" does not reveal a small count).

Cells of different tables can also be *linked*: the same count, or counts a reader can take
one from the other (offers counted among the eligible in one table and among all contacts in
another, when few offers go to the ineligible). Linked cells are hidden together: hiding one
and showing the other would give it away. Complementary suppression then runs again on every
line each of them is on, in both tables.

This checks each line on its own, which covers the totals, percentages and differences a reader
can take from a table of counts with its margins; it is not a linear-programming audit of every
combination of lines. Suppression only ever adds hidden cells, so it always ends."""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

SMALL_MIN, SMALL_MAX = 1, 10
#: Every published count that is shown is rounded to the nearest multiple of this (halves up),
#: so that the difference of two overlapping figures (a date range and the same range a day
#: longer, the same page before and after one intake) never shows a small count: two rounded
#: counts differ by 0 or by a multiple of 10, and a true difference of 1 to 10 can lie behind
#: either 0 or 10 (see docs/decisions/0016). A base of 5 would not do: a difference of 5 could
#: only be 1 to 9.
ROUND_BASE = 10

Cell = Any  # any hashable key naming a cell


def is_small(value: int) -> bool:
    return SMALL_MIN <= value <= SMALL_MAX


def rounded(value: int) -> int:
    """A shown count as published: to the nearest ROUND_BASE, halves up (0 stays 0)."""
    return (int(value) + ROUND_BASE // 2) // ROUND_BASE * ROUND_BASE


@dataclass(frozen=True)
class Line:
    inner: tuple[Cell, ...]
    total: Cell


def _line_problem(line: Line, values: Mapping[Cell, int], hidden: set[Cell]) -> bool:
    cells = (*line.inner, line.total)
    unknown = [c for c in cells if c in hidden]
    if len(unknown) == 1:
        return True
    if line.total not in hidden:
        hidden_sum = sum(values[c] for c in line.inner if c in hidden)
        if is_small(hidden_sum):
            return True
    return False


def _complement(line: Line, values: Mapping[Cell, int], hidden: set[Cell]) -> Cell:
    """The cell to hide next on a line with a problem: the smallest non-zero shown inner cell
    (it hides the least), else the total, else a shown zero. A hidden zero protects little
    (counts are never negative, so a zero is known wherever its other line's total is 0) and
    reads as a small count, so zeros are hidden only when nothing else is left."""
    shown = [c for c in line.inner if c not in hidden]
    nonzero = [c for c in shown if values[c] > 0]
    if nonzero:
        return min(nonzero, key=lambda c: values[c])
    if line.total not in hidden:
        return line.total
    if shown:
        return shown[0]
    return line.total


def suppress(
    values: Mapping[Cell, int],
    lines: Iterable[Line],
    linked: Iterable[Sequence[Cell]] = (),
) -> set[Cell]:
    """The cells to hide: every small cell, the complementary cells the lines need, and every
    cell linked to a hidden one (each group of `linked` is hidden whole or not at all)."""
    lines = list(lines)
    groups = [tuple(group) for group in linked]
    hidden = {cell for cell, value in values.items() if is_small(value)}
    changed = True
    while changed:
        changed = False
        for group in groups:
            if any(c in hidden for c in group) and not all(c in hidden for c in group):
                hidden.update(group)
                changed = True
        for line in lines:
            while _line_problem(line, values, hidden):
                cell = _complement(line, values, hidden)
                if cell in hidden:  # nothing left to hide on this line: all of it is hidden
                    break
                hidden.add(cell)
                changed = True
    return hidden


def table_lines(rows: Sequence[Hashable], columns: Sequence[Hashable]) -> list[Line]:
    """The lines of a table whose cells are (row, column) with a "total" row and column: each
    row with its row total, each column with its column total (the grand total closing both
    margins)."""
    lines = [Line(tuple((r, c) for c in columns), (r, "total")) for r in rows]
    lines += [Line(tuple((r, c) for r in rows), ("total", c)) for c in columns]
    lines.append(Line(tuple((r, "total") for r in rows), ("total", "total")))
    lines.append(Line(tuple(("total", c) for c in columns), ("total", "total")))
    return lines
