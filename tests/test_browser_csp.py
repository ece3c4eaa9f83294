"""In Debian's Chromium: the Content-Security-Policy (no inline script or style, nothing from
another site) is sent on every page, and the app's own pages never break it."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Browser, expect

from pathways.accounts.browser import DESKTOP, PHONE, open_as, tick_need, watch
from pathways.encounters.factories import EncounterFactory
from pathways.referrals.services import referral_send

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
expect.set_options(timeout=15_000)


def test_no_page_breaks_the_content_security_policy(
    cast: Any, live_server: Any, browser: Browser
) -> None:
    base = live_server.url
    encounter = EncounterFactory.create(
        program=cast.program, agency=cast.police_a, responder=cast.officer_a
    )
    referral = referral_send(
        actor=cast.officer_a, encounter=encounter, service=cast.detox_p, warm_handoff=True
    )

    anonymous = browser.new_page(viewport={"width": PHONE["width"], "height": PHONE["height"]})
    problems = watch(anonymous)
    response = anonymous.goto(f"{base}/accounts/login/")
    assert response is not None
    policy = response.headers.get("content-security-policy", "")
    assert "script-src 'self'" in policy and "style-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy and "unsafe-inline" not in policy

    officer = open_as(browser, base, "officer_a", PHONE, at=None)
    problems += watch(officer)
    officer.goto(f"{base}/encounters/new/officer_prevention/")
    tick_need(officer, "Substance use")  # htmx swaps in the matching services
    officer.goto(f"{base}/encounters/{encounter.pk}/")
    officer.goto(f"{base}/worklist/")

    intake = open_as(browser, base, "intake_p", DESKTOP, at=None)
    problems += watch(intake)
    intake.goto(f"{base}/referrals/{referral.pk}/")
    intake.goto(f"{base}/consent/referral/{referral.pk}/new/")
    pad = intake.locator("canvas.pw-signature__pad")
    box = pad.bounding_box()
    assert box is not None
    intake.mouse.move(box["x"] + 10, box["y"] + 10)
    intake.mouse.down()
    intake.mouse.move(box["x"] + 80, box["y"] + 40)
    intake.mouse.up()

    coordinator = open_as(browser, base, "coordinator", DESKTOP)
    problems += watch(coordinator)
    for path in ("/program/", "/setup/pathways/", "/setup/templates/qrt_hamilton_county/"):
        coordinator.goto(f"{base}{path}")
        expect(coordinator.locator("main, body").first).to_be_visible()
    assert problems == []
