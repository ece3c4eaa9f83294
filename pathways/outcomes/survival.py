"""The Kaplan–Meier (product-limit) estimate of the share of people still without an event.

Each person is followed from an index moment until the event or until follow-up ends
(censoring: the figures were taken, or the horizon was reached). At each time t at which d
events happen among the n people still at risk (followed up to t and without the event before
t), the survival estimate is multiplied by (1 - d/n). People censored at t are at risk at t
(events are taken to come first) and leave the risk set afterwards, without a drop.

The estimator works on grouped rows `(time, events, censored)` so a report can count people by
day in SQL and hand over a few hundred rows instead of one per person; `kaplan_meier` takes one
duration per person and groups them itself. Pure Python, no dependencies."""

from __future__ import annotations

import bisect
import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

#: (time, survival) where the curve drops; the curve starts at (0, 1) implicitly.
Curve = list[tuple[float, float]]
#: (time, people with the event at that time, people censored at that time)
GroupedRow = tuple[float, int, int]


def _check_time(time: float) -> None:
    if not math.isfinite(time) or time < 0:
        raise ValueError(f"times must be finite and not negative, got {time!r}")


def group(durations: Sequence[float], events: Sequence[bool]) -> list[GroupedRow]:
    """One duration and event flag per person, as grouped rows sorted by time."""
    if len(durations) != len(events):
        raise ValueError("durations and events must have the same length")
    counts: dict[float, list[int]] = defaultdict(lambda: [0, 0])
    for time, event in zip(durations, events, strict=True):
        counts[float(time)][0 if event else 1] += 1
    return sorted((t, d, c) for t, (d, c) in counts.items())


def _merged(rows: Iterable[GroupedRow]) -> list[GroupedRow]:
    """Rows sorted by time with one row per time (counts of equal times added up)."""
    counts: dict[float, list[int]] = defaultdict(lambda: [0, 0])
    for time, events, censored in rows:
        _check_time(time)
        if events < 0 or censored < 0:
            raise ValueError("counts of events and censorings must not be negative")
        counts[float(time)][0] += events
        counts[float(time)][1] += censored
    return sorted((t, d, c) for t, (d, c) in counts.items() if d or c)


def kaplan_meier_grouped(rows: Iterable[GroupedRow], *, horizon: float) -> Curve:
    """The product-limit curve from grouped rows: the points (t, S(t)) at which it drops, for
    t up to `horizon`. Rows past the horizon only count as people at risk before it."""
    merged = _merged(rows)
    at_risk = sum(d + c for _, d, c in merged)
    survival = 1.0
    curve: Curve = []
    for time, events, censored in merged:
        if time > horizon:
            break
        if events:
            survival *= 1 - events / at_risk
            curve.append((time, survival))
        at_risk -= events + censored
    return curve


def kaplan_meier(durations: Sequence[float], events: Sequence[bool], *, horizon: float) -> Curve:
    """The product-limit curve from one (duration, had the event) pair per person: the points
    (t, S(t)) at which it drops, for t up to `horizon`. With equal times, events come before
    censorings (a person censored at t was at risk at t)."""
    return kaplan_meier_grouped(group(durations, events), horizon=horizon)


def at(curve: Curve, t: float) -> float:
    """S(t): the survival of the last drop at or before t (1 before the first drop)."""
    times = [time for time, _ in curve]
    i = bisect.bisect_right(times, t)
    return 1.0 if i == 0 else curve[i - 1][1]


@dataclass(frozen=True)
class KMSummary:
    """A group's grouped rows with their curve, and what a table reports from them."""

    rows: tuple[GroupedRow, ...]  # merged and sorted by time
    curve: tuple[tuple[float, float], ...]
    horizon: float

    @classmethod
    def from_rows(cls, rows: Iterable[GroupedRow], *, horizon: float) -> KMSummary:
        merged = _merged(rows)
        return cls(tuple(merged), tuple(kaplan_meier_grouped(merged, horizon=horizon)), horizon)

    @property
    def people(self) -> int:
        return sum(d + c for _, d, c in self.rows)

    @property
    def followed_to(self) -> float:
        """The last time anyone was observed (within the horizon)."""
        return min(self.rows[-1][0], self.horizon) if self.rows else 0.0

    def coarsened(self, min_events: int) -> list[tuple[float, float]]:
        """The curve with its steps merged so that each drop stands for at least `min_events`
        events: a drawn curve then never shows a small number of events on one day. The events
        after the last full step leave the curve flat."""
        events_at = {time: d for time, d, _ in self.rows}
        points: list[tuple[float, float]] = []
        pending = 0
        for time, survival in self.curve:
            pending += events_at.get(time, 0)
            if pending >= min_events:
                points.append((time, survival))
                pending = 0
        return points

    def events_by(self, t: float) -> int:
        """People whose event came at or before t (and within the horizon)."""
        limit = min(t, self.horizon)
        return sum(d for time, d, _ in self.rows if time <= limit)

    def at_risk(self, t: float) -> int:
        """People still at risk at t: followed to t or longer without an event before t."""
        return sum(d + c for time, d, c in self.rows if time >= t)

    def survival(self, t: float) -> float | None:
        """S(t); None when t is past the horizon, or past the last observation while the curve
        has not reached 0 (nobody was followed that long, so the curve says nothing there)."""
        if t > self.horizon or not self.rows:
            return None
        s = at(list(self.curve), t)
        if t > self.rows[-1][0] and s > 0:
            return None
        return s
