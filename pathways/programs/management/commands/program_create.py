"""manage.py program_create: start a community's program on a new installation, from one or
more program templates.

    python manage.py program_create \\
        --name "Lake County Deflection Program" --jurisdiction "Lake County, Illinois" \\
        --time-zone America/Chicago --office "Lake County Opioid Initiative" \\
        --coordinator jmorgan --coordinator-email jmorgan@example.gov \\
        --agency "Lake County Sheriff's Office=law_enforcement" \\
        --agency "Nicasa Behavioral Health=treatment" \\
        --template a_way_out_lake_county --template qrt_hamilton_county

It creates the program with all six pathways (those of the templates running, the others off),
the program office with its coordinator, the partner agencies named with ``--agency`` (name=kind),
and then starts each template as the coordinator would from Setup. Everything is one
transaction: any problem (an unknown template, a name already taken, a bad time zone) stops it
with a message and leaves the database as it was. The coordinator has no password yet; set one
with ``manage.py changepassword``. ``program_templates`` lists the templates.
"""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from pathways.accounts.models import AgencyKind, Role
from pathways.accounts.services import agency_create, member_create
from pathways.programs.program_templates import program_template, program_templates
from pathways.programs.services import program_create, program_template_apply


class Command(BaseCommand):
    help = "Create a community's program from program templates (see the module docstring)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--name", required=True)
        parser.add_argument("--jurisdiction", required=True)
        parser.add_argument("--time-zone", default="America/Chicago")
        parser.add_argument("--office", required=True, help="name of the program office")
        parser.add_argument("--coordinator", required=True, help="the coordinator's username")
        parser.add_argument("--coordinator-email", default="")
        parser.add_argument(
            "--agency", action="append", default=[], help="a partner agency, as name=kind"
        )
        parser.add_argument("--template", action="append", default=[], help="a template code")

    def handle(self, *args: Any, **options: Any) -> None:
        templates = []
        for code in options["template"]:
            template = program_template(code)
            if template is None:
                known = ", ".join(program_templates())
                raise CommandError(f"No program template {code!r}. Templates: {known}.")
            templates.append(template)
        agencies: list[tuple[str, str]] = []
        for spec in options["agency"]:
            name, _, kind = spec.rpartition("=")
            if not name.strip() or kind not in AgencyKind.values:
                kinds = ", ".join(AgencyKind.values)
                raise CommandError(f"--agency {spec!r}: give name=kind, kind one of {kinds}.")
            agencies.append((name, kind))
        codes = sorted({code for t in templates for code in t.pathway_codes})
        try:
            with transaction.atomic():
                program = program_create(
                    actor=None,
                    name=options["name"],
                    jurisdiction=options["jurisdiction"],
                    time_zone=options["time_zone"],
                    pathway_codes=codes,
                )
                office = agency_create(
                    actor=None, program=program, name=options["office"], kind="program_office"
                )
                coordinator = member_create(
                    actor=None,
                    agency=office,
                    role=Role.COORDINATOR,
                    username=options["coordinator"],
                    email=options["coordinator_email"],
                ).user
                for name, kind in agencies:
                    agency_create(actor=None, program=program, name=name, kind=kind)
                for template in templates:
                    program_template_apply(actor=coordinator, program=program, template=template)
        except ValidationError as exc:
            raise CommandError(_plain(exc)) from exc
        self.stdout.write(f"Created {program.name} ({program.jurisdiction}, {program.time_zone}).")
        for template in templates:
            self.stdout.write(f"  started from the template {template.name}")
        self.stdout.write(
            f"Set the coordinator's password with: python manage.py changepassword "
            f"{coordinator.username}"
        )


def _plain(exc: ValidationError) -> str:
    if hasattr(exc, "error_dict"):
        return " ".join(f"{key}: {' '.join(msgs)}" for key, msgs in exc.message_dict.items())
    return " ".join(exc.messages)
