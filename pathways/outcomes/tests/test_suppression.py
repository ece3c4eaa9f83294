"""Small-cell suppression: properties over random tables (hypothesis) and worked examples."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from pathways.outcomes.suppression import Line, is_small, suppress, table_lines


def with_margins(grid: list[list[int]]) -> dict[Any, int]:
    values: dict[Any, int] = {}
    for r, row in enumerate(grid):
        for c, value in enumerate(row):
            values[(r, c)] = value
        values[(r, "total")] = sum(row)
    for c in range(len(grid[0])):
        values[("total", c)] = sum(row[c] for row in grid)
    values[("total", "total")] = sum(map(sum, grid))
    return values


counts = st.one_of(st.integers(0, 12), st.integers(0, 400))
grids = st.integers(1, 6).flatmap(
    lambda cols: st.lists(st.lists(counts, min_size=cols, max_size=cols), min_size=1, max_size=6)
)


@settings(max_examples=400, deadline=None)
@given(grids)
def test_no_published_cell_or_derivable_difference_is_small(grid: list[list[int]]) -> None:
    values = with_margins(grid)
    lines = table_lines(range(len(grid)), range(len(grid[0])))
    hidden = suppress(values, lines)
    # no shown cell is a count of 1-10
    assert not [cell for cell, value in values.items() if cell not in hidden and is_small(value)]
    for line in lines:
        cells = (*line.inner, line.total)
        unknown = [c for c in cells if c in hidden]
        # one hidden cell in a sum can be worked out
        assert len(unknown) != 1, (line, unknown)
        if line.total not in hidden:
            # "total minus what is shown" is the hidden cells' sum: never 1-10
            assert not is_small(sum(values[c] for c in line.inner if c in hidden)), line


@settings(max_examples=200, deadline=None)
@given(grids)
def test_tables_without_small_counts_are_shown_whole(grid: list[list[int]]) -> None:
    grid = [[0 if is_small(v) else v for v in row] for row in grid]
    values = with_margins(grid)
    assert not any(is_small(v) for v in values.values())  # sums of 0s and 11+ are never 1-10
    assert suppress(values, table_lines(range(len(grid)), range(len(grid[0])))) == set()


def test_a_worked_example() -> None:
    """|  5 20 | 25      5 is small; its row and column each need a second hidden cell (20,
    | 30 40 | 70      30), which makes 40 the second in its row and column; the margins stay.
    | 35 60 | 95"""
    values = with_margins([[5, 20], [30, 40]])
    hidden = suppress(values, table_lines(range(2), range(2)))
    assert hidden == {(0, 0), (0, 1), (1, 0), (1, 1)}


def test_a_hidden_sum_that_is_small_takes_another_cell() -> None:
    """A line 3 + 4 + 50 = 57: hiding 3 and 4 would still give 7 by subtraction."""
    values = {"a": 3, "b": 4, "c": 50, "t": 57}
    hidden = suppress(values, [Line(("a", "b", "c"), "t")])
    assert hidden == {"a", "b", "c"}


def test_a_small_total_hides_the_line() -> None:
    values = {"a": 0, "b": 6, "t": 6}
    hidden = suppress(values, [Line(("a", "b"), "t")])
    assert {"b", "t"} <= hidden


def test_zeros_are_not_hidden_while_the_total_can_be() -> None:
    # a row of 5 and zeros: hiding a zero protects nothing (the zero's column total may be 0)
    values = {("a", "x"): 5, ("a", "y"): 0, ("a", "total"): 5}
    hidden = suppress(values, [Line((("a", "x"), ("a", "y")), ("a", "total"))])
    assert hidden == {("a", "x"), ("a", "total")}


def test_linked_cells_are_hidden_together_with_their_complements() -> None:
    """Two tables holding the same counts by group ("offered" and "diverted"): a cell hidden as
    a complement in one table is hidden in the other too, and that table gets the complements
    it then needs."""
    offered = {"a": 3, "b": 12, "c": 15, "d": 40}
    diverted = {"a": 3, "b": 32, "c": 15, "d": 40}
    values: dict[Any, int] = {}
    lines = []
    for name, table in (("offered", offered), ("diverted", diverted)):
        values.update({(name, g): n for g, n in table.items()})
        values[(name, "all")] = sum(table.values())
        lines.append(Line(tuple((name, g) for g in table), (name, "all")))
    alone = suppress(values, lines)
    assert ("offered", "b") in alone and ("diverted", "b") not in alone  # the gap
    linked = [(("offered", g), ("diverted", g)) for g in [*offered, "all"]]
    hidden = suppress(values, lines, linked)
    for g in [*offered, "all"]:
        assert (("offered", g) in hidden) == (("diverted", g) in hidden)
    assert {("offered", "a"), ("offered", "b"), ("offered", "c")} <= hidden


def test_two_rounded_counts_never_give_a_small_difference_away() -> None:
    """Whatever the two counts (a selection and the same one a day longer), the difference of
    their published values is a multiple of ten, and a true difference of 1 to 10 always hides
    behind a published difference that a difference of 0 or of more than 10 also gives."""
    from pathways.outcomes.suppression import rounded

    seen: dict[int, set[int]] = {}  # published difference -> true differences behind it
    for n in range(400):
        for d in range(40):
            seen.setdefault(rounded(n + d) - rounded(n), set()).add(d)
    for n in range(11, 400):
        for d in range(1, 11):
            published = rounded(n + d) - rounded(n)
            assert published % 10 == 0
            assert published != d or d == 10
            assert seen[published] - set(range(1, 11)), (n, d, published)
