"""audit_log(): the one way to write an audit event. Call it inside the service's transaction."""

from __future__ import annotations

import datetime as dt
import decimal
import uuid
from collections.abc import Iterable, Mapping
from typing import Any

from django.db import models, transaction

from pathways.audit.models import READ_EVENT_PREFIX, AuditEvent

REDACTED = "[redacted]"


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


def audit_log(
    *,
    actor: Any,
    event_type: str,
    obj: models.Model,
    changes: Mapping[str, list[Any]] | None = None,
    actor_agency: Any = None,
) -> AuditEvent:
    """Write one audit event. Must run inside the caller's atomic block."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit_log() must be called inside the service's transaction")
    return AuditEvent.objects.create(
        actor=actor if actor is not None and getattr(actor, "pk", None) else None,
        actor_agency=actor_agency,
        event_type=event_type,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        changes=dict(changes or {}),
    )


def created(obj: models.Model, fields: Iterable[str], *, redact: Iterable[str] = ()) -> dict:
    """Changes for a newly created object: every field from None to its value."""
    return diff({}, snapshot(obj, fields), redact=redact)


def audit_read(*, actor: Any, obj: models.Model, fields: Iterable[str]) -> AuditEvent:
    """Record that `actor` was shown the protected `fields` of `obj` (a page of a contact,
    referral, case or consent). Its own small transaction: a read has no other write."""
    with transaction.atomic():
        return AuditEvent.objects.create(
            actor=actor if getattr(actor, "pk", None) else None,
            event_type=f"{READ_EVENT_PREFIX}{obj._meta.model_name}",
            object_type=obj._meta.label_lower,
            object_id=str(obj.pk),
            changes={"fields": [None, sorted(fields)]},
        )
