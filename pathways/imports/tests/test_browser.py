"""In Debian's Chromium: the coordinator imports the demo's NEMSIS sample and follows the job
to its counts, sees a file that fails the schema refused by line and element, and imports a
dispatch export after setting the mapping. Screenshots go to $PATHWAYS_SCREENSHOTS."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, expect

from pathways.accounts.browser import DESKTOP, PHONE, open_as, shoot, watch
from pathways.imports.models import DispatchCall, EmsReport, ImportJob
from pathways.imports.tests.helpers import cr_team, ems_agency
from pathways.surveillance.models import OverdoseEvent

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
expect.set_options(timeout=15_000)

SAMPLES = Path(__file__).resolve().parents[2] / "demo" / "samples"


def test_nemsis_then_a_refused_file_then_cad(
    cast: Any, live_server: Any, browser: Browser, tmp_path: Path
) -> None:
    ems = ems_agency(cast)
    team = cr_team(cast)
    base = live_server.url
    page = open_as(browser, base, "coordinator", DESKTOP, at=None)
    problems = watch(page)
    page.goto(f"{base}/program/imports/")
    expect(page.get_by_role("heading", name="EMS and dispatch imports")).to_be_visible()
    expect(page.get_by_test_id("no-mapping")).to_be_visible()

    nemsis = page.get_by_test_id("nemsis-form")
    nemsis.get_by_label("EMS or fire agency").select_option(label=ems.name)
    nemsis.get_by_label("Drag file here or choose from folder").set_input_files(
        str(SAMPLES / "nemsis-sample.xml")
    )
    nemsis.get_by_role("button", name="Import the EMS file").click()
    progress = page.get_by_test_id("job-progress")
    expect(progress).to_have_attribute("data-status", "done")
    expect(page.get_by_test_id("job-done")).to_contain_text("imported")
    reports = EmsReport.objects.count()
    assert reports > 0
    assert OverdoseEvent.objects.count() == reports
    shoot(page, "imports-nemsis-done")

    # the same file again adds nothing; a file failing the schema is refused whole
    bad = tmp_path / "county-ems.xml"
    text = (SAMPLES / "nemsis-sample.xml").read_text()
    bad.write_text(
        text.replace("<eRecord.01>", "<eRecord.99>", 1).replace("</eRecord.01>", "</eRecord.99>", 1)
    )
    page.goto(f"{base}/program/imports/")
    nemsis = page.get_by_test_id("nemsis-form")
    nemsis.get_by_label("EMS or fire agency").select_option(label=ems.name)
    nemsis.get_by_label("Drag file here or choose from folder").set_input_files(str(bad))
    nemsis.get_by_role("button", name="Import the EMS file").click()
    expect(page.get_by_test_id("job-problems")).to_contain_text("Line")
    expect(page.get_by_test_id("job-problems")).to_contain_text("Nothing was imported")
    assert EmsReport.objects.count() == reports
    page.set_viewport_size(PHONE)
    shoot(page, "imports-nemsis-refused")
    page.set_viewport_size(DESKTOP)

    page.goto(f"{base}/program/imports/")
    # with no mapping yet, its form is open
    page.get_by_test_id("mapping-form").locator("textarea").fill(
        (SAMPLES / "cad-mapping.json").read_text()
    )
    page.get_by_role("button", name="Save the mapping").click()
    expect(page.get_by_text("The dispatch mapping is saved.")).to_be_visible()
    cad = page.get_by_test_id("cad-form")
    cad.get_by_label("Community response team").select_option(label=team.name)
    cad.get_by_label("Drag file here or choose from folder").set_input_files(
        str(SAMPLES / "cad-sample.csv")
    )
    cad.get_by_role("button", name="Import the dispatch file").click()
    expect(page.get_by_test_id("job-done")).to_be_visible()
    assert DispatchCall.objects.filter(team=team).count() > 0
    page.goto(f"{base}/program/imports/")
    expect(page.get_by_test_id("import-jobs").locator("tbody tr")).to_have_count(
        ImportJob.objects.count()
    )
    assert problems == []
