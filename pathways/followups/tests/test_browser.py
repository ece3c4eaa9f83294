"""The worklist on a 390 px phone in Debian's Chromium: nothing overflows sideways, an overdue
item is flagged, and an officer marks an item done with a note through the disclosure form.
Screenshots go to $PATHWAYS_SCREENSHOTS (default: screenshots/)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from playwright.sync_api import Browser, expect

from pathways.accounts.browser import PHONE, open_as, screenshots_dir, shoot
from pathways.core import clock
from pathways.followups.factories import WorkItemFactory
from pathways.followups.models import WorkItem, WorkKind

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

expect.set_options(timeout=15_000)


def test_officer_works_the_list_on_a_phone(cast: Any, live_server: Any, browser: Browser) -> None:
    now = clock.now()
    overdue = WorkItemFactory.create(
        team=cast.police_a,
        kind=WorkKind.OVERDOSE_FOLLOWUP,
        title="Follow-up after overdose on the 3rd",
        due_at=now - dt.timedelta(hours=3),
    )
    WorkItemFactory.create(
        team=cast.police_a, title="Outreach visit, east side", due_at=now + dt.timedelta(hours=5)
    )
    WorkItemFactory.create(
        team=cast.police_a,
        kind=WorkKind.PROSECUTOR_REVIEW,
        title="Held charge review",
        due_at=now + dt.timedelta(days=4),
    )
    page = open_as(browser, live_server.url, "officer_a", PHONE, at="/worklist/")

    expect(page.get_by_role("heading", level=1, name="Worklist")).to_be_visible()
    overdue_section = page.get_by_role("region", name="Overdue")
    expect(
        overdue_section.get_by_role("heading", name="Follow-up after overdose on the 3rd")
    ).to_be_visible()
    expect(overdue_section.get_by_text("Overdue by 3 h")).to_be_visible()
    later = page.get_by_role("region", name="Later")
    expect(later.get_by_role("heading", name="Held charge review")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shoot(page, "worklist")

    item = page.locator(f"#item-{overdue.pk}")
    item.get_by_text("Mark done").first.click()
    item.get_by_label("Outcome note (optional)").fill("Visited; accepted a naloxone kit.")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(screenshots_dir() / "worklist-done-form-phone.png"), full_page=True)
    item.get_by_role("button", name="Mark done").click()
    expect(page.get_by_text("Marked done: Follow-up after overdose on the 3rd.")).to_be_visible()
    expect(page.get_by_role("region", name="Overdue")).to_contain_text("Nothing is overdue.")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shoot(page, "worklist-after")
    done = WorkItem.objects.get(pk=overdue.pk)
    assert done.completed_by == cast.officer_a
    assert done.outcome_note == "Visited; accepted a naloxone kit."
