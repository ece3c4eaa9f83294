"""View decorators for roles. Object-level scoping lives in each app's selectors."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

from pathways.accounts.models import User
from pathways.accounts.selectors import has_role

View = Callable[..., HttpResponse]


class SignedInRequest(HttpRequest):
    """The request a view behind `role_required` (or `login_required`) receives: its user is
    signed in, so services get a typed `User` as their actor."""

    user: User


def role_required(*roles: str) -> Callable[[View], View]:
    """Signed in and holding one of `roles` in an active membership, else 403."""

    def decorator(view: View) -> View:
        @functools.wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not has_role(request.user, *roles):
                raise PermissionDenied("Your role does not include this page.")
            return view(request, *args, **kwargs)

        return login_required(wrapped)

    return decorator
