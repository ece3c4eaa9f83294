"""The pathways' own field screens in Debian's Chromium, at phone width, by the roles who use
them: an officer records an overdose and the follow-up lands on the team's worklist, where the
team records the visit and refers to treatment; an officer takes a walk-in request for help with
items handed in and a companion; a crisis team member records a community response call."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from pathways.accounts.browser import PHONE, choose_service, open_as, shoot, tick_need
from pathways.accounts.factories import member
from pathways.encounters.models import CrisisResponse, Encounter, SurrenderedItem
from pathways.followups.models import Visit, WorkItem, WorkKind
from pathways.referrals.models import Referral
from pathways.surveillance.models import OverdoseEvent

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
expect.set_options(timeout=15_000)


def pick(page: Page, group: str, option: str) -> None:
    """Choose a radio/checkbox by its group's legend and its label (USWDS hides the input)."""
    fieldset = page.get_by_role("group", name=re.compile(group, re.I))
    fieldset.locator("label", has_text=re.compile(f"^{re.escape(option)}$")).click()


def person(page: Page, first: str, last: str, born: str) -> None:
    page.get_by_label("First name").fill(first)
    page.get_by_label("Last name").fill(last)
    page.get_by_label("Date of birth", exact=True).fill(born)


def test_naloxone_plus_overdose_to_follow_up_visit(
    cast: Any, live_server: Any, browser: Browser
) -> None:
    officer = open_as(browser, live_server.url, "officer_a", PHONE)
    officer.get_by_role("link", name=re.compile("Naloxone Plus")).click()
    person(officer, "Casey", "Vandermolen", "1987-07-07")
    officer.get_by_label("Where").fill("Motel 9, room 12")
    tick_need(officer, "Opioid use")
    pick(officer, "Was naloxone given", "Yes")
    officer.get_by_label("Naloxone doses").fill("2")
    officer.get_by_label("Who gave the naloxone").select_option("police")
    pick(officer, "Was the overdose fatal", "No")
    pick(officer, "Was the person transported", "No")
    officer.get_by_text("More details (time, how it began").click()
    officer.get_by_label("Outcome of the contact").select_option("information")
    shoot(officer, "20-naloxone-field")
    officer.get_by_role("button", name=re.compile("Record contact")).click()
    expect(officer.get_by_test_id("clock")).to_contain_text("Overdose follow-up visit")
    shoot(officer, "21-naloxone-recorded")
    assert OverdoseEvent.objects.get().naloxone_doses == 2

    officer.get_by_role("button", name="Menu").click()  # the phone's collapsed navigation
    officer.get_by_role("link", name="Worklist").click()
    officer.get_by_role("link", name=re.compile("Record visit")).click()
    expect(officer.get_by_text("Naloxone given")).to_be_visible()
    pick(officer, "Who went", "Police officer")
    pick(officer, "Who went", "Peer recovery coach")
    pick(officer, "What happened", "Met the person; referred to treatment or services")
    choose_service(officer, "Harbor Detox")
    shoot(officer, "22-naloxone-visit")
    officer.get_by_role("button", name="Record visit").click()
    expect(officer.get_by_text(re.compile("Visit recorded"))).to_be_visible()
    visit = Visit.objects.get()
    assert visit.outcome == "referred" and visit.contact is not None
    assert Referral.objects.get().encounter_id == visit.contact.pk
    assert not WorkItem.objects.get(kind=WorkKind.OVERDOSE_FOLLOWUP).is_open


def test_self_referral_walk_in_with_items_and_companion(
    cast: Any, live_server: Any, browser: Browser
) -> None:
    angel = member(cast.police_a, "outreach", "angel_a")
    angel.first_name, angel.last_name = "Pat", "Volunteer"
    angel.save()
    officer = open_as(browser, live_server.url, "officer_a", PHONE)
    officer.get_by_role("link", name=re.compile("Self-Referral")).click()
    person(officer, "Robin", "Castellano", "1988-02-11")
    officer.get_by_label("Where").fill("Station 2 lobby")
    tick_need(officer, "Opioid use")
    pick(officer, "What was handed in", "Syringes or needles")
    officer.get_by_label("How it was disposed of").fill("Sharps box, Station 2")
    officer.get_by_label("Paired with").select_option(label="Pat Volunteer")
    choose_service(officer, "Harbor Detox")
    officer.locator("label", has_text="Warm hand-off").click()
    shoot(officer, "23-self-referral-field")
    officer.get_by_role("button", name=re.compile("Record contact")).click()
    expect(officer.get_by_test_id("clock")).to_contain_text("Treatment placement")
    expect(officer.get_by_text("never as evidence")).to_be_visible()
    shoot(officer, "24-self-referral-recorded")
    encounter = Encounter.objects.get()
    assert encounter.companion == angel
    assert SurrenderedItem.objects.get().kind == "syringes"


def test_community_response_call(cast: Any, live_server: Any, browser: Browser) -> None:
    team = cast.program.agencies.create(name="Mobile Crisis Team", kind="community_response")
    member(team, "outreach", "crisis_clinician")
    clinician = open_as(browser, live_server.url, "crisis_clinician", PHONE)
    clinician.get_by_role("link", name=re.compile("Community Response")).click()
    person(clinician, "Jordan", "Obi-Lindgren", "1979-01-30")
    clinician.get_by_label("Where").fill("Bus shelter, 5th & Pine")
    tick_need(clinician, "Acute crisis")
    pick(clinician, "Who responded", "Behavioral health clinician")
    pick(clinician, "Who responded", "Peer or credible messenger")
    pick(clinician, "How it ended", "De-escalated and resolved on scene")
    clinician.get_by_text("More details (time, how it began").click()
    clinician.get_by_label("Outcome of the contact").select_option("information")
    shoot(clinician, "25-community-response-field")
    clinician.get_by_role("button", name=re.compile("Record contact")).click()
    expect(clinician.get_by_test_id("clock")).to_contain_text("Follow-up after a crisis call")
    shoot(clinician, "26-community-response-recorded")
    assert CrisisResponse.objects.get().outcome == "resolved"


def test_officer_intervention_held_charge(cast: Any, live_server: Any, browser: Browser) -> None:
    from pathways.cases.models import Case

    officer = open_as(browser, live_server.url, "officer_a", PHONE)
    officer.get_by_role("link", name=re.compile("Officer Intervention")).click()
    person(officer, "Morgan", "Tessaro", "1994-03-03")
    officer.get_by_label("Where").fill("Greyhound station, 2nd St")
    tick_need(officer, "Substance use")
    expect(officer.get_by_test_id("charge-fields")).to_contain_text("held in abeyance")
    expect(officer.get_by_text("{# ")).to_have_count(0)
    officer.locator("#id_charge-offence_type").select_option("drug_possession")
    officer.get_by_label("Level of offense").select_option("misdemeanour")
    choose_service(officer, "Harbor Detox")
    shoot(officer, "27-officer-intervention-field")
    officer.get_by_role("button", name=re.compile("Record contact")).click()
    expect(officer.get_by_text(re.compile("Diversion case opened"))).to_be_visible()
    shoot(officer, "28-officer-intervention-recorded")
    case = Case.objects.get()
    assert case.person.last_name == "Tessaro"
    assert case.diverting_agency == cast.police_a
