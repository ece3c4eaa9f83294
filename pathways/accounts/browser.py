"""Launching Debian's Chromium through Playwright, shared by the browser tests and bench/.

No browser is downloaded: Playwright drives /usr/bin/chromium (or $PATHWAYS_CHROMIUM). The
flags keep Chromium off the network this machine does not have."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model

from pathways.accounts.factories import TEST_PASSWORD
from pathways.accounts.testing import totp_code, totp_device, verified_client

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def launch_chromium(playwright: Any) -> Any:
    """A headless Chromium Browser from a started sync_playwright()."""
    return playwright.chromium.launch(
        executable_path=os.environ.get("PATHWAYS_CHROMIUM", "/usr/bin/chromium"),
        args=CHROMIUM_ARGS,
    )


# --- Helpers for the browser tests ------------------------------------------------------------

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}


def screenshots_dir() -> Path:
    return Path(os.environ.get("PATHWAYS_SCREENSHOTS", "screenshots"))


def open_as(
    browser: Any,
    base: str,
    username: str,
    viewport: dict[str, int],
    *,
    at: str | None = "/",
    via_form: bool = False,
) -> Any:
    """A new page signed in as `username`, second step included, opened at `at` (None: not
    opened yet, so that a test can watch the page from its first load).

    By default the session is made on the server (signed in, second step passed, as
    `verified_client` does) and handed to the browser as its cookie: the sign-in pages are
    tested on their own (test_browser_mfa, and the end-to-end diversion signs in through the
    form), and going through them for every page of every test cost seconds each.
    With `via_form`, the user signs in through the form with the test cast's password and types
    the code their authenticator app shows now (an app device is added when they have none)."""
    user = get_user_model().objects.get(username=username)
    context = browser.new_context(viewport=viewport)
    page = context.new_page()
    if not via_form:
        session = verified_client(user).cookies[settings.SESSION_COOKIE_NAME].value
        context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": base}])
        if at is not None:
            page.goto(f"{base}{at}")
        return page
    device = totp_device(user)
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: "/accounts/mfa/" in url)
    type_code(page, device)
    page.wait_for_url(lambda url: "/accounts/" not in url)
    if at is not None and at != "/":
        page.goto(f"{base}{at}")
    return page


def type_code(page: Any, device: Any) -> None:
    """On the second-step page, type the code `device` (an authenticator app) shows now."""
    page.get_by_label("6-digit code").fill(totp_code(device))
    page.get_by_role("button", name="Verify").click()


def shoot(page: Any, name: str) -> None:
    """Save the page at phone and desktop width (restoring the page's own size after)."""
    shots = screenshots_dir()
    shots.mkdir(parents=True, exist_ok=True)
    size = page.viewport_size
    for label, viewport in (("phone", PHONE), ("desktop", DESKTOP)):
        page.set_viewport_size(viewport)
        page.screenshot(path=str(shots / f"{name}-{label}.png"), full_page=True)
    if size:
        page.set_viewport_size(size)


def tick_need(page: Any, label: str) -> None:
    """Tick a need on the field form and wait until the service list has been refreshed for it
    (htmx), so a service chosen next is not replaced by the late answer."""
    with page.expect_response(lambda r: "/encounters/new/services/" in r.url):
        page.locator("label", has_text=label).first.click()  # USWDS hides the box itself
    page.wait_for_load_state("networkidle")


def choose_service(page: Any, name: str) -> None:
    """Choose a service on the field form (and check that the choice held)."""
    import re

    from playwright.sync_api import expect

    page.locator("label", has_text=name).first.click()
    expect(page.get_by_role("radio", name=re.compile(re.escape(name)))).to_be_checked()


def watch(page: Any) -> list[str]:
    """Collect what the browser reports about the page from now on: Content-Security-Policy
    refusals and script errors (a test asserts the list stays empty)."""
    problems: list[str] = []
    page.on(
        "console",
        lambda message: (
            problems.append(message.text)
            if message.type in ("error", "warning") and "Content Security Policy" in message.text
            else None
        ),
    )
    page.on("pageerror", lambda error: problems.append(f"script error: {error}"))
    return problems
