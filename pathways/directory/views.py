from __future__ import annotations

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from pathways.accounts.access import SignedInRequest, role_required
from pathways.accounts.models import Role
from pathways.accounts.selectors import agency_ids_for, program_for_user
from pathways.directory.forms import CapacityForm
from pathways.directory.models import Service
from pathways.directory.selectors import services_in_program
from pathways.directory.services import service_capacity_set


def _get_own_service_for_user(request: HttpRequest, service_id: uuid.UUID) -> Service:
    program = program_for_user(request.user)
    own = agency_ids_for(request.user, Role.PROVIDER_INTAKE)
    service = (
        services_in_program(program).filter(pk=service_id, organization_id__in=own).first()
        if program
        else None
    )
    if service is None:
        raise Http404("No such service of your agency.")
    return service


@login_required
def service_list(request: SignedInRequest) -> HttpResponse:
    """The partner directory with open capacity; providers update their own services here."""
    program = program_for_user(request.user)
    if program is None:
        raise Http404
    services = list(
        services_in_program(program)
        .select_related("organization")
        .prefetch_related("locations")
        .order_by("organization__name", "name")
    )
    own = agency_ids_for(request.user, Role.PROVIDER_INTAKE)
    rows = [
        (
            s,
            CapacityForm(
                initial={"capacity_open": s.capacity_open, "capacity_total": s.capacity_total},
                prefix=str(s.pk),
            )
            if s.organization_id in own
            else None,
        )
        for s in sorted(services, key=lambda s: s.organization_id not in own)  # own first
    ]
    return render(request, "directory/services.html", {"rows": rows})


@require_POST
@role_required(Role.PROVIDER_INTAKE)
def capacity_update(request: SignedInRequest, service_id: uuid.UUID) -> HttpResponse:
    service = _get_own_service_for_user(request, service_id)
    form = CapacityForm(request.POST, prefix=str(service.pk))
    if form.is_valid():
        try:
            service_capacity_set(
                actor=request.user,
                service=service,
                capacity_open=form.cleaned_data["capacity_open"],
                capacity_total=form.cleaned_data["capacity_total"],
                reason="updated by provider",
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, f"Capacity of {service.name} updated.")
            return redirect("directory:services")
    return render(
        request,
        "directory/services.html",
        {"rows": [(service, form)], "single": True},
        status=422,
    )
