"""Reads for encounters, always scoped to what the user may see."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from pathways.accounts.models import Role
from pathways.accounts.selectors import agency_ids_for, is_program_wide
from pathways.encounters.models import Encounter
from pathways.programs.selectors import program_for_user

FIELD_ROLES = (Role.OFFICER, Role.SUPERVISOR, Role.OUTREACH)


def encounters_visible_to(user: Any) -> QuerySet[Encounter]:
    """Program-wide staff see the program's encounters; field staff see their agency's."""
    qs = Encounter.objects.active().select_related("pathway", "person", "agency", "responder")
    if is_program_wide(user):
        program = program_for_user(user)
        return qs.filter(program=program) if program else qs.none()
    agency_ids = agency_ids_for(user, *FIELD_ROLES)
    return qs.filter(agency_id__in=agency_ids) if agency_ids else qs.none()


def encounter_for_user(user: Any, encounter_id: Any) -> Encounter | None:
    return encounters_visible_to(user).filter(pk=encounter_id).first()


def find_by_idempotency_key(user: Any, key: Any) -> Encounter | None:
    """The encounter this user already recorded with this submission key, if any: its key
    and body digest only (what a resubmission is checked against; nothing is decrypted)."""
    if key is None:
        return None
    return (
        Encounter.objects.filter(responder=user, idempotency_key=key)
        .only("id", "idempotency_key", "idempotency_digest")
        .first()
    )
