"""A first responder's contact with a person under one pathway."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from pathways.core.constraints import one_of
from pathways.core.fields import EncryptedCharField, EncryptedJSONField, EncryptedTextField
from pathways.core.models import AppendOnlyModel, ArchivableModel, BaseModel
from pathways.core.validators import validate_clean_text
from pathways.directory.vocabulary import Need
from pathways.eligibility.rules import Outcome


class CallSource(models.TextChoices):
    ON_VIEW = "on_view", "On view / self-initiated"
    DISPATCHED = "dispatched", "Dispatched call for service (911)"
    CRISIS_LINE = "crisis_line", "988 / crisis line transfer"
    WALK_IN = "walk_in", "Walk-in or call to a station"
    OVERDOSE_RESPONSE = "overdose_response", "Overdose response"
    OUTREACH = "outreach", "Outreach list"
    FAMILY = "family", "Family or community member"


class Disposition(models.TextChoices):
    REFERRED = "referred", "Referred to a service"
    DECLINED = "declined", "Offered, declined services"
    INFORMATION = "information", "Information only, no referral"
    TRANSPORTED = "transported", "Transported for medical care"
    ARRESTED = "arrested", "Arrested (not diverted)"


class Encounter(ArchivableModel):
    program = models.ForeignKey("programs.Program", on_delete=models.PROTECT, related_name="+")
    pathway = models.ForeignKey(
        "programs.Pathway", on_delete=models.PROTECT, related_name="encounters"
    )
    person = models.ForeignKey("people.Person", on_delete=models.PROTECT, related_name="encounters")
    agency = models.ForeignKey(
        "accounts.Agency", on_delete=models.PROTECT, related_name="encounters"
    )
    responder = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="encounters"
    )
    occurred_at = models.DateTimeField()
    location_text = EncryptedCharField(
        max_length=200,
        blank=True,
        validators=[validate_clean_text],
        help_text="Address, intersection or landmark",
    )
    area = models.CharField(max_length=40, blank=True, help_text="Beat, district or ZIP")
    latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    call_source = models.CharField(max_length=30, choices=CallSource.choices)
    presenting_needs = models.JSONField(default=list)
    disposition = models.CharField(max_length=20, choices=Disposition.choices)
    notes = EncryptedTextField(blank=True, validators=[validate_clean_text])
    config = models.ForeignKey(
        "programs.PathwayConfig",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="The pathway configuration version the contact was decided under",
    )
    eligibility_answers = EncryptedJSONField(
        default=dict, blank=True, help_text="Answers to the eligibility questions the rules use"
    )
    eligibility_outcome = models.CharField(
        max_length=30,
        blank=True,
        choices=[("", "Not screened"), *((o.value, o.label) for o in Outcome)],
        help_text="What the pathway's eligibility rules decided; empty when none apply",
    )
    eligibility_reasons = models.JSONField(default=list, blank=True)
    companion = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="The volunteer or peer ('angel') paired with the person",
    )
    contact_details = models.ForeignKey(
        "people.ContactDetails",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="encounters",
        help_text="How to reach the person, as they gave it at this contact",
    )
    idempotency_key = models.UUIDField(
        null=True, blank=True, help_text="Sent by the field form; a resubmission is recognised"
    )
    idempotency_digest = models.CharField(
        max_length=64, blank=True, help_text="Fingerprint of the submission the key came with"
    )

    class Meta:
        ordering = ["-occurred_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["responder", "idempotency_key"], name="encounter_idempotent_submit"
            ),
            one_of(
                "eligibility_outcome", ["", *Outcome], name="encounter_eligibility_outcome_known"
            ),
        ]
        indexes = [
            # the agency's encounter list, newest first
            models.Index(fields=["agency", "-occurred_at"], name="encounter_agency_idx"),
            # the coordinator's counts by pathway
            models.Index(fields=["program", "pathway"], name="encounter_pathway_idx"),
            # the person's history of episodes
            models.Index(fields=["person", "-occurred_at"], name="encounter_person_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.pathway.short_name} contact {self.occurred_at:%Y-%m-%d}"

    @property
    def eligibility_label(self) -> str:
        try:
            return Outcome(self.eligibility_outcome).label
        except ValueError:
            return ""

    @property
    def presenting_needs_labels(self) -> list[str]:
        labels = dict(Need.choices)
        return [labels.get(code, code) for code in self.presenting_needs]


class SurrenderedKind(models.TextChoices):
    DRUGS = "drugs", "Drugs"
    SYRINGES = "syringes", "Syringes or needles"
    PARAPHERNALIA = "paraphernalia", "Other paraphernalia (pipes, cookers, scales)"
    MEDICATION = "medication", "Prescription medication"
    OTHER = "other", "Something else"


class SurrenderedItem(BaseModel):
    """Drugs or equipment a person hands in when asking for help. Logged for safe disposal,
    never as evidence: there is no chain-of-custody here, and coming forward carries no charge."""

    encounter = models.ForeignKey(
        Encounter, on_delete=models.PROTECT, related_name="surrendered_items"
    )
    kind = models.CharField(max_length=20, choices=SurrenderedKind.choices)
    quantity = EncryptedCharField(
        max_length=60, blank=True, validators=[validate_clean_text], help_text="e.g. '3', '1 g'"
    )
    disposal_method = models.CharField(
        max_length=80, blank=True, validators=[validate_clean_text], help_text="e.g. drug drop box"
    )
    disposed_at = models.DateTimeField(null=True, blank=True)
    disposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return self.get_kind_display()


class CrisisOutcome(models.TextChoices):
    RESOLVED = "resolved", "De-escalated and resolved on scene"
    REFERRED = "referred", "Referred to services"
    CRISIS_CENTER = "crisis_center", "Taken to a crisis center"
    MEDICAL = "medical", "Taken for medical care"
    POLICE = "police", "Police assistance was needed"
    DECLINED = "declined", "The person declined help"


class CrisisTeamMember(models.TextChoices):
    CLINICIAN = "clinician", "Behavioral health clinician"
    PEER = "peer", "Peer or credible messenger"
    MEDIC = "medic", "EMT or paramedic"
    OFFICER = "officer", "Police officer (co-response)"


class CrisisResponse(BaseModel):
    """How a community response team answered a call: who went, when they arrived, and how the
    crisis ended."""

    encounter = models.OneToOneField(Encounter, on_delete=models.PROTECT, related_name="crisis")
    team_members = models.JSONField(default=list)
    arrived_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=20, choices=CrisisOutcome.choices)

    def __str__(self) -> str:
        return self.get_outcome_display()

    @property
    def member_labels(self) -> list[str]:
        labels = dict(CrisisTeamMember.choices)
        return [labels.get(m, m) for m in self.team_members]


class EligibilityReview(AppendOnlyModel, BaseModel):
    """A supervisor's decision where the rules asked for one (or a question that mattered went
    unanswered). Append-only: the rules' own result stays on the contact beside it."""

    append_only_message = "A supervisor's decision is never changed; it is kept for the record."

    class Decision(models.TextChoices):
        ELIGIBLE = "eligible", "Eligible"
        INELIGIBLE = "ineligible", "Not eligible"

    encounter = models.OneToOneField(
        Encounter, on_delete=models.PROTECT, related_name="eligibility_review"
    )
    decision = models.CharField(max_length=20, choices=Decision.choices)
    reason = EncryptedCharField(max_length=300, validators=[validate_clean_text])
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(reason=""), name="eligibility_review_has_reason"
            )
        ]

    def __str__(self) -> str:
        return self.get_decision_display()
