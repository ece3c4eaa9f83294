"""The program office's page for arrest records: import a file, see what each import did and how
many records are linked to people. Records are never listed one by one (CJIS data)."""

from __future__ import annotations

import re
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from pathways.accounts.access import SignedInRequest, role_required
from pathways.accounts.models import Role
from pathways.audit.services import audit_read
from pathways.core.conflicts import StaleEdit, conflict_response
from pathways.core.forms import show_service_errors
from pathways.linkage.forms import ArrestImportForm
from pathways.linkage.imports import COLUMNS, MAX_BYTES, ParsedFile, read_file, template_csv
from pathways.linkage.selectors import (
    arrest_sources,
    cluster_page,
    linkage_page,
    pair_of_program,
    pair_page,
    recent_imports,
    record_shown,
    review_queue,
    run_of_program,
    source_names,
)
from pathways.linkage.services import (
    LINKAGE_ROLES,
    arrest_records_import,
    arrest_records_link,
    decision_undo,
    linkage_run_start,
    pair_decide,
)
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


# --- probabilistic linkage --------------------------------------------------------------------


@role_required(*LINKAGE_ROLES)
def linkage(request: SignedInRequest) -> HttpResponse:
    from pathways.linkage.engine.model import AUTO_LINK, REVIEW_BAND  # pandas: only here

    program = _program(request)
    return render(
        request,
        "linkage/linkage.html",
        {
            "program": program,
            "page": linkage_page(program_id=program.pk),
            "auto_link": AUTO_LINK,
            "review_band": REVIEW_BAND,
        },
    )


@require_POST
@role_required(*LINKAGE_ROLES)
def linkage_start(request: SignedInRequest) -> HttpResponse:
    program = _program(request)
    try:
        run = linkage_run_start(
            actor=request.user, program=program, retrain=request.POST.get("retrain") == "on"
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("linkage:linkage")
    return redirect("linkage:run", run_id=run.pk)


@role_required(*LINKAGE_ROLES)
def linkage_run(request: SignedInRequest, run_id: Any) -> HttpResponse:
    program = _program(request)
    run = run_of_program(program_id=program.pk, run_id=run_id)
    template = "linkage/run.html"
    if request.headers.get("HX-Request") == "true":
        template += "#progress"
    return render(request, template, {"run": run})


@role_required(*LINKAGE_ROLES)
def review(request: SignedInRequest) -> HttpResponse:
    program = _program(request)
    page = int(request.GET.get("page", "1")) if request.GET.get("page", "1").isdigit() else 1
    pairs, more = review_queue(program_id=program.pk, page=page)
    shown = {
        key: record_shown(program_id=program.pk, key=key)
        for pair in pairs
        for key in (pair.left_key, pair.right_key)
    }
    rows = [(pair, shown[pair.left_key], shown[pair.right_key]) for pair in pairs]
    return render(request, "linkage/review.html", {"rows": rows, "page": page, "more": more})


@require_http_methods(["GET", "POST"])
@role_required(*LINKAGE_ROLES)
def pair(request: SignedInRequest, pair_id: Any) -> HttpResponse:
    program = _program(request)
    found = pair_of_program(program_id=program.pk, pair_id=pair_id)
    if request.method == "POST":
        decision = request.POST.get("decision")
        if decision not in ("same", "not_same"):
            messages.error(request, "Choose “Same person” or “Not the same person”.")
            return redirect("linkage:pair", pair_id=found.pk)
        try:
            pair_decide(
                actor=request.user,
                program=program,
                pair_id=found.pk,
                same=decision == "same",
                expected=request.POST.get("expected", ""),
            )
        except StaleEdit as exc:
            return conflict_response(
                request,
                exc,
                tried="record your decision on this pair",
                latest_url=reverse("linkage:pair", kwargs={"pair_id": found.pk}),
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect("linkage:pair", pair_id=found.pk)
        messages.success(request, "Decision recorded; the clusters are rebuilt.")
        back = request.POST.get("next", "")
        if back and url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
            return redirect(back)
        return redirect("linkage:review")
    shown = pair_page(program_id=program.pk, pair=found)
    audit_read(actor=request.user, obj=found, fields=("records", "weights"))
    return render(request, "linkage/pair.html", {"shown": shown})


@require_POST
@role_required(*LINKAGE_ROLES)
def undo(request: SignedInRequest, decision_id: Any) -> HttpResponse:
    program = _program(request)
    try:
        decision_undo(actor=request.user, program=program, decision_id=decision_id)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, "Decision undone; the model decides the pair again.")
    return redirect("linkage:linkage")


#: a record's key: its kind (person, arrest, or a registered source's) and its UUID
KEY = re.compile(r"^[a-z]{2,20}:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


@role_required(*LINKAGE_ROLES)
def cluster(request: SignedInRequest, key: str) -> HttpResponse:
    """A record's linked records, with the links that hold them together (each can be
    undone: "not the same person")."""
    program = _program(request)
    if not KEY.match(key):
        raise Http404
    page = cluster_page(program_id=program.pk, key=key)
    audit_read(actor=request.user, obj=program, fields=("linked_records",))
    return render(request, "linkage/cluster.html", {"page": page})
