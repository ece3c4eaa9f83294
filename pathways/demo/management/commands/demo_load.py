"""manage.py demo_load: load the synthetic Riverbend County (idempotent)."""

from __future__ import annotations

import datetime as dt
from argparse import ArgumentParser, ArgumentTypeError
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from pathways.demo import cast
from pathways.demo.generator import (
    BATCH_SIZE,
    DEFAULT_ENCOUNTERS,
    DEFAULT_SEED,
    demo_digest,
    demo_load_finished,
    demo_program,
    load_demo,
)
from pathways.linkage.services import linkage_run_start


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise ArgumentTypeError(f"{value!r} is not a date (YYYY-MM-DD)") from exc


def _positive(value: str) -> int:
    number = int(value)
    if number < 1:
        raise ArgumentTypeError("must be at least 1")
    return number


class Command(BaseCommand):
    help = (
        "Load the synthetic Riverbend County Deflection Program: agencies, services, demo "
        "logins, people, encounters and referrals over the 18 months before the end date. "
        "Does nothing when the demo program is already loaded."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--encounters",
            type=_positive,
            default=DEFAULT_ENCOUNTERS,
            help=f"How many encounters to generate (default {DEFAULT_ENCOUNTERS:,}).",
        )
        parser.add_argument(
            "--seed", type=int, default=DEFAULT_SEED, help=f"Random seed (default {DEFAULT_SEED})."
        )
        parser.add_argument(
            "--end-date",
            type=_date,
            default=None,
            help="Last day of the 18-month window, YYYY-MM-DD (default: now).",
        )
        parser.add_argument(
            "--batch-size",
            type=_positive,
            default=BATCH_SIZE,
            help=f"Encounters per transaction (default {BATCH_SIZE:,}).",
        )
        parser.add_argument("--quiet", action="store_true", help="No progress bar.")

    def handle(self, *args: Any, **options: Any) -> None:
        if getattr(settings, "PRODUCTION", False):
            raise CommandError("The synthetic county is never loaded into a production database.")
        program = demo_program()
        if program is not None:
            if not demo_load_finished(program):
                raise CommandError(
                    f"{cast.PROGRAM_NAME} exists but its load never finished (it was "
                    "interrupted). Start again from an empty database: remove the SQLite file "
                    "or recreate the PostgreSQL database, then run migrate and demo_load."
                )
            self.stdout.write(f"{cast.PROGRAM_NAME} is already loaded; nothing to do.")
            return
        try:
            result = load_demo(
                encounters=options["encounters"],
                seed=options["seed"],
                end_date=options["end_date"],
                quiet=options["quiet"],
                batch_size=options["batch_size"],
            )
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        width = max(len(name) for name in result.counts)
        self.stdout.write(self.style.SUCCESS(f"Loaded {cast.PROGRAM_NAME}:"))
        for name, count in result.counts.items():
            self.stdout.write(f"  {name:<{width}}  {count:>10,}")
        self.stdout.write(
            f"{result.rows:,} rows in {result.seconds:.1f} s ({result.rows_per_second:,.0f} rows/s)"
        )
        if options["verbosity"] >= 2:
            self.stdout.write(f"digest {demo_digest(result.program)}")
        self._queue_linkage(result.program)

    def _queue_linkage(self, program: Any) -> None:
        """Queue the county's first record linkage run (the demo's worker runs it), so the
        coordinator finds the review queue filled."""
        coordinator = get_user_model().objects.filter(username="coord.nguyen").first()
        if coordinator is None:
            return
        with transaction.atomic():
            linkage_run_start(actor=coordinator, program=program, retrain=True)
        self.stdout.write(
            "Queued the first record linkage run: the worker runs it (Reports → Record linkage)."
        )
