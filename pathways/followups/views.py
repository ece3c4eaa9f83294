"""The team worklist (overdue, due in the next 24 hours, later; mark an item done), visits, and
the Active Outreach lists."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from pathways.accounts.access import SignedInRequest, role_required
from pathways.accounts.models import Role, User
from pathways.consent.services import disclosure_record
from pathways.core import clock
from pathways.core.deadlines import describe_due
from pathways.followups.forms import (
    CompleteForm,
    OutreachAssignForm,
    OutreachCloseForm,
    OutreachEntryForm,
    OutreachListForm,
    OutreachVisitForm,
    VisitForm,
)
from pathways.followups.models import (
    OutreachEntry,
    OutreachList,
    Visit,
    VisitOutcome,
    WorkItem,
)
from pathways.followups.selectors import (
    MANAGERS,
    OUTREACH_ROLES,
    OutreachAccess,
    OutreachListPage,
    can_complete,
    can_record_visit,
    outreach_access,
    outreach_entry_for_user,
    outreach_entry_of_item,
    outreach_list_for_user,
    outreach_list_page,
    outreach_lists_page,
    outreach_teams_for,
    team_members,
    visit_page,
    work_item_for_user,
    worklist_page,
)
from pathways.followups.services import (
    OutreachVisitResult,
    VisitReferral,
    outreach_entry_add,
    outreach_entry_assign,
    outreach_entry_close,
    outreach_list_create,
    outreach_visit_record,
    visit_record,
    work_item_complete,
)
from pathways.people.selectors import PeopleSearch, find_people

#: Any role: every team may have work due (and a role without items sees an empty list).
ANY_ROLE = tuple(Role.values)


def _auto_id(item: WorkItem) -> str:
    return f"id_{item.pk.hex}_%s"


def _get_item_for_user(request: SignedInRequest, item_id: uuid.UUID) -> WorkItem:
    item = work_item_for_user(user=request.user, item_id=item_id)
    if item is None:
        raise Http404("No such work item.")
    return item


def _render(
    request: SignedInRequest,
    *,
    bound: dict[Any, CompleteForm] | None = None,
    status: int = 200,
) -> HttpResponse:
    page = worklist_page(user=request.user)
    for row in page.rows:
        if row.acts:
            row.form = (bound or {}).get(row.item.pk) or CompleteForm(auto_id=_auto_id(row.item))
    return render(request, "followups/list.html", page.context(), status=status)


@role_required(*ANY_ROLE)
def worklist(request: SignedInRequest) -> HttpResponse:
    return _render(request)


@require_POST
@role_required(*ANY_ROLE)
def complete(request: SignedInRequest, item_id: uuid.UUID) -> HttpResponse:
    item = _get_item_for_user(request, item_id)
    if not can_complete(user=request.user, item=item):
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


def _record_visit(
    actor: User, item: WorkItem, entry: OutreachEntry | None, form: VisitForm
) -> Visit | OutreachVisitResult:
    """Record the visit the form describes: an outreach list's visit also moves the person's
    outreach status (outreach_visit_record), any other is a follow-up visit (visit_record)."""
    data = form.cleaned_data
    referral = (
        VisitReferral(
            service=form.service_obj,
            warm_handoff=data["warm_handoff"],
            capacity_override_reason=data["capacity_override_reason"],
        )
        if form.service_obj is not None
        else None
    )
    visit = {
        "visited_at": data["visited_at"],
        "members": data["members"],
        "outcome": data["outcome"],
        "note": data["note"],
        "family_resources": data["family_resources"],
        "referral": referral,
    }
    if entry is not None:
        return outreach_visit_record(
            actor=actor, entry=entry, further_visit=not data["no_further_visit"], **visit
        )
    return visit_record(actor=actor, work_item=item, **visit)


def _visit_recorded(
    request: SignedInRequest, recorded: Visit | OutreachVisitResult
) -> HttpResponse:
    if isinstance(recorded, OutreachVisitResult):
        _outreach_visit_message(request, recorded)
        return redirect("followups:outreach_list", list_id=recorded.entry.outreach_list_id)
    if recorded.outcome == VisitOutcome.NOT_FOUND:
        messages.info(request, "Visit recorded. The item stays open for another attempt.")
    else:
        messages.success(request, "Visit recorded. The item is done.")
    return redirect("followups:list")


@role_required(*ANY_ROLE)
def visit(request: SignedInRequest, item_id: uuid.UUID) -> HttpResponse:
    """Record a follow-up or outreach visit on an item of the user's team."""
    item = _get_item_for_user(request, item_id)
    if not can_record_visit(user=request.user, item=item):
        raise PermissionDenied("Only the item's team records visits on it.")
    entry = outreach_entry_of_item(item=item)
    form_class = OutreachVisitForm if entry is not None else VisitForm
    form = form_class(request.POST or None, program=item.program)
    if request.method == "POST" and form.is_valid():
        try:
            recorded = _record_visit(request.user, item, entry, form)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            return _visit_recorded(request, recorded)
    page = visit_page(item=item, entry=entry, now=clock.now())
    return render(
        request,
        "followups/visit.html",
        {
            **page.context(),
            "form": form,
            "chosen_service": form.data.get("service", "") if form.is_bound else "",
        },
        status=422 if form.is_bound else 200,
    )


def _outreach_visit_message(request: SignedInRequest, result: OutreachVisitResult) -> None:
    """Messages name no one (they may be read over a shoulder): the list shows who it was."""
    entry = result.entry
    said = f"Visit recorded. Outreach status: {entry.status_description.lower()}."
    if result.visit.outcome == VisitOutcome.NOT_FOUND:
        messages.info(
            request, "Visit recorded. The person was not reached this time; the visit stays open."
        )
    elif result.next_item is not None:
        item = result.next_item
        due = describe_due(item.due_at, clock.now(), item.program.time_zone)
        messages.success(request, f"{said} Next visit {due}.")
    else:
        messages.success(request, said)


# --- Active Outreach ---------------------------------------------------------------------------


def _add_service_errors(form: Any, exc: ValidationError) -> None:
    """Put a service's refusal at the form's fields (or above the form)."""
    if hasattr(exc, "error_dict"):
        for name, errors in exc.message_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


def _get_list_for_user(
    request: SignedInRequest, list_id: uuid.UUID
) -> tuple[OutreachList, OutreachAccess]:
    outreach_list = outreach_list_for_user(user=request.user, list_id=list_id)
    access = (
        outreach_access(user=request.user, outreach_list=outreach_list) if outreach_list else None
    )
    if outreach_list is None or access is None:
        raise Http404("No such outreach list.")
    return outreach_list, access


def _get_entry_to_manage(request: SignedInRequest, entry_id: uuid.UUID) -> OutreachEntry:
    entry = outreach_entry_for_user(user=request.user, entry_id=entry_id)
    access = (
        outreach_access(user=request.user, outreach_list=entry.outreach_list) if entry else None
    )
    if entry is None or access is None:
        raise Http404("No such outreach entry.")
    if access not in MANAGERS:
        raise PermissionDenied("Only the list's team and the program office manage its people.")
    return entry


@role_required(*OUTREACH_ROLES)
def outreach_lists(request: SignedInRequest) -> HttpResponse:
    """The user's outreach lists with their counts by status; start a new list."""
    user = request.user
    teams = outreach_teams_for(user=user)
    form = OutreachListForm(request.POST or None, teams=teams) if teams else None
    status = 200
    if request.method == "POST":
        if form is None:
            raise PermissionDenied("Only the program office and a team's staff start lists.")
        if form.is_valid():
            try:
                created = outreach_list_create(
                    actor=user,
                    program=form.team_obj.program,
                    name=form.cleaned_data["name"],
                    team=form.team_obj,
                    description=form.cleaned_data["description"],
                )
            except ValidationError as exc:
                _add_service_errors(form, exc)
            else:
                messages.success(request, f"List “{created.name}” started.")
                return redirect("followups:outreach_list", list_id=created.pk)
        status = 422
    page = outreach_lists_page(user=user)
    return render(
        request,
        "followups/outreach_lists.html",
        {**page.context(), "form": form},
        status=status,
    )


def _entry_auto_id(entry: OutreachEntry) -> str:
    return f"id_{entry.pk.hex}_%s"


def _add_entry_forms(page: OutreachListPage, bound: dict[Any, Any]) -> None:
    """Lead and close forms on each entry the viewer manages: the one just sent, else blank."""
    for ev in page.entries:
        if not ev.manageable:
            continue
        entry = ev.row.entry
        forms = bound.get(entry.pk, {})
        ev.assign_form = forms.get("assign") or OutreachAssignForm(
            initial={"assigned_to": str(entry.assigned_to_id or "")},
            members=page.members,
            auto_id=_entry_auto_id(entry),
        )
        ev.close_form = forms.get("close") or OutreachCloseForm(auto_id=_entry_auto_id(entry))


def _record_status_disclosures(viewer: User, page: OutreachListPage) -> None:
    """Account for each status shown under the person's consent (accounting of disclosures)."""
    for consent in page.disclosures:
        disclosure_record(
            viewer=viewer,
            consent=consent,
            recipient_agency=consent.recipient_agency,
            categories=["progress"],
        )


def _render_list(
    request: SignedInRequest,
    outreach_list: OutreachList,
    access: OutreachAccess,
    *,
    add_form: OutreachEntryForm | None = None,
    query: str = "",
    search: PeopleSearch | None = None,
    bound: dict[Any, Any] | None = None,
    status: int = 200,
) -> HttpResponse:
    search = search or PeopleSearch()
    page = outreach_list_page(
        viewer=request.user,
        outreach_list=outreach_list,
        access=access,
        people=search.people,
        now=clock.now(),
    )
    _record_status_disclosures(request.user, page)
    _add_entry_forms(page, bound or {})
    if add_form is None:
        add_form = OutreachEntryForm(members=page.members if page.manage else None)
    return render(
        request,
        "followups/outreach_list.html",
        {
            **page.context(),
            "add_form": add_form,
            "query": query,
            "search_dob": request.GET.get("dob", request.POST.get("dob", ""))[:10],
            "search_refused": search.refused,
            "chosen_person": add_form.data.get("person", "") if add_form.is_bound else "",
            "field_form_url": reverse("encounters:new", kwargs={"code": "active_outreach"}),
        },
        status=status,
    )


@role_required(*OUTREACH_ROLES)
def outreach_list(request: SignedInRequest, list_id: uuid.UUID) -> HttpResponse:
    """A list's people with their status and next visit; find a person to add."""
    outreach_list, access = _get_list_for_user(request, list_id)
    query = request.GET.get("q", "").strip()[:100]
    search = _outreach_search(request, query, request.GET.get("dob", ""))
    status = 422 if search.refused else 200
    return _render_list(request, outreach_list, access, query=query, search=search, status=status)


def _outreach_search(request: SignedInRequest, query: str, dob: str) -> PeopleSearch:
    """People of the program to put on a list: scoped, audited and limited in rate; a
    responder types the birth date too (find_people)."""
    if not query:
        return PeopleSearch()
    try:
        date_of_birth = dt.date.fromisoformat(dob) if dob else None
    except ValueError:
        return PeopleSearch(refused="Enter the date of birth as a real date, e.g. 1985-03-14.")
    return find_people(
        viewer=request.user,
        query=query,
        date_of_birth=date_of_birth,
        purpose="outreach_add",
        program_wide=True,
    )


@require_POST
@role_required(*OUTREACH_ROLES)
def outreach_entry_add_view(request: SignedInRequest, list_id: uuid.UUID) -> HttpResponse:
    outreach_list, access = _get_list_for_user(request, list_id)
    manage = access in MANAGERS
    query = request.POST.get("q", "").strip()[:100]
    search = _outreach_search(request, query, request.POST.get("dob", ""))
    form = OutreachEntryForm(
        request.POST,
        members=team_members(team=outreach_list.team) if manage else None,
        offered=search.people,
    )
    if form.is_valid():
        try:
            outreach_entry_add(
                actor=request.user,
                outreach_list=outreach_list,
                person=form.person_obj,
                reason=form.cleaned_data["reason"],
                note=form.cleaned_data["note"],
                assigned_to=form.assigned_obj if manage else None,
            )
        except ValidationError as exc:
            _add_service_errors(form, exc)
        else:
            messages.success(
                request, f"Added to the list; the visit is on {outreach_list.team}'s worklist."
            )
            return redirect("followups:outreach_list", list_id=outreach_list.pk)
    return _render_list(
        request, outreach_list, access, add_form=form, query=query, search=search, status=422
    )


@require_POST
@role_required(*OUTREACH_ROLES)
def outreach_entry_assign_view(request: SignedInRequest, entry_id: uuid.UUID) -> HttpResponse:
    entry = _get_entry_to_manage(request, entry_id)
    outreach_list = entry.outreach_list
    form = OutreachAssignForm(
        request.POST, members=team_members(team=outreach_list.team), auto_id=_entry_auto_id(entry)
    )
    if form.is_valid():
        try:
            outreach_entry_assign(actor=request.user, entry=entry, assigned_to=form.assigned_obj)
        except ValidationError as exc:
            _add_service_errors(form, exc)
        else:
            messages.success(request, "Lead team member saved.")
            return redirect("followups:outreach_list", list_id=outreach_list.pk)
    access = outreach_access(user=request.user, outreach_list=outreach_list)
    assert access is not None
    return _render_list(
        request, outreach_list, access, bound={entry.pk: {"assign": form}}, status=422
    )


@require_POST
@role_required(*OUTREACH_ROLES)
def outreach_entry_close_view(request: SignedInRequest, entry_id: uuid.UUID) -> HttpResponse:
    entry = _get_entry_to_manage(request, entry_id)
    outreach_list = entry.outreach_list
    form = OutreachCloseForm(request.POST, auto_id=_entry_auto_id(entry))
    if form.is_valid():
        try:
            outreach_entry_close(
                actor=request.user, entry=entry, reason=form.cleaned_data["reason"]
            )
        except ValidationError as exc:
            _add_service_errors(form, exc)
        else:
            messages.success(request, "Outreach closed; the open visit was taken off the worklist.")
            return redirect("followups:outreach_list", list_id=outreach_list.pk)
    access = outreach_access(user=request.user, outreach_list=outreach_list)
    assert access is not None
    return _render_list(
        request, outreach_list, access, bound={entry.pk: {"close": form}}, status=422
    )
