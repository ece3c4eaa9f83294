"""Brute force: 5 failed sign-ins for one username from one address pause that pair for 10
minutes; nobody else is locked out by it."""

from __future__ import annotations

import datetime as dt
from typing import Any

from axes.models import AccessAttempt
from django.test import Client, RequestFactory, override_settings
from django.urls import reverse

from pathways.accounts.factories import TEST_PASSWORD
from pathways.accounts.security import client_ip

LOGIN = reverse("login")
HOME = reverse("home")


class Attempt:
    def __init__(self, username: str, password: str, address: str) -> None:
        client = Client(REMOTE_ADDR=address)
        response = client.post(LOGIN, {"username": username, "password": password})
        self.status_code = response.status_code
        self.page = response.content.decode()
        self.signed_in = "_auth_user_id" in client.session


def sign_in(username: str, password: str, address: str) -> Attempt:
    return Attempt(username, password, address)


def fail(username: str, address: str, times: int) -> None:
    """`times` failed attempts; the fifth is answered with the pause page."""
    for number in range(1, times + 1):
        attempt = sign_in(username, "not the password", address)
        assert not attempt.signed_in
        assert attempt.status_code == (429 if number >= 5 else 200)


def test_five_failures_pause_that_username_from_that_address(cast: Any) -> None:
    fail("officer_a", "10.0.0.7", 5)
    locked = sign_in("officer_a", TEST_PASSWORD, "10.0.0.7")
    assert locked.status_code == 429 and not locked.signed_in
    assert "Sign-in paused for 10 minutes" in locked.page
    # the real user elsewhere, and other users at that address, still sign in
    assert sign_in("officer_a", TEST_PASSWORD, "10.0.0.8").signed_in
    assert sign_in("officer_b", TEST_PASSWORD, "10.0.0.7").signed_in


def test_one_address_guessing_many_usernames_locks_no_one_else(cast: Any) -> None:
    for name in ("officer_a", "officer_b", "intake_p"):
        fail(name, "203.0.113.9", 5)
    for name in ("officer_a", "officer_b", "intake_p"):
        assert sign_in(name, TEST_PASSWORD, "198.51.100.2").signed_in


def test_four_failures_then_success_start_the_count_again(cast: Any) -> None:
    fail("officer_a", "10.0.0.7", 4)
    assert sign_in("officer_a", TEST_PASSWORD, "10.0.0.7").signed_in
    fail("officer_a", "10.0.0.7", 4)
    assert sign_in("officer_a", TEST_PASSWORD, "10.0.0.7").signed_in


def test_the_pause_ends_after_ten_minutes(cast: Any) -> None:
    fail("officer_a", "10.0.0.7", 5)
    assert not sign_in("officer_a", TEST_PASSWORD, "10.0.0.7").signed_in
    attempt = AccessAttempt.objects.get()
    AccessAttempt.objects.filter(pk=attempt.pk).update(
        attempt_time=attempt.attempt_time - dt.timedelta(minutes=10, seconds=5)
    )
    assert sign_in("officer_a", TEST_PASSWORD, "10.0.0.7").signed_in


def test_the_client_address_behind_a_trusted_proxy() -> None:
    request = RequestFactory().get(
        "/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="6.6.6.6, 192.0.2.44"
    )
    assert client_ip(request) == "127.0.0.1"
    with override_settings(PATHWAYS_PROXY_COUNT=1):
        # the nearest proxy's view; the client's own claim (6.6.6.6) is not trusted
        assert client_ip(request) == "192.0.2.44"
        bare = RequestFactory().get("/", REMOTE_ADDR="127.0.0.1")
        assert client_ip(bare) == "127.0.0.1"
