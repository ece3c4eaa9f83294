"""Two-step sign-in in Debian's Chromium: after the enrolment code issued for the user, a
security key added and then used (Chrome's virtual authenticator, driven over the DevTools
protocol), and an authenticator app added by typing the key shown on the page; no page breaks
the Content-Security-Policy. Screenshots of the pages at 390x844 and 1280x800 go to
$PATHWAYS_SCREENSHOTS (default: screenshots/)."""

from __future__ import annotations

import base64
import time
from typing import Any

import pytest
from django_otp.oath import TOTP
from playwright.sync_api import Browser, ViewportSize, expect

from pathways.accounts.browser import DESKTOP, PHONE, shoot, type_code, watch
from pathways.accounts.factories import TEST_PASSWORD
from pathways.accounts.models import AuthenticatorApp as TOTPDevice
from pathways.accounts.models import WebAuthnCredential
from pathways.accounts.services import enrolment_code_issue

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
expect.set_options(timeout=15_000)


def sign_in_with_password(page: Any, base: str, username: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: "/accounts/mfa/" in url)


def type_enrolment_code(page: Any, user: Any, shot: str = "") -> None:
    """On the enrolment-code page, type a code issued for `user` (as an administrator would)."""
    expect(page.get_by_label("Enrolment code")).to_be_visible()
    if shot:
        page.get_by_label("Enrolment code").fill("0000-0000-0000")
        page.get_by_role("button", name="Continue").click()
        expect(page.locator("#id_code-error")).to_contain_text("That enrolment code is not right")
        shoot(page, shot)
    code = enrolment_code_issue(actor=None, user=user, on_server=True).code
    page.get_by_label("Enrolment code").fill(code)
    page.get_by_role("button", name="Continue").click()


def sign_out(page: Any) -> None:
    """Submit the header's sign-out form (on a phone it sits behind the menu button)."""
    with page.expect_navigation():
        page.evaluate("document.querySelector(\"form[action$='/accounts/logout/']\").submit()")
    page.wait_for_url(lambda url: "/accounts/login/" in url)


def test_a_security_key_is_added_and_then_signs_in(
    cast: Any, live_server: Any, browser: Browser
) -> None:
    base = live_server.url
    assert base.startswith("http://localhost:")  # WebAuthn needs a host name, not an address
    context = browser.new_context(
        viewport=ViewportSize(width=PHONE["width"], height=PHONE["height"])
    )
    page = context.new_page()
    problems = watch(page)
    devtools = context.new_cdp_session(page)
    devtools.send("WebAuthn.enable")
    devtools.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
            }
        },
    )

    sign_in_with_password(page, base, "intake_p")
    expect(page.get_by_role("heading", name="Set up two-step sign-in")).to_be_visible()
    type_enrolment_code(page, cast.intake_p, shot="mfa-00-enrolment-code-wrong")
    expect(page.get_by_role("link", name="Security key or passkey")).to_be_visible()
    shoot(page, "mfa-01-setup-choice")
    page.get_by_role("link", name="Security key or passkey").click()
    expect(page.get_by_role("heading", name="Add a security key or passkey")).to_be_visible()
    page.get_by_label("Name for it").fill("Laptop passkey")
    shoot(page, "mfa-02-setup-key")
    page.get_by_role("button", name="Add security key").click()
    page.wait_for_url(lambda url: "/accounts/" not in url)
    expect(page.get_by_text("Two-step sign-in is set up with your security key.")).to_be_visible()
    key = WebAuthnCredential.objects.get(user=cast.intake_p)
    assert key.name == "Laptop passkey" and key.confirmed

    sign_out(page)
    sign_in_with_password(page, base, "intake_p")
    expect(page.get_by_role("heading", name="Finish signing in")).to_be_visible()
    expect(page.get_by_label("6-digit code")).to_have_count(0)  # no app on record
    shoot(page, "mfa-03-verify-key")
    page.get_by_role("button", name="Use security key").click()
    page.wait_for_url(lambda url: "/accounts/" not in url)
    expect(page.get_by_role("heading", name="Referral queue")).to_be_visible()
    key.refresh_from_db()
    assert key.last_used_at is not None
    assert problems == []
    context.close()


def test_an_authenticator_app_is_added_then_its_code_signs_in(
    cast: Any, live_server: Any, browser: Browser
) -> None:
    base = live_server.url
    page = browser.new_context(
        viewport=ViewportSize(width=DESKTOP["width"], height=DESKTOP["height"])
    ).new_page()
    problems = watch(page)
    sign_in_with_password(page, base, "officer_a")
    type_enrolment_code(page, cast.officer_a)
    page.get_by_role("link", name="Authenticator app on your phone").click()
    expect(page.get_by_role("heading", name="Set up an authenticator app")).to_be_visible()
    expect(page.get_by_role("img", name="QR code")).to_be_visible()
    shoot(page, "mfa-04-setup-app")
    # an app set up from the key typed by hand shows this code
    secret = page.get_by_test_id("totp-secret").inner_text().replace(" ", "").replace("\n", "")
    totp = TOTP(base64.b32decode(secret))
    totp.time = time.time()
    page.get_by_label("6-digit code").fill("000000" if totp.token() != 0 else "111111")
    page.get_by_role("button", name="Turn on").click()
    expect(page.locator("#id_code-error")).to_contain_text("That code does not match")
    shoot(page, "mfa-05-setup-app-wrong-code")
    totp.time = time.time()
    page.get_by_label("6-digit code").fill(f"{totp.token():06d}")
    page.get_by_label("Name for it").fill("Work phone")
    page.get_by_role("button", name="Turn on").click()
    page.wait_for_url(lambda url: "/accounts/" not in url)
    device = TOTPDevice.objects.get(user=cast.officer_a)
    assert device.name == "Work phone"

    page.goto(f"{base}/accounts/mfa/devices/")
    expect(page.get_by_role("heading", name="Work phone")).to_be_visible()
    shoot(page, "mfa-06-devices")
    page.get_by_text("Remove “Work phone”").click()
    page.get_by_role("button", name="Remove", exact=True).click()
    expect(page.get_by_text("To remove a device, type a code")).to_be_visible()
    shoot(page, "mfa-06b-devices-remove-refused")
    assert TOTPDevice.objects.filter(user=cast.officer_a).exists()

    sign_out(page)
    sign_in_with_password(page, base, "officer_a")
    expect(page.get_by_role("heading", name="Finish signing in")).to_be_visible()
    shoot(page, "mfa-07-verify-code")
    type_code(page, device)
    page.wait_for_url(lambda url: "/accounts/" not in url)
    expect(page.get_by_role("heading", name="New contact")).to_be_visible()
    assert problems == []
