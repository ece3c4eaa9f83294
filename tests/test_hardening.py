"""Requests that must be refused cleanly: a NUL character in an address (400, never a 500; in
a form it is refused at the field, see the forms' tests) and redirects to other sites after
sign-in."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from pathways.accounts.factories import TEST_PASSWORD

NUL_MESSAGE = "The address contained a NUL character, which no search or filter accepts."


@pytest.mark.parametrize(
    "url",
    [
        "/encounters/?q=ab\x00c",
        "/setup/templates/?pathway=self_referral\x00",
        "/encounters/?a\x00b=1",
    ],
)
def test_a_nul_in_a_query_is_a_clear_400(cast: Any, url: str) -> None:
    response = cast.client_for(cast.coordinator).get(url)
    assert response.status_code == 400
    assert NUL_MESSAGE in response.content.decode()


def test_sign_in_never_redirects_to_another_site(cast: Any) -> None:
    for target in ("https://evil.example/", "//evil.example/", "/\\evil.example/"):
        client = Client()
        response = client.post(
            reverse("login") + "?next=" + target,
            {"username": "officer_a", "password": TEST_PASSWORD, "next": target},
        )
        assert response.status_code == 302
        assert "evil.example" not in response["Location"], target
    client = Client()
    inside = client.post(
        reverse("login"),
        {"username": "officer_a", "password": TEST_PASSWORD, "next": "/encounters/"},
    )
    assert inside["Location"] == "/encounters/"
