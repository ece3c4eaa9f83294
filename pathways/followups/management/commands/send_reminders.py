"""manage.py send_reminders: e-mail each team about work items due soon or overdue.

Run it from cron or a systemd timer every 15 minutes, for example (crontab):

    */15 * * * *  cd /srv/pathways && .venv/bin/python manage.py send_reminders --window-hours 24

* An open item due within the window (default 24 hours) gets one "due soon" e-mail; an open item
  past its due time gets one "overdue" e-mail. Each is sent at most once per item, ever.
* Before sending, the command claims the item with a conditional UPDATE (only if not yet sent),
  so a second run, or two runs at the same time, never send the same notice twice. When the
  mail server refuses, the claim is given back and the next run tries again (the command then
  exits non-zero so cron reports it).
* The e-mail goes to the team's active members who have an e-mail address, and holds no personal
  data: the kind of work, the due time in the program's time zone, the team, and the path of the
  worklist page. Items whose team has no one to e-mail are left for a later run and counted.
* It prints only counts, and writes no audit events (it reads items and sends notices; the
  `reminder_sent_at` / `overdue_sent_at` columns record what was sent).
"""

from __future__ import annotations

import datetime as dt
import logging
import zoneinfo
from argparse import ArgumentParser
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.core.management.base import BaseCommand, CommandError
from django.urls import reverse
from django.utils import dateformat

from pathways.core import clock
from pathways.followups.models import WorkItem
from pathways.followups.selectors import team_email_addresses
from pathways.followups.services import (
    Notice,
    work_item_claim_notice,
    work_item_release_notice,
)

logger = logging.getLogger(__name__)


def _local_due(item: WorkItem) -> str:
    zone = zoneinfo.ZoneInfo(item.program.time_zone)
    return dateformat.format(item.due_at.astimezone(zone), "D M j, Y, g:i A T")


def reminder_message(item: WorkItem, notice: Notice) -> tuple[str, str]:
    """Subject and body. Only the kind, due time, team and worklist path: never the title,
    the person, or anything about treatment."""
    kind = item.get_kind_display()
    due = _local_due(item)
    team = str(item.team)
    if notice == "overdue":
        subject = f"[Pathways] Overdue: {kind}"
        opening = f"A work item for {team} is past its due time."
    else:
        subject = f"[Pathways] Due soon: {kind}"
        opening = f"A work item for {team} is due soon."
    body = (
        f"{opening}\n\n"
        f"What: {kind}\n"
        f"Due: {due}\n"
        f"Team: {team}\n\n"
        f"Sign in to Pathways and open the worklist ({reverse('followups:list')}) to see it "
        "and mark it done.\n\n"
        "This message holds no personal information by design.\n"
    )
    return subject, body


class Command(BaseCommand):
    help = "E-mail teams about work items due soon (once) and overdue (once). Run from cron."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--window-hours",
            type=float,
            default=24.0,
            help="Remind about open items due within this many hours (default 24).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        window_hours = options["window_hours"]
        if not window_hours > 0:
            raise CommandError("--window-hours must be more than 0.")
        now = clock.now()
        window_end = now + dt.timedelta(hours=window_hours)
        open_items = WorkItem.objects.open().select_related("team", "program").order_by("due_at")
        batches: list[tuple[Notice, list[WorkItem]]] = [
            (
                "overdue",
                list(open_items.filter(overdue_sent_at__isnull=True, due_at__lt=now)),
            ),
            (
                "reminder",
                list(
                    open_items.filter(
                        reminder_sent_at__isnull=True, due_at__gte=now, due_at__lte=window_end
                    )
                ),
            ),
        ]
        recipients: dict[Any, list[str]] = {}
        sent = {"reminder": 0, "overdue": 0}
        nobody = failed = 0
        for notice, items in batches:
            for item in items:
                if item.team_id not in recipients:
                    recipients[item.team_id] = team_email_addresses(team_id=item.team_id)
                to = recipients[item.team_id]
                if not to:
                    nobody += 1
                    continue
                claimed_at = clock.now()
                if not work_item_claim_notice(item.pk, notice=notice, at=claimed_at):
                    continue  # another run sent it, or the item was closed meanwhile
                subject, body = reminder_message(item, notice)
                try:
                    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, to)
                except Exception as exc:
                    work_item_release_notice(item.pk, notice=notice, at=claimed_at)
                    failed += 1
                    # The error's type only: an SMTP error's text can list the addresses.
                    logger.warning(
                        "send_reminders: the %s for item %s was not sent (%s)",
                        notice,
                        item.pk,
                        type(exc).__name__,
                    )
                    continue
                sent[notice] += 1
        self.stdout.write(
            f"Sent {sent['reminder']} due-soon reminder(s) and {sent['overdue']} overdue "
            f"notice(s) (window {window_hours:g} h)."
        )
        if nobody:
            self.stdout.write(
                f"{nobody} item(s) not sent: the team has no active member with an e-mail address."
            )
        if failed:
            raise CommandError(f"{failed} e-mail(s) could not be sent; the next run retries them.")
