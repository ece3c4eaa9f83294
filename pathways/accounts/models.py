"""Agencies, users and their memberships (a user holds a role in an agency)."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib.auth.models import AbstractUser
from django.db import models
from django_otp.models import Device, ThrottlingMixin, TimestampMixin
from django_otp.plugins.otp_totp.models import TOTPDevice, default_key, key_validator

from pathways.core.fields import EncryptedCharField
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
# Authenticator apps and security keys are the two django-otp devices below, so
# `django_otp.login` and its middleware treat both alike. See docs/decisions/0011-mfa.md and
# 0015-first-mfa-enrolment-and-secrets.md.


class AuthenticatorApp(TimestampMixin, ThrottlingMixin, Device):
    """An authenticator app (TOTP): django-otp's TOTPDevice with its shared secret encrypted at
    rest (`key`, pathways.core.fields). django-otp's own table is not used: its `key` column is
    plain text in a migration Pathways does not own. The code that checks a token and draws the
    otpauth:// address is django-otp's own, borrowed below, so it follows the library."""

    key = EncryptedCharField(
        max_length=80,
        validators=[key_validator],
        default=default_key,
        help_text="The shared secret, hex-encoded (encrypted at rest).",
    )
    step: models.PositiveSmallIntegerField[int, int] = models.PositiveSmallIntegerField(
        default=30, help_text="The time step in seconds."
    )
    t0: models.BigIntegerField[int, int] = models.BigIntegerField(
        default=0, help_text="The Unix time at which to begin counting steps."
    )
    digits: models.PositiveSmallIntegerField[int, int] = models.PositiveSmallIntegerField(
        choices=[(6, 6), (8, 8)], default=6
    )
    tolerance: models.PositiveSmallIntegerField[int, int] = models.PositiveSmallIntegerField(
        default=1, help_text="The number of time steps in the past or future to allow."
    )
    drift: models.SmallIntegerField[int, int] = models.SmallIntegerField(
        default=0, help_text="The time steps the app is known to deviate from our clock."
    )
    last_t: models.BigIntegerField[int, int] = models.BigIntegerField(
        default=-1,
        help_text="The time step of the last accepted code; the next must be at a later step.",
    )

    class Meta(Device.Meta):
        verbose_name = "authenticator app"

    # django-otp's TOTPDevice reads only these fields, so its methods serve this model as is:
    # a code is accepted once (after `last_t`), within `tolerance` steps.
    bin_key = TOTPDevice.bin_key
    verify_token = TOTPDevice.verify_token
    get_throttle_factor = TOTPDevice.get_throttle_factor
    config_url = TOTPDevice.config_url
    _read_str_from_settings = TOTPDevice._read_str_from_settings


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


class EnrolmentCode(BaseModel):
    """A one-time code that lets a user add their first second-step device: issued for them by
    an administrator or program coordinator (or on the server), shown once, kept only as a keyed
    hash, single use, expiring. See docs/decisions/0015-first-mfa-enrolment-and-secrets.md."""

    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="enrolment_codes")
    issued_by = models.ForeignKey(
        User,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="Who issued it; empty when issued on the server (manage.py).",
    )
    code_hash = models.CharField(
        max_length=64, help_text="HMAC-SHA256 of the code (keyed by SECRET_KEY); never the code."
    )
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(
        null=True, blank=True, help_text="Replaced by a newer code, or cancelled."
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user"],
                condition=models.Q(used_at__isnull=True, revoked_at__isnull=True),
                name="enrolment_code_one_open_per_user",
            ),
            models.CheckConstraint(
                condition=models.Q(used_at__isnull=True) | models.Q(revoked_at__isnull=True),
                name="enrolment_code_used_or_revoked_not_both",
            ),
        ]
        indexes = [
            # the code check looks up the user's code by its hash
            models.Index(fields=["user", "code_hash"], name="enrolment_code_lookup_idx"),
        ]

    def __str__(self) -> str:
        return f"Enrolment code for {self.user} (expires {self.expires_at:%Y-%m-%d %H:%M} UTC)"

    def state(self, now: Any) -> str:
        """'open', 'used', 'revoked' or 'expired'."""
        if self.used_at is not None:
            return "used"
        if self.revoked_at is not None:
            return "revoked"
        return "expired" if self.expires_at <= now else "open"
