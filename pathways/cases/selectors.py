"""Reads for diversion cases, always scoped to what the user may see.

Who sees a case:

* staff of the case agency (case managers and intake staff): everything, and they work it;
* officers and supervisors of the diverting agency: its status, charges, and the plan's
  requirements with their due dates, but not progress notes, the case log or reasons;
* prosecutors at a prosecutor's office of the program: charges, status, plan and progress
  (compliance), but not the case log: relapses and treatment contacts are health information
  (42 CFR Part 2) that a prosecutor gets only with the person's consent;
* coordinators and administrators of the program: everything.

Everyone else gets a 404."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass, field, fields
from decimal import Decimal
from typing import Any

from django.db.models import Min, OuterRef, Q, QuerySet, Subquery

from pathways.accounts.models import AgencyKind, Role, User
from pathways.accounts.selectors import agencies_for, agency_ids_for, is_program_wide
from pathways.cases.models import (
    OPEN_STATUSES,
    Case,
    CaseEvent,
    CaseStatus,
    CaseStatusChange,
    HeldCharge,
    PlanRequirement,
    ProsecutorReview,
    RequirementKind,
)
from pathways.consent.models import Consent, InfoCategory
from pathways.consent.selectors import REDISCLOSURE_NOTICE, DisclosureDecision, may_disclose
from pathways.core.deadlines import describe_due
from pathways.followups.models import WorkItem, WorkKind
from pathways.programs.selectors import program_for_user

CASE_STAFF_ROLES = (Role.CASE_MANAGER, Role.PROVIDER_INTAKE)
FIELD_ROLES = (Role.OFFICER, Role.SUPERVISOR)
#: The worklist kinds a case puts on teams' lists (found through the case's encounter).
CASE_WORK_KINDS = (
    WorkKind.PROSECUTOR_REVIEW,
    WorkKind.INTAKE_DUE,
    WorkKind.REQUIREMENT_DUE,
    WorkKind.COMPLETION_DUE,
)


def prosecutor_program_ids(*, user: User) -> set[Any]:
    """Programs in which the user is a prosecutor at a prosecutor's office."""
    return {
        agency.program_id
        for agency in agencies_for(user, Role.PROSECUTOR)
        if agency.kind == AgencyKind.PROSECUTOR
    }


def _program_wide_id(*, user: User) -> Any:
    if not is_program_wide(user=user):
        return None
    program = program_for_user(user=user)
    return program.pk if program is not None else None


def cases_visible_to(*, user: User) -> QuerySet[Case]:
    qs = Case.objects.active().select_related(
        "person", "diverting_agency", "case_agency", "program", "encounter"
    )
    program_id = _program_wide_id(user=user)
    if program_id is not None:
        return qs.filter(program_id=program_id)
    condition = Q()
    if staff_ids := agency_ids_for(user, *CASE_STAFF_ROLES):
        condition |= Q(case_agency_id__in=staff_ids)
    if field_ids := agency_ids_for(user, *FIELD_ROLES):
        condition |= Q(diverting_agency_id__in=field_ids)
    if program_ids := prosecutor_program_ids(user=user):
        condition |= Q(program_id__in=program_ids)
    if not condition:
        return qs.none()
    return qs.filter(condition)


def case_for_user(*, user: User, case_id: Any) -> Case | None:
    return cases_visible_to(user=user).filter(pk=case_id).first()


def case_for_encounter(*, user: User, encounter: Any) -> Case | None:
    """The case opened at this contact, if the user may see it (for the contact page)."""
    return cases_visible_to(user=user).filter(encounter=encounter).first()


@dataclass(frozen=True)
class CaseAccess:
    """What one user may see and do on one case."""

    manage: bool  # the case agency's staff and program-wide staff: work the plan, close
    review: bool  # the program's prosecutors: decide the review, refer, withdraw
    field: bool  # the diverting agency's officers and supervisors: watch

    @property
    def sees_log(self) -> bool:
        return self.manage

    @property
    def sees_progress(self) -> bool:
        return self.manage or self.review

    @property
    def sees_reasons(self) -> bool:
        return self.manage or self.review


def access_for(*, user: User, case: Case) -> CaseAccess:
    return CaseAccess(
        manage=can_manage(user=user, case=case),
        review=can_review(user=user, case=case),
        field=case.diverting_agency_id in agency_ids_for(user, *FIELD_ROLES),
    )


def can_manage(*, user: User, case: Case) -> bool:
    """The case agency's staff work the case; coordinators and administrators may too."""
    if case.case_agency_id is not None and case.case_agency_id in agency_ids_for(
        user, *CASE_STAFF_ROLES
    ):
        return True
    return bool(_program_wide_id(user=user) == case.program_id)


def can_review(*, user: User, case: Case) -> bool:
    """Prosecutors at a prosecutor's office of the case's program."""
    return case.program_id in prosecutor_program_ids(user=user)


#: Plan requirements whose state is treatment information (42 CFR Part 2).
TREATMENT_KINDS = (RequirementKind.TREATMENT, RequirementKind.ASSESSMENT)


def with_next_due(*, qs: QuerySet[Case]) -> QuerySet[Case]:
    """Annotate `next_due_date` (the soonest outstanding requirement) and `review_due_at`."""
    review_due = (
        WorkItem.objects.filter(
            encounter_id=OuterRef("encounter_id"), kind=WorkKind.PROSECUTOR_REVIEW
        )
        .order_by("-created_at")
        .values("due_at")[:1]
    )
    return qs.annotate(
        next_due_date=Min(
            "requirements__due_date",
            filter=Q(requirements__completed_at__isnull=True, requirements__waived_at__isnull=True),
        ),
        # the same without treatment and assessment (42 CFR Part 2), for viewers outside the
        # case agency: an "overdue" there could tell that treatment is not being attended
        next_other_due_date=Min(
            "requirements__due_date",
            filter=Q(requirements__completed_at__isnull=True, requirements__waived_at__isnull=True)
            & ~Q(requirements__kind__in=TREATMENT_KINDS),
        ),
        review_due_at=Subquery(review_due),
    )


def case_list_for(*, user: User, open_only: bool = True) -> QuerySet[Case]:
    """The /cases/ list: open cases oldest first, or closed cases newest first."""
    qs = with_next_due(qs=cases_visible_to(user=user))
    if open_only:
        return qs.filter(status__in=OPEN_STATUSES).order_by("opened_at", "id")
    return qs.exclude(status__in=OPEN_STATUSES).order_by("-closed_at", "id")


def review_queue_for(*, user: User) -> QuerySet[Case]:
    """Cases waiting for this prosecutor's office, oldest first, with `review_due_at`."""
    program_ids = prosecutor_program_ids(user=user)
    if not program_ids:
        return Case.objects.none()
    return (
        with_next_due(qs=Case.objects.active())
        .filter(program_id__in=program_ids, status=CaseStatus.PENDING_REVIEW)
        .select_related("person", "diverting_agency", "case_agency", "encounter", "program")
        .prefetch_related("charges")
        .order_by("opened_at", "id")
    )


def history_of(*, case: Case) -> QuerySet[CaseStatusChange]:
    return case.history.select_related("changed_by").order_by("changed_at", "id")


def requirements_of(*, case: Case) -> QuerySet[PlanRequirement]:
    return case.requirements.select_related("verified_by", "waived_by").order_by("position")


def events_of(*, case: Case) -> QuerySet[CaseEvent]:
    return case.events.select_related("recorded_by").order_by("-occurred_at", "-created_at")


def work_items_of(*, case: Case) -> QuerySet[WorkItem]:
    """The deadlines the case put on teams' worklists (open and closed), soonest first."""
    return (
        WorkItem.objects.filter(encounter_id=case.encounter_id, kind__in=CASE_WORK_KINDS)
        .select_related("team")
        .order_by("due_at", "id")
    )


def outstanding_requirements(*, case: Case) -> list[PlanRequirement]:
    return [r for r in requirements_of(case=case) if r.is_outstanding]


def is_overdue(*, requirement: PlanRequirement, today: dt.date) -> bool:
    return requirement.is_outstanding and requirement.due_date < today


# --- Lists ---------------------------------------------------------------------------------------


@dataclass
class CaseRow:
    case: Case
    next_due: str
    overdue: bool
    what: str = ""  # "Review" while the prosecutor's review is the next deadline

    @property
    def short(self) -> str:
        """The deadline under a "… due" heading: "Fri Nov 27, 11:59 PM", "In 5 h", "Overdue…"."""
        text = self.next_due.removeprefix("due ")
        return text[:1].upper() + text[1:]


def case_rows(*, cases: list[Case], now: dt.datetime, user: User) -> list[CaseRow]:
    """The rows of a case list (with_next_due annotations), each with its next deadline."""
    rows = []
    for case in cases:
        zone = zoneinfo.ZoneInfo(case.program.time_zone)
        today = now.astimezone(zone).date()
        review_due = getattr(case, "review_due_at", None)
        # lists never disclose treatment information: outside the case agency (and the program
        # office) the next due date leaves treatment and assessment out
        due_field = "next_due_date" if can_manage(user=user, case=case) else "next_other_due_date"
        next_date = getattr(case, due_field, None)
        if case.status == CaseStatus.PENDING_REVIEW and review_due is not None:
            rows.append(
                CaseRow(
                    case,
                    describe_due(review_due, now, case.program.time_zone),
                    review_due < now,
                    what="Review",
                )
            )
        elif case.is_open and next_date is not None:
            label = f"{next_date:%b} {next_date.day}, {next_date.year}"
            rows.append(CaseRow(case, label, next_date < today))
        else:
            rows.append(CaseRow(case, "", False))
    return rows


# --- The case page -------------------------------------------------------------------------------


def offered_case_actions(*, case: Case, access: CaseAccess) -> list[str]:
    """The case-level actions the page offers this viewer now."""
    if not case.is_open:
        return []
    offered = []
    if access.review and case.status == CaseStatus.PENDING_REVIEW:
        offered += ["accept", "decline"]
    if access.manage:
        offered += ["event", "requirement"]
    if case.status == CaseStatus.ACTIVE:
        if access.manage:
            offered.append("complete")
        if access.manage or access.review:
            offered.append("refer")
    if access.manage or access.review:
        offered.append("withdraw")
    return offered


def offered_requirement_actions(
    *, case: Case, requirement: PlanRequirement, access: CaseAccess
) -> list[str]:
    if not (access.manage and case.is_open and requirement.is_outstanding):
        return []
    # progress is recorded until the target (hours or amount) is met; then it is marked done
    counting = (
        requirement.hours_required is not None
        and requirement.hours_done < requirement.hours_required
    ) or (
        requirement.amount_required is not None
        and requirement.amount_paid < requirement.amount_required
    )
    return [*(["progress"] if counting else []), "done", "waive"]


@dataclass
class RequirementRow:
    requirement: PlanRequirement
    progress: str
    percent: int | None
    overdue: bool
    actions: list[str] = field(default_factory=list)
    """The actions offered on it now; the view puts a form for each in `forms`."""
    forms: dict[str, Any] = field(default_factory=dict)
    withheld: str = ""
    """Why this viewer does not see the requirement's state (treatment information)."""


@dataclass
class DeadlineRow:
    label: str
    team: str
    due_at: dt.datetime
    text: str
    state: str  # "open", "overdue", "done", "cancelled", "withheld" (Part 2)
    relative: bool = False  # the text counts time ("due in 5 h"), so the date is shown too


#: Plan requirements whose state is a treatment record under 42 CFR Part 2, and the consent
#: category that covers it. Outside the case agency and the program office it is shown only
#: under the person's consent (the prosecutor monitoring a 2.35 consent, for example).
TREATMENT_REQUIREMENTS = {
    RequirementKind.TREATMENT: InfoCategory.PROGRESS,
    RequirementKind.ASSESSMENT: InfoCategory.ASSESSMENT,
}


def _treatment_disclosure(
    *, user: User, case: Case, requirements: list[PlanRequirement]
) -> tuple[dict[Any, str], list[tuple[str, DisclosureDecision]]]:
    """For the treatment requirements: why each is withheld from `user` (by requirement pk),
    and the consent decisions under which the others are shown (to record and to carry the
    2.32 notice)."""
    withheld: dict[Any, str] = {}
    shown_under_consent: list[tuple[str, DisclosureDecision]] = []
    decided: dict[str, DisclosureDecision] = {}
    for requirement in requirements:
        category = TREATMENT_REQUIREMENTS.get(RequirementKind(requirement.kind))
        if category is None:
            continue
        if category not in decided:
            decided[category] = may_disclose(
                viewer=user,
                person_id=case.person_id,
                category=category,
                holder_id=case.case_agency_id,
            )
            if decided[category].allowed and decided[category].consent is not None:
                shown_under_consent.append((category, decided[category]))
        if not decided[category].allowed:
            withheld[requirement.pk] = decided[category].reason
    return withheld, shown_under_consent


def _consents_used(
    under_consent: list[tuple[str, DisclosureDecision]],
) -> list[tuple[Consent, list[str]]]:
    """Each consent the page is shown under, once, with the categories shown under it."""
    once = {id(decision.consent): decision.consent for _, decision in under_consent}
    return [
        (consent, [c for c, d in under_consent if d.consent == consent])
        for consent in once.values()
        if consent is not None
    ]


def _num(value: Decimal) -> str:
    return f"{value.normalize():f}"


def _money(value: Decimal) -> str:
    return f"${value:,.2f}"


def _progress_text(requirement: PlanRequirement) -> str:
    if requirement.hours_required is not None:
        return f"{_num(requirement.hours_done)} of {_num(requirement.hours_required)} hours"
    if requirement.amount_required is not None:
        return f"{_money(requirement.amount_paid)} of {_money(requirement.amount_required)} paid"
    return ""


def _requirement_rows(
    *,
    case: Case,
    access: CaseAccess,
    requirements: list[PlanRequirement],
    withheld: dict[Any, str],
    today: dt.date,
) -> list[RequirementRow]:
    rows = []
    for requirement in requirements:
        sees = access.sees_progress and requirement.pk not in withheld
        rows.append(
            RequirementRow(
                requirement=requirement,
                progress=_progress_text(requirement) if sees else "",
                percent=requirement.percent if sees else None,
                overdue=requirement.is_outstanding
                and case.is_open
                and requirement.due_date < today
                and requirement.pk not in withheld,  # "overdue" would tell it is not done
                actions=offered_requirement_actions(
                    case=case, requirement=requirement, access=access
                ),
                withheld=withheld.get(requirement.pk, ""),
            )
        )
    return rows


def _deadline_rows(*, case: Case, now: dt.datetime, assessment_withheld: str) -> list[DeadlineRow]:
    """The case's worklist deadlines; the intake deadline tells whether the assessment happened,
    so it is withheld as the assessment is."""
    deadlines = []
    for item in work_items_of(case=case):
        if item.kind == WorkKind.INTAKE_DUE and assessment_withheld:
            state, text = "withheld", f"Not shared. {assessment_withheld}"
        elif item.completed_at is not None:
            state, text = "done", "done"
        elif item.cancelled_at is not None:
            state, text = "cancelled", "no longer needed"
        else:
            state = "overdue" if item.due_at < now else "open"
            text = describe_due(item.due_at, now, case.program.time_zone)
        relative = text.startswith(("overdue", "due in", "due now"))
        deadlines.append(
            DeadlineRow(item.get_kind_display(), str(item.team), item.due_at, text, state, relative)
        )
    return deadlines


@dataclass(frozen=True)
class CaseDetailPage:
    """What the case page shows one viewer: the template's context (`context()`), less the
    forms, which the view adds for the actions offered."""

    case: Case
    access: CaseAccess
    charges: list[HeldCharge]
    review: ProsecutorReview | None
    requirement_rows: list[RequirementRow]
    deadlines: list[DeadlineRow]
    events: list[CaseEvent]
    history: list[CaseStatusChange]
    pending: bool
    notice: str
    offered: list[str] = field(metadata={"context": False})
    """The case-level actions offered now (offered_case_actions)."""
    disclosures: list[tuple[Consent, list[str]]] = field(metadata={"context": False})
    """Each consent treatment information is shown under, with its categories: the view
    records them (accounting of disclosures)."""

    def context(self) -> dict[str, Any]:
        return {
            f.name: getattr(self, f.name) for f in fields(self) if f.metadata.get("context", True)
        }


def case_detail_page(*, user: User, case: Case, now: dt.datetime) -> CaseDetailPage:
    """The case page as `user` may see it at `now`. It records nothing."""
    access = access_for(user=user, case=case)
    today = now.astimezone(zoneinfo.ZoneInfo(case.program.time_zone)).date()
    requirements = list(requirements_of(case=case))
    withheld, under_consent = _treatment_disclosure(user=user, case=case, requirements=requirements)
    assessment_withheld = next(
        (
            withheld[r.pk]
            for r in requirements
            if r.kind == RequirementKind.ASSESSMENT and r.pk in withheld
        ),
        "",
    )
    return CaseDetailPage(
        case=case,
        access=access,
        requirement_rows=_requirement_rows(
            case=case, access=access, requirements=requirements, withheld=withheld, today=today
        ),
        deadlines=_deadline_rows(case=case, now=now, assessment_withheld=assessment_withheld),
        review=case.reviews.select_related("decided_by").first(),
        charges=list(case.charges.order_by("position")),
        events=list(events_of(case=case)) if access.sees_log else [],
        history=list(history_of(case=case)),
        pending=case.status == CaseStatus.PENDING_REVIEW,
        notice=REDISCLOSURE_NOTICE if under_consent else "",
        offered=offered_case_actions(case=case, access=access),
        disclosures=_consents_used(under_consent),
    )
