"""Import an Open Referral HSDS 3.0 file (JSON or the zipped tabular package) into a program's
directory. Nothing is written when the file has a fatal problem; --dry-run only reports.

    python manage.py hsds_import --program "Riverbend County" 211-export.zip --dry-run
"""

from __future__ import annotations

from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from pathways.directory.hsds.commands import program_named
from pathways.directory.hsds.importer import hsds_import
from pathways.directory.hsds.reader import MAX_BYTES, read_file


class Command(BaseCommand):
    help = "Import an HSDS 3.0 file into a program's directory (all or nothing)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("path", help="the .json file or the zipped data package")
        parser.add_argument("--program", required=True, help="the program's name")
        parser.add_argument("--dry-run", action="store_true", help="report only; write nothing")
        parser.add_argument("--by", default="", help="username recorded as the actor")

    def handle(self, *args: Any, **options: Any) -> None:
        program = program_named(options["program"])
        actor = None
        if options["by"]:
            actor = get_user_model().objects.filter(username=options["by"]).first()
            if actor is None:
                raise CommandError(f"No user is called {options['by']!r}.")
        path = Path(options["path"])
        if not path.is_file():
            raise CommandError(f"No file at {path}.")
        with path.open("rb") as handle:
            parsed = read_file(path.name, handle.read(MAX_BYTES + 1))
        report = hsds_import(
            actor=actor, program=program, parsed=parsed, dry_run=options["dry_run"]
        )
        for p in report.problems:
            self.stderr.write(
                f"{p.severity}: {p.table} {p.row} {p.record_id} {p.field}: {p.message}"
            )
        if report.fatal:
            raise CommandError(f"Nothing was imported: {len(report.fatal)} problem(s) to fix.")
        verb = "Would import" if options["dry_run"] else "Imported"
        self.stdout.write(f"{verb}: {report.summary()}.")
