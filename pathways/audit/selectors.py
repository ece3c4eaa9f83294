from __future__ import annotations

from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.db.models import Model, QuerySet

from pathways.audit.models import SEARCH_EVENT, AuditEvent


def events_for(*, obj: Model) -> QuerySet[AuditEvent]:
    return AuditEvent.objects.filter(
        object_type=obj._meta.label_lower, object_id=str(obj.pk)
    ).order_by("occurred_at")


def searches_since(*, actor: AbstractBaseUser, since: Any) -> int:
    """How many searches `actor` made since `since` (for the search rate limit)."""
    return AuditEvent.objects.filter(
        actor_id=actor.pk, event_type=SEARCH_EVENT, occurred_at__gte=since
    ).count()
