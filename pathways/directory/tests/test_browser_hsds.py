"""In Debian's Chromium: the coordinator downloads the directory as HSDS, checks a 2-1-1 file
before importing it, imports it, and sees a broken file refused with nothing changed.
Screenshots go to $PATHWAYS_SCREENSHOTS (default: screenshots/)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, expect

from pathways.accounts.browser import DESKTOP, PHONE, open_as, shoot, watch
from pathways.accounts.models import Agency
from pathways.directory.models import Service

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
expect.set_options(timeout=15_000)

SAMPLE = Path(__file__).resolve().parents[2] / "demo" / "samples" / "hsds-directory.json"


def test_download_check_import_and_a_refused_file(
    cast: Any, live_server: Any, browser: Browser, tmp_path: Path
) -> None:
    base = live_server.url
    page = open_as(browser, base, "coordinator", DESKTOP, at=None)
    problems = watch(page)
    page.goto(f"{base}/directory/hsds/")
    expect(
        page.get_by_role("heading", name="Directory exchange (Open Referral HSDS)")
    ).to_be_visible()

    with page.expect_download() as download:
        page.get_by_role("link", name="HSDS JSON").click()
    exported = json.loads(Path(download.value.path()).read_text())
    names = {service["name"] for service in exported["services"]}
    assert cast.detox_p.name in names

    services_before = Service.objects.count()
    page.get_by_label("Drag file here or choose from folder").set_input_files(str(SAMPLE))
    expect(page.get_by_label("Only check the file", exact=False)).to_be_checked()
    page.get_by_role("button", name="Import").click()
    expect(page.get_by_test_id("hsds-dry-run")).to_be_visible()
    assert Service.objects.count() == services_before  # checked, not applied
    shoot(page, "hsds-dry-run")

    page.get_by_label("Drag file here or choose from folder").set_input_files(str(SAMPLE))
    page.locator("label[for=id_dry_run]").click()  # USWDS draws the box on the label
    page.get_by_role("button", name="Import").click()
    expect(page.get_by_test_id("hsds-applied")).to_be_visible()
    after = Service.objects.count()
    assert after > services_before
    organizations = Agency.objects.count()

    broken = tmp_path / "broken-211.json"
    broken.write_text('[{"id": "not closed"')
    page.get_by_label("Drag file here or choose from folder").set_input_files(str(broken))
    page.locator("label[for=id_dry_run]").click()  # USWDS draws the box on the label
    page.get_by_role("button", name="Import").click()
    expect(page.get_by_test_id("hsds-fatal")).to_be_visible()
    expect(page.get_by_test_id("hsds-problems")).to_contain_text("Error")
    assert (Service.objects.count(), Agency.objects.count()) == (after, organizations)
    page.set_viewport_size(PHONE)
    shoot(page, "hsds-refused")
    assert problems == []
