"""The one clock. Code asks `clock.now()`; tests freeze it with `clock.frozen(dt)`."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable, Iterator

_now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC)  # noqa: E731


def now() -> dt.datetime:
    """The current time, timezone-aware, in UTC."""
    return _now()


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
