"""Reads for the program office's audit search."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import QuerySet

from pathways.accounts.models import Membership
from pathways.accounts.selectors import is_program_wide, program_for_user
from pathways.audit.models import AuditEvent


def audit_search(
    *,
    user: Any,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    actor: str = "",
    event_type: str = "",
    object_id: str = "",
) -> QuerySet[AuditEvent]:
    """Audit events of the user's program (those by its staff), newest first, filtered.
    Program-wide staff only; everyone else gets none."""
    program = program_for_user(user=user)
    if program is None or not is_program_wide(user=user):
        return AuditEvent.objects.none()
    staff = Membership.objects.filter(agency__program=program).values("user_id")
    events = AuditEvent.objects.filter(actor_id__in=staff).select_related("actor")
    if since is not None:
        events = events.filter(occurred_at__gte=since)
    if until is not None:
        events = events.filter(occurred_at__lt=until)
    if actor:
        events = events.filter(actor__username__iexact=actor)
    if event_type:
        events = events.filter(event_type__startswith=event_type)
    if object_id:
        events = events.filter(object_id=object_id)
    return events.order_by("-occurred_at")
