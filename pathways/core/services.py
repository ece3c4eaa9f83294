"""The decorator every service (a named state change) wears.

`@service` runs the function in one database transaction, like `transaction.atomic`. When a
service calls another service, the inner one joins the outer transaction without a savepoint:
the whole composite succeeds or fails together, and the field submit saves six round trips.
A service must therefore never swallow another service's error and carry on; let it propagate.
Called from outside any service (a view, a test's transaction), a service keeps its savepoint."""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from django.db import transaction

P = ParamSpec("P")
R = TypeVar("R")

_state = threading.local()


def service(func: Callable[P, R]) -> Callable[P, R]:
    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        depth = getattr(_state, "depth", 0)
        _state.depth = depth + 1
        try:
            with transaction.atomic(savepoint=depth == 0):
                return func(*args, **kwargs)
        finally:
            _state.depth = depth

    return wrapper
