"""The team worklist: what is overdue, due in the next 24 hours, and later; mark an item done."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from pathways.accounts.models import Role
from pathways.accounts.selectors import agency_ids_for, is_program_wide
from pathways.core import clock
from pathways.core.access import role_required
from pathways.directory.selectors import services_for_needs
from pathways.followups.clocks import describe_due
from pathways.followups.forms import CompleteForm, VisitForm
from pathways.followups.models import VisitOutcome, WorkItem
from pathways.followups.selectors import (
    WORKLIST_LIMIT,
    can_complete,
    visit_context,
    work_item_for_user,
    worklist_for,
)
from pathways.followups.services import (
    VISIT_KINDS,
    VisitReferral,
    visit_record,
    work_item_complete,
)

#: Any role: every team may have work due (and a role without items sees an empty list).
ANY_ROLE = tuple(Role.values)


@dataclass
class Row:
    item: WorkItem
    due_text: str
    overdue: bool
    relative: bool  # due_text counts time (overdue by / due in); else it is the date itself
    form: CompleteForm | None  # None when the user watches but does not act (program-wide)
    visit_url: str | None = None  # follow-up and outreach items of the user's team


@dataclass
class Section:
    key: str
    heading: str
    empty: str
    rows: list[Row]


def _auto_id(item: WorkItem) -> str:
    return f"id_{item.pk.hex}_%s"


def _get_item_for_user(request: HttpRequest, item_id: uuid.UUID) -> WorkItem:
    item = work_item_for_user(request.user, item_id)
    if item is None:
        raise Http404("No such work item.")
    return item


def _render(
    request: HttpRequest, *, bound: dict[Any, CompleteForm] | None = None, status: int = 200
) -> HttpResponse:
    user = request.user
    worklist = worklist_for(user)
    now = worklist.now
    assert now is not None
    acting_teams = agency_ids_for(user)

    def rows(items: list[WorkItem], *, overdue: bool, relative: bool = True) -> list[Row]:
        result = []
        for item in items:
            form = None
            if item.team_id in acting_teams:
                form = (bound or {}).get(item.pk) or CompleteForm(auto_id=_auto_id(item))
            due_text = describe_due(item.due_at, now, item.program.time_zone)
            visit_url = (
                reverse("followups:visit", kwargs={"item_id": item.pk})
                if form is not None and item.kind in VISIT_KINDS and item.person_id
                else None
            )
            result.append(
                Row(
                    item=item,
                    due_text=due_text,
                    overdue=overdue,
                    relative=relative,
                    form=form,
                    visit_url=visit_url,
                )
            )
        return result

    sections = [
        Section("overdue", "Overdue", "Nothing is overdue.", rows(worklist.overdue, overdue=True)),
        Section(
            "due-soon",
            "Due in the next 24 hours",
            "Nothing is due in the next 24 hours.",
            rows(worklist.due_soon, overdue=False),
        ),
        Section(
            "later",
            "Later",
            "Nothing is due later.",
            rows(worklist.later, overdue=False, relative=False),
        ),
    ]
    return render(
        request,
        "followups/list.html",
        {
            "sections": sections,
            "total": len(worklist),
            "truncated": worklist.truncated,
            "limit": WORKLIST_LIMIT,
            "show_team": is_program_wide(user) or len(acting_teams) > 1,
        },
        status=status,
    )


@role_required(*ANY_ROLE)
def worklist(request: HttpRequest) -> HttpResponse:
    return _render(request)


@require_POST
@role_required(*ANY_ROLE)
def complete(request: HttpRequest, item_id: uuid.UUID) -> HttpResponse:
    item = _get_item_for_user(request, item_id)
    if not can_complete(request.user, item):
        raise PermissionDenied("Only the team the item is assigned to can mark it done.")
    form = CompleteForm(request.POST, auto_id=_auto_id(item))
    if not form.is_valid():
        for error in form.errors.get("outcome_note", []):
            messages.error(request, f"“{item.title}” was not marked done: {error}")
        return _render(request, bound={item.pk: form}, status=422)
    try:
        work_item_complete(item, actor=request.user, outcome_note=form.cleaned_data["outcome_note"])
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return redirect("followups:list")
    messages.success(request, f"Marked done: {item.title}.")
    return redirect("followups:list")


@role_required(*ANY_ROLE)
def visit(request: HttpRequest, item_id: uuid.UUID) -> HttpResponse:
    """Record a follow-up or outreach visit on an item of the user's team."""
    item = _get_item_for_user(request, item_id)
    if not can_complete(request.user, item) or item.kind not in VISIT_KINDS:
        raise PermissionDenied("Only the item's team records visits on it.")
    context = visit_context(item)
    form = VisitForm(request.POST or None, program=item.program)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            recorded = visit_record(
                actor=request.user,
                work_item=item,
                visited_at=data["visited_at"],
                members=data["members"],
                outcome=data["outcome"],
                note=data["note"],
                family_resources=data["family_resources"],
                referral=VisitReferral(
                    service=form.service_obj,
                    warm_handoff=data["warm_handoff"],
                    capacity_override_reason=data["capacity_override_reason"],
                )
                if form.service_obj is not None
                else None,
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            if recorded.outcome == VisitOutcome.NOT_FOUND:
                messages.info(request, "Visit recorded. The item stays open for another attempt.")
            else:
                messages.success(request, f"Visit recorded; done: {item.title}.")
            return redirect("followups:list")
    needs = context.index.presenting_needs if context.index is not None else ["opioid_use"]
    return render(
        request,
        "followups/visit.html",
        {
            "item": item,
            "ctx": context,
            "form": form,
            "services": services_for_needs(item.program, needs),
            "chosen_service": form.data.get("service", "") if form.is_bound else "",
            "due_text": describe_due(item.due_at, clock.now(), item.program.time_zone),
        },
        status=422 if form.is_bound else 200,
    )
