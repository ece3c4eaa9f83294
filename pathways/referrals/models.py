"""A referral to a partner service, with its append-only status history."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from pathways.core import clock
from pathways.core.fields import EncryptedCharField
from pathways.core.models import AppendOnlyModel, ArchivableModel
from pathways.core.validators import validate_clean_text


class ReferralStatus(models.TextChoices):
    SENT = "sent", "Sent"
    RECEIVED = "received", "Received"
    ACCEPTED = "accepted", "Accepted"
    DECLINED = "declined", "Declined"
    INTAKE_SCHEDULED = "intake_scheduled", "Intake scheduled"
    ENGAGED = "engaged", "Engaged"
    COMPLETED = "completed", "Completed"
    DISENGAGED = "disengaged", "Disengaged"


STATUS_DESCRIPTIONS: dict[str, str] = {
    ReferralStatus.SENT: "The responder sent the referral; the provider has not opened it yet.",
    ReferralStatus.RECEIVED: "The provider's intake staff opened the referral.",
    ReferralStatus.ACCEPTED: "The provider will take the person.",
    ReferralStatus.DECLINED: "The provider cannot take the person (a reason is recorded).",
    ReferralStatus.INTAKE_SCHEDULED: "An intake appointment is booked.",
    ReferralStatus.ENGAGED: "The person attended intake and is in the service.",
    ReferralStatus.COMPLETED: "The person completed the service.",
    ReferralStatus.DISENGAGED: "The person stopped attending before completing.",
}

#: The referral's workflow: which status may follow which.
TRANSITIONS: dict[str, frozenset[str]] = {
    ReferralStatus.SENT: frozenset(
        {ReferralStatus.RECEIVED, ReferralStatus.ACCEPTED, ReferralStatus.DECLINED}
    ),
    ReferralStatus.RECEIVED: frozenset({ReferralStatus.ACCEPTED, ReferralStatus.DECLINED}),
    ReferralStatus.ACCEPTED: frozenset(
        {ReferralStatus.INTAKE_SCHEDULED, ReferralStatus.ENGAGED, ReferralStatus.DISENGAGED}
    ),
    ReferralStatus.INTAKE_SCHEDULED: frozenset(
        {ReferralStatus.INTAKE_SCHEDULED, ReferralStatus.ENGAGED, ReferralStatus.DISENGAGED}
    ),
    ReferralStatus.ENGAGED: frozenset({ReferralStatus.COMPLETED, ReferralStatus.DISENGAGED}),
    ReferralStatus.DECLINED: frozenset(),
    ReferralStatus.COMPLETED: frozenset(),
    ReferralStatus.DISENGAGED: frozenset(),
}

OPEN_STATUSES = frozenset(s for s, nxt in TRANSITIONS.items() if nxt)


class DeclineReason(models.TextChoices):
    NO_CAPACITY = "no_capacity", "No capacity"
    NOT_ELIGIBLE = "not_eligible", "Does not meet the service's criteria"
    NEEDS_HIGHER_CARE = "higher_care", "Needs a higher level of care"
    INSURANCE = "insurance", "Insurance or payment"
    UNREACHABLE = "unreachable", "Could not reach the person"
    PERSON_DECLINED = "person_declined", "The person declined"
    OTHER = "other", "Other (explain)"


class Referral(ArchivableModel):
    encounter = models.ForeignKey(
        "encounters.Encounter", on_delete=models.PROTECT, related_name="referrals"
    )
    person = models.ForeignKey("people.Person", on_delete=models.PROTECT, related_name="referrals")
    service = models.ForeignKey(
        "directory.Service", on_delete=models.PROTECT, related_name="referrals"
    )
    referring_agency = models.ForeignKey(
        "accounts.Agency", on_delete=models.PROTECT, related_name="referrals_sent"
    )
    receiving_agency = models.ForeignKey(
        "accounts.Agency", on_delete=models.PROTECT, related_name="referrals_received"
    )
    warm_handoff = models.BooleanField(
        default=False,
        help_text="The responder connected the person to the provider in person "
        "or by a live call, rather than handing over a phone number",
    )
    handoff_note = EncryptedCharField(max_length=500, blank=True, validators=[validate_clean_text])
    capacity_override_reason = EncryptedCharField(
        max_length=300,
        blank=True,
        validators=[validate_clean_text],
        help_text="Why the referral went to a service showing no open capacity",
    )
    status = models.CharField(
        max_length=20,
        choices=ReferralStatus.choices,
        default=ReferralStatus.SENT,
        help_text="Cached from the latest status change",
    )
    status_changed_at = models.DateTimeField(default=clock.now)
    intake_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            # the provider's intake queue: open referrals to the agency, oldest first
            models.Index(
                fields=["receiving_agency", "status", "created_at"], name="referral_queue_idx"
            ),
            # the referring agency's list of referrals and their statuses
            models.Index(fields=["referring_agency", "-created_at"], name="referral_sent_idx"),
        ]

    def __str__(self) -> str:
        return f"Referral to {self.service} ({self.get_status_display()})"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def next_statuses(self) -> frozenset[str]:
        return TRANSITIONS[self.status]


class ReferralStatusChange(AppendOnlyModel):
    """One row per status change; never updated or deleted."""

    append_only_message = "Referral status history is append-only."

    id = models.BigAutoField(primary_key=True)
    referral = models.ForeignKey(Referral, on_delete=models.PROTECT, related_name="history")
    from_status = models.CharField(max_length=20, choices=ReferralStatus.choices, blank=True)
    to_status = models.CharField(max_length=20, choices=ReferralStatus.choices)
    changed_at = models.DateTimeField(default=clock.now)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    decline_reason = models.CharField(max_length=20, choices=DeclineReason.choices, blank=True)
    note = EncryptedCharField(max_length=500, blank=True, validators=[validate_clean_text])
    scheduled_for = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["changed_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(to_status="declined") | ~Q(decline_reason=""),
                name="status_change_decline_has_reason",
            )
        ]

    def __str__(self) -> str:
        return f"{self.from_status or '-'} → {self.to_status} at {self.changed_at:%Y-%m-%d %H:%M}"
