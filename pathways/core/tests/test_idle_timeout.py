"""Sessions: the key changes at sign-in, 30 minutes without activity sign the person out, and
requests a page makes in the background do not count as activity."""

from __future__ import annotations

import time
from typing import Any

from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from pathways.accounts.factories import TEST_PASSWORD
from pathways.accounts.testing import user_code
from pathways.core.middleware import (
    ACTIVITY_RESOLUTION_SECONDS,
    BACKGROUND_HEADER,
    IDLE_LIMIT_SECONDS,
)

HOME = reverse("encounters:list")


def second_step(client: Client, username: str) -> None:
    """Type the code of the user's authenticator app at the second step (MFA)."""
    user = get_user_model().objects.get(username=username)
    response = client.post(reverse("mfa_verify"), {"code": user_code(user)})
    assert response.status_code == 302


def signed_in_client(username: str) -> Client:
    client = Client()
    response = client.post(reverse("login"), {"username": username, "password": TEST_PASSWORD})
    assert response.status_code == 302
    second_step(client, username)
    return client


def idle_for(client: Client, seconds: int) -> None:
    session = client.session
    session["last_activity"] = int(time.time()) - seconds
    session.save()


def test_the_session_key_changes_at_sign_in(cast: Any) -> None:
    client = Client()
    session = client.session  # a session that exists before sign-in (fixation)
    session["seen"] = True
    session.save()
    before = session.session_key
    assert before and client.cookies["sessionid"].value == before
    client.post(reverse("login"), {"username": "officer_a", "password": TEST_PASSWORD})
    assert client.cookies["sessionid"].value not in ("", before)
    second_step(client, "officer_a")
    assert client.get(HOME).status_code == 200


def test_thirty_minutes_without_activity_sign_the_person_out(cast: Any) -> None:
    client = signed_in_client("officer_a")
    assert client.get(HOME).status_code == 200
    idle_for(client, IDLE_LIMIT_SECONDS - 60)
    assert client.get(HOME).status_code == 200  # 29 minutes: still signed in, and active again
    idle_for(client, IDLE_LIMIT_SECONDS + 1)
    response = client.get(HOME)
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    assert "_auth_user_id" not in client.session
    page = client.get(response["Location"]).content.decode()
    assert "You were signed out after 30 minutes without activity." in page
    assert client.get(HOME).status_code == 302


def test_background_requests_do_not_keep_a_session_alive(cast: Any) -> None:
    client = signed_in_client("officer_a")
    client.get(HOME)
    idle_for(client, IDLE_LIMIT_SECONDS - 60)
    assert client.get(HOME, headers={BACKGROUND_HEADER: "1"}).status_code == 200
    assert client.session["last_activity"] <= int(time.time()) - IDLE_LIMIT_SECONDS + 60
    idle_for(client, IDLE_LIMIT_SECONDS + 1)
    polled = client.get(HOME, headers={BACKGROUND_HEADER: "1", "HX-Request": "true"})
    assert polled.status_code == 204 and polled["HX-Redirect"] == reverse("login")
    assert "_auth_user_id" not in client.session


def _session_writes(client: Client, path: str) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        assert client.get(path).status_code == 200
    return sum(q["sql"].startswith("UPDATE") and "django_session" in q["sql"] for q in queries)


def test_the_activity_stamp_is_written_at_most_once_a_minute(cast: Any) -> None:
    """Reading pages does not write the session on every request: the stamp moves only when
    it is a minute old (so the idle limit is exact to within a minute)."""
    client = signed_in_client("officer_a")
    client.get(HOME)
    stamped = client.session["last_activity"]
    assert _session_writes(client, HOME) == 0  # within the minute: nothing written
    assert client.session["last_activity"] == stamped
    idle_for(client, ACTIVITY_RESOLUTION_SECONDS)
    assert _session_writes(client, HOME) == 1  # a minute old: written again
    assert client.session["last_activity"] >= int(time.time()) - 1


def test_an_idle_session_times_out_although_nothing_was_written_since(cast: Any) -> None:
    client = signed_in_client("officer_a")
    client.get(HOME)
    idle_for(client, IDLE_LIMIT_SECONDS - ACTIVITY_RESOLUTION_SECONDS + 1)
    assert client.get(HOME).status_code == 200  # stamped again ...
    idle_for(client, IDLE_LIMIT_SECONDS + 1)  # ... then away for longer than the limit
    response = client.get(HOME)
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
