"""The one clock. Code asks `clock.now()`; tests freeze it with `clock.frozen(dt)`."""

from __future__ import annotations

import contextlib
import datetime as dt
import zoneinfo
from collections.abc import Callable, Iterator

_now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC)  # noqa: E731


def now() -> dt.datetime:
    """The current time, timezone-aware, in UTC."""
    return _now()


def local_date(time_zone: str) -> dt.date:
    """Today in a time zone (a program's), e.g. for 'not in the future' checks on dates."""
    return now().astimezone(zoneinfo.ZoneInfo(time_zone)).date()


@contextlib.contextmanager
def frozen(at: dt.datetime) -> Iterator[None]:
    """Freeze `now()` at `at` (must be aware) for the duration of the block."""
    if at.tzinfo is None:
        raise ValueError("frozen() needs an aware datetime")
    global _now
    previous = _now
    _now = lambda: at  # noqa: E731
    try:
        yield
    finally:
        _now = previous
