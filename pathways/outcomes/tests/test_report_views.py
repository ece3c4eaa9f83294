"""The report pages: filters, bad input, suppression for every viewer, exports (audited) and
one program never seeing another's contacts."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from django.urls import reverse

from pathways.accounts.factories import AgencyFactory, member
from pathways.accounts.testing import verified_client
from pathways.audit.models import AuditEvent
from pathways.encounters.factories import EncounterFactory
from pathways.outcomes.testing import T0, contact
from pathways.programs.factories import ProgramFactory, enable_all_pathways

URL = reverse("outcomes:report", kwargs={"slug": "funnel"})
WINDOW = {"start": "2026-01-01", "end": "2026-12-31"}


def _row(response: Any, key: str) -> list[str]:
    """The texts of a table row of the first section ("" for a suppressed cell's sr text)."""
    report = response.context["report"]
    row = next(r for r in report.sections[0].table.rows if r.key == key)
    return [v.display() for v in row.values]


@pytest.fixture
def twenty_five(cast: Any) -> Any:
    for _ in range(20):
        contact(cast, steps=[("accepted", 1), ("engaged", 5)])
    for _ in range(5):
        contact(cast, disposition="information")
    return cast


def test_coordinator_sees_the_funnel_with_chart_and_method(twenty_five: Any) -> None:
    response = twenty_five.client_for(twenty_five.coordinator).get(URL, WINDOW)
    assert response.status_code == 200
    html = response.content.decode()
    assert _row(response, "all")[0] == "30"  # 25: shown counts are rounded to ten
    assert "<svg" in html
    assert 'data-testid="method"' in html
    assert "Figures as of" in html
    # every viewer gets suppressed figures on report pages: 25 - 20 = 5 is a small count
    assert "*" in _row(response, "all")
    assert 'data-testid="suppression-note"' in html


def test_researcher_sees_the_same_suppressed_figures(twenty_five: Any) -> None:
    office = twenty_five.client_for(twenty_five.coordinator).get(URL, WINDOW)
    research = twenty_five.client_for(twenty_five.researcher).get(URL, WINDOW)
    assert research.status_code == 200
    assert _row(research, "all") == _row(office, "all")


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"start": "2026-05-01", "end": "2026-04-01"}, "end", "The end date is before the start"),
        ({"start": "not a date", "end": "2026-04-01"}, "start", "Enter a valid date"),
        ({"start": "1900-01-01", "end": "2026-04-01"}, "end", "ten years or less"),
        ({**WINDOW, "agency": "00000000-0000-0000-0000-000000000000"}, "agency", "valid choice"),
        ({**WINDOW, "pathway": "teleportation"}, "pathway", "valid choice"),
        ({**WINDOW, "area": "<script>"}, "area", "valid choice"),
    ],
)
def test_bad_filters_get_a_clear_message_and_no_figures(
    twenty_five: Any, params: dict[str, str], field: str, message: str
) -> None:
    client = twenty_five.client_for(twenty_five.coordinator)
    before = AuditEvent.objects.count()
    response = client.get(URL, params)
    assert response.status_code == 400
    assert message in str(response.context["form"].errors[field])
    assert "report" not in response.context
    assert "<script>" not in response.content.decode().split("<main", 1)[1].replace(
        "&lt;script&gt;", ""
    )
    assert AuditEvent.objects.count() == before


def test_unknown_report_is_404(cast: Any) -> None:
    url = reverse("outcomes:report", kwargs={"slug": "no-such-report"})
    assert cast.client_for(cast.coordinator).get(url).status_code == 404


def test_unknown_export_format_is_refused(twenty_five: Any) -> None:
    client = twenty_five.client_for(twenty_five.coordinator)
    before = AuditEvent.objects.count()
    response = client.get(URL, {**WINDOW, "format": "docx"})
    assert response.status_code == 400
    assert "Choose CSV, XLSX or PDF" in response.content.decode()
    assert AuditEvent.objects.count() == before


@pytest.mark.parametrize(
    ("fmt", "content_type", "magic"),
    [
        ("csv", "text/csv", b"\xef\xbb\xbf"),
        ("xlsx", "spreadsheetml", b"PK"),
        ("pdf", "pdf", b"%PDF"),
    ],
)
def test_exports_download_and_are_audited(
    twenty_five: Any, fmt: str, content_type: str, magic: bytes
) -> None:
    cast = twenty_five
    response = cast.client_for(cast.researcher).get(URL, {**WINDOW, "format": fmt})
    assert response.status_code == 200
    assert content_type in response["Content-Type"]
    assert response.content.startswith(magic)
    assert 'filename="pathways-funnel-' in response["Content-Disposition"]
    event = AuditEvent.objects.get(event_type="report.export")
    assert event.actor == cast.researcher
    assert event.changes["report"] == [None, "funnel"]
    assert event.changes["format"] == [None, fmt]


def test_csv_export_carries_the_suppression(twenty_five: Any) -> None:
    cast = twenty_five
    response = cast.client_for(cast.coordinator).get(URL, {**WINDOW, "format": "csv"})
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    all_row = next(r for r in rows if r and r[0] == "All pathways")
    assert all_row[1] == "30"  # 25, rounded to ten
    assert "*" in all_row
    assert "5" not in all_row  # the small count is nowhere in the row


def test_another_program_sees_none_of_these_contacts(twenty_five: Any) -> None:
    other = ProgramFactory.create(name="Other County Program")
    enable_all_pathways(other)
    police = AgencyFactory.create(program=other, name="Other PD", kind="law_enforcement")
    office = AgencyFactory.create(program=other, name="Other Office", kind="program_office")
    officer = member(police, "officer", "other_officer")
    for _ in range(12):
        EncounterFactory.create(agency=police, responder=officer, occurred_at=T0)
    coordinator = member(office, "coordinator", "other_coordinator")
    response = verified_client(coordinator).get(URL, WINDOW)
    assert response.status_code == 200
    assert _row(response, "all")[0] == "10"  # 12, rounded to ten
    # and this program's agencies are not even offered as a filter
    choices = dict(response.context["form"].fields["agency"].choices)
    assert twenty_five.police_a.name not in choices.values()
    mine = twenty_five.client_for(twenty_five.coordinator).get(URL, WINDOW)
    assert _row(mine, "all")[0] == "30"


def test_report_index_lists_the_reports(cast: Any) -> None:
    response = cast.client_for(cast.researcher).get(reverse("outcomes:report_index"))
    assert response.status_code == 200
    assert reverse("outcomes:report", kwargs={"slug": "funnel"}) in response.content.decode()
    # the data behind the reports is the program office's: no links for a researcher
    assert reverse("linkage:arrests") not in response.content.decode()
    office = cast.client_for(cast.coordinator).get(reverse("outcomes:report_index"))
    for name in ("linkage:arrests", "outcomes:population", "outcomes:cost_settings"):
        assert reverse(name) in office.content.decode()


def test_the_program_office_can_trace_each_figure_to_its_contacts(twenty_five: Any) -> None:
    cast = twenty_five
    response = cast.client_for(cast.coordinator).get(URL, {**WINDOW, "format": "rows"})
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert len(rows) == 25  # the funnel's contacts
    assert sum(r["Offered"] == "True" for r in rows) == 20  # its "Offered services"
    assert sum(bool(r["Engaged (UTC)"]) for r in rows) == 20
    assert "first_name" not in response.content.decode()
    event = AuditEvent.objects.get(event_type="report.export")
    assert event.changes["format"] == [None, "rows"]


def test_researchers_get_no_contact_rows(twenty_five: Any) -> None:
    client = twenty_five.client_for(twenty_five.researcher)
    before = AuditEvent.objects.filter(event_type="report.export").count()
    assert client.get(URL, {**WINDOW, "format": "rows"}).status_code == 403
    assert "export-rows" not in client.get(URL, WINDOW).content.decode()
    assert AuditEvent.objects.filter(event_type="report.export").count() == before


def test_a_report_is_built_once_per_refresh_of_the_extract(
    twenty_five: Any, settings: Any, monkeypatch: Any
) -> None:
    from pathways.outcomes import extract
    from pathways.outcomes.reports import funnel
    from pathways.outcomes.testing import contact

    settings.PATHWAYS_ANALYTICS_MAX_AGE = 300
    calls = []
    real = funnel.funnel_counts

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(funnel, "funnel_counts", counted)
    client = twenty_five.client_for(twenty_five.coordinator)
    assert _row(client.get(URL, WINDOW), "all")[0] == "30"  # 25, rounded to ten
    assert _row(client.get(URL, WINDOW), "all")[0] == "30"
    assert len(calls) == 1  # the second page came from the cache
    for _ in range(10):
        contact(twenty_five)
    extract.refresh()  # what cron or an old extract does: the new contacts count at once
    assert _row(client.get(URL, WINDOW), "all")[0] == "40"  # 35
    assert len(calls) == 2


def test_new_cost_or_population_figures_show_at_once(cast: Any, settings: Any) -> None:
    """A built report is cached until the next refresh, but not past a change of the figures
    the coordinator enters: the next page uses them."""
    from pathways.outcomes.costs import cost_settings_save
    from pathways.outcomes.population import population_save
    from pathways.outcomes.testing import person

    settings.PATHWAYS_ANALYTICS_MAX_AGE = 300
    for _ in range(12):
        contact(cast, who=person(races=["white"], ethnicity="not_hispanic"))
    client = cast.client_for(cast.coordinator)
    equity = reverse("outcomes:report", kwargs={"slug": "equity"})
    assert "No population figures by race" in client.get(equity, WINDOW).content.decode()
    population_save(
        actor=cast.coordinator,
        program=cast.program,
        dimension="race_group",
        residents={"white": 12_000},
        source="County estimates",
        year=2024,
    )
    page = client.get(equity, WINDOW).content.decode()
    assert "No population figures by race" not in page and "County estimates" in page
    cost = reverse("outcomes:report", kwargs={"slug": "cost"})
    assert "placeholder" in client.get(cost, WINDOW).content.decode().lower()
    cost_settings_save(actor=cast.coordinator, program=cast.program, source_note="Jail budget")
    assert "Jail budget" in client.get(cost, WINDOW).content.decode()


def test_the_refresh_job_builds_each_reports_first_view_ahead(
    twenty_five: Any, settings: Any, monkeypatch: Any
) -> None:
    """After `refresh_analytics` the first coordinator to open a report (default filters) or
    the home page gets it from the cache the job filled; other filters are built on view."""
    from io import StringIO

    from django.core.management import call_command

    from pathways.outcomes.reports import funder, funnel

    settings.PATHWAYS_ANALYTICS_MAX_AGE = 300
    out = StringIO()
    call_command("refresh_analytics", stdout=out)
    assert f"Built 9 report views of {twenty_five.program.name} ahead" in out.getvalue()
    calls: list[str] = []
    real_funnel, real_funder = funnel.funnel_counts, funder.build

    def funnel_counted(*args: Any, **kwargs: Any) -> Any:
        calls.append("funnel")
        return real_funnel(*args, **kwargs)

    def funder_counted(*args: Any, **kwargs: Any) -> Any:
        calls.append("quarter")
        return real_funder(*args, **kwargs)

    monkeypatch.setattr(funnel, "funnel_counts", funnel_counted)
    monkeypatch.setattr(funder, "build", funder_counted)
    client = twenty_five.client_for(twenty_five.coordinator)
    assert client.get(URL).status_code == 200
    assert client.get(reverse("outcomes:dashboard")).status_code == 200
    assert calls == []  # both came from the job's cache
    assert _row(client.get(URL, WINDOW), "all")[0] == "30"  # another window: built now
    assert calls == ["funnel"]
    # the job's figures are the page's own: the same report built afresh
    call_command("refresh_analytics", "--no-warm", stdout=out)
    assert client.get(URL).status_code == 200
    assert calls == ["funnel", "funnel"]


def test_two_overlapping_date_ranges_do_not_isolate_one_days_contacts(cast: Any) -> None:
    """The same report over 1 January to 1 March and to 2 March (three contacts on 2 March):
    no count of the two differs by 1 to 9, nor by exactly the three contacts of that day."""
    import datetime as dt

    from pathways.outcomes import extract
    from pathways.outcomes.reports.catalog import CATALOG
    from pathways.outcomes.tables import Kind
    from pathways.outcomes.testing import T0, contact, report_filters

    for n in range(23):
        contact(
            cast, at=T0 - dt.timedelta(days=20), steps=[("accepted", 1), ("engaged", 5)][: n % 3]
        )
    for _ in range(3):
        contact(cast, at=T0, steps=[("accepted", 1)])
    extract.refresh()

    def counts(end: dt.date, slug: str) -> dict[tuple[str, str, int], float]:
        with extract.connect() as db:
            built = CATALOG[slug].run(db, report_filters(cast, end=end), as_of=T0)
        return {
            (section.heading, row.key or row.label, i): value.shown
            for section in built.sections
            for row in section.table.rows
            for i, value in enumerate(row.values)
            if value.kind is Kind.COUNT and value.shown is not None
        }

    for slug in ("funnel", "referral-loop", "equity"):
        shorter = counts(dt.date(2026, 3, 1), slug)
        longer = counts(dt.date(2026, 3, 2), slug)
        for cell in shorter.keys() & longer.keys():
            difference = abs(longer[cell] - shorter[cell])
            assert difference % 10 == 0, (slug, cell, shorter[cell], longer[cell])
            assert difference != 3
