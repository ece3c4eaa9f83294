"""One diversion, end to end, in Debian's Chromium driven by Playwright.

An officer on a phone records an Officer Prevention Referral (finding the existing person after
the duplicate warning, picking an open service, warm hand-off); the provider's intake worker
accepts it and records the intake; the officer sees the status; another agency's officer gets
404; the coordinator's home page counts it. Screenshots of every page at 390×844 and 1280×800
go to $PATHWAYS_SCREENSHOTS (default: screenshots/)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from playwright.sync_api import Browser, expect

from pathways.accounts.browser import DESKTOP, PHONE, open_as, shoot
from pathways.encounters.models import Encounter
from pathways.people.factories import PersonFactory
from pathways.referrals.models import Referral

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# A busy CI machine renders slowly: wait up to 15 s for what must appear.
expect.set_options(timeout=15_000)


def test_one_diversion_end_to_end(cast: Any, live_server: Any, browser: Browser) -> None:
    base = live_server.url
    known = PersonFactory.create(  # met before by the program's other police agency
        created_by_agency=cast.police_b,
        first_name="Dana",
        last_name="Whitfield",
        date_of_birth=dt.date(1990, 6, 1),
    )

    # --- the officer, on a phone ------------------------------------------------------------
    officer = open_as(browser, base, "officer_a", PHONE, via_form=True)  # the real sign-in
    expect(officer.get_by_role("heading", name="New contact")).to_be_visible()
    shoot(officer, "01-officer-start")
    officer.get_by_role("link", name=re.compile("Officer Prevention Referral")).click()
    officer.get_by_label("First name").fill("Dana")
    officer.get_by_label("Last name").fill("Whitfeld")
    officer.get_by_label("Date of birth", exact=True).fill("1990-06-01")
    officer.get_by_label("Date of birth", exact=True).press(
        "Tab"
    )  # leaving the field checks for duplicates
    warning = officer.get_by_test_id("duplicate-warning")
    expect(warning).to_be_visible()
    officer.wait_for_load_state("networkidle")  # the last check's answer is in
    officer.get_by_text("Same person: Dana Whitfield").click()
    expect(officer.get_by_role("radio", name=re.compile("Same person"))).to_be_checked()
    officer.get_by_label("Where").fill("Elm St & 4th Ave")
    officer.locator("label", has_text="Substance use").click()  # USWDS hides the box itself
    # The service list refreshes for the need: detox (open) before outpatient (full)
    detox = officer.get_by_text("Harbor Detox")
    expect(detox).to_be_visible()
    expect(officer.get_by_text("Lakeside Crisis Stabilization")).to_have_count(0)
    officer.wait_for_load_state("networkidle")
    expect(officer.get_by_role("radio", name=re.compile("Same person"))).to_be_checked()
    listing = officer.locator("#services").inner_text()
    assert listing.index("Harbor Detox") < listing.index("Harbor Outpatient")
    shoot(officer, "02-officer-form")
    officer.locator("label", has_text="Harbor Detox").click()
    officer.locator("label", has_text="Warm hand-off").click()
    officer.get_by_role("button", name="Record contact and send referral").click()
    expect(officer.get_by_test_id("referral-status")).to_have_text("Sent")
    shoot(officer, "03-officer-sent")
    encounter = Encounter.objects.get()
    assert encounter.person == known
    referral = Referral.objects.get()
    assert referral.warm_handoff and referral.service == cast.detox_p

    # --- the provider's intake worker, at a desk ----------------------------------------------
    intake = open_as(browser, base, "intake_p", DESKTOP)
    expect(intake.get_by_role("heading", name="Referral queue")).to_be_visible()
    shoot(intake, "04-intake-queue")
    intake.get_by_role("link", name="Dana Whitfield").click()
    expect(intake.get_by_test_id("referral-status")).to_have_text("Received")
    intake.get_by_role("button", name="Accept referral").click()
    expect(intake.get_by_test_id("referral-status")).to_have_text("Accepted")
    shoot(intake, "05-intake-accepted")
    intake.get_by_role("button", name="Record intake").click()
    expect(intake.get_by_test_id("referral-status")).to_have_text("Engaged")
    shoot(intake, "06-intake-engaged")

    # --- without the person's consent the officer's agency sees only that it was sent --------
    officer.reload()
    expect(officer.get_by_test_id("referral-status")).to_have_text("Sent")
    expect(officer.get_by_test_id("referral-withheld")).to_contain_text(
        "shared only with the person's written consent"
    )

    # --- the person signs a consent on the provider's screen (42 CFR Part 2) -------------------
    intake.get_by_role("link", name="Consents to share and disclosures").click()
    intake.get_by_role("link", name="Record a consent").click()
    pad = intake.locator("canvas.pw-signature__pad")
    pad.scroll_into_view_if_needed()
    box = pad.bounding_box()
    assert box is not None
    intake.mouse.move(box["x"] + 20, box["y"] + 30)
    intake.mouse.down()
    for step in range(1, 12):
        intake.mouse.move(box["x"] + 20 + step * 25, box["y"] + 30 + (step % 3) * 20)
    intake.mouse.up()
    intake.get_by_label("Signed by").fill("Dana Whitfield")
    shoot(intake, "08-consent-signed")
    intake.get_by_role("button", name="Record consent").click()
    expect(intake.get_by_text("Consent recorded.")).to_be_visible()
    expect(intake.get_by_test_id("consent")).to_contain_text("In force")

    # --- with it, the officer sees the status and the redisclosure notice ----------------------
    officer.reload()
    expect(officer.get_by_test_id("referral-status")).to_have_text("Engaged")
    expect(officer.get_by_test_id("part2-notice")).to_be_visible()
    shoot(officer, "09-officer-status-under-consent")
    intake.reload()
    # the accounting names the recipient by name, not by username (issue 18)
    recipient = cast.officer_a.get_full_name()
    expect(intake.get_by_text(f"{recipient}, Northside Police Department")).to_be_visible()
    other = open_as(browser, base, "officer_b", PHONE)
    response = other.goto(f"{base}/encounters/{encounter.pk}/")
    assert response is not None and response.status == 404
    response = other.goto(f"{base}/referrals/{referral.pk}/")
    assert response is not None and response.status == 404

    # --- the coordinator's home page counts it ---------------------------------------------------
    coordinator = open_as(browser, base, "coordinator", DESKTOP)
    expect(coordinator.get_by_test_id("total-encounters")).to_have_text("1")
    row = coordinator.locator("tr[data-pathway=officer_prevention]")
    expect(row).to_contain_text("Officer prevention")
    cells = row.locator("td").all_inner_texts()
    assert cells[:2] == ["1", "1"]
    shoot(coordinator, "07-coordinator-home")


def test_bad_input_is_shown_at_the_field_in_the_browser(
    cast: Any, live_server: Any, browser: Browser
) -> None:
    officer = open_as(
        browser, live_server.url, "officer_a", PHONE, at="/encounters/new/officer_prevention/"
    )
    officer.get_by_label("First name").fill("Dana")
    officer.get_by_label("Last name").fill("Whitfield")
    officer.get_by_label("Date of birth", exact=True).fill("2999-01-01")
    officer.get_by_role("button", name="Record contact and send referral").click()
    expect(officer.locator("#id_date_of_birth-error")).to_contain_text("cannot be in the future")
    expect(officer.locator("#id_presenting_needs-error")).to_contain_text("Choose at least one")
    expect(officer.get_by_text("Nothing was saved")).to_be_visible()
    # the typed answers are kept
    expect(officer.get_by_label("First name")).to_have_value("Dana")
    shoot(officer, "08-officer-errors")
    assert Encounter.objects.count() == 0
