"""A signed-in request is cheap and every control still holds at the next request
(docs/decisions/0020-cheap-signed-in-requests.md): the session, the user and the second step's
device are read on each request in one short statement each; the program's time zone comes from
the session; signing out, deactivation, a password change, a removed device or membership end
what they end at once."""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.contrib.messages import constants
from django.contrib.messages.storage.base import Message
from django.contrib.sessions.middleware import SessionMiddleware
from django.contrib.sessions.models import Session
from django.db import connection
from django.http import HttpResponse
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY

from pathways.accounts.identity import DEVICE_FIELDS, load_by_pk
from pathways.accounts.models import AuthenticatorApp, User
from pathways.accounts.sessions import PENDING_MESSAGES, BoundedSessionStorage
from pathways.accounts.testing import totp_device
from pathways.core.middleware import ACTIVITY_RESOLUTION_SECONDS, ZONE_SESSION_KEY

HOME = reverse("encounters:list")
HEALTH = reverse("healthz")  # a view that reads nothing of the user's own


def _tables(queries: list[dict[str, Any]]) -> list[str]:
    """Which table each statement read or wrote (its first quoted name after FROM/INTO/UPDATE)."""
    found = []
    for query in queries:
        sql = query["sql"]
        for word in (" FROM ", "INSERT INTO ", "UPDATE "):
            if word in sql:
                found.append(sql.split(word, 1)[1].split()[0].strip('"'))
                break
        else:
            found.append(sql.split()[0])
    return found


def _stamp(client: Client, seconds_ago: int) -> None:
    session = client.session
    session["last_activity"] = int(time.time()) - seconds_ago
    session.save()


# --- What a signed-in request reads ----------------------------------------------------------


def test_a_signed_in_request_reads_session_user_and_device_and_writes_nothing(cast: Any) -> None:
    client = cast.client_for(cast.officer_a)
    assert client.get(HEALTH).status_code == 200  # the first request stamps the session
    with CaptureQueriesContext(connection) as queries:
        assert client.get(HEALTH).status_code == 200
    tables = _tables(queries.captured_queries)
    # no memberships read for the time zone, no session write for the activity stamp
    assert tables == ["django_session", "accounts_user", "accounts_authenticatorapp", "SELECT"]
    # the device's secret (encrypted at rest) is not even read
    device_sql = queries.captured_queries[2]["sql"]
    assert '"key"' not in device_sql and "'key'" not in device_sql


def test_the_loaders_read_what_the_orm_reads(cast: Any) -> None:
    user = cast.officer_a
    loaded = load_by_pk(User, str(user.pk))
    assert loaded is not None
    orm = User.objects.get(pk=user.pk)
    for field in User._meta.concrete_fields:
        assert getattr(loaded, field.attname) == getattr(orm, field.attname), field.name
    device = totp_device(user)
    light = load_by_pk(AuthenticatorApp, str(device.pk), DEVICE_FIELDS)
    assert light is not None and "key" in light.get_deferred_fields()
    assert (light.user_id, light.confirmed) == (user.pk, True)
    assert light.key == AuthenticatorApp.objects.get(pk=device.pk).key  # read, decrypted on use


def test_malformed_or_unknown_ids_find_nothing(cast: Any) -> None:
    assert load_by_pk(User, "not-a-uuid") is None
    assert load_by_pk(User, "00000000-0000-0000-0000-000000000000") is None
    assert load_by_pk(AuthenticatorApp, "x1", DEVICE_FIELDS) is None


# --- Sign-out, expiry, deactivation, password: at the next request ----------------------------


def test_signing_out_ends_the_session_on_the_server_at_once(cast: Any) -> None:
    client = cast.client_for(cast.officer_a)
    assert client.get(HOME).status_code == 200
    key = client.cookies["sessionid"].value
    assert client.post(reverse("logout")).status_code == 302
    assert not Session.objects.filter(session_key=key).exists()
    replay = Client()
    replay.cookies["sessionid"] = key  # the old cookie, kept by someone else
    response = replay.get(HOME)
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_an_expired_session_is_not_read(cast: Any) -> None:
    client = cast.client_for(cast.officer_a)
    key = client.cookies["sessionid"].value
    Session.objects.filter(session_key=key).update(expire_date=timezone.now())
    response = client.get(HOME)
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_a_deactivated_user_is_refused_at_the_next_request(cast: Any) -> None:
    client = cast.client_for(cast.officer_a)
    assert client.get(HOME).status_code == 200
    assert client.get(HOME).status_code == 200  # within the minute: nothing written
    User.objects.filter(pk=cast.officer_a.pk).update(is_active=False)  # as the admin's switch
    for _ in range(2):  # and stays refused
        response = client.get(HOME)
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_a_changed_password_ends_other_sessions_at_the_next_request(cast: Any) -> None:
    client = cast.client_for(cast.officer_a)
    assert client.get(HOME).status_code == 200
    user = User.objects.get(pk=cast.officer_a.pk)
    user.set_password("a-new-long-password-2026")
    user.save()
    response = client.get(HOME)
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


# --- The second step: the device must still be there -----------------------------------------


def _sent_to_second_step(response: Any) -> bool:
    return response.status_code == 302 and response["Location"].startswith(reverse("mfa_verify"))


def test_a_removed_device_sends_the_session_back_to_the_second_step(cast: Any) -> None:
    client = cast.client_for(cast.officer_a)
    assert client.get(HOME).status_code == 200
    AuthenticatorApp.objects.filter(user=cast.officer_a).delete()  # e.g. an administrator's reset
    assert _sent_to_second_step(client.get(HOME))
    assert DEVICE_ID_SESSION_KEY not in client.session


def test_an_unconfirmed_device_does_not_verify(cast: Any) -> None:
    client = cast.client_for(cast.officer_a)
    AuthenticatorApp.objects.filter(user=cast.officer_a).update(confirmed=False)
    assert _sent_to_second_step(client.get(HOME))


def test_another_users_device_or_a_bad_device_id_does_not_verify(cast: Any) -> None:
    other = totp_device(cast.officer_b)
    for persistent_id in (
        other.persistent_id,  # someone else's device
        "accounts.authenticatorapp/not-a-number",
        "accounts.nosuchdevice/1",
        f"accounts.user/{cast.officer_a.pk}",  # a model that is no device
    ):
        client = cast.client_for(cast.officer_a)
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = persistent_id
        session.save()
        assert _sent_to_second_step(client.get(HOME)), persistent_id


# --- Memberships and the time zone ------------------------------------------------------------


def test_a_removed_membership_is_refused_although_the_zone_is_kept(cast: Any) -> None:
    client = cast.client_for(cast.officer_a)
    assert client.get(reverse("encounters:start")).status_code == 200
    assert ZONE_SESSION_KEY in client.session  # the zone is kept ...
    cast.officer_a.memberships.update(is_active=False)
    # ... but what a user may do is read from the memberships in each request
    assert client.get(reverse("encounters:start")).status_code == 403


def test_the_zone_is_read_again_when_the_activity_stamp_moves(cast: Any) -> None:
    client = cast.client_for(cast.officer_a)
    assert client.get(HOME).context["TIME_ZONE_NAME"] == "America/Chicago"
    cast.program.time_zone = "America/New_York"
    cast.program.save()
    # within the minute the session's copy is used ...
    assert client.get(HOME).context["TIME_ZONE_NAME"] == "America/Chicago"
    _stamp(client, ACTIVITY_RESOLUTION_SECONDS + 1)
    # ... and read again with the next activity stamp (at most a minute later)
    assert client.get(HOME).context["TIME_ZONE_NAME"] == "America/New_York"
    assert client.session[ZONE_SESSION_KEY] == "America/New_York"


def test_a_bad_zone_entry_in_the_session_is_read_again_or_falls_back(cast: Any) -> None:
    client = cast.client_for(cast.officer_a)
    client.get(HOME)
    for bad, shown in (
        ([None], "America/Chicago"),  # not a zone's name: read again from the memberships
        (42, "America/Chicago"),
        ("Mars/Olympus_Mons", settings.PATHWAYS_DEFAULT_PROGRAM_TZ),  # unknown: the default
    ):
        session = client.session
        session[ZONE_SESSION_KEY] = bad
        session.save()
        response = client.get(HOME)
        assert response.status_code == 200 and response.context["TIME_ZONE_NAME"] == shown, bad


# --- Flash messages stay bounded ---------------------------------------------------------------


def test_a_session_keeps_only_the_newest_unread_messages(cast: Any) -> None:
    request = RequestFactory().get("/")
    SessionMiddleware(lambda r: HttpResponse()).process_request(request)
    storage = BoundedSessionStorage(request)
    for n in range(PENDING_MESSAGES + 5):
        storage.add(constants.INFO, f"message {n}")
    storage.update(HttpResponse())
    kept = storage.deserialize_messages(request.session["_messages"]) or []
    assert [m.message for m in kept] == [f"message {n}" for n in range(5, PENDING_MESSAGES + 5)]
    assert all(isinstance(m, Message) for m in kept)
