"""manage.py mfa_reset USERNAME: an administrator's reset of a user's two-step sign-in.

    python manage.py mfa_reset jsmith --by admin.lee        # remove every device, lift any pause
    python manage.py mfa_reset jsmith --unlock --by admin.lee   # only lift a pause; devices stay

After a reset the user adds a new device at their next sign-in with their password and an
enrolment code issued for them (``manage.py mfa_enrolment_code``, or the Enrolment codes page):
confirm who is asking (in person or by a call back to a number on file) before giving it and,
unless the password is surely theirs alone, set a new one too (``manage.py changepassword``).
Both are audited (auth.mfa_reset, auth.mfa_unlocked), with the administrator named by ``--by``
as the actor. See docs/operations.md.
"""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand

from pathways.accounts.management.users import user_and_actor
from pathways.accounts.services import mfa_reset, mfa_unlock


class Command(BaseCommand):
    help = "Remove a user's two-step sign-in devices (or, with --unlock, only lift a pause)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("username")
        parser.add_argument(
            "--unlock", action="store_true", help="only lift a pause; keep the devices"
        )
        parser.add_argument("--by", default="", help="the administrator doing it (audit actor)")

    def handle(self, *args: Any, **options: Any) -> None:
        user, actor = user_and_actor(options)
        if options["unlock"]:
            lifted = mfa_unlock(actor=actor, user=user)
            self.stdout.write(
                f"Lifted the pause on {user.username}'s two-step sign-in."
                if lifted
                else f"{user.username}'s two-step sign-in was not paused; nothing to lift."
            )
            return
        removed = mfa_reset(actor=actor, user=user)
        self.stdout.write(
            f"Removed {removed} two-step sign-in device{'s' if removed != 1 else ''} of "
            f"{user.username}; they add a new one at their next sign-in with an enrolment code "
            "(manage.py mfa_enrolment_code)."
        )
