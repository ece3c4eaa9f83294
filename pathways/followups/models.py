"""Work items: something a team must do by a deadline (a follow-up visit, a placement, a review).

An item is open until it is completed or cancelled; both are recorded with who and when, and
every change is audited by the services. Titles never carry a person's name: the worklist and
the reminder e-mails are read by a whole team."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse

from pathways.core.models import BaseModel
from pathways.core.validators import validate_clean_text


class WorkKind(models.TextChoices):
    OVERDOSE_FOLLOWUP = "overdose_followup", "Overdose follow-up visit"
    PLACEMENT = "placement", "Treatment placement"
    INTAKE_DUE = "intake_due", "Intake assessment due"
    PROSECUTOR_REVIEW = "prosecutor_review", "Prosecutor review"
    REQUIREMENT_DUE = "requirement_due", "Service-plan requirement due"
    COMPLETION_DUE = "completion_due", "Program completion due"
    OUTREACH_VISIT = "outreach_visit", "Outreach visit"
    REFERRAL_RESPONSE = "referral_response", "Referral response"
    CRISIS_FOLLOWUP = "crisis_followup", "Follow-up after a crisis call"


KIND_DESCRIPTIONS: dict[str, str] = {
    WorkKind.OVERDOSE_FOLLOWUP: "Visit the person after a non-fatal overdose, within the "
    "program's recovery window.",
    WorkKind.PLACEMENT: "Place a person who asked for help in treatment within the target time.",
    WorkKind.INTAKE_DUE: "Complete the intake assessment by the program's deadline.",
    WorkKind.PROSECUTOR_REVIEW: "The prosecutor decides on a held charge (divert or file).",
    WorkKind.REQUIREMENT_DUE: "A requirement of the service plan falls due.",
    WorkKind.COMPLETION_DUE: "The person is due to complete the program.",
    WorkKind.OUTREACH_VISIT: "Attempt a visit to a person on the outreach list.",
    WorkKind.REFERRAL_RESPONSE: "The provider accepts or declines a referral.",
    WorkKind.CRISIS_FOLLOWUP: "Contact the person again after a community response call.",
}

TITLE_MAX_LENGTH = 200
NOTE_MAX_LENGTH = 300


class WorkItemQuerySet(models.QuerySet["WorkItem"]):
    def open(self) -> WorkItemQuerySet:
        return self.filter(completed_at__isnull=True, cancelled_at__isnull=True)


class WorkItem(BaseModel):
    program = models.ForeignKey(
        "programs.Program", on_delete=models.PROTECT, related_name="work_items"
    )
    team = models.ForeignKey(
        "accounts.Agency",
        on_delete=models.PROTECT,
        related_name="work_items",
        help_text="The agency that must act",
    )
    kind = models.CharField(max_length=30, choices=WorkKind.choices)
    title = models.CharField(
        max_length=TITLE_MAX_LENGTH,
        validators=[validate_clean_text],
        help_text="A short description without the person's name, "
        "e.g. “Follow-up after overdose on Nov 3”",
    )
    person = models.ForeignKey(
        "people.Person",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="work_items",
    )
    encounter = models.ForeignKey(
        "encounters.Encounter",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="work_items",
    )
    referral = models.ForeignKey(
        "referrals.Referral",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="work_items",
    )
    due_at = models.DateTimeField(help_text="UTC")
    completed_at = models.DateTimeField(null=True, blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    outcome_note = models.CharField(
        max_length=NOTE_MAX_LENGTH, blank=True, validators=[validate_clean_text]
    )
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.CharField(
        max_length=NOTE_MAX_LENGTH, blank=True, validators=[validate_clean_text]
    )
    reminder_sent_at = models.DateTimeField(
        null=True, blank=True, help_text="When the due-soon e-mail was claimed and sent"
    )
    overdue_sent_at = models.DateTimeField(
        null=True, blank=True, help_text="When the overdue e-mail was claimed and sent"
    )

    objects = WorkItemQuerySet.as_manager()

    class Meta:
        ordering = ["due_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(completed_at__isnull=True) | Q(cancelled_at__isnull=True),
                name="workitem_not_completed_and_cancelled",
            ),
            models.CheckConstraint(
                condition=Q(cancelled_at__isnull=True) | ~Q(cancel_reason=""),
                name="workitem_cancel_has_reason",
            ),
            models.CheckConstraint(condition=~Q(title=""), name="workitem_title_not_blank"),
        ]
        indexes = [
            # the team's worklist: open items of the user's agencies, soonest due first
            models.Index(fields=["team", "completed_at", "due_at"], name="workitem_team_open_idx"),
            # send_reminders: items due within the window or past due
            models.Index(fields=["due_at"], name="workitem_due_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} due {self.due_at:%Y-%m-%d %H:%M} UTC"

    @property
    def is_open(self) -> bool:
        return self.completed_at is None and self.cancelled_at is None

    def is_overdue(self, now: dt.datetime) -> bool:
        return self.is_open and self.due_at < now

    @property
    def subject_url(self) -> str | None:
        """The page of the contact or referral this item is about, if any."""
        # The referral first: both its sending and receiving agencies may open it.
        if self.referral_id is not None:
            return reverse("referrals:detail", kwargs={"referral_id": self.referral_id})
        if self.encounter_id is not None:
            return reverse("encounters:detail", kwargs={"encounter_id": self.encounter_id})
        return None

    @property
    def subject_label(self) -> str | None:
        if self.referral_id is not None:
            return "Open the referral"
        if self.encounter_id is not None:
            return "Open the contact"
        return None


class VisitOutcome(models.TextChoices):
    NOT_FOUND = "not_found", "Not found: nobody there, or the person was not reached"
    DECLINED = "declined", "Met the person; they declined help"
    ENGAGED = "engaged", "Met the person; they engaged (talked, took resources)"
    REFERRED = "referred", "Met the person; referred to treatment or services"


#: Outcomes where the team met the person (the visit is also recorded as a contact).
MET_OUTCOMES = (VisitOutcome.DECLINED, VisitOutcome.ENGAGED, VisitOutcome.REFERRED)


class TeamMember(models.TextChoices):
    OFFICER = "officer", "Police officer"
    FIREFIGHTER = "firefighter", "Firefighter / EMT / paramedic"
    CLINICIAN = "clinician", "Clinician or social worker"
    PEER = "peer", "Peer recovery coach"
    OTHER = "other", "Other staff"


class Visit(BaseModel):
    """A follow-up or outreach visit attempt by a team. When the team meets the person, the
    visit also records a contact (an encounter) under the same pathway, so it is counted and can
    carry a referral like any other contact."""

    program = models.ForeignKey("programs.Program", on_delete=models.PROTECT, related_name="+")
    work_item = models.ForeignKey(
        WorkItem, on_delete=models.PROTECT, null=True, blank=True, related_name="visits"
    )
    person = models.ForeignKey("people.Person", on_delete=models.PROTECT, related_name="visits")
    team = models.ForeignKey("accounts.Agency", on_delete=models.PROTECT, related_name="+")
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    visited_at = models.DateTimeField()
    members = models.JSONField(default=list, help_text="Who went: TeamMember values")
    outcome = models.CharField(max_length=20, choices=VisitOutcome.choices)
    contact = models.OneToOneField(
        "encounters.Encounter",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="visit",
        help_text="The contact recorded when the team met the person",
    )
    family_resources = models.BooleanField(
        default=False, help_text="Resources left with family or household"
    )
    note = models.CharField(
        max_length=NOTE_MAX_LENGTH, blank=True, validators=[validate_clean_text]
    )

    class Meta:
        ordering = ["-visited_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(outcome="not_found") | Q(contact__isnull=False),
                name="visit_met_has_contact",
            ),
        ]
        indexes = [
            # the attempts shown under a work item and on the person's history
            models.Index(fields=["work_item", "-visited_at"], name="visit_item_idx"),
            models.Index(fields=["person", "-visited_at"], name="visit_person_idx"),
        ]

    def __str__(self) -> str:
        return f"Visit {self.visited_at:%Y-%m-%d} ({self.get_outcome_display()})"

    @property
    def member_labels(self) -> list[str]:
        labels = dict(TeamMember.choices)
        return [labels.get(m, m) for m in self.members]
