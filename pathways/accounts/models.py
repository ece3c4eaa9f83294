"""Agencies, users and their memberships (a user holds a role in an agency)."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib.auth.models import AbstractUser
from django.db import models
from django_otp.models import Device, TimestampMixin

from pathways.core.models import ArchivableModel, BaseModel


class AgencyKind(models.TextChoices):
    LAW_ENFORCEMENT = "law_enforcement", "Law enforcement"
    FIRE = "fire", "Fire service"
    EMS = "ems", "Emergency medical services"
    TREATMENT = "treatment", "Treatment provider"
    RECOVERY_SUPPORT = "recovery_support", "Recovery support"
    HOUSING = "housing", "Housing provider"
    SOCIAL_SERVICES = "social_services", "Social services"
    COMMUNITY_RESPONSE = "community_response", "Community response team"
    PROSECUTOR = "prosecutor", "Prosecutor / city attorney"
    PROGRAM_OFFICE = "program_office", "Program office"
    RESEARCH_PARTNER = "research_partner", "Research partner"


#: Agency kinds whose staff meet people in the field (first responders).
FIRST_RESPONDER_KINDS = frozenset(
    {AgencyKind.LAW_ENFORCEMENT, AgencyKind.FIRE, AgencyKind.EMS, AgencyKind.COMMUNITY_RESPONSE}
)
#: Agency kinds that receive referrals (service providers in the directory).
PROVIDER_KINDS = frozenset(
    {
        AgencyKind.TREATMENT,
        AgencyKind.RECOVERY_SUPPORT,
        AgencyKind.HOUSING,
        AgencyKind.SOCIAL_SERVICES,
        AgencyKind.COMMUNITY_RESPONSE,
    }
)


class Agency(ArchivableModel):
    """An organisation taking part in the program. Providers' agencies are the directory's
    organisations (HSDS `organization`); see docs/decisions/0002-agency-is-organization.md."""

    program = models.ForeignKey(
        "programs.Program", on_delete=models.PROTECT, related_name="agencies"
    )
    name = models.CharField(max_length=200)
    short_name = models.CharField(max_length=40, blank=True)
    kind = models.CharField(max_length=30, choices=AgencyKind.choices)
    description = models.TextField(blank=True)
    website = models.URLField(blank=True)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=40, blank=True)

    class Meta:
        verbose_name_plural = "agencies"
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["program", "name"], name="agency_unique_name_in_program"
            )
        ]

    def __str__(self) -> str:
        return self.short_name or self.name


class User(AbstractUser):  # type: ignore[django-manager-missing]  # django-otp is untyped
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)

    class Meta:
        ordering = ["last_name", "first_name"]

    def __str__(self) -> str:
        return self.get_full_name() or self.username


class Role(models.TextChoices):
    OFFICER = "officer", "Officer / firefighter / paramedic"
    SUPERVISOR = "supervisor", "Supervisor"
    OUTREACH = "outreach", "Outreach / peer / clinician"
    PROVIDER_INTAKE = "provider_intake", "Provider intake"
    CASE_MANAGER = "case_manager", "Case manager"
    PROSECUTOR = "prosecutor", "Prosecutor"
    COORDINATOR = "coordinator", "Program coordinator"
    RESEARCHER = "researcher", "Researcher / evaluator"
    ADMIN = "admin", "Administrator"


ROLE_DESCRIPTIONS: dict[str, str] = {
    Role.OFFICER: "Records contacts under a pathway and makes referrals for their agency.",
    Role.SUPERVISOR: "Reviews the agency's field entries and their outcomes.",
    Role.OUTREACH: "Works outreach and overdose follow-up lists and logs visits.",
    Role.PROVIDER_INTAKE: "Accepts or declines referrals to the agency's services; records intake.",
    Role.CASE_MANAGER: "Runs cases: plans, contacts, deadlines.",
    Role.PROSECUTOR: "Reviews officer-intervention cases; drops or files held charges.",
    Role.COORDINATOR: "Configures the program and watches the whole pipeline.",
    Role.RESEARCHER: "Sees aggregates and de-identified extracts only.",
    Role.ADMIN: "Manages accounts and agencies.",
}


class Scope(models.TextChoices):
    """How far a permission reaches."""

    OWN = "own", "Records the user made"
    AGENCY = "agency", "Records of the user's agency"
    PROGRAM = "program", "Records of the whole program"


class Membership(BaseModel):
    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="memberships")
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="memberships")
    role = models.CharField(max_length=30, choices=Role.choices)
    is_active = models.BooleanField(default=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "agency", "role"], name="membership_unique_role_in_agency"
            )
        ]
        indexes = [
            # every request resolves the user's roles and agencies
            models.Index(fields=["user", "is_active"], name="membership_user_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()} at {self.agency}"


# --- Two-step sign-in (MFA) -----------------------------------------------------------------
# Authenticator-app devices are django-otp's TOTPDevice; security keys and passkeys are the
# django-otp device below, so `django_otp.login` and its middleware treat both alike.
# See docs/decisions/0011-mfa.md.


class WebAuthnCredential(TimestampMixin, Device):
    """A security key or passkey registered by its owner (WebAuthn). Only the public key is
    kept; the private key never leaves the authenticator."""

    credential_id: models.CharField[str, str] = models.CharField(
        max_length=1400, unique=True, help_text="The authenticator's credential id (base64url)."
    )
    public_key: models.BinaryField[bytes, bytes] = models.BinaryField(
        help_text="The credential's public key (COSE)."
    )
    sign_count: models.PositiveBigIntegerField[int, int] = models.PositiveBigIntegerField(default=0)
    transports = models.JSONField(default=list, blank=True)

    class Meta(Device.Meta):
        verbose_name = "security key"

    def verify_token(self, token: Any) -> bool:
        return False  # a key answers a challenge (accounts.services), it has no typed code


class MfaLockout(BaseModel):
    """Wrong second-step codes for one user since their last success, and the pause they earned.
    Counted per user, never per address: see docs/decisions/0011-mfa.md."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="mfa_lockout")
    failures = models.PositiveSmallIntegerField(default=0)
    lockouts = models.PositiveSmallIntegerField(
        default=0, help_text="Pauses in a row without a success in between (each lasts longer)."
    )
    locked_until = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.user}: {self.failures} wrong codes"
