"""The coordinator's audit search, with a spreadsheet-safe export (itself audited)."""

from __future__ import annotations

import json

from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from pathways.accounts.access import role_required
from pathways.accounts.models import Role
from pathways.accounts.selectors import program_for_user
from pathways.audit.services import audit_log
from pathways.core.exports import csv_response
from pathways.oversight.forms import AuditSearchForm
from pathways.oversight.selectors import audit_search

PAGE = 200
EXPORT_LIMIT = 50_000


@role_required(Role.COORDINATOR, Role.ADMIN)
def search(request: HttpRequest) -> HttpResponse:
    program = program_for_user(user=request.user)
    if program is None:
        raise Http404
    form = AuditSearchForm(request.GET or None)
    events = audit_search(user=request.user)
    if form.is_bound and form.is_valid():
        events = audit_search(user=request.user, **form.filters(program.time_zone))
    elif form.is_bound:
        events = events.none()
    if request.GET.get("format") == "csv" and not form.errors:
        rows = list(events[:EXPORT_LIMIT])
        with transaction.atomic():
            audit_log(
                actor=request.user,
                event_type="audit.export",
                obj=program,
                changes={"rows": [None, len(rows)]},
            )
        return csv_response(
            "pathways-audit.csv",
            ["when (UTC)", "who", "event", "outcome", "record type", "record id", "changes"],
            (
                [
                    e.occurred_at.isoformat(),
                    e.actor.username if e.actor else "",
                    e.event_type,
                    e.outcome,
                    e.object_type,
                    e.object_id,
                    json.dumps(e.changes, ensure_ascii=False, default=str),
                ]
                for e in rows
            ),
        )
    return render(
        request,
        "oversight/search.html",
        {
            "form": form,
            "events": list(events[:PAGE]),
            "page": PAGE,
            "now": timezone.now(),
            "query": request.GET.urlencode(),
        },
        status=422 if form.errors else 200,
    )
