"""Write a program's directory as Open Referral HSDS 3.0.

python manage.py hsds_export --program "Riverbend County" --output directory.json
python manage.py hsds_export --program "Riverbend County" --format package --output hsds.zip
"""

from __future__ import annotations

import sys
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand

from pathways.directory.hsds.commands import program_named
from pathways.directory.hsds.export import directory_json, directory_package


class Command(BaseCommand):
    help = "Export a program's directory as HSDS 3.0 JSON or the zipped tabular data package."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--program", required=True, help="the program's name")
        parser.add_argument("--format", choices=["json", "package"], default="json")
        parser.add_argument("--output", default="-", help="a file (default: standard output)")

    def handle(self, *args: Any, **options: Any) -> None:
        program = program_named(options["program"])
        data = (
            directory_package(program)
            if options["format"] == "package"
            else directory_json(program)
        )
        if options["output"] == "-":
            sys.stdout.buffer.write(data)
        else:
            Path(options["output"]).write_bytes(data)
            self.stderr.write(f"Wrote {len(data):,} bytes to {options['output']}.")
