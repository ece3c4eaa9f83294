"""The team worklist (overdue, due in the next 24 hours, later; mark an item done), visits, and
the Active Outreach lists."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from pathways.accounts.access import role_required
from pathways.accounts.models import Role
from pathways.accounts.selectors import agency_ids_for, is_program_wide
from pathways.consent.selectors import may_disclose
from pathways.consent.services import disclosure_record
from pathways.core import clock
from pathways.core.deadlines import describe_due
from pathways.directory.models import ServiceType
from pathways.followups import hooks
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
    OutreachStatus,
    VisitOutcome,
    WorkItem,
)
from pathways.followups.selectors import (
    OUTREACH_ROLES,
    PRESCRIBER_HINT,
    PRESCRIBER_SERVICE_TYPES,
    PROTECTED_STATUSES,
    REACHED_DESCRIPTION,
    REACHED_LABEL,
    STATUS_TAG,
    WORKLIST_LIMIT,
    EntryRow,
    OutreachAccess,
    active_outreach_pathway,
    administered_by_phrase,
    can_complete,
    can_record_visit,
    entries_of,
    masked_summary,
    outreach_access,
    outreach_entry_for_user,
    outreach_entry_of_item,
    outreach_list_for_user,
    outreach_lists_for,
    outreach_team_kinds,
    outreach_teams_for,
    status_counts,
    status_counts_of,
    team_members,
    visit_config,
    visit_context,
    visit_services,
    visit_team_rule,
    work_item_for_user,
    worklist_for,
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
from pathways.programs.selectors import program_for_user

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
    _link_cases([*worklist.overdue, *worklist.due_soon, *worklist.later])

    def rows(items: list[WorkItem], *, overdue: bool, relative: bool = True) -> list[Row]:
        result = []
        for item in items:
            form = None
            if item.team_id in acting_teams:
                form = (bound or {}).get(item.pk) or CompleteForm(auto_id=_auto_id(item))
            due_text = describe_due(item.due_at, now, item.program.time_zone)
            visit_url = (
                reverse("followups:visit", kwargs={"item_id": item.pk})
                if can_record_visit(user, item)
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


def _link_cases(items: list[WorkItem]) -> None:
    """Point case deadlines (review, intake, completion) at the case page, in one query. Cases
    builds on followups: it answers through the hook it fills (followups.hooks)."""
    wanted = {i.encounter_id for i in items if i.kind in WorkItem.CASE_KINDS and i.encounter_id}
    if not wanted:
        return
    by_encounter = hooks.cases_of_contacts.function(wanted)
    for item in items:
        if item.kind in WorkItem.CASE_KINDS and item.encounter_id is not None:
            item.case_id_for_link = by_encounter.get(item.encounter_id)


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
    if not can_record_visit(request.user, item):
        raise PermissionDenied("Only the item's team records visits on it.")
    context = visit_context(item)
    # An outreach list's visit also moves the person's outreach status.
    entry = outreach_entry_of_item(item)
    form_class = OutreachVisitForm if entry is not None else VisitForm
    form = form_class(request.POST or None, program=item.program)
    if request.method == "POST" and form.is_valid():
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
        try:
            if entry is not None:
                result = outreach_visit_record(
                    actor=request.user,
                    entry=entry,
                    visited_at=data["visited_at"],
                    members=data["members"],
                    outcome=data["outcome"],
                    note=data["note"],
                    family_resources=data["family_resources"],
                    referral=referral,
                    further_visit=not data["no_further_visit"],
                )
                recorded = result.visit
            else:
                recorded = visit_record(
                    actor=request.user,
                    work_item=item,
                    visited_at=data["visited_at"],
                    members=data["members"],
                    outcome=data["outcome"],
                    note=data["note"],
                    family_resources=data["family_resources"],
                    referral=referral,
                )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            if entry is not None:
                _outreach_visit_message(request, result)
                return redirect("followups:outreach_list", list_id=entry.outreach_list_id)
            if recorded.outcome == VisitOutcome.NOT_FOUND:
                messages.info(request, "Visit recorded. The item stays open for another attempt.")
            else:
                messages.success(request, "Visit recorded. The item is done.")
            return redirect("followups:list")
    if context.index is not None:
        needs = context.index.presenting_needs
    else:
        needs = ["substance_use"] if entry is not None else ["opioid_use"]
    pathway = (
        outreach_pathway.pathway
        if entry is not None and (outreach_pathway := active_outreach_pathway(item.program))
        else (context.index.pathway if context.index is not None else None)
    )
    services = visit_services(item, needs, pathway)
    labels = dict(ServiceType.choices)
    shown_types = list(dict.fromkeys(s.service_type for s in services))
    return render(
        request,
        "followups/visit.html",
        {
            "item": item,
            "ctx": context,
            "form": form,
            "services": services,
            "service_order": [str(labels.get(t, t)) for t in shown_types],
            "naloxone_by": administered_by_phrase(context.overdose) if context.overdose else "",
            "team_rule": visit_team_rule(visit_config(item, pathway if entry else None)),
            "prescriber_hint": PRESCRIBER_HINT,
            "prescriber_types": sorted(PRESCRIBER_SERVICE_TYPES),
            "chosen_service": form.data.get("service", "") if form.is_bound else "",
            "due_text": describe_due(item.due_at, clock.now(), item.program.time_zone),
            "outreach_entry": entry,
        },
        status=422 if form.is_bound else 200,
    )


def _outreach_visit_message(request: HttpRequest, result: OutreachVisitResult) -> None:
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
    request: HttpRequest, list_id: uuid.UUID
) -> tuple[OutreachList, OutreachAccess]:
    outreach_list = outreach_list_for_user(request.user, list_id)
    access = outreach_access(request.user, outreach_list) if outreach_list else None
    if outreach_list is None or access is None:
        raise Http404("No such outreach list.")
    return outreach_list, access


def _get_entry_to_manage(request: HttpRequest, entry_id: uuid.UUID) -> OutreachEntry:
    entry = outreach_entry_for_user(request.user, entry_id)
    access = outreach_access(request.user, entry.outreach_list) if entry else None
    if entry is None or access is None:
        raise Http404("No such outreach entry.")
    if access not in MANAGERS:
        raise PermissionDenied("Only the list's team and the program office manage its people.")
    return entry


#: Who assigns, closes and picks the lead: the team and the program office.
MANAGERS = (OutreachAccess.TEAM, OutreachAccess.PROGRAM)


@role_required(*OUTREACH_ROLES)
def outreach_lists(request: HttpRequest) -> HttpResponse:
    """The user's outreach lists with their counts by status; start a new list."""
    user = request.user
    teams = outreach_teams_for(user)
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
    lists = list(outreach_lists_for(user))
    summaries = {
        pk: summary
        if outreach_access(user, next(ol for ol in lists if ol.pk == pk)) != OutreachAccess.STATUS
        else masked_summary(summary)
        for pk, summary in status_counts_of(lists).items()
    }
    program = program_for_user(user)
    return render(
        request,
        "followups/outreach_lists.html",
        {
            "rows": [(ol, summaries[ol.pk]) for ol in lists],
            "form": form,
            "runs_outreach": bool(program and outreach_team_kinds(program)),
        },
        status=status,
    )


@dataclass
class EntryView:
    row: EntryRow
    tag: str  # the status tag's class
    status_label: str
    status_description: str
    due_text: str | None
    overdue: bool
    visit_url: str | None
    assign_form: OutreachAssignForm | None
    close_form: OutreachCloseForm | None


def shown_status(
    viewer: Any, outreach_list: OutreachList, entry: OutreachEntry, access: OutreachAccess
) -> tuple[str, str, str]:
    """(label, description, tag class) of an entry's status as the viewer may see it: viewers
    outside the team see how the person responded only under the person's consent (recorded as
    a disclosure), and "Reached" otherwise."""
    real = (entry.get_status_display(), entry.status_description, STATUS_TAG.get(entry.status, ""))
    if access != OutreachAccess.STATUS or entry.status not in PROTECTED_STATUSES:
        return real
    decision = may_disclose(viewer, entry.person_id, "progress", outreach_list.team_id)
    if not decision.allowed:
        return REACHED_LABEL, REACHED_DESCRIPTION, ""
    if decision.consent is not None:
        disclosure_record(
            viewer=viewer,
            consent=decision.consent,
            recipient_agency=decision.consent.recipient_agency,
            categories=["progress"],
        )
    return real


def _entry_auto_id(entry: OutreachEntry) -> str:
    return f"id_{entry.pk.hex}_%s"


def _render_list(
    request: HttpRequest,
    outreach_list: OutreachList,
    access: OutreachAccess,
    *,
    add_form: OutreachEntryForm | None = None,
    query: str = "",
    search: PeopleSearch | None = None,
    bound: dict[Any, Any] | None = None,
    status: int = 200,
) -> HttpResponse:
    now = clock.now()
    tz = outreach_list.program.time_zone
    manage = access in MANAGERS
    members = team_members(outreach_list.team) if manage else []
    bound = bound or {}

    def views(rows: list[EntryRow], *, closed: bool) -> list[EntryView]:
        result = []
        for row in rows:
            entry, item = row.entry, row.open_item
            forms = bound.get(entry.pk, {})
            label, description, tag = shown_status(request.user, outreach_list, entry, access)
            result.append(
                EntryView(
                    row=row,
                    tag=tag,
                    status_label=label,
                    status_description=description,
                    due_text=describe_due(item.due_at, now, tz) if item else None,
                    overdue=item is not None and item.due_at < now,
                    visit_url=reverse("followups:visit", kwargs={"item_id": item.pk})
                    if item is not None and access == OutreachAccess.TEAM
                    else None,
                    assign_form=forms.get("assign")
                    or OutreachAssignForm(
                        initial={"assigned_to": str(entry.assigned_to_id or "")},
                        members=members,
                        auto_id=_entry_auto_id(entry),
                    )
                    if manage and not closed
                    else None,
                    close_form=forms.get("close")
                    or OutreachCloseForm(auto_id=_entry_auto_id(entry))
                    if manage and not closed
                    else None,
                )
            )
        return result

    if add_form is None:
        add_form = OutreachEntryForm(members=members if manage else None)
    search = search or PeopleSearch()
    results = search.people
    on_list = set(
        OutreachEntry.objects.filter(
            outreach_list=outreach_list, person__in=[p.pk for p in results]
        )
        .exclude(status=OutreachStatus.CLOSED)
        .values_list("person_id", flat=True)
    )
    return render(
        request,
        "followups/outreach_list.html",
        {
            "outreach_list": outreach_list,
            "access": access,
            "is_team": access == OutreachAccess.TEAM,
            "manage": manage,
            "summary": status_counts(outreach_list)
            if access != OutreachAccess.STATUS
            else masked_summary(status_counts(outreach_list)),
            "entries": views(entries_of(outreach_list), closed=False),
            "closed": views(entries_of(outreach_list, closed=True), closed=True),
            "add_form": add_form,
            "query": query,
            "search_dob": request.GET.get("dob", request.POST.get("dob", ""))[:10],
            "search_refused": search.refused,
            "results": [(p, p.pk in on_list) for p in results],
            "chosen_person": add_form.data.get("person", "") if add_form.is_bound else "",
            "field_form_url": reverse("encounters:new", kwargs={"code": "active_outreach"}),
        },
        status=status,
    )


@role_required(*OUTREACH_ROLES)
def outreach_list(request: HttpRequest, list_id: uuid.UUID) -> HttpResponse:
    """A list's people with their status and next visit; find a person to add."""
    outreach_list, access = _get_list_for_user(request, list_id)
    query = request.GET.get("q", "").strip()[:100]
    search = _outreach_search(request, query, request.GET.get("dob", ""))
    status = 422 if search.refused else 200
    return _render_list(request, outreach_list, access, query=query, search=search, status=status)


def _outreach_search(request: HttpRequest, query: str, dob: str) -> PeopleSearch:
    """People of the program to put on a list: scoped, audited and limited in rate; a
    responder types the birth date too (find_people)."""
    if not query:
        return PeopleSearch()
    try:
        date_of_birth = dt.date.fromisoformat(dob) if dob else None
    except ValueError:
        return PeopleSearch(refused="Enter the date of birth as a real date, e.g. 1985-03-14.")
    return find_people(
        request.user,
        query=query,
        date_of_birth=date_of_birth,
        purpose="outreach_add",
        program_wide=True,
    )


@require_POST
@role_required(*OUTREACH_ROLES)
def outreach_entry_add_view(request: HttpRequest, list_id: uuid.UUID) -> HttpResponse:
    outreach_list, access = _get_list_for_user(request, list_id)
    manage = access in MANAGERS
    query = request.POST.get("q", "").strip()[:100]
    search = _outreach_search(request, query, request.POST.get("dob", ""))
    form = OutreachEntryForm(
        request.POST,
        members=team_members(outreach_list.team) if manage else None,
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
def outreach_entry_assign_view(request: HttpRequest, entry_id: uuid.UUID) -> HttpResponse:
    entry = _get_entry_to_manage(request, entry_id)
    outreach_list = entry.outreach_list
    form = OutreachAssignForm(
        request.POST, members=team_members(outreach_list.team), auto_id=_entry_auto_id(entry)
    )
    if form.is_valid():
        try:
            outreach_entry_assign(actor=request.user, entry=entry, assigned_to=form.assigned_obj)
        except ValidationError as exc:
            _add_service_errors(form, exc)
        else:
            messages.success(request, "Lead team member saved.")
            return redirect("followups:outreach_list", list_id=outreach_list.pk)
    access = outreach_access(request.user, outreach_list)
    assert access is not None
    return _render_list(
        request, outreach_list, access, bound={entry.pk: {"assign": form}}, status=422
    )


@require_POST
@role_required(*OUTREACH_ROLES)
def outreach_entry_close_view(request: HttpRequest, entry_id: uuid.UUID) -> HttpResponse:
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
    access = outreach_access(request.user, outreach_list)
    assert access is not None
    return _render_list(
        request, outreach_list, access, bound={entry.pk: {"close": form}}, status=422
    )
