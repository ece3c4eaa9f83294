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
from dataclasses import dataclass
from typing import Any

from django.db.models import Min, OuterRef, Q, QuerySet, Subquery

from pathways.accounts.models import AgencyKind, Role
from pathways.accounts.selectors import agencies_for, agency_ids_for, is_program_wide
from pathways.cases.models import (
    OPEN_STATUSES,
    Case,
    CaseEvent,
    CaseStatus,
    CaseStatusChange,
    PlanRequirement,
    RequirementKind,
)
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


def prosecutor_program_ids(user: Any) -> set[Any]:
    """Programs in which the user is a prosecutor at a prosecutor's office."""
    return {
        agency.program_id
        for agency in agencies_for(user, Role.PROSECUTOR)
        if agency.kind == AgencyKind.PROSECUTOR
    }


def _program_wide_id(user: Any) -> Any:
    if not is_program_wide(user):
        return None
    program = program_for_user(user)
    return program.pk if program is not None else None


def cases_visible_to(user: Any) -> QuerySet[Case]:
    qs = Case.objects.active().select_related(
        "person", "diverting_agency", "case_agency", "program", "encounter"
    )
    program_id = _program_wide_id(user)
    if program_id is not None:
        return qs.filter(program_id=program_id)
    condition = Q()
    if staff_ids := agency_ids_for(user, *CASE_STAFF_ROLES):
        condition |= Q(case_agency_id__in=staff_ids)
    if field_ids := agency_ids_for(user, *FIELD_ROLES):
        condition |= Q(diverting_agency_id__in=field_ids)
    if program_ids := prosecutor_program_ids(user):
        condition |= Q(program_id__in=program_ids)
    if not condition:
        return qs.none()
    return qs.filter(condition)


def case_for_user(user: Any, case_id: Any) -> Case | None:
    return cases_visible_to(user).filter(pk=case_id).first()


def case_for_encounter(user: Any, encounter: Any) -> Case | None:
    """The case opened at this contact, if the user may see it (for the contact page)."""
    return cases_visible_to(user).filter(encounter=encounter).first()


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


def access_for(user: Any, case: Case) -> CaseAccess:
    return CaseAccess(
        manage=can_manage(user, case),
        review=can_review(user, case),
        field=case.diverting_agency_id in agency_ids_for(user, *FIELD_ROLES),
    )


def can_manage(user: Any, case: Case) -> bool:
    """The case agency's staff work the case; coordinators and administrators may too."""
    if case.case_agency_id is not None and case.case_agency_id in agency_ids_for(
        user, *CASE_STAFF_ROLES
    ):
        return True
    return _program_wide_id(user) == case.program_id


def can_review(user: Any, case: Case) -> bool:
    """Prosecutors at a prosecutor's office of the case's program."""
    return case.program_id in prosecutor_program_ids(user)


#: Plan requirements whose state is treatment information (42 CFR Part 2).
TREATMENT_KINDS = (RequirementKind.TREATMENT, RequirementKind.ASSESSMENT)


def with_next_due(qs: QuerySet[Case]) -> QuerySet[Case]:
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


def case_list_for(user: Any, *, open_only: bool = True) -> QuerySet[Case]:
    """The /cases/ list: open cases oldest first, or closed cases newest first."""
    qs = with_next_due(cases_visible_to(user))
    if open_only:
        return qs.filter(status__in=OPEN_STATUSES).order_by("opened_at", "id")
    return qs.exclude(status__in=OPEN_STATUSES).order_by("-closed_at", "id")


def review_queue_for(user: Any) -> QuerySet[Case]:
    """Cases waiting for this prosecutor's office, oldest first, with `review_due_at`."""
    program_ids = prosecutor_program_ids(user)
    if not program_ids:
        return Case.objects.none()
    return (
        with_next_due(Case.objects.active())
        .filter(program_id__in=program_ids, status=CaseStatus.PENDING_REVIEW)
        .select_related("person", "diverting_agency", "case_agency", "encounter", "program")
        .prefetch_related("charges")
        .order_by("opened_at", "id")
    )


def history_of(case: Case) -> QuerySet[CaseStatusChange]:
    return case.history.select_related("changed_by").order_by("changed_at", "id")


def requirements_of(case: Case) -> QuerySet[PlanRequirement]:
    return case.requirements.select_related("verified_by", "waived_by").order_by("position")


def events_of(case: Case) -> QuerySet[CaseEvent]:
    return case.events.select_related("recorded_by").order_by("-occurred_at", "-created_at")


def work_items_of(case: Case) -> QuerySet[WorkItem]:
    """The deadlines the case put on teams' worklists (open and closed), soonest first."""
    return (
        WorkItem.objects.filter(encounter_id=case.encounter_id, kind__in=CASE_WORK_KINDS)
        .select_related("team")
        .order_by("due_at", "id")
    )


def outstanding_requirements(case: Case) -> list[PlanRequirement]:
    return [r for r in requirements_of(case) if r.is_outstanding]


def is_overdue(requirement: PlanRequirement, today: dt.date) -> bool:
    return requirement.is_outstanding and requirement.due_date < today
