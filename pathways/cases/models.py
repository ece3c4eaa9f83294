"""The Officer Intervention pathway's diversion case: the held charge, the prosecutor's review,
the service plan and its requirements, the case log, and the append-only status history.

A case starts when an officer diverts a person at a point where a charge would otherwise be
filed: the charge is held in abeyance (LEAD style: the prosecutor holds it) or a non-criminal
civil citation is issued (Leon County adult civil citation style). It ends in one of four ways:

* completed: every requirement was done or waived, and the held charge is resolved in the
  person's favour: an abeyance charge is ``not_filed``; a civil citation is ``dismissed`` (closed
  with no criminal record). Neither ever reached a criminal court.
* not completed: a person stopped taking part and staff referred the charge for prosecution, a
  deliberate, audited step that nothing in Pathways ever takes on a timer;
* declined: the prosecutor did not accept the diversion; the charge stays ``held`` and the
  prosecutor decides on filing outside Pathways;
* withdrawn: taken out of the program (e.g. opened in error); the charge stays ``held``.

A relapse is recorded as an event of the case, never as a failure: it changes nothing by itself."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q

from pathways.core import clock
from pathways.core.fields import EncryptedCharField
from pathways.core.models import AppendOnlyModel, ArchivableModel, BaseModel
from pathways.core.validators import validate_clean_text
from pathways.eligibility.facts import FACTS
from pathways.programs.models import ChargeMode


class CaseStatus(models.TextChoices):
    PENDING_REVIEW = "pending_review", "Waiting for review"
    ACTIVE = "active", "Active"
    COMPLETED = "completed", "Completed"
    NOT_COMPLETED = "not_completed", "Not completed"
    DECLINED = "declined", "Declined by the prosecutor"
    WITHDRAWN = "withdrawn", "Withdrawn"


STATUS_DESCRIPTIONS: dict[str, str] = {
    CaseStatus.PENDING_REVIEW: "Waiting for the prosecutor's review.",
    CaseStatus.ACTIVE: "In the program.",
    CaseStatus.COMPLETED: "Completed: charge not filed / dismissed.",
    CaseStatus.NOT_COMPLETED: "Did not complete; charge referred for prosecution.",
    CaseStatus.DECLINED: "Prosecutor declined the diversion.",
    CaseStatus.WITHDRAWN: "Withdrawn.",
}

#: The case's workflow: which status may follow which.
TRANSITIONS: dict[str, frozenset[str]] = {
    CaseStatus.PENDING_REVIEW: frozenset(
        {CaseStatus.ACTIVE, CaseStatus.DECLINED, CaseStatus.WITHDRAWN}
    ),
    CaseStatus.ACTIVE: frozenset(
        {CaseStatus.COMPLETED, CaseStatus.NOT_COMPLETED, CaseStatus.WITHDRAWN}
    ),
    CaseStatus.COMPLETED: frozenset(),
    CaseStatus.NOT_COMPLETED: frozenset(),
    CaseStatus.DECLINED: frozenset(),
    CaseStatus.WITHDRAWN: frozenset(),
}

#: Statuses of an open case (a person has at most one open case per program).
OPEN_STATUSES: tuple[str, ...] = ("active", "pending_review")
#: Closing a case this way needs a reason in its history row.
REASON_REQUIRED: tuple[str, ...] = ("declined", "not_completed", "withdrawn")


class HeldChargeMode(models.TextChoices):
    """How the charge is diverted; the values are the pathway configuration's ChargeMode."""

    ABEYANCE = ChargeMode.ABEYANCE.value, "Held in abeyance"
    CIVIL_CITATION = ChargeMode.CIVIL_CITATION.value, "Civil citation (non-criminal)"


class ChargeOutcome(models.TextChoices):
    HELD = "held", "Held"
    NOT_FILED = "not_filed", "Not filed"
    DISMISSED = "dismissed", "Citation dismissed"
    REFERRED_FOR_PROSECUTION = "referred_for_prosecution", "Referred for prosecution"


CHARGE_OUTCOME_DESCRIPTIONS: dict[str, str] = {
    ChargeOutcome.HELD: "Not filed while the person takes part in the program.",
    ChargeOutcome.NOT_FILED: "The person completed the program; the charge is never filed.",
    ChargeOutcome.DISMISSED: "The person completed the program; the civil citation is closed "
    "with no criminal record.",
    ChargeOutcome.REFERRED_FOR_PROSECUTION: "The person did not complete the program; the "
    "charge went to the prosecutor, who decides whether to file it.",
}

#: The offence vocabulary of the eligibility questions, without "No offense".
OFFENCE_TYPE_CHOICES = [c for c in FACTS["offence_type"].choices if c[0] != "none"]
OFFENCE_LEVEL_CHOICES = [c for c in FACTS["offence_level"].choices if c[0] != "none"]


class ReviewDecision(models.TextChoices):
    ACCEPTED = "accepted", "Accepted"
    DECLINED = "declined", "Declined"


class ReviewDeclineReason(models.TextChoices):
    NOT_ELIGIBLE = "not_eligible", "Does not meet the program's criteria"
    CRIMINAL_HISTORY = "criminal_history", "Criminal history"
    SERIOUSNESS = "seriousness", "Seriousness of the offense"
    VICTIM_OBJECTS = "victim_objects", "The victim objects"
    OTHER_CHARGES = "other_charges", "Other charges are pending"
    OTHER = "other", "Other (explain)"


class RequirementKind(models.TextChoices):
    ASSESSMENT = "assessment", "Intake assessment"
    TREATMENT = "treatment", "Treatment"
    COMMUNITY_SERVICE = "community_service", "Community service"
    RESTITUTION = "restitution", "Restitution"
    COURSE = "course", "Course or class"
    FEE = "fee", "Program fee"
    OTHER = "other", "Other"


class CaseEventKind(models.TextChoices):
    RELAPSE = "relapse", "Relapse (a setback, not a failure)"
    CONTACT = "contact", "Contact with the person"
    MISSED_APPOINTMENT = "missed_appointment", "Missed appointment"
    NEW_CONTACT_WITH_POLICE = "new_contact_with_police", "New contact with police"
    NOTE = "note", "Note"


NOTE_MAX_LENGTH = 500


class _NeverDeleted(models.Model):
    class Meta:
        abstract = True

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise PermissionError(f"{type(self).__name__} records are kept; they are never deleted.")


class Case(ArchivableModel):
    program = models.ForeignKey("programs.Program", on_delete=models.PROTECT, related_name="+")
    person = models.ForeignKey("people.Person", on_delete=models.PROTECT, related_name="cases")
    encounter = models.ForeignKey(
        "encounters.Encounter",
        on_delete=models.PROTECT,
        related_name="cases",
        help_text="The contact at which the officer diverted the person (one case per contact)",
    )
    config = models.ForeignKey(
        "programs.PathwayConfig",
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The pathway configuration version the diversion was decided under",
    )
    diverting_agency = models.ForeignKey(
        "accounts.Agency", on_delete=models.PROTECT, related_name="cases_diverted"
    )
    case_agency = models.ForeignKey(
        "accounts.Agency",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="cases_managed",
        help_text="The provider or case-management agency that works the case",
    )
    status = models.CharField(
        max_length=20,
        choices=CaseStatus.choices,
        help_text="Cached from the latest status change",
    )
    status_changed_at = models.DateTimeField(default=clock.now)
    opened_at = models.DateTimeField(default=clock.now)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-opened_at"]
        constraints = [
            models.UniqueConstraint(fields=["encounter"], name="case_one_per_encounter"),
            models.UniqueConstraint(
                fields=["program", "person"],
                condition=Q(status__in=OPEN_STATUSES),
                name="case_one_open_per_person",
            ),
            models.CheckConstraint(
                condition=Q(status__in=CaseStatus.values), name="case_status_valid"
            ),
            models.CheckConstraint(
                condition=(Q(status__in=OPEN_STATUSES) & Q(closed_at__isnull=True))
                | (~Q(status__in=OPEN_STATUSES) & Q(closed_at__isnull=False)),
                name="case_closed_at_matches_status",
            ),
        ]
        indexes = [
            # the case agency's case list (/cases/ for case managers and intake staff)
            models.Index(
                fields=["case_agency", "status", "opened_at"], name="case_agency_list_idx"
            ),
            # the diverting agency's cases (/cases/ and the contact page for officers)
            models.Index(fields=["diverting_agency", "-opened_at"], name="case_diverting_idx"),
            # the prosecutor's review queue (pending, oldest first) and the coordinator's list
            models.Index(fields=["program", "status", "opened_at"], name="case_program_status_idx"),
            # a person's earlier diversions (re-diversion after a case closes)
            models.Index(fields=["person", "-opened_at"], name="case_person_idx"),
        ]

    def __str__(self) -> str:
        return f"Diversion case opened {self.opened_at:%Y-%m-%d} ({self.get_status_display()})"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def next_statuses(self) -> frozenset[str]:
        return TRANSITIONS[self.status]

    @property
    def status_description(self) -> str:
        return STATUS_DESCRIPTIONS[self.status]


class CaseStatusChange(AppendOnlyModel):
    """One row per status change; never updated or deleted."""

    id = models.BigAutoField(primary_key=True)
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="history")
    from_status = models.CharField(max_length=20, choices=CaseStatus.choices, blank=True)
    to_status = models.CharField(max_length=20, choices=CaseStatus.choices)
    changed_at = models.DateTimeField(default=clock.now)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    reason = EncryptedCharField(
        max_length=NOTE_MAX_LENGTH, blank=True, validators=[validate_clean_text]
    )

    class Meta:
        ordering = ["changed_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(to_status__in=REASON_REQUIRED) | ~Q(reason=""),
                name="case_status_change_closing_has_reason",
            )
        ]

    def __str__(self) -> str:
        return f"{self.from_status or '-'} → {self.to_status} at {self.changed_at:%Y-%m-%d %H:%M}"


class HeldCharge(_NeverDeleted, BaseModel):
    """A charge the officer did not file: held in abeyance, or a non-criminal civil citation."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="charges")
    position = models.PositiveSmallIntegerField(default=1)
    mode = models.CharField(max_length=20, choices=HeldChargeMode.choices)
    offence_type = models.CharField(max_length=30, choices=OFFENCE_TYPE_CHOICES)
    offence_level = models.CharField(max_length=30, choices=OFFENCE_LEVEL_CHOICES)
    description = EncryptedCharField(max_length=200, blank=True, validators=[validate_clean_text])
    statute = EncryptedCharField(
        max_length=60,
        blank=True,
        validators=[validate_clean_text],
        help_text="e.g. Fla. Stat. 810.09",
    )
    citation_number = models.CharField(
        max_length=40,
        blank=True,
        validators=[validate_clean_text],
        help_text="The civil citation's number (a civil citation has one; an abeyance has none)",
    )
    fine_amount = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    fee_amount = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    outcome = models.CharField(
        max_length=30, choices=ChargeOutcome.choices, default=ChargeOutcome.HELD
    )
    outcome_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["case", "position"]
        constraints = [
            models.UniqueConstraint(fields=["case", "position"], name="heldcharge_position_unique"),
            models.CheckConstraint(
                condition=(Q(mode="civil_citation") & ~Q(citation_number=""))
                | (Q(mode="abeyance") & Q(citation_number="")),
                name="heldcharge_citation_matches_mode",
            ),
            models.CheckConstraint(
                condition=Q(fine_amount__isnull=True) | Q(fine_amount__gte=0),
                name="heldcharge_fine_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(fee_amount__isnull=True) | Q(fee_amount__gte=0),
                name="heldcharge_fee_not_negative",
            ),
            models.CheckConstraint(
                condition=(Q(outcome="held") & Q(outcome_at__isnull=True))
                | (~Q(outcome="held") & Q(outcome_at__isnull=False)),
                name="heldcharge_outcome_at_matches",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_offence_type_display()} ({self.get_mode_display()})"

    @property
    def outcome_description(self) -> str:
        return CHARGE_OUTCOME_DESCRIPTIONS[self.outcome]


class ProsecutorReview(AppendOnlyModel, BaseModel):
    """The prosecutor's decision on a diversion that needs one (config.prosecutor_review)."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="reviews")
    decision = models.CharField(max_length=10, choices=ReviewDecision.choices)
    decline_reason = models.CharField(
        max_length=20, choices=ReviewDeclineReason.choices, blank=True
    )
    detail = EncryptedCharField(
        max_length=NOTE_MAX_LENGTH, blank=True, validators=[validate_clean_text]
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["decided_at"]
        constraints = [
            models.UniqueConstraint(fields=["case"], name="prosecutor_review_one_per_case"),
            models.CheckConstraint(
                condition=(Q(decision="accepted") & Q(decline_reason=""))
                | (Q(decision="declined") & ~Q(decline_reason="")),
                name="prosecutor_review_decline_has_reason",
            ),
            models.CheckConstraint(
                condition=~Q(decline_reason="other") | ~Q(detail=""),
                name="prosecutor_review_other_has_detail",
            ),
        ]

    def __str__(self) -> str:
        return f"Review: {self.get_decision_display()}"


class PlanRequirement(_NeverDeleted, BaseModel):
    """One requirement of the service plan: done (verified by staff), waived (with a reason),
    or outstanding. Hours and amounts count up through RequirementProgress rows."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="requirements")
    position = models.PositiveSmallIntegerField()
    kind = models.CharField(max_length=20, choices=RequirementKind.choices)
    description = EncryptedCharField(max_length=300, validators=[validate_clean_text])
    due_date = models.DateField(help_text="A date in the program's time zone")
    hours_required = models.DecimalField(max_digits=7, decimal_places=2, null=True, blank=True)
    amount_required = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    hours_done = models.DecimalField(max_digits=7, decimal_places=2, default=0)
    amount_paid = models.DecimalField(max_digits=10, decimal_places=2, default=0)
    from_template = models.BooleanField(
        default=False, help_text="Created from the pathway configuration's requirements"
    )
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    completed_at = models.DateTimeField(null=True, blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    waived_at = models.DateTimeField(null=True, blank=True)
    waived_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    waived_reason = EncryptedCharField(
        max_length=NOTE_MAX_LENGTH, blank=True, validators=[validate_clean_text]
    )

    class Meta:
        ordering = ["case", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["case", "position"], name="planrequirement_position_unique"
            ),
            models.CheckConstraint(
                condition=Q(completed_at__isnull=True) | Q(waived_at__isnull=True),
                name="planrequirement_not_completed_and_waived",
            ),
            models.CheckConstraint(
                condition=Q(completed_at__isnull=True) | Q(verified_by__isnull=False),
                name="planrequirement_completion_verified",
            ),
            models.CheckConstraint(
                condition=Q(waived_at__isnull=True) | ~Q(waived_reason=""),
                name="planrequirement_waiver_has_reason",
            ),
            models.CheckConstraint(
                condition=Q(hours_done__gte=0) & Q(amount_paid__gte=0),
                name="planrequirement_progress_not_negative",
            ),
            models.CheckConstraint(
                condition=(Q(hours_required__isnull=True) | Q(hours_required__gt=0))
                & (Q(amount_required__isnull=True) | Q(amount_required__gt=0)),
                name="planrequirement_targets_positive",
            ),
            models.CheckConstraint(
                condition=Q(hours_required__isnull=True) | Q(amount_required__isnull=True),
                name="planrequirement_hours_or_amount",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} due {self.due_date:%Y-%m-%d}"

    @property
    def is_done(self) -> bool:
        return self.completed_at is not None

    @property
    def is_waived(self) -> bool:
        return self.waived_at is not None

    @property
    def is_outstanding(self) -> bool:
        return self.completed_at is None and self.waived_at is None

    @property
    def percent(self) -> int | None:
        """Progress towards the hours or amount required, 0–100 (None without a target)."""
        if self.hours_required:
            return min(100, int(self.hours_done * 100 / self.hours_required))
        if self.amount_required:
            return min(100, int(self.amount_paid * 100 / self.amount_required))
        return None


class RequirementProgress(AppendOnlyModel):
    """Hours done or an amount paid towards a requirement; the requirement's totals are the sum
    of these rows."""

    id = models.BigAutoField(primary_key=True)
    requirement = models.ForeignKey(
        PlanRequirement, on_delete=models.PROTECT, related_name="progress"
    )
    hours = models.DecimalField(max_digits=7, decimal_places=2, null=True, blank=True)
    amount = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    note = EncryptedCharField(
        max_length=NOTE_MAX_LENGTH, blank=True, validators=[validate_clean_text]
    )
    recorded_at = models.DateTimeField(default=clock.now)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["recorded_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(hours__isnull=True) | Q(hours__gt=0))
                & (Q(amount__isnull=True) | Q(amount__gt=0))
                & (Q(hours__isnull=False) | Q(amount__isnull=False)),
                name="requirementprogress_positive",
            )
        ]

    def __str__(self) -> str:
        return f"Progress on {self.requirement_id} at {self.recorded_at:%Y-%m-%d}"


class CaseEvent(AppendOnlyModel, BaseModel):
    """Something that happened during the case. A relapse is recorded here and changes nothing
    by itself: it is part of recovery, not a failure of the program."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="events")
    kind = models.CharField(max_length=30, choices=CaseEventKind.choices)
    occurred_at = models.DateTimeField()
    note = EncryptedCharField(
        max_length=NOTE_MAX_LENGTH, blank=True, validators=[validate_clean_text]
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-occurred_at"]
        indexes = [
            # the case page's log, newest first
            models.Index(fields=["case", "-occurred_at"], name="caseevent_case_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} at {self.occurred_at:%Y-%m-%d}"
