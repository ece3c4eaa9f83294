from __future__ import annotations

from typing import Any

from django.test import Client
from django.urls import reverse

from pathways.accounts.factories import TEST_PASSWORD
from pathways.accounts.selectors import agencies_for, roles_for


def test_sign_in_with_a_wrong_password_gets_a_clear_message(cast: Any) -> None:
    client = Client()
    response = client.post(
        reverse("login"), {"username": "officer_a", "password": "not the password"}
    )
    assert response.status_code == 200
    assert b"do not match an active account" in response.content
    assert "_auth_user_id" not in client.session


def test_sign_in_and_out(cast: Any) -> None:
    client = Client()
    response = client.post(reverse("login"), {"username": "officer_a", "password": TEST_PASSWORD})
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(cast.officer_a.pk)
    assert client.post(reverse("logout")).status_code == 302
    assert "_auth_user_id" not in client.session


def test_sign_in_refuses_an_outside_redirect(cast: Any) -> None:
    response = Client().post(
        reverse("login") + "?next=https://evil.example/",
        {"username": "officer_a", "password": TEST_PASSWORD, "next": "https://evil.example/"},
    )
    assert response.status_code == 302
    assert not response["Location"].startswith("https://evil.example")


def test_roles_and_agencies_come_from_active_memberships(cast: Any) -> None:
    assert roles_for(user=cast.officer_a) == {"officer"}
    assert [a.name for a in agencies_for(cast.intake_p)] == ["Harbor Test Recovery"]
    cast.officer_a.memberships.update(is_active=False)
    fresh = type(cast.officer_a).objects.get(pk=cast.officer_a.pk)
    assert roles_for(user=fresh) == frozenset()
    assert cast.client_for(fresh).get(reverse("encounters:start")).status_code == 403


def test_researchers_see_no_person_level_pages(cast: Any) -> None:
    client = cast.client_for(cast.researcher)
    assert client.get(reverse("encounters:list")).status_code == 403
    assert client.get(reverse("referrals:queue")).status_code == 403
