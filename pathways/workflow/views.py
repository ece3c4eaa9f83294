"""Pages about a person across the apps: the scoped person search, the person's page with every
episode the viewer may see, naming or linking a person first recorded without a name, and the
field form's likely-duplicate check (through the program's linkage model when it has one)."""

from __future__ import annotations

import datetime as dt
import uuid

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from pathways.accounts.access import SignedInRequest, role_required
from pathways.accounts.models import Role
from pathways.accounts.selectors import program_for_user
from pathways.audit.services import audit_read
from pathways.linkage.duplicates import likely_duplicates
from pathways.people.forms import PersonNameForm, PersonSearchForm
from pathways.people.models import Person
from pathways.people.selectors import (
    SEARCH_LIMIT,
    SEARCH_RESULTS,
    SEARCH_ROLES,
    Candidate,
    find_people,
    person_for_user,
)
from pathways.referrals.disclosure import referrals_for_viewer
from pathways.workflow.selectors import identify_candidates, may_identify, person_history
from pathways.workflow.services import person_identify

#: What the person page shows (audited as a read of the person).
PERSON_READ_FIELDS = ("name", "date_of_birth", "contacts", "referrals", "cases", "contact_details")


@role_required(*SEARCH_ROLES)
def search(request: SignedInRequest) -> HttpResponse:
    """Find a person among those the viewer may see; every search is audited and limited."""
    form = PersonSearchForm(request.GET or None)
    result = None
    if form.is_bound and form.is_valid():
        result = find_people(
            viewer=request.user,
            query=form.cleaned_data["q"],
            date_of_birth=form.cleaned_data["date_of_birth"],
            purpose="person_search",
        )
        if result.refused:
            form.add_error("q", result.refused)
    return render(
        request,
        "people/search.html",
        {
            "form": form,
            "result": result,
            "most": SEARCH_RESULTS,
            "limit": SEARCH_LIMIT,
        },
        status=422 if form.is_bound and form.errors else 200,
    )


@role_required(*SEARCH_ROLES)
def detail(request: SignedInRequest, person_id: uuid.UUID) -> HttpResponse:
    """Every episode of the person the viewer may see, newest first."""
    person = person_for_user(user=request.user, person_id=person_id)
    if person is None:
        raise Http404("No such person.")
    history = person_history(viewer=request.user, person=person)
    shown = referrals_for_viewer(request.user, history.referrals)
    audit_read(actor=request.user, obj=person, fields=PERSON_READ_FIELDS)
    return render(
        request,
        "people/detail.html",
        {
            "person": person,
            "history": history,
            "referrals": [(r, shown[r.pk]) for r in history.referrals],
            "may_identify": may_identify(viewer=request.user, person=person),
        },
    )


def _identify_target(request: SignedInRequest, person_id: uuid.UUID) -> Person:
    person = person_for_user(user=request.user, person_id=person_id)
    if person is None or not may_identify(viewer=request.user, person=person):
        raise Http404("No such person to identify.")
    return person


def _back(person: Person, encounter_id: str) -> str:
    try:
        return reverse("encounters:detail", kwargs={"encounter_id": uuid.UUID(encounter_id)})
    except ValueError:
        return reverse("people:detail", kwargs={"person_id": person.pk})


@role_required(*SEARCH_ROLES)
def identify(request: SignedInRequest, person_id: uuid.UUID) -> HttpResponse:
    """Name a person recorded without one. When the name and birth date match people already in
    Pathways, they are offered: choosing one links this record to them (every contact moves
    there); "a new person" names this record. Only the people offered can be chosen
    (workflow.services.person_identify)."""
    person = _identify_target(request, person_id)
    origin = (request.GET.get("from", "") or request.POST.get("from", ""))[:40]
    back = _back(person, origin)
    form = PersonNameForm(request.POST or None)
    candidates: list[Candidate] = []
    if request.method == "POST" and form.is_valid():
        names = {k: form.cleaned_data[k] for k in ("first_name", "last_name", "date_of_birth")}
        try:
            done = person_identify(
                actor=request.user,
                person=person,
                choice=request.POST.get("person_choice", ""),
                **names,
            )
        except ValidationError as exc:
            form.add_error(None, exc)
            candidates = identify_candidates(viewer=request.user, person=person, **names)
        else:
            if done.linked and done.person is not None:
                messages.success(request, "Linked: every contact now shows under one person.")
                return redirect("people:detail", person_id=done.person.pk)
            if done.person is not None:
                messages.success(request, "The person's name is recorded.")
                return redirect(back)
            candidates = done.candidates
    return render(
        request,
        "people/identify.html",
        {
            "person": person,
            "form": form,
            "candidates": candidates,
            "back": back,
            "origin": origin,
        },
        status=422 if form.errors else 200,
    )


@role_required(Role.OFFICER, Role.SUPERVISOR, Role.OUTREACH)
def duplicates(request: SignedInRequest) -> HttpResponse:
    """Likely existing people for the name and birth date being typed (htmx fragment of the
    field form; the form's submit runs the same check on the same answers)."""
    first = request.GET.get("first_name", "").strip()[:80]
    last = request.GET.get("last_name", "").strip()[:80]
    try:
        dob = dt.date.fromisoformat(request.GET.get("date_of_birth", ""))
    except ValueError:
        dob = None
    # a name alone finds no one: the check answers only for a name with its birth date
    candidates = (
        likely_duplicates(
            program=program_for_user(user=request.user),
            first_name=first,
            last_name=last,
            date_of_birth=dob,
        )
        if first and last and dob is not None
        else []
    )
    chosen = request.GET.get("person_choice", "")[:40]
    return render(request, "people/_duplicates.html", {"candidates": candidates, "chosen": chosen})
