"""Diversion cases: the list, the prosecutor's review queue, the case page and its actions.

Thin views: role → `_get_case_for_user` (404 outside the user's scope) → one service call (which
refuses the wrong person with PermissionDenied, 403) → redirect, or the page again with the
form's errors (422)."""

from __future__ import annotations

import datetime as dt
import uuid
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from pathways.accounts.access import role_required
from pathways.accounts.models import Role
from pathways.audit.services import audit_read
from pathways.cases import services
from pathways.cases.forms import (
    CaseCompleteForm,
    EventForm,
    ProgressForm,
    ReferForm,
    RequirementAddForm,
    RequirementDoneForm,
    ReviewAcceptForm,
    ReviewDeclineForm,
    WaiveForm,
    WithdrawForm,
)
from pathways.cases.models import Case, CaseStatus, PlanRequirement, RequirementKind
from pathways.cases.selectors import (
    CaseAccess,
    access_for,
    can_manage,
    case_for_user,
    case_list_for,
    events_of,
    history_of,
    requirements_of,
    review_queue_for,
    work_items_of,
)
from pathways.consent.models import InfoCategory
from pathways.consent.selectors import REDISCLOSURE_NOTICE, may_disclose
from pathways.consent.services import disclosure_record
from pathways.core import clock
from pathways.core.conflicts import StaleEdit, conflict_response
from pathways.core.deadlines import describe_due
from pathways.followups.models import WorkKind

VIEW_ROLES = (
    Role.CASE_MANAGER,
    Role.PROVIDER_INTAKE,
    Role.PROSECUTOR,
    Role.COORDINATOR,
    Role.ADMIN,
    Role.OFFICER,
    Role.SUPERVISOR,
)
LIST_LIMIT = 300

#: action → (form, what the service call is, message on success)
CaseAction = tuple[type[forms.Form], Callable[[Any, Case, dict[str, Any]], Any], str]
CASE_ACTIONS: dict[str, CaseAction] = {
    "accept": (
        ReviewAcceptForm,
        lambda actor, case, data: services.prosecutor_review_decide(
            actor=actor, case=case, decision="accepted", **data
        ),
        "Diversion accepted: the case is active.",
    ),
    "decline": (
        ReviewDeclineForm,
        lambda actor, case, data: services.prosecutor_review_decide(
            actor=actor, case=case, decision="declined", **data
        ),
        "Diversion declined.",
    ),
    "event": (
        EventForm,
        lambda actor, case, data: services.case_event_record(actor=actor, case=case, **data),
        "Recorded in the case log.",
    ),
    "requirement": (
        RequirementAddForm,
        lambda actor, case, data: services.requirement_add(actor=actor, case=case, **data),
        "Requirement added to the plan.",
    ),
    "complete": (
        CaseCompleteForm,
        lambda actor, case, data: services.case_complete(actor=actor, case=case, **data),
        "Case completed.",
    ),
    "refer": (
        ReferForm,
        lambda actor, case, data: services.case_refer_for_prosecution(
            actor=actor, case=case, **data
        ),
        "Referred for prosecution.",
    ),
    "withdraw": (
        WithdrawForm,
        lambda actor, case, data: services.case_withdraw(actor=actor, case=case, **data),
        "Case withdrawn.",
    ),
}

#: What the user tried, for the conflict screen when the page was stale.
CASE_ACTION_TRIED = {
    "accept": "Accept the diversion",
    "decline": "Decline the diversion",
    "event": "Add to the case log",
    "requirement": "Add a requirement to the plan",
    "complete": "Complete the case",
    "refer": "Refer the case for prosecution",
    "withdraw": "Withdraw the case",
}

REQUIREMENT_ACTION_TRIED = {
    "progress": "Record progress",
    "done": "Mark done",
    "waive": "Waive",
}

RequirementAction = tuple[Callable[[Any, PlanRequirement, dict[str, Any]], Any], str]
REQUIREMENT_ACTIONS: dict[str, RequirementAction] = {
    "progress": (
        lambda actor, req, data: services.requirement_progress_record(
            actor=actor, requirement=req, **data
        ),
        "progress recorded",
    ),
    "done": (
        lambda actor, req, data: services.requirement_complete(actor=actor, requirement=req),
        "marked done",
    ),
    "waive": (
        lambda actor, req, data: services.requirement_waive(actor=actor, requirement=req, **data),
        "waived",
    ),
}


def _get_case_for_user(request: HttpRequest, case_id: uuid.UUID) -> Case:
    case = case_for_user(request.user, case_id)
    if case is None:
        raise Http404("No such case.")
    return case


def _get_requirement_for_user(
    request: HttpRequest, case_id: uuid.UUID, requirement_id: uuid.UUID
) -> tuple[Case, PlanRequirement]:
    case = _get_case_for_user(request, case_id)
    requirement = case.requirements.filter(pk=requirement_id).first()
    if requirement is None:
        raise Http404("No such requirement.")
    return case, requirement


def _add_errors(form: forms.Form, exc: ValidationError) -> None:
    """Put a service's refusal at the form's fields (or at the top for any other key)."""
    if hasattr(exc, "error_dict"):
        for name, errors in exc.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, exc)


def _num(value: Decimal) -> str:
    return f"{value.normalize():f}"


def _money(value: Decimal) -> str:
    return f"${value:,.2f}"


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


def _rows(cases: list[Case], now: dt.datetime, user: Any) -> list[CaseRow]:
    rows = []
    for case in cases:
        zone = zoneinfo.ZoneInfo(case.program.time_zone)
        today = now.astimezone(zone).date()
        review_due = getattr(case, "review_due_at", None)
        # lists never disclose treatment information: outside the case agency (and the program
        # office) the next due date leaves treatment and assessment out
        field = "next_due_date" if can_manage(user, case) else "next_other_due_date"
        next_date = getattr(case, field, None)
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


@role_required(*VIEW_ROLES)
def case_list(request: HttpRequest) -> HttpResponse:
    closed = request.GET.get("show") == "closed"
    cases = list(case_list_for(request.user, open_only=not closed)[: LIST_LIMIT + 1])
    return render(
        request,
        "cases/list.html",
        {
            "rows": _rows(cases[:LIST_LIMIT], clock.now(), request.user),
            "closed": closed,
            "truncated": len(cases) > LIST_LIMIT,
            "limit": LIST_LIMIT,
        },
    )


@role_required(Role.PROSECUTOR)
def review_queue(request: HttpRequest) -> HttpResponse:
    cases = list(review_queue_for(request.user)[: LIST_LIMIT + 1])
    return render(
        request,
        "cases/review_queue.html",
        {
            "rows": _rows(cases[:LIST_LIMIT], clock.now(), request.user),
            "truncated": len(cases) > LIST_LIMIT,
            "limit": LIST_LIMIT,
        },
    )


# --- The case page -------------------------------------------------------------------------------


def offered_case_actions(case: Case, access: CaseAccess) -> list[str]:
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
    case: Case, requirement: PlanRequirement, access: CaseAccess
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


def _requirement_form(requirement: PlanRequirement, action: str, data: Any = None) -> forms.Form:
    prefix = f"r{requirement.position}-{action}"
    if action == "progress":
        unit = "amount" if requirement.amount_required is not None else "hours"
        return ProgressForm(data, prefix=prefix, unit=unit)
    if action == "waive":
        return WaiveForm(data, prefix=prefix)
    return RequirementDoneForm(data, prefix=prefix)


@dataclass
class RequirementRow:
    requirement: PlanRequirement
    progress: str
    percent: int | None
    overdue: bool
    forms: dict[str, forms.Form] = field(default_factory=dict)
    withheld: str = ""
    """Why this viewer does not see the requirement's state (treatment information)."""


#: Plan requirements whose state is a treatment record under 42 CFR Part 2, and the consent
#: category that covers it. Outside the case agency and the program office it is shown only
#: under the person's consent (the prosecutor monitoring a 2.35 consent, for example).
TREATMENT_REQUIREMENTS = {
    RequirementKind.TREATMENT: InfoCategory.PROGRESS,
    RequirementKind.ASSESSMENT: InfoCategory.ASSESSMENT,
}


def _treatment_disclosure(
    user: Any, case: Case, requirements: list[PlanRequirement]
) -> tuple[dict[Any, str], list[Any]]:
    """For the treatment requirements: why each is withheld from `user` (by requirement pk),
    and the consent decisions under which the others are shown (to record and to carry the
    2.32 notice)."""
    withheld: dict[Any, str] = {}
    shown_under_consent = []
    decided: dict[str, Any] = {}
    for requirement in requirements:
        category = TREATMENT_REQUIREMENTS.get(RequirementKind(requirement.kind))
        if category is None:
            continue
        if category not in decided:
            decided[category] = may_disclose(user, case.person_id, category, case.case_agency_id)
            if decided[category].allowed and decided[category].consent is not None:
                shown_under_consent.append((category, decided[category]))
        if not decided[category].allowed:
            withheld[requirement.pk] = decided[category].reason
    return withheld, shown_under_consent


@dataclass
class DeadlineRow:
    label: str
    team: str
    due_at: dt.datetime
    text: str
    state: str  # "open", "overdue", "done", "cancelled", "withheld" (Part 2)
    relative: bool = False  # the text counts time ("due in 5 h"), so the date is shown too


def _progress_text(requirement: PlanRequirement) -> str:
    if requirement.hours_required is not None:
        return f"{_num(requirement.hours_done)} of {_num(requirement.hours_required)} hours"
    if requirement.amount_required is not None:
        return f"{_money(requirement.amount_paid)} of {_money(requirement.amount_required)} paid"
    return ""


@role_required(*VIEW_ROLES)
def detail(
    request: HttpRequest, case_id: uuid.UUID, bound: dict[str, forms.Form] | None = None
) -> HttpResponse:
    case = _get_case_for_user(request, case_id)
    access = access_for(request.user, case)
    audit_read(actor=request.user, obj=case, fields=("person", "charges", "plan", "events"))
    bound = bound or {}
    now = clock.now()
    tz = case.program.time_zone
    today = now.astimezone(zoneinfo.ZoneInfo(tz)).date()

    offered = offered_case_actions(case, access)
    initial = {"expected_status": case.status, "occurred_at": now}
    case_forms = {
        name: bound.get(name) or CASE_ACTIONS[name][0](initial=initial, prefix=name)
        for name in offered
    }
    shown = set(case_forms)

    requirements = list(requirements_of(case))
    withheld, under_consent = _treatment_disclosure(request.user, case, requirements)
    for decision in {id(d.consent): d for _, d in under_consent}.values():
        disclosure_record(
            viewer=request.user,
            consent=decision.consent,
            recipient_agency=decision.consent.recipient_agency,
            categories=[c for c, d in under_consent if d.consent == decision.consent],
        )
    requirement_rows = []
    for requirement in requirements:
        sees = access.sees_progress and requirement.pk not in withheld
        row = RequirementRow(
            requirement=requirement,
            progress=_progress_text(requirement) if sees else "",
            percent=requirement.percent if sees else None,
            overdue=requirement.is_outstanding
            and case.is_open
            and requirement.due_date < today
            and requirement.pk not in withheld,  # "overdue" would tell it is not done
            withheld=withheld.get(requirement.pk, ""),
        )
        for action in offered_requirement_actions(case, requirement, access):
            key = f"r{requirement.position}-{action}"
            row.forms[action] = bound.get(key) or _requirement_form(requirement, action)
            shown.add(key)
        requirement_rows.append(row)
    for key, form in bound.items():
        if key not in shown:
            # The page was stale: the action is no longer offered, so say why at the top.
            for error in form.non_field_errors() or ["This action is no longer possible."]:
                messages.error(request, str(error))

    # the intake deadline tells whether the assessment happened: shown as the assessment is
    assessment_withheld = next(
        (
            withheld[r.pk]
            for r in requirements
            if r.kind == RequirementKind.ASSESSMENT and r.pk in withheld
        ),
        "",
    )
    deadlines = []
    for item in work_items_of(case):
        if item.kind == WorkKind.INTAKE_DUE and assessment_withheld:
            state, text = "withheld", f"Not shared. {assessment_withheld}"
        elif item.completed_at is not None:
            state, text = "done", "done"
        elif item.cancelled_at is not None:
            state, text = "cancelled", "no longer needed"
        else:
            state = "overdue" if item.due_at < now else "open"
            text = describe_due(item.due_at, now, tz)
        relative = text.startswith(("overdue", "due in", "due now"))
        deadlines.append(
            DeadlineRow(item.get_kind_display(), str(item.team), item.due_at, text, state, relative)
        )

    review = case.reviews.select_related("decided_by").first()
    return render(
        request,
        "cases/detail.html",
        {
            "case": case,
            "access": access,
            "charges": list(case.charges.order_by("position")),
            "review": review,
            "requirement_rows": requirement_rows,
            "deadlines": deadlines,
            "events": list(events_of(case)) if access.sees_log else [],
            "history": history_of(case),
            "forms": case_forms,
            "pending": case.status == CaseStatus.PENDING_REVIEW,
            "notice": REDISCLOSURE_NOTICE if under_consent else "",
        },
        status=422 if bound else 200,
    )


@require_POST
@role_required(*VIEW_ROLES)
def act(request: HttpRequest, case_id: uuid.UUID, action: str) -> HttpResponse:
    case = _get_case_for_user(request, case_id)
    if action not in CASE_ACTIONS:
        raise Http404("No such action.")
    form_class, call, done = CASE_ACTIONS[action]
    form = form_class(request.POST, prefix=action)
    if form.is_valid():
        try:
            call(request.user, case, dict(form.cleaned_data))
        except StaleEdit as exc:
            return conflict_response(
                request,
                exc,
                tried=CASE_ACTION_TRIED[action],
                latest_url=reverse("cases:detail", kwargs={"case_id": case.pk}),
                form=form,
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, done)
            return redirect("cases:detail", case_id=case.pk)
    return detail(request, case_id, bound={action: form})


@require_POST
@role_required(*VIEW_ROLES)
def requirement_act(
    request: HttpRequest, case_id: uuid.UUID, requirement_id: uuid.UUID, action: str
) -> HttpResponse:
    case, requirement = _get_requirement_for_user(request, case_id, requirement_id)
    if action not in REQUIREMENT_ACTIONS:
        raise Http404("No such action.")
    call, done = REQUIREMENT_ACTIONS[action]
    url = reverse("cases:detail", kwargs={"case_id": case.pk}) + f"#req-{requirement.position}"
    form = _requirement_form(requirement, action, request.POST)
    if form.is_valid():
        try:
            call(request.user, requirement, dict(form.cleaned_data))
        except StaleEdit as exc:
            return conflict_response(
                request,
                exc,
                tried=f"{REQUIREMENT_ACTION_TRIED[action]}: {requirement.get_kind_display()}",
                latest_url=url,
                form=form,
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, f"{requirement.get_kind_display()}: {done}.")
            return redirect(url)
    return detail(request, case_id, bound={f"r{requirement.position}-{action}": form})
