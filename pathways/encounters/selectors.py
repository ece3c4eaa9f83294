"""Reads for encounters, always scoped to what the user may see."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

from django.db.models import QuerySet

from pathways.accounts.models import Role
from pathways.accounts.selectors import agency_ids_for, is_program_wide
from pathways.encounters.models import Encounter
from pathways.people.selectors import name_condition
from pathways.programs.selectors import program_for_user

FIELD_ROLES = (Role.OFFICER, Role.SUPERVISOR, Role.OUTREACH)


def encounters_visible_to(*, user: Any) -> QuerySet[Encounter]:
    """Program-wide staff see the program's encounters; field staff see their agency's."""
    qs = Encounter.objects.active().select_related("pathway", "person", "agency", "responder")
    if is_program_wide(user=user):
        program = program_for_user(user=user)
        return qs.filter(program=program) if program else qs.none()
    agency_ids = agency_ids_for(user, *FIELD_ROLES)
    return qs.filter(agency_id__in=agency_ids) if agency_ids else qs.none()


def encounter_for_user(*, user: Any, encounter_id: Any) -> Encounter | None:
    return encounters_visible_to(user=user).filter(pk=encounter_id).first()


def find_by_idempotency_key(*, user: Any, key: Any) -> Encounter | None:
    """The encounter this user already recorded with this submission key, if any: its key
    and body digest only (what a resubmission is checked against; nothing is decrypted)."""
    if key is None:
        return None
    return (
        Encounter.objects.filter(responder=user, idempotency_key=key)
        .only("id", "idempotency_key", "idempotency_digest")
        .first()
    )


def contacts_filtered(
    *,
    user: Any,
    q: str = "",
    pathway: str = "",
    since: dt.date | None = None,
    until: dt.date | None = None,
    disposition: str = "",
    mine: bool = False,
    time_zone: str = "UTC",
) -> QuerySet[Encounter]:
    """The contacts the user may see, newest first, narrowed by the list's filters (days are
    the program's local days)."""
    qs = encounters_visible_to(user=user)
    if q and (condition := name_condition(query=q, prefix="person__")) is not None:
        qs = qs.filter(condition)
    if pathway:
        qs = qs.filter(pathway__code=pathway)
    zone = zoneinfo.ZoneInfo(time_zone)
    if since:
        qs = qs.filter(occurred_at__gte=dt.datetime.combine(since, dt.time(), tzinfo=zone))
    if until:
        end = dt.datetime.combine(until + dt.timedelta(days=1), dt.time(), tzinfo=zone)
        qs = qs.filter(occurred_at__lt=end)
    if disposition:
        qs = qs.filter(disposition=disposition)
    if mine:
        qs = qs.filter(responder_id=user.pk)
    return qs.order_by("-occurred_at", "-id")
