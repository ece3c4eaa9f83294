from __future__ import annotations

from typing import Any

from django.http import HttpRequest


def pathways(request: HttpRequest) -> dict[str, Any]:
    from pathways.accounts.selectors import roles_for

    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"user_roles": frozenset()}
    return {"user_roles": roles_for(user)}
