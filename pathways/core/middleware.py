"""Show times in the program's own time zone; everything is stored in UTC."""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import timezone


class ProgramTimezoneMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from pathways.programs.selectors import program_for_user

        zone = settings.PATHWAYS_DEFAULT_PROGRAM_TZ
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            program = program_for_user(user)
            if program is not None:
                zone = program.time_zone
        timezone.activate(zoneinfo.ZoneInfo(zone))
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
