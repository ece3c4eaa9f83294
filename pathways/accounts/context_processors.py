"""What every page's template needs to know of the signed-in user."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils import timezone

from pathways.accounts.selectors import mfa_is_needed, roles_for


def pathways(request: HttpRequest) -> dict[str, Any]:
    """The signed-in user's roles for the navigation. Before the second step of signing in the
    navigation offers nothing but signing out (every page would lead back to the second step)."""
    zone = timezone.get_current_timezone_name()
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"user_roles": frozenset(), "TIME_ZONE_NAME": zone, "signed_in_fully": False}
    is_verified = getattr(user, "is_verified", None)
    fully = not mfa_is_needed(user=user) or bool(is_verified and is_verified())
    return {
        "user_roles": roles_for(user=user) if fully else frozenset(),
        "TIME_ZONE_NAME": zone,
        "signed_in_fully": fully,
    }
