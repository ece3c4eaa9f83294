"""Reads for referrals, always scoped to what the user may see."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q, QuerySet

from pathways.accounts.models import Role
from pathways.accounts.selectors import agency_ids_for, is_program_wide
from pathways.programs.selectors import program_for_user
from pathways.referrals.models import OPEN_STATUSES, Referral, ReferralStatusChange

PROVIDER_ROLES = (Role.PROVIDER_INTAKE, Role.CASE_MANAGER)
FIELD_ROLES = (Role.OFFICER, Role.SUPERVISOR, Role.OUTREACH)


def referrals_visible_to(*, user: Any) -> QuerySet[Referral]:
    """The receiving provider's staff, the referring agency's field staff, and program-wide
    staff see a referral; nobody else does."""
    qs = Referral.objects.active().select_related(
        "service__organization",  # the detail page's tap-to-call falls back to its number
        "person",
        "referring_agency",
        "receiving_agency",
        "encounter__pathway",
    )
    if is_program_wide(user=user):
        program = program_for_user(user=user)
        return qs.filter(encounter__program=program) if program else qs.none()
    provider_ids = agency_ids_for(user, *PROVIDER_ROLES)
    field_ids = agency_ids_for(user, *FIELD_ROLES)
    if not provider_ids and not field_ids:
        return qs.none()
    return qs.filter(Q(receiving_agency_id__in=provider_ids) | Q(referring_agency_id__in=field_ids))


def referral_for_user(*, user: Any, referral_id: Any) -> Referral | None:
    return referrals_visible_to(user=user).filter(pk=referral_id).first()


def can_act_on(*, user: Any, referral: Referral) -> bool:
    """Only the receiving provider's intake staff move a referral along."""
    return referral.receiving_agency_id in agency_ids_for(user, Role.PROVIDER_INTAKE)


def intake_queue(*, user: Any) -> QuerySet[Referral]:
    """Open referrals to the user's provider agencies, oldest first."""
    ids = agency_ids_for(user, *PROVIDER_ROLES)
    return (
        Referral.objects.active()
        .filter(receiving_agency_id__in=ids, status__in=OPEN_STATUSES)
        .select_related("service", "person", "referring_agency", "encounter__pathway")
        .order_by("created_at")
    )


def history_of(*, referral: Referral) -> QuerySet[ReferralStatusChange]:
    return referral.history.select_related("changed_by").order_by("changed_at", "id")


def status_counts(*, referrals: QuerySet[Referral]) -> dict[str, int]:
    return {
        row["status"]: row["n"]
        for row in referrals.values("status").annotate(n=Count("id")).order_by()
    }


def reach_for_provider(*, user: Any, referral: Referral) -> Any:
    """How to reach the person, for the receiving provider's staff, when the person agreed at
    the contact that the service may contact them (None otherwise)."""
    details = (
        getattr(referral.encounter, "contact_details", None) if referral.encounter_id else None
    )
    if details is None or not details.share_with_provider:
        return None
    if referral.receiving_agency_id not in agency_ids_for(user, *PROVIDER_ROLES):
        return None
    return details
