"""manage.py demo_logins: who to sign in as in the demo, and for each user who has no
two-step sign-in device yet a fresh one-time enrolment code, with which they add their first
(an administrator or coordinator issues these in a real installation; each run replaces the
codes of the previous one). docs/decisions/0015-first-mfa-enrolment-and-secrets.md."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from pathways.accounts.models import Membership, User
from pathways.accounts.selectors import mfa_devices
from pathways.accounts.services import ENROLMENT_CODE_HOURS, enrolment_code_issue
from pathways.demo import cast
from pathways.demo.generator import demo_program


class Command(BaseCommand):
    help = (
        "Print the demo logins: role, username, agency, password and a fresh enrolment code "
        "(for a first two-step sign-in device), and where to sign in."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--all", action="store_true", help="List every demo user, not only the named cast."
        )
        parser.add_argument(
            "--no-codes", action="store_true", help="Issue and print no enrolment codes."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        program = demo_program()
        if program is None:
            raise CommandError("The demo is not loaded. Run: python manage.py demo_load")
        named = [u.username for u in cast.NAMED_USERS]
        memberships = (
            Membership.objects.filter(agency__program=program, is_active=True)
            .select_related("user", "agency")
            .order_by("user__username")
        )
        if not options["all"]:
            memberships = memberships.filter(user__username__in=named)
        order = {username: n for n, username in enumerate(named)}
        codes: dict[str, str] = {}

        def code_for(user: User) -> str:
            if options["no_codes"]:
                return ""
            if user.username not in codes:
                try:
                    codes[user.username] = (
                        "(has a device)"
                        if mfa_devices(user=user)
                        else enrolment_code_issue(actor=None, user=user, on_server=True).code
                    )
                except ValidationError:
                    codes[user.username] = "(account switched off)"
            return codes[user.username]

        rows = sorted(
            (
                (
                    m.get_role_display(),
                    m.user.username,
                    m.agency.name,
                    cast.DEMO_PASSWORD,
                    code_for(m.user),
                )
                for m in memberships
            ),
            key=lambda row: (order.get(row[1], len(order)), row[1]),
        )
        header: tuple[str, ...] = ("Role", "Username", "Agency", "Password", "Enrolment code")
        table: list[tuple[str, ...]] = list(rows)
        if options["no_codes"]:
            header, table = header[:-1], [row[:-1] for row in table]
        widths = [max(len(str(r[i])) for r in [header, *table]) for i in range(len(header))]
        line = "  ".join("{:<%d}" % w for w in widths)  # noqa: UP031 - a format template
        self.stdout.write(line.format(*header).rstrip())
        self.stdout.write(line.format(*("-" * w for w in widths)))
        for row in table:
            self.stdout.write(line.format(*row).rstrip())
        if not options["all"]:
            extra = Membership.objects.filter(agency__program=program).exclude(
                user__username__in=named
            )
            self.stdout.write(
                f"\n{extra.count()} more demo users (officers, medics, peers, intake workers) "
                "have the same password; --all lists them."
            )
        if not options["no_codes"]:
            self.stdout.write(
                "\nThe enrolment code is asked for once, when a user adds their first two-step "
                f"sign-in device; it works once, for {ENROLMENT_CODE_HOURS} hours. Running this "
                "command again issues new codes (the old ones stop working)."
            )
        self.stdout.write(f"\nSign in at {cast.LOGIN_URL}")
