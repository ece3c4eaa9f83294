"""One way to move a record's status (house rule 3: status is vocabulary plus history).

`transition()` locks the row, refuses a stale page (`expected_status`) and a move the status
map does not allow, writes the history row, sets the cached status and saves it. The caller
keeps what is its own: the checks before the move, its audit event and its messages.

The record names its history through the reverse relation `history` (a ForeignKey of an
append-only row with `from_status`, `to_status`, `changed_at` and `changed_by`), the same one
the conflict screen reads (core.conflicts.stale_edit)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar, cast

from django.core.exceptions import ValidationError
from django.db import models

from pathways.core import clock
from pathways.core.actor import Actor, stored_user
from pathways.core.conflicts import stale_edit
from pathways.core.models import clean_fields_only

M = TypeVar("M", bound=models.Model)


@dataclass(frozen=True)
class Moved(Generic[M]):
    """What a transition did: the (locked, saved) record, the move, its time and history row."""

    obj: M
    from_status: str
    to_status: str
    at: dt.datetime
    change: models.Model


def _article(noun: str) -> str:
    return "An" if noun[:1].lower() in "aeiou" else "A"


def transition(
    obj: M,
    *,
    actor: Actor,
    to_status: str,
    allowed: Mapping[str, Collection[str]],
    statuses: type[models.TextChoices],
    noun: str,
    expected_status: str | None = None,
    lock: bool = True,
    history: Mapping[str, Any] | None = None,
    also_set: Mapping[str, Any] | None = None,
    at: dt.datetime | None = None,
    save: bool = True,
    status_field: str = "status",
    changed_at_field: str = "status_changed_at",
    history_relation: str = "history",
) -> Moved[M]:
    """Move `obj` to `to_status`. Call it inside the service's transaction.

    - lock: lock the row (SELECT ... FOR UPDATE) and work on the fresh copy; False when the
      caller locked it already and passes that copy.
    - expected_status: the status the user's page showed; another one now is a stale edit
      (core.conflicts.StaleEdit), and nothing is written.
    - allowed: status -> the statuses it may become; any other move is refused with a
      ValidationError naming the current status and the one asked for.
    - history: further fields of the history row (a note, a reason); also_set: further fields
      of the record set with the status (and saved with it).
    - save: False when the caller saves the record itself with other changes of its own."""
    if to_status not in statuses.values:
        raise ValidationError(
            f"“{to_status}” is not a status of a {noun}. Nothing was changed.",
            code="unknown_status",
        )
    model = type(obj)
    locked = model._default_manager.select_for_update().get(pk=obj.pk) if lock else obj
    current = str(getattr(locked, status_field))
    label = dict(statuses.choices)
    if expected_status is not None and current != expected_status:
        raise stale_edit(noun, locked, str(label.get(current, current)))
    if to_status not in allowed.get(current, ()):
        raise ValidationError(
            f"{_article(noun)} {noun} that is “{label.get(current, current)}” cannot become "
            f"“{label[to_status]}”.",
            code="invalid_transition",
            params={"current": current, "to_status": to_status},
        )
    now = at or clock.now()
    relation = model._meta.get_field(history_relation)
    history_model = cast(type[models.Model], relation.related_model)
    parent = cast(models.ForeignObjectRel, relation).field.name
    change = history_model(
        **{parent: locked},
        from_status=current,
        to_status=to_status,
        changed_at=now,
        changed_by=stored_user(actor),
        **(history or {}),
    )
    clean_fields_only(change)
    change.save()
    setattr(locked, status_field, to_status)
    setattr(locked, changed_at_field, now)
    for name, value in (also_set or {}).items():
        setattr(locked, name, value)
    if save:
        locked.save(update_fields=[status_field, changed_at_field, *(also_set or {})])
    return Moved(obj=locked, from_status=current, to_status=to_status, at=now, change=change)
