"""Who a user is in the program: roles, agencies, and the scope helpers views use."""

from __future__ import annotations

from typing import Any

from pathways.accounts.models import Agency, Membership, Role


def _memberships(user: Any) -> list[Membership]:
    cached = getattr(user, "_pathways_memberships", None)
    if cached is None:
        cached = list(
            Membership.objects.filter(user=user, is_active=True, agency__archived_at__isnull=True)
            .select_related("agency", "agency__program")
            .order_by("created_at")
        )
        user._pathways_memberships = cached
    return cached


def roles_for(user: Any) -> frozenset[str]:
    if not getattr(user, "is_authenticated", False):
        return frozenset()
    return frozenset(m.role for m in _memberships(user))


def has_role(user: Any, *roles: str) -> bool:
    return bool(roles_for(user) & set(roles))


def agencies_for(user: Any, *roles: str) -> list[Agency]:
    """Agencies where the user holds any of `roles` (all roles when none given)."""
    if not getattr(user, "is_authenticated", False):
        return []
    seen: dict[Any, Agency] = {}
    for m in _memberships(user):
        if not roles or m.role in roles:
            seen.setdefault(m.agency_id, m.agency)
    return list(seen.values())


def agency_ids_for(user: Any, *roles: str) -> set[Any]:
    return {a.pk for a in agencies_for(user, *roles)}


def primary_agency(user: Any) -> Agency | None:
    memberships = _memberships(user) if getattr(user, "is_authenticated", False) else []
    return memberships[0].agency if memberships else None


def is_program_wide(user: Any) -> bool:
    """Coordinators and administrators see the whole program."""
    return has_role(user, Role.COORDINATOR, Role.ADMIN)
