from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

if TYPE_CHECKING:
    from pathways.programs.models import Program

from pathways.accounts.access import SignedInRequest, role_required
from pathways.accounts.models import Role
from pathways.accounts.selectors import agencies_for, agency_ids_for, program_for_user
from pathways.directory.forms import CapacityForm
from pathways.directory.hsds.export import directory_json, directory_package
from pathways.directory.hsds.forms import HsdsImportForm
from pathways.directory.hsds.importer import hsds_import
from pathways.directory.hsds.reader import MAX_BYTES, read_file
from pathways.directory.models import Service
from pathways.directory.selectors import services_in_program
from pathways.directory.services import service_capacity_set


def _get_own_service_for_user(request: HttpRequest, service_id: uuid.UUID) -> Service:
    program = program_for_user(user=request.user)
    own = agency_ids_for(request.user, Role.PROVIDER_INTAKE)
    service = (
        services_in_program(program=program).filter(pk=service_id, organization_id__in=own).first()
        if program
        else None
    )
    if service is None:
        raise Http404("No such service of your agency.")
    return service


@login_required
def service_list(request: SignedInRequest) -> HttpResponse:
    """The partner directory with open capacity; providers update their own services here."""
    program = program_for_user(user=request.user)
    if program is None:
        raise Http404
    services = list(
        services_in_program(program=program)
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


# --- Open Referral HSDS exchange (docs/decisions/0031-hsds-directory-exchange.md) ------------

HSDS_ROLES = (Role.COORDINATOR, Role.ADMIN)


def _hsds_program(request: SignedInRequest) -> Program:
    """The program the coordinator or administrator runs (their own program only)."""
    program = next((a.program for a in agencies_for(request.user, *HSDS_ROLES)), None)
    if program is None:
        raise PermissionDenied("Only the program's coordinator or administrator may do this.")
    return program


@role_required(*HSDS_ROLES)
def hsds_exchange(request: SignedInRequest) -> HttpResponse:
    """Download the directory as HSDS; upload an HSDS file and see its row-level report."""
    program = _hsds_program(request)
    posted = request.method == "POST"
    form = HsdsImportForm(request.POST if posted else None, request.FILES if posted else None)
    report = None
    if posted and form.is_valid():
        upload = form.cleaned_data["file"]
        parsed = read_file(upload.name, upload.read(MAX_BYTES + 1))  # one byte over: too big
        dry_run = form.cleaned_data["dry_run"]
        report = hsds_import(actor=request.user, program=program, parsed=parsed, dry_run=dry_run)
        if report.applied:
            messages.success(request, f"Imported the directory: {report.summary()}.")
    status = 200 if not posted else 400 if report is None or report.fatal else 200
    context = {"program": program, "form": form, "report": report}
    return render(request, "directory/hsds.html", context, status=status)


@role_required(*HSDS_ROLES)
def hsds_download(request: SignedInRequest, fmt: str) -> HttpResponse:
    program = _hsds_program(request)
    if fmt not in ("json", "zip"):
        raise Http404("Export as .json or .zip.")
    if fmt == "zip":
        body, kind, name = directory_package(program), "application/zip", "hsds-directory.zip"
    else:
        body, kind, name = directory_json(program), "application/json", "hsds-directory.json"
    response = HttpResponse(body, content_type=kind)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
