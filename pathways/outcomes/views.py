from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from pathways.accounts.models import Role
from pathways.accounts.selectors import has_role
from pathways.core.access import role_required
from pathways.outcomes.selectors import program_pipeline, published_pipeline
from pathways.programs.selectors import program_for_user

BAR_HEIGHT = 28


@role_required(Role.COORDINATOR, Role.ADMIN, Role.RESEARCHER, Role.PROSECUTOR)
def dashboard(request: HttpRequest) -> HttpResponse:
    """The program at a glance: encounters and referrals by pathway and status. The program
    office sees exact counts; researchers and prosecutors see small counts suppressed."""
    program = program_for_user(request.user)
    if program is None:
        raise Http404
    pipeline = program_pipeline(program)
    office = has_role(request.user, Role.COORDINATOR, Role.ADMIN)
    published = published_pipeline(pipeline, suppress_small=not office)
    bars = [
        {
            "label": row.row.pathway.short_name,
            "value": row.encounters.value,
            "hidden": row.encounters.hidden,
            "y": i * BAR_HEIGHT,
            "width": 0
            if row.encounters.hidden
            else round(400 * row.encounters.value / pipeline.max_encounters, 1),
        }
        for i, row in enumerate(published.rows)
    ]
    return render(
        request,
        "outcomes/dashboard.html",
        {
            "program": program,
            "pipeline": pipeline,
            "published": published,
            "statuses": pipeline.statuses,
            "bars": bars,
            "chart_height": BAR_HEIGHT * len(bars),
        },
    )
