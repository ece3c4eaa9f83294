"""What a report is made of, whatever it is shown on: the page, CSV, XLSX or PDF.

A report is a title, the filters it was run with, and sections; each section has a table (the
figures) and may have a chart drawing the same figures. Every figure is a `Value`: a number with
its kind (a count, a percentage, hours...), or hidden by small-cell suppression. Renderers never
see a hidden figure's number: `Value.shown` is None for it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum


class Kind(StrEnum):
    COUNT = "count"  # people or events
    PERCENT = "percent"  # 0-100
    HOURS = "hours"
    DAYS = "days"
    RATIO = "ratio"  # a relative rate index and the like
    MONEY = "money"  # dollars
    TEXT = "text"


@dataclass(frozen=True)
class Value:
    number: float | None
    kind: Kind = Kind.COUNT
    hidden: bool = False
    text: str = ""  # for Kind.TEXT, or a note in place of a number ("no data")

    @property
    def shown(self) -> float | None:
        """The number a reader may see: None when suppressed or missing."""
        return None if self.hidden else self.number

    def display(self) -> str:
        """The figure as the page prints it: '*' when suppressed, '–' when there is none."""
        if self.hidden:
            return "*"
        if self.kind is Kind.TEXT:
            return self.text
        if self.number is None:
            return self.text or "–"
        n = self.number
        if self.kind is Kind.COUNT:
            return f"{round(n):,}"
        if self.kind is Kind.PERCENT:
            return f"{n:.1f}%"
        if self.kind is Kind.RATIO:
            return f"{n:.2f}"
        if self.kind is Kind.MONEY:
            return f"${n:,.0f}"
        if self.kind is Kind.HOURS:
            return f"{n:,.1f} h"
        return f"{n:,.1f} d"


def text(s: str) -> Value:
    return Value(None, Kind.TEXT, text=s)


@dataclass(frozen=True)
class Column:
    label: str
    kind: Kind = Kind.COUNT


@dataclass
class Row:
    label: str
    values: list[Value]
    flagged: bool = False  # e.g. a relative rate whose interval excludes 1
    key: str = ""  # a stable key for tests and links (a pathway code, a group name)


@dataclass
class Table:
    title: str
    columns: list[Column]  # the first column is the row label
    rows: list[Row]
    notes: list[str] = field(default_factory=list)

    @property
    def any_hidden(self) -> bool:
        return any(v.hidden for r in self.rows for v in r.values)


@dataclass(frozen=True)
class Bar:
    label: str
    value: Value
    note: str = ""  # printed after the value, e.g. "62% of contacts"
    flagged: bool = False


@dataclass(frozen=True)
class BarChart:
    """Horizontal bars, one per label (funnels, distributions, counts by group)."""

    title: str
    bars: list[Bar]
    unit: str = ""


@dataclass(frozen=True)
class ColumnChart:
    """Vertical bars over time (quarters, months), one or more series side by side."""

    title: str
    periods: list[str]
    series: list[tuple[str, list[Value]]]


@dataclass(frozen=True)
class Interval:
    label: str
    estimate: Value
    low: float | None
    high: float | None
    flagged: bool = False


@dataclass(frozen=True)
class ForestPlot:
    """Estimates with their 95% intervals on a log scale around a reference line at 1."""

    title: str
    intervals: list[Interval]
    reference: float = 1.0


@dataclass(frozen=True)
class StepSeries:
    label: str
    points: list[tuple[float, float]]  # (x, y) where the curve steps; y from 0 to 1
    end: float | None = None  # the last x the data cover: the curve is not drawn past it


@dataclass(frozen=True)
class StepChart:
    """Survival curves: the share of people without the event by days since the index."""

    title: str
    series: list[StepSeries]
    x_label: str
    y_label: str
    x_max: float


Chart = BarChart | ColumnChart | ForestPlot | StepChart


@dataclass
class Section:
    heading: str
    table: Table
    chart: Chart | None = None
    intro: str = ""


@dataclass
class Report:
    slug: str  # used in file names: "funnel", "equity"...
    title: str
    filters: list[tuple[str, str]]  # (label, value) as chosen, for the page and exports
    as_of: dt.datetime  # when the figures were extracted (UTC)
    time_zone: str
    sections: list[Section]
    method: list[str] = field(default_factory=list)  # paragraphs: how it is computed, limits
    suppressed: bool = True

    @property
    def any_hidden(self) -> bool:
        return any(s.table.any_hidden for s in self.sections)


SUPPRESSION_NOTE = (
    "* Suppressed: counts of 1 to 10 are not shown, nor the counts, rates and times that would "
    "let someone work them out."
)
