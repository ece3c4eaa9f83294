"""The program office imports a jail's arrest file in Debian's Chromium, at phone width: a file
with problems is refused line by line and imports nothing; the fixed file imports, links the
record whose number a person has in Pathways, and the page shows the totals, never a record."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from playwright.sync_api import Browser, expect

from pathways.accounts.browser import PHONE, open_as, shoot, watch
from pathways.core import clock
from pathways.linkage.models import ArrestRecord, RecordImport
from pathways.people.factories import PersonFactory
from pathways.people.models import ExternalIdentifier

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
expect.set_options(timeout=15_000)

HEADER = "record_number,arrested_at,id_system,id_number,agency,charge_level,race,first_name\n"


def _file(lines: list[str]) -> dict[str, Any]:
    return {
        "name": "jail-bookings.csv",
        "mimeType": "text/csv",
        "buffer": (HEADER + "\n".join(lines) + "\n").encode(),
    }


def test_coordinator_imports_an_arrest_file(cast: Any, live_server: Any, browser: Browser) -> None:
    known = PersonFactory.create(created_by_agency=cast.police_a)
    ExternalIdentifier.objects.create(person=known, system="booking", value="B26-0001")
    yesterday = (clock.now() - dt.timedelta(days=1)).strftime("%Y-%m-%d %H:%M")
    page = open_as(browser, live_server.url, "coordinator", PHONE, at=None)
    problems = watch(page)
    page.goto(f"{live_server.url}/program/reports/")
    page.get_by_role("link", name="Arrest records").click()
    expect(page.get_by_role("heading", name="Arrest records", level=1)).to_be_visible()
    expect(page.get_by_test_id("no-arrests")).to_be_visible()

    form = page.get_by_test_id("arrest-import-form")
    form.get_by_label("Where the records come from").fill("County jail bookings")
    form.locator("input[type=file]").set_input_files(
        _file(
            [
                f"J-1,{yesterday},booking,B26-0001,{cast.police_a.name},misdemeanor,white,Ann",
                "J-2,2026-13-40 25:00,booking,B26-0002,,felony,black,Bo",
                f"J-3,{yesterday},passport,X1,,capital,,Cy",
            ]
        )
    )
    form.get_by_role("button", name="Import the records").click()
    refused = page.get_by_test_id("import-problems")
    expect(refused).to_contain_text("Nothing was imported")
    expect(refused).to_contain_text("Line 3, arrested_at: Not a date and time")
    expect(refused).to_contain_text("Line 4, id_system: Not an identifier system")
    expect(refused).to_contain_text("Line 4, charge_level: Use felony, misdemeanor")
    assert not ArrestRecord.objects.exists() and not RecordImport.objects.exists()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shoot(page, "70-arrest-import-refused")

    form.get_by_label("Where the records come from").fill("County jail bookings")
    form.locator("input[type=file]").set_input_files(
        _file(
            [
                f"J-1,{yesterday},booking,B26-0001,{cast.police_a.name},misdemeanor,white,Ann",
                f"J-2,{yesterday},booking,B26-0002,,felony,black,Bo",
            ]
        )
    )
    form.get_by_role("button", name="Import the records").click()
    expect(page.locator(".usa-alert--success")).to_contain_text(
        "Imported 2 records: 2 new, 0 changed, 0 unchanged; 1 linked to a person. "
        "Not imported: the column(s) first_name."
    )
    sources = page.get_by_test_id("arrest-sources")
    expect(sources).to_contain_text("County jail bookings")
    expect(sources.locator("tbody tr td").nth(1)).to_have_text("1 (50%)")
    expect(page.get_by_test_id("import-history")).to_contain_text("jail-bookings.csv")
    # totals only: no record's number is shown
    expect(page.locator("main")).not_to_contain_text("B26-0001")
    expect(page.locator("main")).not_to_contain_text("J-1")
    assert ArrestRecord.objects.get(record_number="J-1").person == known
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shoot(page, "71-arrest-records")
    assert problems == []
