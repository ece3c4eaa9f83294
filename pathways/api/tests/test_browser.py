"""In Debian's Chromium: a coordinator registers a partner system and sees its credential once,
revokes it; the API's docs page keeps to the Content-Security-Policy."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Browser, expect

from pathways.accounts.browser import DESKTOP, open_as, watch
from pathways.api.models import ApiClient

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
expect.set_options(timeout=15_000)


def test_register_see_the_credential_once_and_revoke(
    cast: Any, live_server: Any, browser: Browser
) -> None:
    base = live_server.url
    page = open_as(browser, base, "coordinator", DESKTOP, at=None)
    problems = watch(page)
    page.goto(f"{base}/setup/api-clients/")
    page.get_by_role("link", name="Register a client").click()
    page.get_by_label("Name of the partner system").fill("Harbor EHR")
    page.locator("#id_agency").select_option(label=cast.provider_p.name)
    page.locator("label", has_text="referrals:write").click()
    page.get_by_role("button", name="Register and show the credential").click()
    credential = page.get_by_test_id("api-credential")
    token = credential.input_value()
    assert token.startswith("pwapi_")
    page.get_by_role("link", name="Back to API clients").click()
    row = page.get_by_test_id("api-client")
    expect(row).to_contain_text("Harbor EHR")
    assert token not in page.content()  # shown once
    row.get_by_role("button", name="Revoke Harbor EHR").click()
    expect(page.get_by_text("Harbor EHR can no longer use the API.")).to_be_visible()
    assert ApiClient.objects.get(name="Harbor EHR").revoked_at is not None
    page.goto(f"{base}/api/v1/docs/")
    expect(page.get_by_role("heading", name="Pathways partner API")).to_be_visible()
    assert problems == []
