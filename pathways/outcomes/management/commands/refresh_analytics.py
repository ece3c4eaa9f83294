"""Bring the reports' analytics extract up to date (cron: every few minutes)."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand

from pathways.outcomes import extract


class Command(BaseCommand):
    help = "Refresh the reports' analytics extract (incrementally unless --full)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--full", action="store_true", help="Rebuild it from scratch.")

    def handle(self, *args: Any, **options: Any) -> None:
        result = extract.refresh(full=options["full"])
        rows = sum(result.rows.values())
        kind = "Rebuilt" if result.full else "Refreshed"
        self.stdout.write(
            f"{kind} the analytics extract: {rows:,} rows copied in {result.seconds:.1f} s"
        )
