"""Deadlines in the program's zone, across America/Chicago's 2026 clock changes.

Spring forward: 2026-03-08 02:00 CST becomes 03:00 CDT (08:00 UTC); 02:00–02:59 does not exist.
Fall back: 2026-11-01 02:00 CDT becomes 01:00 CST (07:00 UTC); 01:00–01:59 happens twice."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pathways.core import clock
from pathways.core.deadlines import describe_due as describe
from pathways.core.deadlines import (
    due_after_days,
    due_after_hours,
    due_end_of_day,
    resolve_local,
)

TZ = "America/Chicago"
CHICAGO = zoneinfo.ZoneInfo(TZ)
UTC = dt.UTC


def local(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, *, fold: int = 0
) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=CHICAGO, fold=fold)


def wall(value: dt.datetime) -> tuple[int, ...]:
    """The local wall-clock reading of `value` in Chicago."""
    t = value.astimezone(CHICAGO)
    return (t.year, t.month, t.day, t.hour, t.minute, t.second)


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, second, tzinfo=UTC)


# --- elapsed hours ------------------------------------------------------------------------------


def test_72_hours_across_spring_forward_are_72_elapsed_hours() -> None:
    start = local(2026, 3, 7, 12, 0)  # CST, 18:00 UTC
    due = due_after_hours(start, 72)
    assert due == utc(2026, 3, 10, 18, 0)
    assert due.tzinfo is UTC
    assert due - start == dt.timedelta(hours=72)
    # the local clock shows 73 hours later: 12:00 CST → 13:00 CDT
    assert wall(due) == (2026, 3, 10, 13, 0, 0)


def test_72_hours_across_fall_back_show_71_on_the_local_clock() -> None:
    start = local(2026, 10, 31, 12, 0)  # CDT, 17:00 UTC
    due = due_after_hours(start, 72)
    assert due == utc(2026, 11, 3, 17, 0)
    assert wall(due) == (2026, 11, 3, 11, 0, 0)


def test_fractional_hours_and_utc_in_utc_out() -> None:
    assert due_after_hours(utc(2026, 1, 5, 10, 0), 12.5) == utc(2026, 1, 5, 22, 30)


def test_naive_start_is_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        due_after_hours(dt.datetime(2026, 1, 1, 9, 0), 1)  # noqa: DTZ001
    with pytest.raises(ValueError, match="aware"):
        due_after_days(dt.datetime(2026, 1, 1, 9, 0), 1, TZ)  # noqa: DTZ001


# --- calendar days ------------------------------------------------------------------------------


def test_3_days_across_spring_forward_keep_the_local_wall_time() -> None:
    start = local(2026, 3, 7, 12, 0)  # CST
    due = due_after_days(start, 3, TZ)
    assert wall(due) == (2026, 3, 10, 12, 0, 0)
    assert due == utc(2026, 3, 10, 17, 0)  # 12:00 CDT
    assert due - start == dt.timedelta(hours=71)


def test_3_days_across_fall_back_keep_the_local_wall_time() -> None:
    start = local(2026, 10, 31, 12, 0)  # CDT
    due = due_after_days(start, 3, TZ)
    assert due == utc(2026, 11, 3, 18, 0)  # 12:00 CST
    assert due - start == dt.timedelta(hours=73)


def test_a_wall_time_skipped_by_spring_forward_moves_to_0300_cdt() -> None:
    start = local(2026, 3, 7, 2, 30)  # the day before, 02:30 CST
    due = due_after_days(start, 1, TZ)  # 02:30 on Mar 8 does not exist
    assert due == utc(2026, 3, 8, 8, 0)
    shown = due.astimezone(CHICAGO)
    assert (shown.hour, shown.minute) == (3, 0)
    assert shown.tzname() == "CDT"


def test_an_ambiguous_wall_time_at_fall_back_takes_the_first_occurrence() -> None:
    start = local(2026, 10, 31, 1, 30)  # CDT
    due = due_after_days(start, 1, TZ)  # 01:30 on Nov 1 happens twice
    assert due == utc(2026, 11, 1, 6, 30)  # the first, still CDT
    assert due.astimezone(CHICAGO).tzname() == "CDT"
    assert due - start == dt.timedelta(hours=24)


def test_start_given_in_utc_counts_days_in_the_program_zone() -> None:
    # 03:00 UTC on Mar 5 is 21:00 CST on Mar 4: one day later is 21:00 CST on Mar 5.
    assert due_after_days(utc(2026, 3, 5, 3, 0), 1, TZ) == utc(2026, 3, 6, 3, 0)


def test_resolve_local_refuses_aware_input_and_passes_ordinary_times() -> None:
    with pytest.raises(ValueError, match="naive"):
        resolve_local(local(2026, 6, 1, 9, 0), CHICAGO)
    assert resolve_local(dt.datetime(2026, 6, 1, 9, 0), CHICAGO) == utc(2026, 6, 1, 14, 0)  # noqa: DTZ001


def test_end_of_day_is_235959_local_on_the_nth_day() -> None:
    start = local(2026, 3, 7, 20, 0)  # CST
    due = due_end_of_day(start, 1, TZ)
    assert due == utc(2026, 3, 9, 4, 59, 59)  # Mar 8 23:59:59 CDT
    assert wall(due) == (2026, 3, 8, 23, 59, 59)
    # the local date counts, not the UTC date: 03:00 UTC Mar 8 is still Mar 7 in Chicago
    assert due_end_of_day(utc(2026, 3, 8, 3, 0), 0, TZ) == utc(2026, 3, 8, 5, 59, 59)
    # 30 days across fall back
    due = due_end_of_day(local(2026, 10, 15, 9, 0), 30, TZ)
    assert wall(due) == (2026, 11, 14, 23, 59, 59)
    assert due == utc(2026, 11, 15, 5, 59, 59)


@settings(max_examples=200, deadline=None)
@given(
    wall=st.datetimes(min_value=dt.datetime(2026, 1, 1), max_value=dt.datetime(2026, 12, 31)),  # noqa: DTZ001
    days=st.integers(min_value=0, max_value=90),
    fold=st.integers(min_value=0, max_value=1),
)
def test_calendar_days_keep_wall_time_unless_it_does_not_exist(
    wall: dt.datetime, days: int, fold: int
) -> None:
    start = wall.replace(tzinfo=CHICAGO, fold=fold)
    due = due_after_days(start, days, TZ)
    assert due.tzinfo is UTC
    target = start.astimezone(CHICAGO).replace(tzinfo=None) + dt.timedelta(days=days)
    shown = due.astimezone(CHICAGO).replace(tzinfo=None)
    if shown != target:
        # only a skipped wall time moves, and only forward to the end of the gap
        assert target.date() == dt.date(2026, 3, 8) and target.hour == 2
        assert (shown.date(), shown.hour, shown.minute) == (dt.date(2026, 3, 8), 3, 0)
    # elapsed time is the calendar span give or take the one-hour clock change
    assert abs((due - start) - dt.timedelta(days=days)) <= dt.timedelta(hours=1)


# --- describing a deadline ----------------------------------------------------------------------


NOW = utc(2026, 11, 20, 18, 0)  # Fri Nov 20, 12:00 CST


@pytest.mark.parametrize(
    ("due", "text"),
    [
        (NOW - dt.timedelta(hours=3), "overdue by 3 h"),
        (NOW - dt.timedelta(hours=3, minutes=20), "overdue by 3 h 20 min"),
        (NOW - dt.timedelta(seconds=20), "overdue by 1 min"),
        (NOW - dt.timedelta(minutes=12), "overdue by 12 min"),
        (NOW - dt.timedelta(days=2, hours=5), "overdue by 2 days"),
        (NOW - dt.timedelta(hours=30), "overdue by 1 day"),
        (NOW, "due now"),
        (NOW + dt.timedelta(minutes=45), "due in 45 min"),
        (NOW + dt.timedelta(hours=2, minutes=30), "due in 2 h 30 min"),
        (NOW + dt.timedelta(hours=23, minutes=59), "due in 23 h 59 min"),
        (utc(2026, 11, 24, 20, 0), "due Tue Nov 24, 2026, 2:00 PM"),  # always the year
        (utc(2027, 1, 5, 15, 30), "due Tue Jan 5, 2027, 9:30 AM"),
    ],
)
def test_describe_due(due: dt.datetime, text: str) -> None:
    with clock.frozen(NOW):
        assert describe(due, clock.now(), TZ) == text


def test_describe_due_shows_the_local_wall_time_across_the_clock_change() -> None:
    now = local(2026, 10, 30, 9, 0)  # CDT
    assert describe(local(2026, 11, 2, 9, 0), now, TZ) == "due Mon Nov 2, 2026, 9:00 AM"
