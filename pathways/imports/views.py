"""The program office's imports page: upload an EMS (NEMSIS) file or a dispatch (CAD)
export, watch its job, read what it did or why it was refused; set the dispatch mapping."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from pathways.accounts.access import SignedInRequest, role_required
from pathways.core.forms import show_service_errors
from pathways.imports import cad
from pathways.imports.forms import ImportForm, MappingForm
from pathways.imports.models import ImportKind
from pathways.imports.selectors import (
    cad_mapping,
    import_agencies,
    job_of_program,
    recent_jobs,
    totals,
)
from pathways.imports.services import (
    EXTENSIONS,
    IMPORT_ROLES,
    cad_mapping_save,
    import_job_start,
)
from pathways.programs.models import Program
from pathways.programs.selectors import program_for_user

LABELS = {
    ImportKind.NEMSIS: "EMS or fire agency that wrote the reports",
    ImportKind.CAD: "Community response team the calls went to",
}
EXAMPLE_MAPPING = {
    "fields": {
        "incident_number": "IncidentNo",
        "received_at": "CallReceived",
        "dispatched_at": "Dispatched",
        "on_scene_at": "OnScene",
        "cleared_at": "Cleared",
        "nature_code": "NatureCode",
        "location": "Address",
        "disposition": "Dispo",
        "units": "Units",
    },
    "time_format": "%m/%d/%Y %H:%M:%S",
    "community_response_codes": ["MH", "WELF", "CRISIS"],
    "units_separator": ";",
}


def _program(request: HttpRequest) -> Program:
    program = program_for_user(user=request.user)
    if program is None:
        raise Http404
    return program


def _form(program: Program, kind: str, data: Any = None, files: Any = None) -> ImportForm:
    return ImportForm(
        data,
        files,
        prefix=kind,
        agencies=import_agencies(program=program, kind=kind),
        label=LABELS[ImportKind(kind)],
        accept=",".join(EXTENSIONS[ImportKind(kind)]),
    )


def _page(
    request: SignedInRequest,
    program: Program,
    *,
    forms: dict[str, ImportForm] | None = None,
    mapping_form: MappingForm | None = None,
    status: int = 200,
) -> HttpResponse:
    forms = forms or {}
    saved = cad_mapping(program_id=program.pk)
    return render(
        request,
        "imports/index.html",
        {
            "program": program,
            "nemsis_form": forms.get(ImportKind.NEMSIS) or _form(program, ImportKind.NEMSIS),
            "cad_form": forms.get(ImportKind.CAD) or _form(program, ImportKind.CAD),
            "mapping_form": mapping_form
            or MappingForm(
                initial={
                    "mapping": json.dumps(saved.mapping if saved else EXAMPLE_MAPPING, indent=2)
                }
            ),
            "mapping_saved": saved,
            "jobs": recent_jobs(program_id=program.pk),
            "totals": totals(program_id=program.pk),
            "cad_fields": cad.FIELDS,
        },
        status=status,
    )


@role_required(*IMPORT_ROLES)
def index(request: SignedInRequest) -> HttpResponse:
    return _page(request, _program(request))


@require_http_methods(["POST"])
@role_required(*IMPORT_ROLES)
def upload(request: SignedInRequest, kind: str) -> HttpResponse:
    program = _program(request)
    if kind not in ImportKind.values:
        raise Http404
    form = _form(program, kind, request.POST, request.FILES)
    if form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            job = import_job_start(
                actor=request.user,
                program=program,
                kind=kind,
                agency=form.cleaned_data["agency"],
                file_name=upload.name,
                chunks=upload.chunks(),
            )
        except ValidationError as exc:
            show_service_errors(form, exc)
        else:
            return redirect("imports:job", job_id=job.pk)
    return _page(request, program, forms={kind: form}, status=400)


@require_http_methods(["POST"])
@role_required(*IMPORT_ROLES)
def mapping(request: SignedInRequest) -> HttpResponse:
    program = _program(request)
    form = MappingForm(request.POST)
    if form.is_valid():
        try:
            cad_mapping_save(actor=request.user, program=program, text=form.cleaned_data["mapping"])
        except ValidationError as exc:
            show_service_errors(form, exc)
        else:
            messages.success(request, "The dispatch mapping is saved.")
            return redirect("imports:index")
    return _page(request, program, mapping_form=form, status=400)


@role_required(*IMPORT_ROLES)
def job(request: SignedInRequest, job_id: Any) -> HttpResponse:
    program = _program(request)
    found = job_of_program(program=program, job_id=job_id)
    template = "imports/job.html"
    if request.headers.get("HX-Request") == "true":
        template += "#progress"
    return render(request, template, {"job": found, "program": program})
