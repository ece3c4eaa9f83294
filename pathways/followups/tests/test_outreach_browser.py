"""Active Outreach on a 390 px phone in Debian's Chromium: the coordinator starts a list for the
outreach team and puts a person on it; the outreach worker finds the list from the menu, records
a visit that does not reach the person, then one where the person engages, and the list shows
“Engaged”. Screenshots go to $PATHWAYS_SCREENSHOTS (default: screenshots/)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from pathways.accounts.browser import PHONE, open_as, shoot
from pathways.accounts.factories import AgencyFactory, member
from pathways.followups.models import OutreachEntry, OutreachStatus, Visit
from pathways.people.factories import PersonFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
expect.set_options(timeout=15_000)


def pick(page: Page, group: str, option: str) -> None:
    """Choose a radio/checkbox by its group's legend and its label (USWDS hides the input)."""
    fieldset = page.get_by_role("group", name=re.compile(group, re.I))
    fieldset.locator("label", has_text=re.compile(f"^{re.escape(option)}")).click()


def fits(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_outreach_list_from_start_to_engaged(cast: Any, live_server: Any, browser: Browser) -> None:
    team = AgencyFactory.create(
        program=cast.program, name="Harbor Peer Outreach", kind="recovery_support"
    )
    worker = member(team, "outreach", "outreach_w")
    worker.first_name, worker.last_name = "Robin", "Peer"
    worker.save()
    PersonFactory.create(first_name="Casey", last_name="Vandermolen", created_by_agency=team)

    # The coordinator starts the list for the team and puts Casey on it.
    coordinator = open_as(browser, live_server.url, "coordinator", PHONE, at="/worklist/outreach/")
    expect(coordinator.get_by_role("heading", level=1, name="Outreach lists")).to_be_visible()
    coordinator.get_by_label("List name").fill("East side repeat overdoses")
    coordinator.get_by_label("Team that works the list").select_option(label="Harbor Peer Outreach")
    coordinator.get_by_label("Description (optional)").fill("Two or more overdoses this year")
    fits(coordinator)
    shoot(coordinator, "outreach-01-new-list")
    coordinator.get_by_role("button", name="Start the list").click()
    expect(
        coordinator.get_by_role("heading", level=1, name="East side repeat overdoses")
    ).to_be_visible()
    coordinator.get_by_label("Find a person by name").fill("vander")
    coordinator.get_by_role("button", name="Search").click()
    pick(coordinator, "Person matching", "Casey Vandermolen")
    coordinator.get_by_label("Why the person is on the list").select_option(
        label="Repeat overdoses"
    )
    coordinator.get_by_label("Lead team member (optional)").select_option(label="Robin Peer")
    fits(coordinator)
    shoot(coordinator, "outreach-02-add-person")
    coordinator.get_by_role("button", name="Add to the list").click()
    expect(coordinator.get_by_text(re.compile("Added to the list"))).to_be_visible()
    entry_row = coordinator.get_by_test_id("entry")
    expect(entry_row.get_by_test_id("entry-status")).to_have_text("Identified")
    expect(entry_row).to_contain_text("Lead: Robin Peer")
    fits(coordinator)
    shoot(coordinator, "outreach-03-identified")

    # The outreach worker finds the list from the menu and visits.
    page = open_as(browser, live_server.url, "outreach_w", PHONE)
    page.get_by_role("button", name="Menu").click()  # the phone's collapsed navigation
    page.get_by_role("link", name="Outreach", exact=True).click()
    page.get_by_role("link", name="East side repeat overdoses").click()
    page.get_by_role("link", name=re.compile("Record visit")).click()
    expect(page.get_by_test_id("outreach-status")).to_contain_text("Identified")
    pick(page, "Who went", "Peer recovery coach")
    pick(page, "What happened", "Not found")
    page.get_by_label("Note (optional)").fill("Nobody home; left a card")
    fits(page)
    shoot(page, "outreach-04-visit-not-found")
    page.get_by_role("button", name="Record visit").click()
    expect(page.get_by_text(re.compile("not reached this time"))).to_be_visible()
    expect(page.get_by_test_id("entry-status")).to_have_text("Attempting")
    expect(page.get_by_test_id("latest-visit")).to_contain_text("Nobody home; left a card")
    fits(page)
    shoot(page, "outreach-05-attempting")

    page.get_by_role("link", name=re.compile("Record visit")).click()
    expect(page.get_by_text("Earlier attempts")).to_be_visible()
    pick(page, "Who went", "Clinician or social worker")
    pick(page, "Who went", "Peer recovery coach")
    pick(page, "What happened", "Met the person; they engaged")
    page.get_by_role("button", name="Record visit").click()
    expect(
        page.get_by_text(re.compile("Outreach status: engaged with the team. Next visit due"))
    ).to_be_visible()
    expect(page.get_by_test_id("entry-status")).to_have_text("Engaged")
    expect(page.get_by_test_id("entry")).to_contain_text("Next visit")
    expect(page.get_by_role("region", name="Engagement")).to_contain_text("Engaged 1")
    fits(page)
    shoot(page, "outreach-06-engaged")
    page.get_by_text("Lead or close").click()
    expect(page.get_by_label("Why the outreach ends")).to_be_visible()
    fits(page)
    shoot(page, "outreach-07-lead-or-close")

    page.get_by_role("link", name="Outreach lists").click()
    expect(page.get_by_role("link", name="East side repeat overdoses")).to_be_visible()
    fits(page)
    shoot(page, "outreach-08-lists")

    entry = OutreachEntry.objects.get()
    assert entry.status == OutreachStatus.ENGAGED
    assert entry.work_item is not None and entry.work_item.is_open
    assert [v.outcome for v in Visit.objects.order_by("visited_at")] == ["not_found", "engaged"]
