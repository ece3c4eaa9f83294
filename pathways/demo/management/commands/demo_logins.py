"""manage.py demo_logins: who to sign in as in the demo."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from pathways.accounts.models import Membership
from pathways.demo import cast
from pathways.demo.generator import demo_program


class Command(BaseCommand):
    help = "Print the demo logins: role, username, agency and password, and where to sign in."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--all", action="store_true", help="List every demo user, not only the named cast."
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
        rows = sorted(
            (
                (m.get_role_display(), m.user.username, m.agency.name, cast.DEMO_PASSWORD)
                for m in memberships
            ),
            key=lambda row: (order.get(row[1], len(order)), row[1]),
        )
        header = ("Role", "Username", "Agency", "Password")
        widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
        line = "  ".join("{:<%d}" % w for w in widths)  # noqa: UP031 - a format template
        self.stdout.write(line.format(*header).rstrip())
        self.stdout.write(line.format(*("-" * w for w in widths)))
        for row in rows:
            self.stdout.write(line.format(*row).rstrip())
        if not options["all"]:
            extra = Membership.objects.filter(agency__program=program).exclude(
                user__username__in=named
            )
            self.stdout.write(
                f"\n{extra.count()} more demo users (officers, medics, peers, intake workers) "
                "have the same password; --all lists them."
            )
        self.stdout.write(f"\nSign in at {cast.LOGIN_URL}")
