from __future__ import annotations

import datetime as dt

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from pathways.accounts.access import role_required
from pathways.accounts.models import Role
from pathways.accounts.selectors import program_for_user
from pathways.people.selectors import person_duplicates


@role_required(Role.OFFICER, Role.SUPERVISOR, Role.OUTREACH)
def duplicates(request: HttpRequest) -> HttpResponse:
    """Likely existing people for the name and birth date being typed (htmx fragment)."""
    first = request.GET.get("first_name", "").strip()[:80]
    last = request.GET.get("last_name", "").strip()[:80]
    try:
        dob = dt.date.fromisoformat(request.GET.get("date_of_birth", ""))
    except ValueError:
        dob = None
    # a name alone finds no one: the check answers only for a name with its birth date
    candidates = (
        person_duplicates(
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
