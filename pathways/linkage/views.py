"""The program office's page for arrest records: import a file, see what each import did and how
many records are linked to people. Records are never listed one by one (CJIS data)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from pathways.accounts.access import SignedInRequest, role_required
from pathways.accounts.models import Role
from pathways.core.forms import show_service_errors
from pathways.linkage.forms import ArrestImportForm
from pathways.linkage.imports import COLUMNS, MAX_BYTES, ParsedFile, read_file, template_csv
from pathways.linkage.selectors import arrest_sources, recent_imports, source_names
from pathways.linkage.services import arrest_records_import, arrest_records_link
from pathways.programs.models import Program
from pathways.programs.selectors import program_for_user

IMPORT_ROLES = (Role.COORDINATOR, Role.ADMIN)


def _program(request: HttpRequest) -> Program:
    program = program_for_user(user=request.user)
    if program is None:
        raise Http404
    return program


@role_required(*IMPORT_ROLES)
def arrests(request: SignedInRequest) -> HttpResponse:
    program = _program(request)
    posted = request.method == "POST"
    form = ArrestImportForm(request.POST if posted else None, request.FILES if posted else None)
    parsed: ParsedFile | None = None
    if posted and form.is_valid():
        upload = form.cleaned_data["file"]
        # never more than the limit in memory: one byte over is enough to refuse the file
        parsed = read_file(upload.name, upload.read(MAX_BYTES + 1), program=program)
        if parsed.ok:
            try:
                batch = arrest_records_import(
                    actor=request.user,
                    program=program,
                    source=form.cleaned_data["source"],
                    file_name=upload.name,
                    rows=parsed.rows,
                )
            except ValidationError as exc:
                show_service_errors(form, exc)
            else:
                note = (
                    f"Imported {batch.rows:,} records: {batch.added:,} new, {batch.updated:,} "
                    f"changed, {batch.unchanged:,} unchanged; {batch.linked:,} linked to a person."
                )
                if parsed.ignored_columns:
                    note += f" Not imported: the column(s) {', '.join(parsed.ignored_columns)}."
                messages.success(request, note)
                return redirect("linkage:arrests")
    return render(
        request,
        "linkage/arrests.html",
        {
            "program": program,
            "form": form,
            "parsed": parsed,
            "sources": arrest_sources(program_id=program.pk),
            "source_names": source_names(program_id=program.pk),
            "imports": recent_imports(program_id=program.pk),
            "columns": COLUMNS,
        },
        status=400 if posted else 200,
    )


@require_POST
@role_required(*IMPORT_ROLES)
def arrests_link(request: SignedInRequest) -> HttpResponse:
    program = _program(request)
    linked = arrest_records_link(actor=request.user, program=program)
    messages.success(request, f"Linked {linked:,} more record{'s' if linked != 1 else ''}.")
    return redirect("linkage:arrests")


@role_required(*IMPORT_ROLES)
def arrests_template(request: SignedInRequest) -> HttpResponse:
    _program(request)
    response = HttpResponse(template_csv(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="arrest-records-template.csv"'
    return response
