"""Issue 18 in Debian's Chromium at phone width, by the officer who works the street: an
unconscious overdose patient recorded without a name, the error summary that names the field
and takes the focus, a draft kept on the phone across a lost page, the partner services first
with a tap-to-call link, then naming the person later, the person's page and "Our contacts"."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from pathways.accounts.browser import PHONE, open_as, shoot, tick_need
from pathways.encounters.models import Encounter
from pathways.people.models import Identity, Person

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
expect.set_options(timeout=15_000)


def pick(page: Page, group: str, option: str) -> None:
    fieldset = page.get_by_role("group", name=re.compile(group, re.I))
    fieldset.locator("label", has_text=re.compile(f"^{re.escape(option)}$")).click()


def test_an_unknown_overdose_patient_is_recorded_then_named(
    cast: Any, live_server: Any, browser: Browser
) -> None:
    cast.detox_p.phone = "(555) 010-2000"
    cast.detox_p.save()
    officer = open_as(browser, live_server.url, "officer_a", PHONE)
    officer.get_by_role("link", name=re.compile("Naloxone Plus")).click()
    pick(officer, "Is the person's name known", "Cannot be identified (e.g. unconscious)")
    expect(officer.get_by_label("First name")).to_be_hidden()
    officer.get_by_label("Approximate age").fill("25")
    officer.get_by_label("Description").fill("Woman, black hoodie, found in the library")
    officer.get_by_label("Where").fill("Main Library, 2nd floor")
    tick_need(officer, "Opioid use")
    # the partner services come first, each with a number to tap
    expect(officer.get_by_role("link", name=re.compile("Call Harbor Detox"))).to_have_attribute(
        "href", "tel:5550102000"
    )
    # send it half-filled: the summary names the fields and takes the focus
    officer.get_by_role("button", name=re.compile("Record contact")).click()
    summary = officer.locator("[data-error-summary]")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("Was naloxone given")
    shoot(officer, "40-unknown-person-errors")
    assert not Encounter.objects.exists()

    pick(officer, "Was naloxone given", "Yes")
    officer.get_by_label("Naloxone doses").fill("2")
    officer.get_by_label("Who gave the naloxone").select_option("ems")
    pick(officer, "Was the overdose fatal", "No")
    pick(officer, "Was the person transported", "Yes")
    officer.get_by_label("Taken to").fill("County General")
    # the connection drops and the page is lost: opened again, the draft is still on the phone
    officer.goto(f"{live_server.url}/encounters/new/naloxone_plus/")
    expect(officer.locator("[data-draft-notice]")).to_be_visible()
    expect(officer.get_by_label("Description")).to_have_value(
        "Woman, black hoodie, found in the library"
    )
    shoot(officer, "41-draft-restored")
    officer.get_by_text("More details (time, how it began").click()
    officer.get_by_label("Outcome of the contact").select_option("transported")
    officer.get_by_role("button", name=re.compile("Record contact")).click()
    expect(officer.get_by_test_id("unnamed")).to_contain_text("Recorded without a name")
    shoot(officer, "42-unknown-person-recorded")
    encounter = Encounter.objects.get()
    assert encounter.person.identity == Identity.UNKNOWN
    # the draft is gone once the contact is recorded
    officer.goto(f"{live_server.url}/encounters/new/naloxone_plus/")
    expect(officer.locator("[data-draft-notice]")).to_be_hidden()

    # days later the person gives a name at the follow-up
    officer.goto(f"{live_server.url}/encounters/{encounter.pk}/")
    officer.get_by_role("link", name=re.compile("Name this person")).click()
    officer.get_by_label("First name").fill("Rae")
    officer.get_by_label("Last name").fill("Okafor")
    officer.get_by_label("Date of birth", exact=True).fill("1999-03-02")
    shoot(officer, "43-name-the-person")
    officer.get_by_role("button", name=re.compile("Check and save")).click()
    expect(officer.get_by_role("heading", level=1)).to_have_text("Rae Okafor")
    assert Person.objects.get(pk=encounter.person_id).is_named

    officer.get_by_role("link", name="Every contact with this person").click()
    expect(officer.get_by_test_id("person-contacts")).to_contain_text("Naloxone Plus")
    shoot(officer, "44-person-page")

    officer.goto(f"{live_server.url}/people/?q=okafor")
    expect(officer.get_by_test_id("people-found")).to_contain_text("Rae Okafor")
    shoot(officer, "45-person-search")

    officer.goto(f"{live_server.url}/encounters/")
    expect(officer.get_by_test_id("contact-count")).to_contain_text("1–1 of 1 contact")
    officer.get_by_text("Search and filter").click()
    shoot(officer, "46-our-contacts")
    width = officer.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the contacts page scrolls sideways ({width}px)"
