"""manage.py api_client_register: register a partner system's API client on the server, and
print its credential once.

    python manage.py api_client_register --program "Test County" --agency "Harbor Recovery" \\
        --name "Harbor EHR" --scope referrals:read --scope referrals:write --by coordinator.lee

Audited (api_client.register) with the user named by ``--by`` as the actor (none: the server).
The coordinator's page (Setup → API clients) does the same. docs/decisions/0029."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from pathways.accounts.models import Agency
from pathways.api.services import DEFAULT_DAYS, api_client_register
from pathways.api.vocabulary import ApiScope


class Command(BaseCommand):
    help = "Register a partner system's API client and print its credential once."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--program", required=True, help="the program's name")
        parser.add_argument("--agency", required=True, help="the agency's name in the program")
        parser.add_argument("--name", required=True, help="the partner system's name")
        parser.add_argument(
            "--scope", action="append", choices=ApiScope.values, required=True, dest="scopes"
        )
        parser.add_argument("--days", type=int, default=DEFAULT_DAYS)
        parser.add_argument("--by", default="", help="the coordinator doing it (audit actor)")

    def handle(self, *args: Any, **options: Any) -> None:
        agency = Agency.objects.filter(
            program__name=options["program"], name=options["agency"]
        ).first()
        if agency is None:
            raise CommandError(
                f"No agency {options['agency']!r} in a program {options['program']!r}."
            )
        actor = None
        if options["by"]:
            actor = get_user_model().objects.filter(username=options["by"]).first()
            if actor is None:
                raise CommandError(f"No user is called {options['by']!r} (--by).")
        try:
            registered = api_client_register(
                actor=actor,
                agency=agency,
                name=options["name"],
                scopes=options["scopes"],
                days=options["days"],
                on_server=True,
            )
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        client = registered.client
        self.stdout.write(
            f"Registered {client.name} for {client.agency} ({', '.join(client.scopes)}), "
            f"until {client.expires_at:%Y-%m-%d} UTC. Its credential, shown only now:\n"
        )
        self.stdout.write(registered.token)
