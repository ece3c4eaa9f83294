"""A person's written consent to disclose their substance-use treatment information (42 CFR Part 2,
§2.31; the criminal-justice variant of §2.35), its revocation, and every disclosure made under it
(the accounting of disclosures)."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from pathways.accounts.models import Role
from pathways.core.fields import EncryptedBinaryField, EncryptedCharField, EncryptedTextField
from pathways.core.models import AppendOnlyModel, BaseModel


class InfoCategory(models.TextChoices):
    """What a consent lets a provider disclose, from least to most sensitive."""

    REFERRAL_STATUS = "referral_status", "Referral status (accepted, declined, intake, engaged)"
    ATTENDANCE = "attendance", "Attendance at appointments and sessions"
    ASSESSMENT = "assessment", "Assessment results"
    PROGRESS = "progress", "Treatment progress"
    DIAGNOSIS = "diagnosis", "Diagnosis"


def category_labels(categories: list[str]) -> list[str]:
    """Short labels ("Referral status") of InfoCategory values."""
    labels = dict(InfoCategory.choices)
    return [str(labels.get(c, c)).split(" (")[0] for c in categories]


class ConsentKind(models.TextChoices):
    GENERAL = "general", "General consent (42 CFR 2.31)"
    CRIMINAL_JUSTICE = "criminal_justice", "Criminal-justice referral (42 CFR 2.35)"


class ExpiryEvent(models.TextChoices):
    NONE = "", "No event (the date applies)"
    CASE_CLOSED = "case_closed", "When the person's diversion case is closed"
    TREATMENT_ENDED = "treatment_ended", "When the referral is completed or the person disengages"


class SignatureMethod(models.TextChoices):
    ON_SCREEN = "on_screen", "Signed on screen"
    PAPER = "paper", "Signed on paper (attested, scanned copy attached)"


class Consent(BaseModel):
    """One written consent. Its elements never change once recorded; revocation is recorded on
    it once (who, when, why), and a new consent is a new row."""

    program = models.ForeignKey("programs.Program", on_delete=models.PROTECT, related_name="+")
    person = models.ForeignKey("people.Person", on_delete=models.PROTECT, related_name="consents")
    kind = models.CharField(max_length=20, choices=ConsentKind.choices)
    disclosing_agency = models.ForeignKey(
        "accounts.Agency",
        on_delete=models.PROTECT,
        related_name="consents_to_disclose",
        help_text="The provider or program permitted to disclose",
    )
    categories = models.JSONField(help_text="InfoCategory values the consent covers")
    recipient_agency = models.ForeignKey(
        "accounts.Agency", on_delete=models.PROTECT, related_name="consents_received"
    )
    recipient_roles = models.JSONField(
        help_text="Roles at the recipient agency who may receive it (accounts.Role values)"
    )
    intermediary = models.CharField(
        max_length=200, help_text="Pathways, named as the intermediary the information passes"
    )
    purpose = models.CharField(max_length=300)
    revocation_statement = models.CharField(
        max_length=500, help_text="The right to revoke and how to revoke, as the person read it"
    )
    revocable_after = models.DateField(
        null=True, blank=True, help_text="Criminal-justice consent: not revocable before this"
    )
    revocable_after_event = models.CharField(
        max_length=20, choices=ExpiryEvent.choices, blank=True, default=""
    )
    expires_on = models.DateField(null=True, blank=True)
    expiry_event = models.CharField(
        max_length=20, choices=ExpiryEvent.choices, blank=True, default=""
    )
    signature_method = models.CharField(max_length=20, choices=SignatureMethod.choices)
    signed_by = models.CharField(
        max_length=200, help_text="The person, or their authorised representative"
    )
    signed_on = models.DateField()
    signature_image = EncryptedTextField(
        blank=True, help_text="On-screen signature: the drawn signature as a PNG data URL"
    )
    attested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The staff member who witnessed or attests the signature",
    )
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    revocation_note = EncryptedCharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-signed_on", "-created_at"]
        indexes = [models.Index(fields=["person", "recipient_agency"], name="consent_lookup_idx")]

    def __str__(self) -> str:
        return f"Consent {self.get_kind_display()} signed {self.signed_on}"

    def category_labels(self) -> list[str]:
        return category_labels(self.categories)

    def recipient_role_labels(self) -> list[str]:
        labels = dict(Role.choices)
        return [str(labels.get(r, r)) for r in self.recipient_roles]


class ConsentDocument(BaseModel):
    """The scanned paper consent (PDF, PNG or JPEG), kept with the record."""

    consent = models.OneToOneField(Consent, on_delete=models.PROTECT, related_name="document")
    content_type = models.CharField(max_length=40)
    content = EncryptedBinaryField()
    sha256 = models.CharField(max_length=64)
    size = models.PositiveIntegerField()


class Disclosure(AppendOnlyModel, BaseModel):
    """One disclosure of protected information under a consent, for the accounting of
    disclosures (42 CFR 2.24): when, to whom, what and why. Append-only."""

    append_only_message = "A disclosure is recorded once and never changed."

    consent = models.ForeignKey(Consent, on_delete=models.PROTECT, related_name="disclosures")
    person = models.ForeignKey("people.Person", on_delete=models.PROTECT, related_name="+")
    recipient_agency = models.ForeignKey(
        "accounts.Agency", on_delete=models.PROTECT, related_name="+"
    )
    recipient_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    categories = models.JSONField()
    purpose = models.CharField(max_length=300)
    disclosed_at = models.DateTimeField()

    class Meta:
        ordering = ["-disclosed_at"]
        indexes = [models.Index(fields=["person", "disclosed_at"], name="disclosure_person_idx")]

    def category_labels(self) -> list[str]:
        return category_labels(self.categories)
