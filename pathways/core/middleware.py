"""Request middleware: the idle sign-out, and a clear refusal of NUL characters in addresses.
(Times in the program's own zone: pathways.accounts.middleware.ProgramTimezoneMiddleware.)"""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

#: The session's copy of the signed-in user's program time zone ("" for none: the default),
#: kept by pathways.accounts.middleware.ProgramTimezoneMiddleware. The idle timeout drops it
#: whenever it writes a new activity stamp (at most once a minute), so it is read again from the
#: memberships in that same session write.
ZONE_SESSION_KEY = "program_tz"


#: Signed-in sessions end after this long without the person doing anything.
IDLE_LIMIT_SECONDS = 30 * 60
#: Activity is written to the session at most this often (not on every request).
ACTIVITY_RESOLUTION_SECONDS = 60
#: Requests a page makes by itself (polling) send this header and do not count as activity.
BACKGROUND_HEADER = "X-Pathways-Background"


class IdleTimeoutMiddleware:
    """Sign a person out after 30 minutes without activity. Requests a page makes in the
    background (sent with the ``X-Pathways-Background: 1`` header, e.g. polling) never extend
    the session; anything the person does does."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from django.contrib import messages
        from django.contrib.auth import logout
        from django.contrib.auth.views import redirect_to_login
        from django.shortcuts import resolve_url

        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return self.get_response(request)
        # wall-clock time, not the injectable domain clock: tests freeze that to record
        # contacts days apart, which is not the person being away
        now = int(time.time())
        last = request.session.get("last_activity")
        if isinstance(last, int) and now - last > IDLE_LIMIT_SECONDS:
            logout(request)
            messages.info(request, "You were signed out after 30 minutes without activity.")
            if request.headers.get("HX-Request") == "true":
                response = HttpResponse(status=204)
                response["HX-Redirect"] = resolve_url(settings.LOGIN_URL)
                return response
            return redirect_to_login(request.get_full_path())
        background = request.headers.get(BACKGROUND_HEADER) == "1"
        if not background and (
            not isinstance(last, int) or now - last >= ACTIVITY_RESOLUTION_SECONDS
        ):
            request.session["last_activity"] = now
            # the time zone's copy is read again with this write
            request.session.pop(ZONE_SESSION_KEY, None)
        return self.get_response(request)


class RejectNulMiddleware:
    """A NUL character in the address or its query gets a clear 400 before any view runs: no
    search, filter or sort takes one, and PostgreSQL cannot compare with one (it would otherwise
    be a 500). Submitted forms are left to their fields, which refuse control characters with a
    message at the field and keep what was typed."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from django.shortcuts import render

        query = request.GET
        if "\x00" in request.path or any(
            "\x00" in key or any("\x00" in v for v in query.getlist(key)) for key in query
        ):
            return render(
                request,
                "400.html",
                {
                    "problem": "The address contained a NUL character, which no search or "
                    "filter accepts. Nothing was changed. Go back and try again."
                },
                status=400,
            )
        return self.get_response(request)
