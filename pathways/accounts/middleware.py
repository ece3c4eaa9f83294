"""A session signed in with a password only reaches the two-step sign-in pages (and sign-out)
until the second step is passed. Runs after django-otp's OTPMiddleware, which tells whether the
session is verified (``request.user.is_verified()``)."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.urls import reverse

#: Paths a password-only session may reach: the MFA pages, signing in or out, static files and
#: the health check. Everything else is sent to the second step.
MFA_PATH_PREFIX = "/accounts/mfa/"


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
        from pathways.accounts.selectors import mfa_is_needed

        user = getattr(request, "user", None)
        if (
            user is None
            or not user.is_authenticated
            or user.is_verified()
            or request.path.startswith(_open_paths())
            or not mfa_is_needed(user)
        ):
            return self.get_response(request)
        if request.path.startswith("/api/"):
            return JsonResponse(
                {"detail": "Finish signing in: the second step (MFA) is required."}, status=401
            )
        target = mfa_step_url(request)
        if request.headers.get("HX-Request") == "true":
            response = HttpResponse(status=204)
            response["HX-Redirect"] = target
            return response
        return HttpResponseRedirect(target)
