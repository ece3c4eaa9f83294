"""A session signed in with a password only reaches the two-step sign-in pages (and sign-out)
until the second step is passed (MfaRequiredMiddleware; it runs after django-otp's middleware,
which tells whether the session is verified, ``request.user.is_verified()``). And pages show
times in the signed-in user's program's zone (ProgramTimezoneMiddleware)."""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone

from pathways.accounts.selectors import mfa_is_needed, program_for_user
from pathways.core.middleware import ZONE_SESSION_KEY

#: Paths a password-only session may reach: the MFA pages, signing in or out, static files and
#: the health check. Everything else is sent to the second step.
MFA_PATH_PREFIX = "/accounts/mfa/"
#: The partner API: it authenticates by client credential only (docs/decisions/0029).
API_PREFIX = "/api/"


def _open_paths() -> tuple[str, ...]:
    return (
        MFA_PATH_PREFIX,
        reverse("login"),
        reverse("logout"),
        reverse("healthz"),
        "/" + settings.STATIC_URL.lstrip("/"),
        "/favicon.ico",
    )


def mfa_step_url(request: HttpRequest) -> str:
    """The second step, with the page the person asked for as `next` (checked again there)."""
    url = reverse("mfa_verify")
    if request.method == "GET":
        url += "?" + urlencode({"next": request.get_full_path()})
    return url


class MfaRequiredMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if (
            user is None
            or not user.is_authenticated
            or user.is_verified()
            or request.path.startswith(_open_paths())
            or request.path.startswith(API_PREFIX)
            or not mfa_is_needed(user=user)
        ):
            # the partner API authenticates each request by its client credential and never
            # by the session (pathways.api.auth), so a session's second step is not its concern
            return self.get_response(request)
        target = mfa_step_url(request)
        if request.headers.get("HX-Request") == "true":
            response = HttpResponse(status=204)
            response["HX-Redirect"] = target
            return response
        return HttpResponseRedirect(target)


class ProgramTimezoneMiddleware:
    """Pages show times in the signed-in user's program's zone. The zone is kept in the session
    and read again from the memberships at most once a minute (see ZONE_SESSION_KEY), so a
    request does not read the memberships for it. The zone only displays times: what a user
    may see or do is always decided from memberships read in that request
    (docs/decisions/0020-cheap-signed-in-requests.md)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        zone = None
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            zone = self._user_zone(request, user)
        timezone.activate(_zone_or_default(zone))
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()

    @staticmethod
    def _user_zone(request: HttpRequest, user: Any) -> str:
        cached = request.session.get(ZONE_SESSION_KEY)
        if isinstance(cached, str):
            return cached
        program = program_for_user(user=user)
        zone = program.time_zone if program is not None else ""
        request.session[ZONE_SESSION_KEY] = zone
        return zone


def _zone_or_default(zone: str | None) -> zoneinfo.ZoneInfo:
    if zone:
        try:
            return zoneinfo.ZoneInfo(zone)
        except (ValueError, zoneinfo.ZoneInfoNotFoundError):
            pass  # a zone no longer known to this server: the default, not an error page
    return zoneinfo.ZoneInfo(settings.PATHWAYS_DEFAULT_PROGRAM_TZ)
