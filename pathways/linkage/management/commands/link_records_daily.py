"""manage.py link_records_daily: queue each program's daily incremental linkage run.

Run it once a night from cron or a systemd timer, after the day's imports, for example:

    30 2 * * *  cd /srv/pathways && .venv/bin/python manage.py link_records_daily

* For each program with a trained linkage model, it queues one incremental run: the records
  added or changed since the last finished run (people recorded at field entry, their aliases,
  numbers and contact details; imported arrest records) are scored against all the others
  with the model as it is, and the clusters are rebuilt. The worker (`manage.py db_worker`)
  does the work; the run shows on the program's record linkage page.
* A program without a model (nobody has started its first run) and a program with a run
  already queued or under way are skipped and counted; the skipped program's changes are read
  by the next run.
* It prints only counts; each queued run is an audit event (`linkage_run.start`).
"""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand

from pathways.linkage.models import LinkageModel, RunReason
from pathways.linkage.services import linkage_run_queue
from pathways.programs.models import Program


class Command(BaseCommand):
    help = "Queue each program's daily incremental record-linkage run."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--program", help="Only this program (its name); default every program with a model"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        programs = Program.objects.filter(
            pk__in=LinkageModel.objects.values("program_id")
        ).order_by("pk")
        if options.get("program"):
            programs = programs.filter(name=options["program"])
        queued = skipped = 0
        for program in programs:
            run = linkage_run_queue(actor=None, program=program, reason=RunReason.DAILY)
            if run is None:
                skipped += 1
            else:
                queued += 1
        self.stdout.write(f"Queued {queued} linkage run(s); skipped {skipped} already under way.")
