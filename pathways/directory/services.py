"""Writes for the partner directory."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError

from pathways.audit.services import audit_log, diff, snapshot
from pathways.core import clock
from pathways.core.services import service
from pathways.directory.models import CapacityUpdate, Service

if TYPE_CHECKING:
    from pathways.accounts.models import User

CAPACITY_FIELDS = ["capacity_total", "capacity_open"]


@service
def service_capacity_set(
    *,
    actor: User,
    service: Service,
    capacity_open: int,
    capacity_total: int | None = None,
    reason: str = "",
) -> Service:
    """A provider reports how many slots are open now."""
    service = Service.objects.select_for_update().get(pk=service.pk)
    total = service.capacity_total if capacity_total is None else capacity_total
    if capacity_open < 0 or total < 0:
        raise ValidationError("Capacity cannot be negative.")
    if capacity_open > total:
        raise ValidationError(
            f"Open slots ({capacity_open}) cannot exceed the total offered ({total})."
        )
    old = snapshot(service, CAPACITY_FIELDS)
    service.capacity_open = capacity_open
    service.capacity_total = total
    service.capacity_updated_at = clock.now()
    service.capacity_updated_by = actor if getattr(actor, "pk", None) else None
    service.save()
    CapacityUpdate.objects.create(
        service=service,
        capacity_total=total,
        capacity_open=capacity_open,
        updated_by=service.capacity_updated_by,
        reason=reason[:200],
    )
    audit_log(
        actor=actor,
        event_type="service.capacity_set",
        obj=service,
        changes=diff(old, snapshot(service, CAPACITY_FIELDS)),
    )
    return service


@service
def service_capacity_take(*, actor: User, service: Service, reason: str) -> Service:
    """One slot is taken (a referral was accepted). Never goes below zero."""
    locked = Service.objects.select_for_update().get(pk=service.pk)
    if locked.capacity_open == 0:
        return locked
    return service_capacity_set(
        actor=actor, service=locked, capacity_open=locked.capacity_open - 1, reason=reason
    )
