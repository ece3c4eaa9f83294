"""Audit events for sign-in, sign-out and refused requests. Django announces sign-ins through
its auth signals (the one place Pathways listens to signals: they are Django's, not a core
flow); refusals are seen by the middleware below. No username typed at a failed sign-in and no
password is ever stored: a mistyped username is often a password."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest, HttpResponse

from pathways.audit.models import AuditEvent
from pathways.core.actor import Actor, stored_user


def _record(
    *,
    actor: Actor,
    event_type: str,
    object_id: str,
    outcome: str,
    changes: dict[str, Any] | None = None,
) -> None:
    with transaction.atomic():
        AuditEvent.objects.create(
            actor=stored_user(actor),
            event_type=event_type,
            object_type="accounts.user",
            object_id=object_id,
            outcome=outcome,
            changes=changes or {},
        )


def on_login(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    _record(actor=user, event_type="auth.login", object_id=str(user.pk), outcome="success")


def on_logout(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if user is not None:
        _record(actor=user, event_type="auth.logout", object_id=str(user.pk), outcome="success")


def on_login_failed(
    sender: Any, credentials: dict[str, Any], request: Any = None, **kw: Any
) -> None:
    username = credentials.get("username") or ""
    user = get_user_model().objects.filter(username=username).only("pk").first()
    _record(
        actor=None,
        event_type="auth.login_failed",
        object_id=str(user.pk) if user else "",  # an unknown username is not kept
        outcome="failure",
    )


class DeniedRequestAuditMiddleware:
    """An audit event for every request refused for lack of rights (403), with the route and
    method, never the query or body."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> None:
        if isinstance(exception, PermissionDenied):
            match = getattr(request, "resolver_match", None)
            user = getattr(request, "user", None)
            _record(
                actor=user if user is not None and user.is_authenticated else None,
                event_type="auth.denied",
                object_id=str(user.pk) if user is not None and user.is_authenticated else "",
                outcome="denied",
                changes={
                    "route": [None, match.view_name if match else ""],
                    "method": [None, request.method],
                },
            )
        return None
