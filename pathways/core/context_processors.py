from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils import timezone


def pathways(request: HttpRequest) -> dict[str, Any]:
    from pathways.accounts.selectors import roles_for

    zone = timezone.get_current_timezone_name()
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"user_roles": frozenset(), "TIME_ZONE_NAME": zone}
    return {"user_roles": roles_for(user), "TIME_ZONE_NAME": zone}
