"""Flash messages never travel in a cookie, and their text names no one: Django's default message
storage put "Visit recorded. Casey Vandermolen was not reached..." into a `messages` cookie
(signed, not encrypted), so the person's name left the server with every response and came
back with the next request. docs/decisions/0015-first-mfa-enrolment-and-secrets.md."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import zlib
from typing import Any

from django.contrib.messages import get_messages
from django.contrib.messages.storage.cookie import CookieStorage
from django.test import Client

from pathways.core import clock
from pathways.followups.tests.conftest import Outreach
from pathways.followups.tests.test_outreach_views import NOW, put_on_list, visit_url

MESSAGE_COOKIE = CookieStorage.cookie_name


def _decoded(value: str) -> list[str]:
    """A cookie's value, and what its parts say once base64 (and zlib) are undone, the way
    Django's signed cookies are written."""
    found = [value]
    for part in value.replace('"', "").split(":"):
        compressed, body = part.startswith("."), part.lstrip(".")
        try:
            data = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
            if compressed:
                data = zlib.decompress(data)
        except (binascii.Error, ValueError, zlib.error):
            continue
        found.append(data.decode("utf-8", errors="replace"))
    return found


def cookie_texts(response: Any, client: Client) -> str:
    morsels = [*response.cookies.values(), *client.cookies.values()]
    return "\n".join(text for m in morsels for text in _decoded(m.value))


def test_a_visit_message_names_no_one_and_no_cookie_carries_it(
    cast: Any, outreach: Outreach
) -> None:
    entry = put_on_list(cast, outreach)
    client = cast.client_for(outreach.worker)
    for outcome in ("not_found", "engaged"):
        with clock.frozen(NOW + dt.timedelta(hours=3 if outcome == "not_found" else 30)):
            response = client.post(visit_url(entry), {"members": ["peer"], "outcome": outcome})
        assert response.status_code == 302, outcome
        assert MESSAGE_COOKIE not in response.cookies
        assert MESSAGE_COOKIE not in client.cookies
        texts = cookie_texts(response, client)
        for name in ("Casey", "Vandermolen"):
            assert name not in texts, outcome
        shown = [str(m) for m in get_messages(response.wsgi_request)]
        assert shown and shown[0].startswith("Visit recorded."), shown
        assert not any("Casey" in m or "Vandermolen" in m for m in shown), shown
        entry.refresh_from_db()
