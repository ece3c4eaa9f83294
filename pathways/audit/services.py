"""audit_log(): the one way to write an audit event. Call it inside the service's transaction."""

from __future__ import annotations

import datetime as dt
import decimal
import uuid
from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.db import models, transaction

from pathways.audit.models import READ_EVENT_PREFIX, SEARCH_EVENT, AuditEvent
from pathways.core.actor import Actor, stored_user
from pathways.core.fields import is_encrypted
from pathways.core.services import insert_at_end

REDACTED = "[redacted]"
#: What the audit records for a value of a column encrypted at rest (pathways.core.fields): the
#: audit table is append-only and can never be re-encrypted, so it holds that the field changed,
#: never the value. A blank value is recorded as blank (the column stores blank as blank too).
ENCRYPTED = "[encrypted]"


def _plain(value: Any) -> Any:
    if isinstance(value, models.Model):
        return str(value.pk)
    if isinstance(value, uuid.UUID | decimal.Decimal):
        return str(value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, list | tuple | set | frozenset):
        return [_plain(v) for v in value]
    return value


def snapshot(obj: models.Model, fields: Iterable[str]) -> dict[str, Any]:
    """Current values of `fields` on `obj`, for the old side of a change. Foreign keys are read
    as their id (no query for the related row)."""
    values = {}
    for name in fields:
        field = obj._meta.get_field(name)
        attname = getattr(field, "attname", name) if field.many_to_one else name
        values[name] = _plain(getattr(obj, attname))
    return values


def diff(
    old: Mapping[str, Any], new: Mapping[str, Any], *, redact: Iterable[str] = ()
) -> dict[str, list[Any]]:
    """{field: [old, new]} for the fields whose value changed; redacted fields hide values."""
    hidden = set(redact)
    changes: dict[str, list[Any]] = {}
    for name in sorted(set(old) | set(new)):
        before, after = _plain(old.get(name)), _plain(new.get(name))
        if before != after:
            changes[name] = [REDACTED, REDACTED] if name in hidden else [before, after]
    return changes


def _hide_encrypted_value(value: Any) -> Any:
    if value is None or value in ("", b"", REDACTED, ENCRYPTED):
        return value
    return ENCRYPTED


def seal(obj: models.Model, changes: Mapping[str, list[Any]]) -> dict[str, list[Any]]:
    """`changes` with the values of `obj`'s encrypted fields replaced by ENCRYPTED."""

    sealed: dict[str, list[Any]] = {}
    for name, values in changes.items():
        try:
            field = obj._meta.get_field(name)
        except FieldDoesNotExist:
            field = None
        if is_encrypted(field) and isinstance(values, list | tuple):
            sealed[name] = [_hide_encrypted_value(v) for v in values]
        else:
            sealed[name] = values
    return sealed


def audit_log(
    *,
    actor: Actor,
    event_type: str,
    obj: models.Model,
    changes: Mapping[str, list[Any]] | None = None,
    actor_agency: Any = None,
) -> AuditEvent:
    """Write one audit event. Must run inside the caller's atomic block. Values of the
    object's encrypted fields are recorded as ENCRYPTED (see `seal`).

    Inside a service the event is inserted when the outermost service finishes, in the same
    transaction, together with the composite's other events (`core.services.insert_at_end`):
    the field submit writes its four events in one statement."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit_log() must be called inside the service's transaction")
    event = AuditEvent(
        actor=stored_user(actor),
        actor_agency=actor_agency,
        event_type=event_type,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        changes=seal(obj, changes or {}),
    )
    insert_at_end(event)
    return event


def created(
    obj: models.Model, fields: Iterable[str], *, redact: Iterable[str] = ()
) -> dict[str, Any]:
    """Changes for a newly created object: every field from None to its value."""
    return diff({}, snapshot(obj, fields), redact=redact)


def audit_read(*, actor: Actor, obj: models.Model, fields: Iterable[str]) -> AuditEvent:
    """Record that `actor` was shown the protected `fields` of `obj` (a page of a contact,
    referral, case or consent). Its own small transaction: a read has no other write."""
    with transaction.atomic():
        return AuditEvent.objects.create(
            actor=stored_user(actor),
            event_type=f"{READ_EVENT_PREFIX}{obj._meta.model_name}",
            object_type=obj._meta.label_lower,
            object_id=str(obj.pk),
            changes={"fields": [None, sorted(fields)]},
        )


def record_search(
    *, actor: Actor, object_type: str, purpose: str, results: int, refused: bool = False
) -> AuditEvent:
    """Record that `actor` searched for records (people, by name): what for and how many
    came back, never what was typed. Its own small transaction, like audit_read."""
    with transaction.atomic():
        return AuditEvent.objects.create(
            actor=stored_user(actor),
            event_type=SEARCH_EVENT,
            object_type=object_type,
            object_id="",
            outcome="refused" if refused else "success",
            changes={"purpose": [None, purpose], "results": [None, results]},
        )


def audit_system(
    *, event_type: str, object_type: str, object_id: str, changes: Mapping[str, list[Any]]
) -> AuditEvent:
    """An event of a system job that is about no single record (e.g. a key rotation). Must run
    inside the job's transaction; `changes` must hold no protected value."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit_system() must be called inside the job's transaction")
    return AuditEvent.objects.create(
        actor=None,
        event_type=event_type,
        object_type=object_type,
        object_id=object_id,
        changes=dict(changes),
    )


def save_and_audit(
    obj: models.Model,
    *,
    actor: Actor,
    old: Mapping[str, Any] | None,
    fields: Iterable[str],
    event: str,
    stamp: Mapping[str, Any] | None = None,
) -> bool:
    """Save `obj` and audit it: `<event>.create` with every field when `old` is None (a new
    object), else `<event>.update` with the fields that changed since the `old` snapshot;
    `stamp` sets attributes just before saving (who changed it). When none changed, nothing is
    saved, stamped or audited. Returns whether it saved. Must run inside the caller's service
    transaction."""
    fields = list(fields)
    if old is None:
        changes = created(obj, fields)
    else:
        changes = diff(old, snapshot(obj, fields))
        if not changes:
            return False
    for name, value in (stamp or {}).items():
        setattr(obj, name, value)
    obj.save()
    audit_log(
        actor=actor,
        event_type=f"{event}.{'create' if old is None else 'update'}",
        obj=obj,
        changes=changes,
    )
    return True
