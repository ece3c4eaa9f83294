from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from pathways.accounts.models import Role
from pathways.core.access import role_required
from pathways.outcomes.selectors import program_pipeline
from pathways.programs.selectors import program_for_user

BAR_HEIGHT = 28


@role_required(Role.COORDINATOR, Role.ADMIN, Role.RESEARCHER, Role.PROSECUTOR)
def dashboard(request: HttpRequest) -> HttpResponse:
    """The program at a glance: encounters and referrals by pathway and status."""
    program = program_for_user(request.user)
    if program is None:
        raise Http404
    pipeline = program_pipeline(program)
    bars = [
        {
            "label": row.pathway.short_name,
            "value": row.encounters,
            "y": i * BAR_HEIGHT,
            "width": round(400 * row.encounters / pipeline.max_encounters, 1),
        }
        for i, row in enumerate(pipeline.rows)
    ]
    return render(
        request,
        "outcomes/dashboard.html",
        {
            "program": program,
            "pipeline": pipeline,
            "bars": bars,
            "chart_height": BAR_HEIGHT * len(bars),
        },
    )
