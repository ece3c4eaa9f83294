from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.safestring import mark_safe

from pathways.accounts.access import SignedInRequest, role_required
from pathways.accounts.models import Role
from pathways.accounts.selectors import has_role
from pathways.core.exports import csv_response
from pathways.core.forms import show_service_errors
from pathways.outcomes import extract
from pathways.outcomes.charts import render_svg
from pathways.outcomes.costs import (
    CostSettingsForm,
    cost_settings_for,
    cost_settings_save,
)
from pathways.outcomes.exports import export_response
from pathways.outcomes.population import GROUP_PREFIX, PopulationForm, population_save
from pathways.outcomes.report_cache import cached_report, quarter_report, report_key
from pathways.outcomes.reports.catalog import CATALOG
from pathways.outcomes.reports.equity import DIMENSIONS
from pathways.outcomes.research import SHIFT, YEAR, ExtractRefused
from pathways.outcomes.selectors import (
    extract_pipeline,
    population_figures,
    program_pipeline,
    published_pipeline,
    report_areas,
    rows_behind,
)
from pathways.outcomes.services import record_export, research_export
from pathways.outcomes.tables import (
    SUPPRESSION_NOTE,
    Bar,
    BarChart,
    Kind,
    Report,
    Section,
    Value,
)
from pathways.programs.selectors import program_for_user

REPORT_ROLES = (Role.COORDINATOR, Role.ADMIN, Role.RESEARCHER)
EXPORT_FORMATS = ("csv", "xlsx", "pdf", "rows")


@role_required(Role.COORDINATOR, Role.ADMIN, Role.RESEARCHER, Role.PROSECUTOR)
def dashboard(request: SignedInRequest) -> HttpResponse:
    """The program at a glance: encounters and referrals by pathway and status. The program
    office sees live, exact counts; researchers and prosecutors see the counts as of the last
    refresh of the analytics extract, small ones suppressed and the rest rounded to ten."""
    program = program_for_user(user=request.user)
    if program is None:
        raise Http404
    office = has_role(request.user, Role.COORDINATOR, Role.ADMIN)
    as_of = None
    if office:
        pipeline = program_pipeline(program=program)
    else:
        as_of = extract.ensure_fresh()
        pipeline = extract_pipeline(program=program)
    published = published_pipeline(pipeline=pipeline, suppress_small=not office)
    quarter = quarter_report(program, suppress_small=not office)
    # drawn like the reports' charts: long pathway names wrap instead of running into the bars
    encounter_chart = BarChart(
        "Encounters by pathway",
        [
            Bar(
                row.row.pathway.short_name,
                Value(row.encounters.value, Kind.COUNT, hidden=row.encounters.hidden),
            )
            for row in published.rows
        ],
    )
    return render(
        request,
        "outcomes/dashboard.html",
        {
            "program": program,
            "pipeline": pipeline,
            "published": published,
            "pipeline_as_of": as_of,
            "statuses": pipeline.statuses,
            "encounter_chart": Drawn(
                mark_safe(render_svg(encounter_chart, chart_id="enc-chart")),  # noqa: S308
                mark_safe(  # noqa: S308
                    render_svg(encounter_chart, chart_id="enc-chart-narrow", narrow=True)
                ),
            ),
            "reports": CATALOG.values(),
            "quarter": quarter,
            "quarter_sections": _drawn([quarter.sections[0], quarter.sections[-1]]),
        },
    )


@dataclass(frozen=True)
class Drawn:
    """A chart drawn twice: wide for desktops, narrow for phones (CSS shows one)."""

    wide: str
    narrow: str


def _drawn(sections: list[Section]) -> list[tuple[Section, Drawn | None]]:
    """Each section with its chart drawn as inline SVG (None when it has none)."""
    drawn: list[tuple[Section, Drawn | None]] = []
    for n, section in enumerate(sections):
        chart = section.chart
        if chart is None:
            drawn.append((section, None))
            continue
        wide = render_svg(chart, chart_id=f"chart-{n}")
        narrow = render_svg(chart, chart_id=f"chart-{n}-narrow", narrow=True)
        drawn.append((section, Drawn(mark_safe(wide), mark_safe(narrow))))  # noqa: S308
    return drawn


@role_required(*REPORT_ROLES)
def report_index(request: SignedInRequest) -> HttpResponse:
    if program_for_user(user=request.user) is None:
        raise Http404
    office = has_role(request.user, *COST_SETTINGS_ROLES)
    return render(
        request, "outcomes/report_index.html", {"reports": CATALOG.values(), "office": office}
    )


@role_required(*REPORT_ROLES)
def report(request: SignedInRequest, slug: str) -> HttpResponse:
    """One report with its filters; `?format=csv|xlsx|pdf` downloads it (audited), and
    `?format=rows` the contacts behind its figures (program office only, audited). Figures
    come from the analytics extract, refreshed first when it is older than its maximum age."""
    program = program_for_user(user=request.user)
    spec = CATALOG.get(slug)
    if program is None or spec is None:
        raise Http404
    fmt = request.GET.get("format", "")
    if fmt and fmt not in EXPORT_FORMATS:
        return _report_page(request, spec, program, error="Choose CSV, XLSX or PDF.", status=400)
    if fmt == "rows" and not has_role(request.user, Role.COORDINATOR, Role.ADMIN):
        raise PermissionDenied  # contact-level rows stay in the program office
    as_of = extract.ensure_fresh()
    form = spec.form(request.GET, program=program, areas=report_areas(program=program))
    if not form.is_valid():
        return _report_page(request, spec, program, form=form, status=400)
    filters = form.filters()

    def build() -> Report:  # only when not built already (the extract opened only then)
        with extract.connect() as db:
            return spec.run(db, filters, as_of=as_of)

    if fmt == "rows":
        with extract.connect() as db:
            header, rows = rows_behind(db=db, filters=filters)
    else:
        built = cached_report(program, report_key(slug, filters), build)
    if fmt == "rows":
        record_export(
            actor=request.user,
            program=program,
            report=slug,
            fmt=fmt,
            filters=filters.query_string(),
        )
        return csv_response(f"pathways-{slug}-rows-{as_of:%Y-%m-%d}.csv", header, rows)
    if fmt:
        record_export(
            actor=request.user,
            program=program,
            report=slug,
            fmt=fmt,
            filters=filters.query_string(),
        )
        return export_response(
            built, fmt, svg_for=lambda chart: render_svg(chart, chart_id="c", for_pdf=True)
        )
    sections = _drawn(built.sections)
    return _report_page(
        request,
        spec,
        program,
        form=form,
        report=built,
        sections=sections,
        query=filters.query_string(),
    )


def _report_page(
    request: HttpRequest, spec: object, program: object, *, status: int = 200, **context: object
) -> HttpResponse:
    if "form" not in context:
        context["form"] = None
    return render(
        request,
        "outcomes/report.html",
        {"spec": spec, "program": program, "suppression_note": SUPPRESSION_NOTE, **context},
        status=status,
    )


@role_required(*REPORT_ROLES)
def research(request: SignedInRequest) -> HttpResponse:
    """The de-identified research extract: what it holds, and (POST) the ZIP, built and checked
    on the spot; an extract that fails the check is refused and not offered."""
    program = program_for_user(user=request.user)
    if program is None:
        raise Http404
    context: dict[str, object] = {"program": program, "dates": YEAR}
    if request.method == "POST":
        dates = request.POST.get("dates", "")
        if dates not in (YEAR, SHIFT):
            context["error"] = "Choose how dates are treated: years only, or shifted per person."
            return render(request, "outcomes/research.html", context, status=400)
        try:
            extract = research_export(actor=request.user, program=program, dates=dates)
        except ExtractRefused as refused:
            context["refused"] = refused.problems
            context["dates"] = dates
            return render(request, "outcomes/research.html", context, status=409)
        response = HttpResponse(extract.to_zip(), content_type="application/zip")
        name = f"pathways-research-{extract.extract_date:%Y-%m-%d}-{dates}.zip"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response
    return render(request, "outcomes/research.html", context)


COST_SETTINGS_ROLES = (Role.COORDINATOR, Role.ADMIN)


@role_required(*COST_SETTINGS_ROLES)
def cost_settings(request: SignedInRequest) -> HttpResponse:
    """The coordinator's assumptions for the cost-avoided report: unit costs, shares and days
    per booking, each low and high, and where they come from."""
    program = program_for_user(user=request.user)
    if program is None:
        raise Http404
    current = cost_settings_for(program)
    form = CostSettingsForm(request.POST if request.method == "POST" else None, settings=current)
    if request.method == "POST" and form.is_valid():
        try:
            cost_settings_save(actor=request.user, program=program, **form.values())
        except ValidationError as exc:
            show_service_errors(form, exc)
        else:
            messages.success(request, "Saved. The cost report uses these figures from now on.")
            return redirect("outcomes:cost_settings")
    return render(
        request,
        "outcomes/cost_settings.html",
        {"program": program, "settings": current, "form": form},
        status=400 if request.method == "POST" else 200,
    )


@role_required(*COST_SETTINGS_ROLES)
def population(request: SignedInRequest) -> HttpResponse:
    """The number of residents of each group, for one grouping (?dimension=), which the equity
    report compares contacts against; with their source and year."""
    program = program_for_user(user=request.user)
    if program is None:
        raise Http404
    code = request.GET.get("dimension", "race_group")
    if code not in DIMENSIONS:
        raise Http404
    dimension = DIMENSIONS[code]
    current = population_figures(program_id=program.pk, dimension=code)
    posted = request.POST if request.method == "POST" else None
    form = PopulationForm(posted, dimension=dimension, current=current)
    if request.method == "POST" and form.is_valid():
        try:
            population_save(actor=request.user, program=program, dimension=code, **form.values())
        except ValidationError as exc:
            show_service_errors(form, exc, prefix=GROUP_PREFIX)
        else:
            messages.success(
                request, "Saved. The equity report compares contacts with these figures."
            )
            return redirect(f"{request.path}?dimension={code}")
    return render(
        request,
        "outcomes/population.html",
        {
            "program": program,
            "dimension": dimension,
            "dimensions": DIMENSIONS.values(),
            "current": current,
            "form": form,
        },
        status=400 if request.method == "POST" else 200,
    )
