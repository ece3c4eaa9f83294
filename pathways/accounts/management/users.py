"""What the account commands share: the user named on the command line and the administrator
doing it (--by), or a clear error."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import CommandError


def user_and_actor(options: dict[str, Any]) -> tuple[Any, Any]:
    """(the user called options["username"], the one called options["by"] or None)."""
    users = get_user_model().objects
    user = users.filter(username=options["username"]).first()
    if user is None:
        raise CommandError(f"No user is called {options['username']!r}.")
    actor = None
    if options["by"]:
        actor = users.filter(username=options["by"]).first()
        if actor is None:
            raise CommandError(f"No user is called {options['by']!r} (--by).")
    return user, actor
