"""The "case closed" event a consent may end (or become revocable) on, as cases record it;
registered with consent.events when the app is ready (apps.py)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping, Sequence

from django.db.models import Count, Max, Q

from pathways.cases.models import OPEN_STATUSES, Case
from pathways.consent.events import register_end_event
from pathways.consent.models import Consent, ExpiryEvent


def case_closed_at(consents: Sequence[Consent]) -> Mapping[uuid.UUID, dt.datetime]:
    """For each consent, when its person's last case closed, if it closed after the consent was
    recorded and no case of theirs is open. One query whatever their number."""
    if not consents:
        return {}
    closed: dict[uuid.UUID, dt.datetime] = {}
    for row in (
        Case.objects.filter(person_id__in={c.person_id for c in consents})
        .values("person_id")
        .annotate(open=Count("id", filter=Q(status__in=OPEN_STATUSES)), last=Max("closed_at"))
        .order_by()
    ):
        if not row["open"] and row["last"] is not None:
            closed[row["person_id"]] = row["last"]
    return {
        consent.pk: closed[consent.person_id]
        for consent in consents
        if consent.person_id in closed and closed[consent.person_id] >= consent.created_at
    }


def register() -> None:
    register_end_event(ExpiryEvent.CASE_CLOSED, case_closed_at)
