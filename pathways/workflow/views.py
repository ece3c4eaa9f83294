"""Pages about a person across the apps: the scoped person search, the person's page with every
episode the viewer may see, and naming or linking a person first recorded without a name."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from pathways.accounts.access import role_required
from pathways.accounts.selectors import agencies_for, primary_agency
from pathways.audit.services import audit_read
from pathways.people.forms import PersonNameForm, PersonSearchForm
from pathways.people.models import Person
from pathways.people.selectors import (
    FIELD_ROLES,
    SEARCH_LIMIT,
    SEARCH_RESULTS,
    SEARCH_ROLES,
    find_people,
    person_duplicates,
    person_for_user,
)
from pathways.people.services import person_link, person_name
from pathways.programs.selectors import program_for_user
from pathways.referrals.disclosure import referrals_for_viewer
from pathways.workflow.selectors import may_identify, person_history

#: What the person page shows (audited as a read of the person).
PERSON_READ_FIELDS = ("name", "date_of_birth", "contacts", "referrals", "cases", "contact_details")


@role_required(*SEARCH_ROLES)
def search(request: HttpRequest) -> HttpResponse:
    """Find a person among those the viewer may see; every search is audited and limited."""
    form = PersonSearchForm(request.GET or None)
    result = None
    if form.is_bound and form.is_valid():
        result = find_people(
            request.user,
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
def detail(request: HttpRequest, person_id: uuid.UUID) -> HttpResponse:
    """Every episode of the person the viewer may see, newest first."""
    person = person_for_user(request.user, person_id)
    if person is None:
        raise Http404("No such person.")
    history = person_history(request.user, person)
    shown = referrals_for_viewer(request.user, history.referrals)
    audit_read(actor=request.user, obj=person, fields=PERSON_READ_FIELDS)
    return render(
        request,
        "people/detail.html",
        {
            "person": person,
            "history": history,
            "referrals": [(r, shown[r.pk]) for r in history.referrals],
            "may_identify": may_identify(request.user, person),
        },
    )


def _identify_target(request: HttpRequest, person_id: uuid.UUID) -> Person:
    person = person_for_user(request.user, person_id)
    if person is None or not may_identify(request.user, person):
        raise Http404("No such person to identify.")
    return person


def _back(person: Person, encounter_id: str) -> str:
    try:
        return reverse("encounters:detail", kwargs={"encounter_id": uuid.UUID(encounter_id)})
    except ValueError:
        return reverse("people:detail", kwargs={"person_id": person.pk})


@role_required(*SEARCH_ROLES)
def identify(request: HttpRequest, person_id: uuid.UUID) -> HttpResponse:
    """Name a person recorded without one. When the name and birth date match people already in
    Pathways, they are offered: choosing one links this record to them (every contact moves
    there); "a new person" names this record. Only the people offered can be chosen."""
    person = _identify_target(request, person_id)
    origin = (request.GET.get("from", "") or request.POST.get("from", ""))[:40]
    back = _back(person, origin)
    form = PersonNameForm(request.POST or None)
    candidates: list[Any] = []
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        candidates = [
            c
            for c in person_duplicates(
                program=program_for_user(request.user),
                first_name=data["first_name"],
                last_name=data["last_name"],
                date_of_birth=data["date_of_birth"],
            )
            if c.person.pk != person.pk
        ]
        choice = request.POST.get("person_choice", "")
        offered = {str(c.person.pk): c.person for c in candidates}
        agency = _acting_agency(request, person)
        try:
            if choice in offered:
                target = person_link(
                    actor=request.user,
                    agency=agency,
                    unidentified=person,
                    person=offered[choice],
                )
                messages.success(request, "Linked: every contact now shows under one person.")
                return redirect("people:detail", person_id=target.pk)
            if choice == "new" or (not candidates and not choice):
                person_name(
                    actor=request.user,
                    agency=agency,
                    person=person,
                    first_name=data["first_name"],
                    last_name=data["last_name"],
                    date_of_birth=data["date_of_birth"],
                )
                messages.success(request, "The person's name is recorded.")
                return redirect(back)
            if choice:
                form.add_error(None, "Choose one of the people listed, or a new person.")
        except ValidationError as exc:
            form.add_error(None, exc)
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


def _acting_agency(request: HttpRequest, person: Person) -> Any:
    """The viewer's agency that met the person (else their first), for the audit row."""
    met = set(person.encounters.values_list("agency_id", flat=True))
    for agency in agencies_for(request.user, *FIELD_ROLES):
        if agency.pk in met:
            return agency
    return primary_agency(request.user)
