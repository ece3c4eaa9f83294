"""Bring the reports' analytics extract up to date (cron: every few minutes)."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand

from pathways.encounters.models import Encounter
from pathways.outcomes import extract, report_cache
from pathways.programs.models import Program


class Command(BaseCommand):
    help = "Refresh the reports' analytics extract (incrementally unless --full)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--full", action="store_true", help="Rebuild it from scratch.")
        parser.add_argument(
            "--no-warm",
            action="store_true",
            help="Do not build each program's reports ahead (as they first open).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        result = extract.refresh(full=options["full"])
        rows = sum(result.rows.values())
        kind = "Rebuilt" if result.full else "Refreshed"
        self.stdout.write(
            f"{kind} the analytics extract: {rows:,} rows copied in {result.seconds:.1f} s"
        )
        if options["no_warm"]:
            return
        for program in Program.objects.filter(
            pk__in=Encounter.objects.values("program_id").distinct()
        ).order_by("name"):
            seconds = report_cache.warm(program)
            self.stdout.write(
                f"Built {len(seconds)} report views of {program.name} ahead in "
                f"{sum(seconds.values()):.1f} s"
            )
