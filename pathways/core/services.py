"""The decorator every service (a named state change) wears.

`@service` runs the function in one database transaction, like `transaction.atomic`. When a
service calls another service, the inner one joins the outer transaction without a savepoint:
the whole composite succeeds or fails together, and the field submit saves six round trips.
A service must therefore never swallow another service's error and carry on; let it propagate.
Called from outside any service (a view, a test's transaction), a service keeps its savepoint.

Rows that nothing in the composite reads back (audit events) can be handed to `insert_at_end`:
the outermost service inserts them, one multi-row INSERT per model, just before its transaction
ends. They commit or roll back with everything else the composite wrote."""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from django.db import models, transaction

P = ParamSpec("P")
R = TypeVar("R")

_state = threading.local()


def _pending() -> list[models.Model]:
    pending: list[models.Model] | None = getattr(_state, "pending", None)
    if pending is None:
        pending = _state.pending = []
    return pending


def in_service() -> bool:
    """Is a `@service` running on this thread (the caller is part of a composite)?"""
    return getattr(_state, "depth", 0) > 0


def insert_at_end(obj: models.Model) -> None:
    """Insert `obj` when the outermost running service finishes, inside its transaction (at
    once when no service is running). Only for new rows that nothing reads back or points to
    before then; a plain `save()` would run the model's own save(), this does not."""
    if not in_service():
        obj.save(force_insert=True)
        return
    _pending().append(obj)


def _insert_pending() -> None:
    pending = _pending()
    while pending:
        by_model: dict[type[models.Model], list[models.Model]] = {}
        for obj in pending:
            by_model.setdefault(type(obj), []).append(obj)
        pending.clear()
        for model, objs in by_model.items():
            model._default_manager.bulk_create(objs)


def service(func: Callable[P, R]) -> Callable[P, R]:
    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        depth = getattr(_state, "depth", 0)
        if depth == 0:
            _pending().clear()  # nothing may carry over from a composite that failed
        _state.depth = depth + 1
        try:
            with transaction.atomic(savepoint=depth == 0):
                result = func(*args, **kwargs)
                if depth == 0:
                    _insert_pending()
                return result
        finally:
            _state.depth = depth
            if depth == 0:
                _pending().clear()

    return wrapper
