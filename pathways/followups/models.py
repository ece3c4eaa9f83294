"""Work items: something a team must do by a deadline (a follow-up visit, a placement, a review).

An item is open until it is completed or cancelled; both are recorded with who and when, and
every change is audited by the services. Titles never carry a person's name: the worklist and
the reminder e-mails are read by a whole team."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower
from django.urls import reverse

from pathways.core import clock
from pathways.core.fields import EncryptedCharField
from pathways.core.models import AppendOnlyModel, ArchivableModel, BaseModel
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
    ELIGIBILITY_REVIEW = "eligibility_review", "Supervisor's eligibility decision"


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
    WorkKind.ELIGIBILITY_REVIEW: "A supervisor decides on eligibility the rules left open "
    "(an unanswered question, or a rule that asks for a supervisor).",
}

TITLE_MAX_LENGTH = 200
NOTE_MAX_LENGTH = 300


def with_article(phrase: str) -> str:
    """“an outreach”, “a self-referral”: the indefinite article a title's phrase takes (by its
    first letter, which is right for every pathway's short name)."""
    return f"{'an' if phrase[:1].lower() in 'aeiou' else 'a'} {phrase}"


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
    outcome_note = EncryptedCharField(
        max_length=NOTE_MAX_LENGTH, blank=True, validators=[validate_clean_text]
    )
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = EncryptedCharField(
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

    #: Kinds about a diversion case; the worklist sets `case_id_for_link` for them.
    CASE_KINDS = ("prosecutor_review", "intake_due", "completion_due", "requirement_due")
    case_id_for_link: Any = None
    #: Set by selectors.work_items_of_contact: the disclosure decision a provider's item is
    #: shown under (None: the viewer's own, or the program office's, record).
    disclosure: Any = None

    @property
    def subject_url(self) -> str | None:
        """The page of the case, referral or contact this item is about, if any."""
        if self.case_id_for_link is not None:
            return reverse("cases:detail", kwargs={"case_id": self.case_id_for_link})
        # The referral first: both its sending and receiving agencies may open it.
        if self.referral_id is not None:
            return reverse("referrals:detail", kwargs={"referral_id": self.referral_id})
        if self.encounter_id is not None:
            return reverse("encounters:detail", kwargs={"encounter_id": self.encounter_id})
        return None

    @property
    def subject_label(self) -> str | None:
        if self.case_id_for_link is not None:
            return "Open the case"
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


#: Short outcome labels for lists (the full label is on the visit form).
VISIT_OUTCOME_SHORT: dict[str, str] = {
    VisitOutcome.NOT_FOUND: "not found",
    VisitOutcome.DECLINED: "met; declined help",
    VisitOutcome.ENGAGED: "met; engaged",
    VisitOutcome.REFERRED: "met; referred",
}

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
    note = EncryptedCharField(
        max_length=NOTE_MAX_LENGTH, blank=True, validators=[validate_clean_text]
    )
    outreach_entry = models.ForeignKey(
        "OutreachEntry",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="visits",
        help_text="The outreach list entry the visit was made for, if any",
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
            # the outreach list: each entry's attempts and latest visit
            models.Index(fields=["outreach_entry", "-visited_at"], name="visit_outreach_entry_idx"),
        ]

    def __str__(self) -> str:
        return f"Visit {self.visited_at:%Y-%m-%d} ({self.get_outcome_display()})"

    @property
    def outcome_short(self) -> str:
        return VISIT_OUTCOME_SHORT.get(self.outcome, self.get_outcome_display())

    @property
    def member_labels(self) -> list[str]:
        labels = dict(TeamMember.choices)
        return [labels.get(m, m) for m in self.members]


# --- Active Outreach: lists of people a team seeks out -----------------------------------------

LIST_NAME_MAX_LENGTH = 120
LIST_DESCRIPTION_MAX_LENGTH = 500


class OutreachList(ArchivableModel):
    """A list of people an outreach team seeks out (e.g. “East side repeat overdoses”). The
    team works the list; responders across the program put people on it."""

    program = models.ForeignKey(
        "programs.Program", on_delete=models.PROTECT, related_name="outreach_lists"
    )
    name = models.CharField(
        max_length=LIST_NAME_MAX_LENGTH,
        validators=[validate_clean_text],
        help_text="Read by everyone who sees the list and used in work item titles: no names",
    )
    description = EncryptedCharField(
        max_length=LIST_DESCRIPTION_MAX_LENGTH, blank=True, validators=[validate_clean_text]
    )
    team = models.ForeignKey(
        "accounts.Agency",
        on_delete=models.PROTECT,
        related_name="outreach_lists",
        help_text="The outreach team that works the list",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                "program",
                Lower("name"),
                condition=Q(archived_at__isnull=True),
                name="outreachlist_unique_active_name",
            ),
            models.CheckConstraint(condition=~Q(name=""), name="outreachlist_name_not_blank"),
        ]
        indexes = [
            # the outreach page: a program's active lists, by team
            models.Index(fields=["program", "team"], name="outreachlist_program_team_idx"),
        ]

    def __str__(self) -> str:
        return self.name


class OutreachReason(models.TextChoices):
    REPEAT_OVERDOSE = "repeat_overdose", "Repeat overdoses"
    FREQUENT_CONTACTS = "frequent_contacts", "Frequent contacts with responders"
    REFERRED_BY_RESPONDER = "referred_by_responder", "Referred by a responder"
    FAMILY_REQUEST = "family_request", "Family or friends asked for help"
    OTHER = "other", "Other"


class OutreachStatus(models.TextChoices):
    IDENTIFIED = "identified", "Identified"
    ATTEMPTING = "attempting", "Attempting"
    ENGAGED = "engaged", "Engaged"
    IN_TREATMENT = "in_treatment", "In treatment"
    DECLINED = "declined", "Declined"
    CLOSED = "closed", "Closed"


OUTREACH_STATUS_DESCRIPTIONS: dict[str, str] = {
    OutreachStatus.IDENTIFIED: "Identified, not yet reached",
    OutreachStatus.ATTEMPTING: "Visits under way",
    OutreachStatus.ENGAGED: "Engaged with the team",
    OutreachStatus.IN_TREATMENT: "Connected to treatment",
    OutreachStatus.DECLINED: "Declined for now",
    OutreachStatus.CLOSED: "Closed (moved away, deceased, or no longer needed)",
}

#: The moves of an entry's status (core.transitions). A visit moves it on from identified,
#: attempting or engaged; declined and in-treatment entries have no open visit left, so only
#: closing them remains; a closed entry stays closed (the person can be added again).
OUTREACH_TRANSITIONS: dict[str, frozenset[str]] = {
    OutreachStatus.IDENTIFIED: frozenset(
        {
            OutreachStatus.ATTEMPTING,
            OutreachStatus.ENGAGED,
            OutreachStatus.IN_TREATMENT,
            OutreachStatus.DECLINED,
            OutreachStatus.CLOSED,
        }
    ),
    OutreachStatus.ATTEMPTING: frozenset(
        {
            OutreachStatus.ENGAGED,
            OutreachStatus.IN_TREATMENT,
            OutreachStatus.DECLINED,
            OutreachStatus.CLOSED,
        }
    ),
    OutreachStatus.ENGAGED: frozenset(
        {OutreachStatus.IN_TREATMENT, OutreachStatus.DECLINED, OutreachStatus.CLOSED}
    ),
    OutreachStatus.IN_TREATMENT: frozenset({OutreachStatus.CLOSED}),
    OutreachStatus.DECLINED: frozenset({OutreachStatus.CLOSED}),
    OutreachStatus.CLOSED: frozenset(),
}


class OutreachEntry(BaseModel):
    """A person on an outreach list, with the team's engagement status. The status is cached
    here; its history is OutreachStatusChange. `work_item` is the open outreach visit, if any;
    visits on every item of the entry point back to it (Visit.outreach_entry)."""

    outreach_list = models.ForeignKey(
        OutreachList, on_delete=models.PROTECT, related_name="entries"
    )
    person = models.ForeignKey(
        "people.Person", on_delete=models.PROTECT, related_name="outreach_entries"
    )
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    added_at = models.DateTimeField(default=clock.now)
    reason = models.CharField(max_length=30, choices=OutreachReason.choices)
    note = EncryptedCharField(
        max_length=NOTE_MAX_LENGTH,
        blank=True,
        validators=[validate_clean_text],
        help_text="Why the person is on the list, without names",
    )
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="The team member who leads the outreach",
    )
    status = models.CharField(
        max_length=20, choices=OutreachStatus.choices, default=OutreachStatus.IDENTIFIED
    )
    status_changed_at = models.DateTimeField(default=clock.now)
    work_item = models.ForeignKey(
        WorkItem,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="outreach_entries",
        help_text="The open outreach visit item, if any",
    )

    class Meta:
        ordering = ["added_at"]
        verbose_name_plural = "outreach entries"
        constraints = [
            models.UniqueConstraint(
                fields=["outreach_list", "person"],
                condition=~Q(status="closed"),
                name="outreachentry_one_active_per_person",
            ),
            models.CheckConstraint(
                condition=~Q(status="closed") | Q(work_item__isnull=True),
                name="outreachentry_closed_has_no_item",
            ),
        ]
        indexes = [
            # the list page: a list's entries and its counts by status
            models.Index(fields=["outreach_list", "status"], name="outreachentry_list_status_idx"),
        ]

    def __str__(self) -> str:
        return f"Outreach entry ({self.get_status_display()})"

    @property
    def status_description(self) -> str:
        return OUTREACH_STATUS_DESCRIPTIONS.get(self.status, "")

    @property
    def is_closed(self) -> bool:
        return self.status == OutreachStatus.CLOSED


class OutreachStatusChange(AppendOnlyModel):
    """One row per change of an outreach entry's status; never updated or deleted."""

    append_only_message = "Outreach status history is append-only."

    id = models.BigAutoField(primary_key=True)
    entry = models.ForeignKey(OutreachEntry, on_delete=models.PROTECT, related_name="history")
    from_status = models.CharField(max_length=20, choices=OutreachStatus.choices, blank=True)
    to_status = models.CharField(max_length=20, choices=OutreachStatus.choices)
    changed_at = models.DateTimeField(default=clock.now)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    visit = models.ForeignKey(
        "Visit",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="The visit that moved the status, if any",
    )
    note = EncryptedCharField(
        max_length=NOTE_MAX_LENGTH, blank=True, validators=[validate_clean_text]
    )

    class Meta:
        ordering = ["changed_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(from_status=F("to_status")), name="outreachstatus_is_a_change"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.from_status or '-'} → {self.to_status} at {self.changed_at:%Y-%m-%d %H:%M}"
