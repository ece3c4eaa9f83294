"""Who is calling: a registered client's credential (``Authorization: Bearer pwapi_…``), and
nothing else. A person's signed-in session never authenticates the API: the session cookie is
not read here, and every endpoint acts as the client's own account (`request.auth.user`),
never `request.user`. Then the client's rate (per client, per minute, in Django's cache) and
the operation's scope."""

from __future__ import annotations

import math
import time
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from ninja.security import HttpBearer

from pathways.api.models import ApiClient
from pathways.api.selectors import client_by_credential
from pathways.api.services import api_client_touch, api_request_refused
from pathways.core import clock
from pathways.core.env import env_int

#: Requests one client may make in a minute (PATHWAYS_API_RATE_PER_MINUTE; the setting of the
#: same name overrides it, e.g. in tests).
DEFAULT_RATE_PER_MINUTE = env_int("PATHWAYS_API_RATE_PER_MINUTE", 120)
WINDOW_SECONDS = 60
SCHEME_NAME = "ClientCredential"


class ApiRefusal(Exception):
    """A request refused before the endpoint runs (the problem module answers it)."""

    def __init__(self, slug: str, detail: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.slug = slug
        self.detail = detail
        self.headers = headers or {}


def rate_per_minute() -> int:
    return int(getattr(settings, "PATHWAYS_API_RATE_PER_MINUTE", DEFAULT_RATE_PER_MINUTE))


def _count_request(client: ApiClient) -> float | None:
    """Count this request in the client's current minute; the seconds until the next minute
    when the client is over its rate (None: allowed). A fixed window in the default cache: with
    several server processes the cache must be shared (docs/operations.md) or each counts
    alone."""
    now = time.time()
    window = int(now // WINDOW_SECONDS)
    key = f"pathways.api.rate:{client.pk}:{window}"
    cache.add(key, 0, timeout=WINDOW_SECONDS + 5)
    try:
        count = cache.incr(key)
    except ValueError:  # evicted between add and incr
        cache.set(key, 1, timeout=WINDOW_SECONDS + 5)
        count = 1
    if count > rate_per_minute():
        return (window + 1) * WINDOW_SECONDS - now
    return None


def _route(request: HttpRequest) -> str:
    match = getattr(request, "resolver_match", None)
    return match.view_name if match else ""


class ClientCredential(HttpBearer):
    """The bearer credential of a registered client, for an operation needing `scope`."""

    def __init__(self, scope: str) -> None:
        super().__init__()
        self.scope = scope

    def __call__(self, request: HttpRequest) -> Any:
        # ninja's own HttpBearer logs a malformed header in DEBUG: a credential must never
        # reach a log, so the header is read here.
        value = request.headers.get(self.header) or ""
        scheme, _, token = value.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return None
        return self.authenticate(request, token.strip())

    def authenticate(self, request: HttpRequest, token: str) -> ApiClient | None:
        client = client_by_credential(token=token)
        if client is None:
            return None
        state = client.state(clock.now())
        if state != "active":
            api_request_refused(
                client=client, reason=state, route=_route(request), method=request.method or ""
            )
            return None
        wait = _count_request(client)
        if wait is not None:
            seconds = max(1, math.ceil(wait))
            raise ApiRefusal(
                "rate-limited",
                f"This client may make {rate_per_minute()} requests a minute. "
                f"Retry in {seconds} seconds.",
                {"Retry-After": str(seconds)},
            )
        if not client.has_scope(self.scope):
            api_request_refused(
                client=client, reason="scope", route=_route(request), method=request.method or ""
            )
            raise ApiRefusal(
                "forbidden",
                f"This operation needs the scope {self.scope}; the client's scopes are "
                f"{', '.join(client.scopes) or 'none'}.",
            )
        api_client_touch(client)
        return client


def client_of(request: HttpRequest) -> ApiClient:
    """The authenticated client of an endpoint's request."""
    client = getattr(request, "auth", None)
    if not isinstance(client, ApiClient):  # pragma: no cover - every endpoint has auth
        raise ApiRefusal("unauthorized", "No client credential.")
    return client
