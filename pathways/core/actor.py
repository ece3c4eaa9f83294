"""Who did something, as the layers below accounts see it (they cannot name accounts.User)."""

from __future__ import annotations

from typing import Any, TypeAlias

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser

#: A signed-in user, a visitor on a public page (AnonymousUser), or the system itself (None:
#: management commands, scheduled jobs, the demo loader). Audit rows keep a user only.
Actor: TypeAlias = AbstractBaseUser | AnonymousUser | None


def stored_user(actor: Actor) -> Any:
    """The user a row records for `actor`: the user when one is signed in, else None. Typed Any
    because the user model is settings.AUTH_USER_MODEL, which core and audit cannot name."""
    return actor if isinstance(actor, AbstractBaseUser) and actor.pk else None
