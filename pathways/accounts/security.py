"""The client's address for sign-in throttling (django-axes calls `client_ip`)."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str:
    """REMOTE_ADDR, or, behind PATHWAYS_PROXY_COUNT trusted reverse proxies (nginx), the address
    the nearest of them saw: that many entries from the right of X-Forwarded-For. Entries
    further left are the client's own claims and are never trusted."""
    remote = str(request.META.get("REMOTE_ADDR", ""))
    count = int(getattr(settings, "PATHWAYS_PROXY_COUNT", 0))
    if count <= 0:
        return remote
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    forwarded = [part for part in forwarded if part]
    return forwarded[-count] if len(forwarded) >= count else remote
