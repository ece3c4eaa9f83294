"""Who a user is in the program: roles, agencies, and the scope helpers views use."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db.models import Exists, OuterRef, Prefetch, QuerySet
from django_otp import user_has_device

from pathways.accounts.models import (
    Agency,
    AuthenticatorApp,
    EnrolmentCode,
    Membership,
    MfaLockout,
    Role,
    User,
    WebAuthnCredential,
)
from pathways.core import clock

if TYPE_CHECKING:
    from pathways.programs.models import Program


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


def program_for_user(*, user: Any) -> Program | None:
    """The program the user works in (every membership is in one program's agency)."""
    memberships = _memberships(user)
    return memberships[0].agency.program if memberships else None


def roles_for(*, user: Any) -> frozenset[str]:
    if not getattr(user, "is_authenticated", False):
        return frozenset()
    return frozenset(m.role for m in _memberships(user))


def has_role(user: Any, *roles: str) -> bool:
    return bool(roles_for(user=user) & set(roles))


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


def holds_role_in_program(*, user: Any, program: Any, roles: tuple[str, ...]) -> bool:
    """Whether the user holds one of `roles` at an agency of `program` (never of another)."""
    return any(a.program_id == program.pk for a in agencies_for(user, *roles))


def primary_agency(*, user: Any) -> Agency | None:
    memberships = _memberships(user) if getattr(user, "is_authenticated", False) else []
    return memberships[0].agency if memberships else None


def is_program_wide(*, user: Any) -> bool:
    """Coordinators and administrators see the whole program."""
    return has_role(user, Role.COORDINATOR, Role.ADMIN)


# --- Two-step sign-in (MFA) -----------------------------------------------------------------


def mfa_devices(*, user: Any) -> list[Any]:
    """The user's confirmed second-step devices (authenticator apps and security keys), oldest
    first."""
    if not getattr(user, "is_authenticated", False):
        return []
    devices: list[Any] = [
        *AuthenticatorApp.objects.filter(user=user, confirmed=True),
        *WebAuthnCredential.objects.filter(user=user, confirmed=True),
    ]
    return sorted(devices, key=lambda d: (d.created_at is None, d.created_at, d.pk))


def totp_devices(*, user: Any) -> list[Any]:
    return [d for d in mfa_devices(user=user) if device_kind(device=d) == "totp"]


def webauthn_credentials(*, user: Any) -> list[Any]:
    return [d for d in mfa_devices(user=user) if device_kind(device=d) == "webauthn"]


def has_mfa_device(*, user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and user_has_device(user)


def device_kind(*, device: Any) -> str:
    """'totp' (an authenticator app) or 'webauthn' (a security key or passkey)."""
    return "webauthn" if isinstance(device, WebAuthnCredential) else "totp"


def mfa_device(*, user: Any, kind: str, device_id: int) -> Any:
    """One of the user's own devices, or None (another user's device is never found)."""
    for device in mfa_devices(user=user):
        if device_kind(device=device) == kind and device.pk == device_id:
            return device
    return None


def mfa_is_needed(*, user: Any) -> bool:
    """Whether this signed-in user must pass the second step: always when PATHWAYS_MFA_REQUIRED
    (the default), and otherwise once they have chosen to add a device."""
    if not getattr(user, "is_authenticated", False):
        return False
    return bool(getattr(settings, "PATHWAYS_MFA_REQUIRED", True)) or has_mfa_device(user=user)


def mfa_locked_until(*, user: Any) -> Any:
    """When the user's paused second step opens again (None when it is not paused)."""
    return (
        MfaLockout.objects.filter(user=user, locked_until__gt=clock.now())
        .values_list("locked_until", flat=True)
        .first()
    )


# --- Enrolment codes (docs/decisions/0015-first-mfa-enrolment-and-secrets.md) -----------------

#: Who issues enrolment codes: for staff of the program they administer or coordinate.
ENROLMENT_ISSUER_ROLES = (Role.ADMIN, Role.COORDINATOR)


def enrolment_program_ids(*, actor: User) -> set[Any]:
    """The programs whose staff `actor` may issue enrolment codes for."""
    return {a.program_id for a in agencies_for(actor, *ENROLMENT_ISSUER_ROLES)}


def _program_staff(program_ids: set[Any]) -> QuerySet[User]:
    active = Membership.objects.filter(
        user=OuterRef("pk"),
        is_active=True,
        agency__archived_at__isnull=True,
        agency__program_id__in=program_ids,
    )
    return User.objects.filter(Exists(active))


def may_issue_enrolment_code(*, actor: User, user: Any) -> bool:
    programs = enrolment_program_ids(actor=actor)
    return bool(programs) and _program_staff(programs).filter(pk=user.pk).exists()


def enrolment_candidate(*, actor: User, user_id: Any) -> User | None:
    """A user of the actor's program(s) (None for anyone else: the page answers 404)."""
    programs = enrolment_program_ids(actor=actor)
    if not programs:
        return None
    return _program_staff(programs).filter(pk=user_id).first()


def staff_without_device(*, actor: User) -> list[User]:
    """The active users of the actor's program(s) who have no second-step device yet, with
    their memberships there (`program_memberships`) and their open enrolment codes
    (`open_codes`), by name. Serves the enrolment-code page."""
    programs = enrolment_program_ids(actor=actor)
    if not programs:
        return []
    apps = AuthenticatorApp.objects.filter(user=OuterRef("pk"), confirmed=True)
    keys = WebAuthnCredential.objects.filter(user=OuterRef("pk"), confirmed=True)
    return list(
        _program_staff(programs)
        .filter(is_active=True)
        .exclude(Exists(apps))
        .exclude(Exists(keys))
        .prefetch_related(
            Prefetch(
                "memberships",
                queryset=Membership.objects.filter(
                    is_active=True, agency__program_id__in=programs
                ).select_related("agency"),
                to_attr="program_memberships",
            ),
            Prefetch(
                "enrolment_codes",
                queryset=EnrolmentCode.objects.filter(
                    used_at__isnull=True, revoked_at__isnull=True, expires_at__gt=clock.now()
                ),
                to_attr="open_codes",
            ),
        )
        .order_by("last_name", "first_name", "username")
    )
