"""manage.py api_client_revoke KEY_ID: revoke an API client's credential at once (the key id is
the part after ``pwapi_`` up to the next ``_``, shown on the API clients page).

    python manage.py api_client_revoke 0123456789abcdef --reason "credential leaked" --by admin

Audited (api_client.revoke). docs/decisions/0029-partner-api-credentials.md"""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from pathways.api.models import ApiClient
from pathways.api.services import api_client_revoke


class Command(BaseCommand):
    help = "Revoke an API client's credential."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("key_id")
        parser.add_argument("--reason", default="")
        parser.add_argument("--by", default="", help="who is doing it (audit actor)")

    def handle(self, *args: Any, **options: Any) -> None:
        client = ApiClient.objects.filter(key_id=options["key_id"]).first()
        if client is None:
            raise CommandError(f"No API client has the key id {options['key_id']!r}.")
        actor = None
        if options["by"]:
            actor = get_user_model().objects.filter(username=options["by"]).first()
            if actor is None:
                raise CommandError(f"No user is called {options['by']!r} (--by).")
        try:
            revoked = api_client_revoke(
                actor=actor, client=client, reason=options["reason"], on_server=True
            )
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        self.stdout.write(f"Revoked {revoked.name} ({revoked.agency}) at {revoked.revoked_at}.")
