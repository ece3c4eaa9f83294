from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from pathways.accounts.models import Role
from pathways.accounts.selectors import has_role


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Each role lands on the page it works from."""
    user = request.user
    if has_role(user, Role.COORDINATOR, Role.ADMIN):
        return redirect("outcomes:dashboard")
    if has_role(user, Role.OFFICER, Role.SUPERVISOR, Role.OUTREACH):
        return redirect("encounters:start")
    if has_role(user, Role.PROVIDER_INTAKE):
        return redirect("referrals:queue")
    if has_role(user, Role.CASE_MANAGER):
        return redirect("cases:list")
    if has_role(user, Role.PROSECUTOR):
        return redirect("cases:review_queue")
    if has_role(user, Role.RESEARCHER):
        return redirect("outcomes:report_index")
    return render(request, "core/no_role.html", status=403)


def healthz(request: HttpRequest) -> HttpResponse:
    """Liveness for load balancers: the database answers."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return HttpResponse("ok", content_type="text/plain")
