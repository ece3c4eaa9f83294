"""Diversion cases: the list, the prosecutor's review queue, the case page and its actions.

Thin views: role → `_get_case_for_user` (404 outside the user's scope) → one service call (which
refuses the wrong person with PermissionDenied, 403) → redirect, or the page again with the
form's errors (422)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from pathways.accounts.access import SignedInRequest, role_required
from pathways.accounts.models import Role, User
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
from pathways.cases.models import Case, PlanRequirement
from pathways.cases.selectors import (
    CaseDetailPage,
    RequirementRow,
    case_detail_page,
    case_for_user,
    case_list_for,
    case_rows,
    review_queue_for,
)
from pathways.consent.services import disclosure_record
from pathways.core import clock
from pathways.core.conflicts import StaleEdit, conflict_response

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
#: What the case page shows that is protected (the read is audited).
CASE_READ_FIELDS = ("person", "charges", "plan", "events")

#: action → (form, what the service call is, message on success)
CaseAction = tuple[type[forms.Form], Callable[[User, Case, dict[str, Any]], Any], str]
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

RequirementAction = tuple[Callable[[User, PlanRequirement, dict[str, Any]], Any], str]
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


def _get_case_for_user(request: SignedInRequest, case_id: uuid.UUID) -> Case:
    case = case_for_user(user=request.user, case_id=case_id)
    if case is None:
        raise Http404("No such case.")
    return case


def _get_requirement_for_user(
    request: SignedInRequest, case_id: uuid.UUID, requirement_id: uuid.UUID
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


# --- Lists ---------------------------------------------------------------------------------------


@role_required(*VIEW_ROLES)
def case_list(request: SignedInRequest) -> HttpResponse:
    closed = request.GET.get("show") == "closed"
    cases = list(case_list_for(user=request.user, open_only=not closed)[: LIST_LIMIT + 1])
    return render(
        request,
        "cases/list.html",
        {
            "rows": case_rows(cases=cases[:LIST_LIMIT], now=clock.now(), user=request.user),
            "closed": closed,
            "truncated": len(cases) > LIST_LIMIT,
            "limit": LIST_LIMIT,
        },
    )


@role_required(Role.PROSECUTOR)
def review_queue(request: SignedInRequest) -> HttpResponse:
    cases = list(review_queue_for(user=request.user)[: LIST_LIMIT + 1])
    return render(
        request,
        "cases/review_queue.html",
        {
            "rows": case_rows(cases=cases[:LIST_LIMIT], now=clock.now(), user=request.user),
            "truncated": len(cases) > LIST_LIMIT,
            "limit": LIST_LIMIT,
        },
    )


# --- The case page -------------------------------------------------------------------------------


def _requirement_form(requirement: PlanRequirement, action: str, data: Any = None) -> forms.Form:
    prefix = f"r{requirement.position}-{action}"
    if action == "progress":
        unit = "amount" if requirement.amount_required is not None else "hours"
        return ProgressForm(data, prefix=prefix, unit=unit)
    if action == "waive":
        return WaiveForm(data, prefix=prefix)
    return RequirementDoneForm(data, prefix=prefix)


def _case_forms(
    page: CaseDetailPage, bound: dict[str, forms.Form], now: dt.datetime
) -> dict[str, forms.Form]:
    """A form for each case action offered: the one just sent (with its errors), else blank."""
    initial = {"expected_status": page.case.status, "occurred_at": now}
    return {
        name: bound.get(name) or CASE_ACTIONS[name][0](initial=initial, prefix=name)
        for name in page.offered
    }


def _add_requirement_forms(rows: list[RequirementRow], bound: dict[str, forms.Form]) -> set[str]:
    """Put a form on each requirement row for each action offered; the forms' keys."""
    shown = set()
    for row in rows:
        for action in row.actions:
            key = f"r{row.requirement.position}-{action}"
            row.forms[action] = bound.get(key) or _requirement_form(row.requirement, action)
            shown.add(key)
    return shown


def _record_disclosures(viewer: User, page: CaseDetailPage) -> None:
    """Account for the treatment information shown under the person's consent (42 CFR 2.24)."""
    for consent, categories in page.disclosures:
        disclosure_record(
            viewer=viewer,
            consent=consent,
            recipient_agency=consent.recipient_agency,
            categories=categories,
        )


@role_required(*VIEW_ROLES)
def detail(
    request: SignedInRequest, case_id: uuid.UUID, bound: dict[str, forms.Form] | None = None
) -> HttpResponse:
    case = _get_case_for_user(request, case_id)
    audit_read(actor=request.user, obj=case, fields=CASE_READ_FIELDS)
    now = clock.now()
    page = case_detail_page(user=request.user, case=case, now=now)
    _record_disclosures(request.user, page)
    bound = bound or {}
    case_forms = _case_forms(page, bound, now)
    shown = set(case_forms) | _add_requirement_forms(page.requirement_rows, bound)
    for key, form in bound.items():
        if key not in shown:
            # The page was stale: the action is no longer offered, so say why at the top.
            for error in form.non_field_errors() or ["This action is no longer possible."]:
                messages.error(request, str(error))
    return render(
        request,
        "cases/detail.html",
        {**page.context(), "forms": case_forms},
        status=422 if bound else 200,
    )


@require_POST
@role_required(*VIEW_ROLES)
def act(request: SignedInRequest, case_id: uuid.UUID, action: str) -> HttpResponse:
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
    request: SignedInRequest, case_id: uuid.UUID, requirement_id: uuid.UUID, action: str
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
