"""In Debian's Chromium: a coordinator adopts the Angel Program rules from the example, an
invalid rule is refused on its row, and an officer on a phone sees the questions and the plain
reasons as they answer."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Browser, expect

from pathways.accounts.browser import DESKTOP, PHONE, choose_service, open_as, shoot, tick_need
from pathways.encounters.models import Encounter
from pathways.programs.models import ProgramPathway

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
expect.set_options(timeout=15_000)


def test_coordinator_configures_and_officer_sees_the_reasons(
    cast: Any, live_server: Any, browser: Browser
) -> None:
    base = live_server.url
    coordinator = open_as(browser, base, "coordinator", DESKTOP)
    coordinator.get_by_role("link", name="Setup").click()
    expect(coordinator.get_by_role("heading", name="Pathways", level=1)).to_be_visible()
    shoot(coordinator, "10-setup-list")
    coordinator.get_by_role("link", name="Configure Self-Referral").click()
    coordinator.get_by_label("Start from an example rule set").select_option("angel_program")
    coordinator.get_by_role("button", name="Load example").click()
    expect(coordinator.get_by_text("Loaded Angel Program")).to_be_visible()
    coordinator.get_by_label("What the program calls it").fill("Angel Program")
    # a typo in a fact's name is refused on its row, and nothing is saved
    coordinator.locator("#id_rules-0-condition").fill("outstanding_warants")
    coordinator.get_by_label("Why this change").fill("Board adopted the Angel Program")
    coordinator.get_by_role("button", name="Save as a new version").click()
    expect(coordinator.get_by_text(re.compile(r"Rule 1: .*outstanding_warants"))).to_be_visible()
    shoot(coordinator, "11-setup-rule-refused")
    pp = ProgramPathway.objects.get(program=cast.program, pathway__code="self_referral")
    assert pp.current_config is not None
    assert pp.current_config.version == 1
    coordinator.locator("#id_rules-0-condition").fill("outstanding_warrant")
    coordinator.get_by_role("button", name="Save as a new version").click()
    expect(coordinator.get_by_text("Saved as version 2")).to_be_visible()
    shoot(coordinator, "12-setup-saved")

    officer = open_as(browser, base, "officer_a", PHONE)
    officer.get_by_role("link", name=re.compile("Angel Program")).click()
    officer.get_by_label("First name").fill("Jesse")
    officer.get_by_label("Last name").fill("Marchetti")
    officer.get_by_label("Date of birth", exact=True).fill("1992-09-30")
    officer.get_by_label("Where").fill("Station 2 lobby")
    warrant = officer.get_by_role("group", name=re.compile("outstanding warrant", re.I))
    warrant.locator("label", has_text="Yes").click()  # USWDS hides the radio itself
    expect(officer.get_by_test_id("eligibility-decision")).to_contain_text("Not eligible")
    shoot(officer, "13-officer-eligibility-refused")
    warrant.locator("label", has_text=re.compile("^No$")).click()
    safety = officer.get_by_role("group", name=re.compile("safety of officers", re.I))
    safety.locator("label", has_text=re.compile("^No$")).click()
    expect(officer.get_by_test_id("eligibility-decision")).to_contain_text("Eligible")
    tick_need(officer, "Substance use")
    choose_service(officer, "Harbor Detox")
    officer.get_by_role("button", name=re.compile("Record contact")).click()
    expect(officer.get_by_test_id("eligibility")).to_contain_text("Eligible")
    shoot(officer, "14-officer-eligible-recorded")
    encounter = Encounter.objects.get(person__last_name="Marchetti")
    assert encounter.eligibility_outcome == "eligible"
    assert encounter.config is not None
    assert encounter.config.version == 2


def test_coordinator_starts_a_program_from_a_template_on_a_phone(
    cast: Any, live_server: Any, browser: Browser
) -> None:
    base = live_server.url
    coordinator = open_as(browser, base, "coordinator", PHONE, at="/setup/pathways/")
    coordinator.get_by_role("link", name="Start a program from a template").click()
    expect(coordinator.get_by_role("heading", name="Program templates", level=1)).to_be_visible()
    expect(coordinator.get_by_text("19 templates")).to_be_visible()
    shoot(coordinator, "40-templates-list")
    coordinator.get_by_label("Show templates for").select_option("naloxone_plus")
    coordinator.get_by_role("button", name="Show").click()
    expect(coordinator.get_by_text("3 templates")).to_be_visible()
    coordinator.get_by_role(
        "link", name="Quick Response Team (Hamilton County, OH)", exact=True
    ).click()
    expect(coordinator.get_by_text("72 hours", exact=True)).to_be_visible()
    shoot(coordinator, "41-template-detail")
    # an empty name is refused and nothing is started
    name = coordinator.get_by_label("What your program calls its Naloxone Plus pathway")
    name.fill("")
    coordinator.get_by_role("button", name=re.compile("^Start Quick Response Team")).click()
    # at the field, and in the summary at the top naming the field (issue 18)
    expect(coordinator.get_by_text("Enter the name your program uses.", exact=True)).to_be_visible()
    expect(coordinator.locator("[data-error-summary]")).to_contain_text(
        "What your program calls its Naloxone Plus pathway: Enter the name your program uses."
    )
    pp = ProgramPathway.objects.get(program=cast.program, pathway__code="naloxone_plus")
    assert pp.template_code == ""
    name.fill("Test County QRT")
    team = coordinator.get_by_label("Team that follows up")
    team.select_option(label="Southside Police Department (Law enforcement)")
    coordinator.get_by_role("button", name=re.compile("^Start Quick Response Team")).click()
    expect(coordinator.get_by_text(re.compile("Started “Test County QRT”"))).to_be_visible()
    expect(coordinator.get_by_text("Based on:")).to_be_visible()
    shoot(coordinator, "42-template-started")
    pp.refresh_from_db()
    assert pp.template_code == "qrt_hamilton_county" and pp.local_name == "Test County QRT"
    assert pp.current_config is not None
    assert pp.current_config.followup_team_id == cast.police_b.pk

    desk = open_as(browser, base, "coordinator", DESKTOP, at="/setup/templates/")
    desk.goto(f"{base}/setup/templates/lead_king_county/")
    expect(desk.get_by_role("heading", name="LEAD diversion")).to_be_visible()
    shoot(desk, "43-template-detail-lead")
    desk.goto(f"{base}/setup/pathways/naloxone_plus/")
    expect(desk.get_by_text("as the template set it")).to_be_visible()
    shoot(desk, "44-pathway-based-on")
