"""manage.py program_templates: list the program templates (code, name, pathways) and any
template file that was refused, with the file and field at fault. Exits non-zero when a file
was refused, so a check after editing a template can fail a deployment."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from pathways.programs.program_templates import template_catalog


class Command(BaseCommand):
    help = "List the program templates and any refused template file."

    def handle(self, *args: Any, **options: Any) -> None:
        catalog = template_catalog()
        for template in catalog.templates:
            pathways = ", ".join(p.pathway for p in template.pathways)
            self.stdout.write(f"{template.code:28} {template.name} [{pathways}]")
        if catalog.problems:
            for problem in catalog.problems:
                self.stderr.write(problem)
            raise CommandError(f"{len(catalog.problems)} template file(s) refused.")
