"""Django's `flush`, which on SQLite lifts the append-only triggers while it empties the tables
(PostgreSQL's TRUNCATE never fires them). Emptying the whole database is the operator's act, not
an edit of history; every other DELETE of a history row stays refused."""

from __future__ import annotations

from typing import Any

from django.core.management.commands import flush
from django.db import connections

from pathways.core.migrations_ops import sqlite_flush_allowed


class Command(flush.Command):
    def handle(self, **options: Any) -> None:
        with sqlite_flush_allowed(connections[options["database"]]):
            super().handle(**options)
