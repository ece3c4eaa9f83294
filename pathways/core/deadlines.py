"""Deadlines in the program's time zone.

Two kinds of deadline exist. "Within 72 hours" is elapsed time: 72 real hours, whatever the
wall clock does (across the spring-forward night the local clock shows 73 h later). "Within
3 days" is calendar days: the same local wall-clock time three days later, or the end of that
day when staff read the deadline as a date. Everything goes in and comes out as aware UTC."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django.utils import dateformat

UTC = dt.UTC


def _require_aware(value: dt.datetime, name: str = "start") -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware")


def resolve_local(wall: dt.datetime, zone: zoneinfo.ZoneInfo) -> dt.datetime:
    """The UTC instant of the naive local wall time `wall` in `zone`.

    A wall time that does not exist (skipped when clocks spring forward) moves forward to the
    first valid instant, the moment of the transition (02:30 → 03:00 CDT). An ambiguous wall
    time (repeated when clocks fall back) takes its first occurrence (fold=0)."""
    if wall.tzinfo is not None:
        raise ValueError("resolve_local() takes a naive wall-clock time")
    first = wall.replace(tzinfo=zone, fold=0)
    as_utc = first.astimezone(UTC)
    if as_utc.astimezone(zone).replace(tzinfo=None) == wall:
        return as_utc
    # In a gap, fold=0 reads the wall time with the offset before the transition and fold=1
    # with the one after; the transition instant lies between the two readings.
    low = wall.replace(tzinfo=zone, fold=1).astimezone(UTC)
    high = as_utc
    if low > high:
        low, high = high, low
    before = low.astimezone(zone).utcoffset()
    while high - low > dt.timedelta(seconds=1):
        mid = low + (high - low) / 2
        if mid.astimezone(zone).utcoffset() == before:
            low = mid
        else:
            high = mid
    return high.replace(microsecond=0)


def due_after_hours(start: dt.datetime, hours: float) -> dt.datetime:
    """Elapsed time: `hours` real hours after `start`."""
    _require_aware(start)
    # Arithmetic on an aware datetime in a local zone is wall-clock arithmetic; do it in UTC.
    return start.astimezone(UTC) + dt.timedelta(hours=hours)


def due_after_days(start: dt.datetime, days: int, tz: str) -> dt.datetime:
    """Calendar days in the program's zone: the same local wall-clock time `days` later."""
    _require_aware(start)
    zone = zoneinfo.ZoneInfo(tz)
    wall = start.astimezone(zone).replace(tzinfo=None) + dt.timedelta(days=days)
    return resolve_local(wall, zone)


def due_end_of_day(start: dt.datetime, days: int, tz: str) -> dt.datetime:
    """23:59:59 local time on the `days`-th calendar day after `start` (0 = the same day)."""
    _require_aware(start)
    zone = zoneinfo.ZoneInfo(tz)
    day = start.astimezone(zone).date() + dt.timedelta(days=days)
    return resolve_local(dt.datetime.combine(day, dt.time(23, 59, 59)), zone)


def _span(delta: dt.timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    if minutes < 60:
        return f"{max(minutes, 1)} min"
    if minutes < 24 * 60:
        hours, rest = divmod(minutes, 60)
        return f"{hours} h {rest} min" if rest else f"{hours} h"
    days = minutes // (24 * 60)
    return f"{days} day" if days == 1 else f"{days} days"


def describe_due(due_at: dt.datetime, now: dt.datetime, tz: str) -> str:
    """Plain text for a deadline: "overdue by 3 h", "due in 45 min", "due Tue Nov 24, 2026,
    2:00 PM".

    Within the next 24 hours the time left is given; further out, the local date and time,
    always with the year (a date read without one is misread near the turn of the year); past
    due, how long ago."""
    _require_aware(due_at, "due_at")
    _require_aware(now, "now")
    if due_at < now:
        return f"overdue by {_span(now - due_at)}"
    left = due_at - now
    if left < dt.timedelta(minutes=1):
        return "due now"
    if left < dt.timedelta(hours=24):
        return f"due in {_span(left)}"
    zone = zoneinfo.ZoneInfo(tz)
    local = due_at.astimezone(zone)
    return f"due {dateformat.format(local, 'D M j, Y, g:i A')}"
