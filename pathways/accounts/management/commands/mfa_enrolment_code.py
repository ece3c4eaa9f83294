"""manage.py mfa_enrolment_code USERNAME: issue the one-time code a user needs to add their
first two-step sign-in device, on the server (for the first administrator, or when no
administrator or coordinator can sign in to the Enrolment codes page).

    python manage.py mfa_enrolment_code jsmith --by admin.lee

The code is printed once and kept only as a keyed hash; it works once, for 72 hours, and
replaces any code issued for the user before. Audited (auth.enrolment_code_issued), with the
administrator named by ``--by`` as the actor (none: the server). Give it to the person yourself,
after confirming who they are. See docs/decisions/0015-first-mfa-enrolment-and-secrets.md.
"""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from pathways.accounts.management.users import user_and_actor
from pathways.accounts.services import enrolment_code_issue


class Command(BaseCommand):
    help = "Issue a one-time enrolment code with which a user adds their first sign-in device."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--by", default="", help="the administrator doing it (audit actor)")

    def handle(self, *args: Any, **options: Any) -> None:
        user, actor = user_and_actor(options)
        try:
            issued = enrolment_code_issue(actor=actor, user=user, on_server=True)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        until = timezone.localtime(issued.record.expires_at)
        self.stdout.write(
            f"Enrolment code for {user.username}: {issued.code}\n"
            f"It works once, until {until:%Y-%m-%d %H:%M %Z}, and is not shown again."
        )
