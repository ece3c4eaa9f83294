"""In Debian's Chromium: the prosecutor accepts a diversion from the review queue at desktop
width; the case manager, on a 390 px phone, records community-service hours, completes the plan
and the case; the charge held in abeyance is never filed. Screenshots go to
$PATHWAYS_SCREENSHOTS (default: screenshots/)."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from pathways.accounts.browser import DESKTOP, PHONE, open_as, shoot
from pathways.cases.factories import intervention_config, open_case
from pathways.cases.models import Case

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
expect.set_options(timeout=15_000)


def fits_a_phone(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_prosecutor_accepts_and_case_manager_completes_on_a_phone(
    cast: Any, live_server: Any, browser: Browser
) -> None:
    base = live_server.url
    intervention_config(
        cast.program,
        prosecutor_review=True,
        charges="abeyance",
        requirements=[
            {
                "kind": "community_service",
                "description": "Complete 20 hours of community service.",
                "hours": 20,
            }
        ],
    )
    case = open_case(actor=cast.officer_a, agency=cast.police_a, case_agency=cast.provider_p)
    name = case.person.display_name

    prosecutor = open_as(browser, base, "prosecutor", DESKTOP)
    prosecutor.get_by_role("link", name="Prosecutor review").click()
    expect(prosecutor.get_by_role("heading", level=1, name="Prosecutor review")).to_be_visible()
    queue = prosecutor.get_by_test_id("review-queue")
    expect(queue).to_contain_text("Drug possession (misdemeanor, held in abeyance)")
    shoot(prosecutor, "cases-review-queue")
    queue.get_by_role("link", name=name).click()
    expect(prosecutor.get_by_test_id("case-status")).to_have_text("Waiting for review")
    shoot(prosecutor, "cases-review-detail")
    prosecutor.get_by_role("button", name="Accept diversion").click()
    expect(prosecutor.get_by_text("Diversion accepted: the case is active.")).to_be_visible()
    expect(prosecutor.get_by_test_id("case-status")).to_have_text("Active")
    assert Case.objects.get(pk=case.pk).status == "active"

    manager = open_as(browser, base, "case_manager_p", PHONE, at="/cases/")
    expect(manager.get_by_role("heading", level=1, name="Cases")).to_be_visible()
    fits_a_phone(manager)
    shoot(manager, "cases-list")
    manager.get_by_test_id("case-list").get_by_role("link", name=name).click()
    expect(manager.get_by_test_id("case-status")).to_have_text("Active")
    fits_a_phone(manager)
    shoot(manager, "cases-detail")
    # every form tucked in a disclosure (waive, add, log, refer, withdraw) fits too
    for disclosure in manager.locator("details").all():
        disclosure.locator("summary").click()
    fits_a_phone(manager)
    shoot(manager, "cases-detail-forms")
    manager.reload()

    assessment = manager.locator("#req-1")
    assessment.get_by_role("button", name="Mark done").click()
    expect(manager.get_by_text("Intake assessment: marked done.")).to_be_visible()
    expect(manager.locator("#req-1").get_by_test_id("requirement-state")).to_contain_text("Done")

    hours = manager.locator("#req-2")
    hours.get_by_label("Hours done").fill("12")
    hours.get_by_label("Note (optional)").fill("Food bank, two Saturdays")
    hours.get_by_role("button", name="Record hours").click()
    expect(manager.get_by_text("Community service: progress recorded.")).to_be_visible()
    hours = manager.locator("#req-2")
    expect(hours.get_by_test_id("requirement-progress")).to_have_text("12 of 20 hours")
    # not enough yet: marking it done is refused with the count
    hours.get_by_role("button", name="Mark done").click()
    expect(manager.get_by_text("12 of 20 hours are recorded.", exact=False)).to_be_visible()
    fits_a_phone(manager)
    shoot(manager, "cases-hours-refused")
    hours = manager.locator("#req-2")
    hours.get_by_label("Hours done").fill("8")
    hours.get_by_role("button", name="Record hours").click()
    hours = manager.locator("#req-2")
    expect(hours.get_by_test_id("requirement-progress")).to_have_text("20 of 20 hours")
    expect(hours.get_by_role("button", name="Record hours")).to_have_count(0)
    fits_a_phone(manager)
    shoot(manager, "cases-hours-recorded")
    hours.get_by_role("button", name="Mark done").click()
    expect(manager.get_by_text("Community service: marked done.")).to_be_visible()

    manager.get_by_role("button", name="Complete the case").click()
    expect(manager.get_by_text("Case completed.")).to_be_visible()
    expect(manager.get_by_test_id("case-status")).to_have_text("Completed")
    expect(manager.get_by_test_id("charge-outcome")).to_contain_text("Not filed")
    fits_a_phone(manager)
    shoot(manager, "cases-completed")

    done = Case.objects.get(pk=case.pk)
    assert done.status == "completed"
    assert list(done.charges.values_list("outcome", flat=True)) == ["not_filed"]


def test_a_stale_page_gets_the_conflict_screen_on_a_phone(
    cast: Any, live_server: Any, browser: Browser
) -> None:
    """Two case managers have the same case open; one marks the fee waived, the other (on a
    phone, from the page shown before) tries to waive it too: the conflict screen says who
    changed it and hands back the reason they typed; nothing of theirs is saved."""
    base = live_server.url
    intervention_config(
        cast.program,
        charges="civil_citation",
        requirements=[{"kind": "fee", "description": "Pay the program fee.", "amount": 50}],
    )
    case = open_case(actor=cast.officer_a, agency=cast.police_a, case_agency=cast.provider_p)
    url = f"{base}/cases/{case.pk}/"
    first = open_as(browser, base, "case_manager_p", DESKTOP, at=None)
    second = open_as(browser, base, "case_manager_p", PHONE, at=None)
    first.goto(url)
    second.goto(url)
    for page, reason in ((first, "Cannot pay: no income."), (second, "Hardship, per the judge.")):
        fee = page.locator("#req-2")
        fee.locator("summary", has_text="Waive").click()
        fee.get_by_label("Why is it waived?").fill(reason)
        fee.get_by_role("button", name="Waive requirement").click()
    expect(first.get_by_text("Program fee: waived.")).to_be_visible()
    expect(
        second.get_by_role("heading", name="Someone changed this requirement while you had it open")
    ).to_be_visible()
    expect(second.get_by_text("Nothing you sent was saved.")).to_be_visible()
    expect(second.get_by_role("textbox")).to_have_value("Hardship, per the judge.")
    fits_a_phone(second)
    shoot(second, "cases-conflict")
    second.get_by_role("link", name="Open the latest version").click()
    expect(second.locator("#req-2").get_by_test_id("requirement-state")).to_contain_text("Waived")
    assert case.requirements.get(kind="fee").waived_reason == "Cannot pay: no income."
