"""The database refuses UPDATE and DELETE on an append-only history table (house rule 3).

`AppendOnlyTrigger("casestatuschange")` in an app's migration puts two triggers on the model's
table, on SQLite and on PostgreSQL alike: `<table>_append_only_update` (BEFORE UPDATE) and
`<table>_append_only_delete` (BEFORE DELETE). Each raises "table <table> is append-only", so
what bypasses the model (raw SQL, another tool, a bug in a bulk write) fails in the database.

Applying it again is harmless (each trigger is dropped first, then created), and on PostgreSQL
it replaces the one combined `<table>_append_only` trigger of audit migration 0002.

SQLite rebuilds a table for most schema changes (Django's `_remake_table`) and the triggers go
with the old table: a migration that alters an append-only table ends with this operation
again. core/tests/test_append_only.py fails if a table has lost its triggers."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from django.db import transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.operations.base import Operation
from django.db.migrations.state import ProjectState

#: The PL/pgSQL function every PostgreSQL trigger runs (audit migration 0002 created it first
#: under this name; CREATE OR REPLACE keeps one definition).
PG_FUNCTION = "pathways_refuse_change"

#: The single BEFORE UPDATE OR DELETE trigger audit migration 0002 made on PostgreSQL.
LEGACY_SUFFIX = "_append_only"

EVENTS = ("UPDATE", "DELETE")


def trigger_name(table: str, event: str) -> str:
    return f"{table}_append_only_{event.lower()}"


def create_statements(vendor: str, table: str) -> list[str]:
    """The SQL that (re)creates both triggers on `table`, for the database `vendor`."""
    if vendor == "postgresql":
        statements = [
            f"""
            CREATE OR REPLACE FUNCTION {PG_FUNCTION}() RETURNS trigger AS $$
            BEGIN
                RAISE EXCEPTION 'table % is append-only: % refused', TG_TABLE_NAME, TG_OP;
            END;
            $$ LANGUAGE plpgsql;
            """,
            f'DROP TRIGGER IF EXISTS "{table}{LEGACY_SUFFIX}" ON "{table}"',
        ]
        for event in EVENTS:
            name = trigger_name(table, event)
            statements += [
                f'DROP TRIGGER IF EXISTS "{name}" ON "{table}"',
                f'CREATE TRIGGER "{name}" BEFORE {event} ON "{table}" '
                f"FOR EACH ROW EXECUTE FUNCTION {PG_FUNCTION}()",
            ]
        return statements
    if vendor == "sqlite":
        statements = []
        for event in EVENTS:
            name = trigger_name(table, event)
            statements += [
                f'DROP TRIGGER IF EXISTS "{name}"',
                f'CREATE TRIGGER "{name}" BEFORE {event} ON "{table}" FOR EACH ROW BEGIN '
                f"SELECT RAISE(ABORT, 'table {table} is append-only: {event} refused'); END",
            ]
        return statements
    raise NotImplementedError(
        f"append-only triggers are written for SQLite and PostgreSQL, not {vendor}"
    )


def drop_statements(vendor: str, table: str) -> list[str]:
    if vendor == "postgresql":
        return [f'DROP TRIGGER IF EXISTS "{trigger_name(table, e)}" ON "{table}"' for e in EVENTS]
    if vendor == "sqlite":
        return [f'DROP TRIGGER IF EXISTS "{trigger_name(table, e)}"' for e in EVENTS]
    raise NotImplementedError(
        f"append-only triggers are written for SQLite and PostgreSQL, not {vendor}"
    )


def present_triggers(connection: BaseDatabaseWrapper, table: str) -> set[str]:
    """The names of the append-only triggers `table` has now (the legacy one included)."""
    names = [trigger_name(table, e) for e in EVENTS] + [f"{table}{LEGACY_SUFFIX}"]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT tgname FROM pg_trigger WHERE tgrelid = %s::regclass AND tgname = ANY(%s)",
                [table, names],
            )
        elif connection.vendor == "sqlite":
            cursor.execute(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = %s",
                [table],
            )
        else:
            return set()
        return {row[0] for row in cursor.fetchall()} & set(names)


@contextlib.contextmanager
def update_allowed(connection: BaseDatabaseWrapper, table: str) -> Iterator[None]:
    """Let UPDATE through on `table` for the block, inside the caller's transaction; the
    triggers are back before it ends (and a failure rolls the lift back with the rest). Only
    the key rotation uses this: it rewrites the stored form of a value, never the value."""
    present = present_triggers(connection, table) - {trigger_name(table, "DELETE")}
    if not present:
        yield
        return
    if not connection.in_atomic_block:
        raise RuntimeError(f"{table}: rewrite it inside a transaction")
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # ALTER TABLE refuses a table with deferred foreign-key checks pending: run them now
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            for name in sorted(present):
                cursor.execute(f"ALTER TABLE {quote(table)} DISABLE TRIGGER {quote(name)}")
            yield
            for name in sorted(present):
                cursor.execute(f"ALTER TABLE {quote(table)} ENABLE TRIGGER {quote(name)}")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")  # Django's foreign keys' own mode
            return
        # SQLite cannot disable a trigger: drop it and create it again from its own text (DDL
        # is transactional in SQLite, so a rollback brings it back too).
        cursor.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = %s",
            [table],
        )
        kept = [(name, sql) for name, sql in cursor.fetchall() if name in present]
        for name, _ in kept:
            cursor.execute(f"DROP TRIGGER {quote(name)}")
        yield
        for _, sql in kept:
            cursor.execute(sql)


@contextlib.contextmanager
def sqlite_flush_allowed(connection: BaseDatabaseWrapper) -> Iterator[None]:
    """SQLite empties tables for `manage.py flush` (and the test runner between transactional
    tests) with DELETE, which the triggers refuse; PostgreSQL uses TRUNCATE, which row triggers
    do not see. So on SQLite the append-only triggers are dropped for the flush and made again
    from their own text, in one transaction (core/management/commands/flush.py)."""
    if connection.vendor != "sqlite":
        yield
        return
    with transaction.atomic(using=connection.alias):
        with connection.cursor() as cursor:
            cursor.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")
            kept = [
                (name, sql)
                for name, sql in cursor.fetchall()
                if name.endswith(tuple(f"_append_only_{e.lower()}" for e in EVENTS))
            ]
            for name, _ in kept:
                cursor.execute(f"DROP TRIGGER {connection.ops.quote_name(name)}")
        yield
        with connection.cursor() as cursor:
            for _, sql in kept:
                cursor.execute(sql)


class AppendOnlyTrigger(Operation):
    """Refuse UPDATE and DELETE on `model_name`'s table in the database (see the module)."""

    reversible = True
    reduces_to_sql = True

    def __init__(self, model_name: str) -> None:
        self.model_name = model_name

    def deconstruct(self) -> tuple[str, list[Any], dict[str, Any]]:
        return (self.__class__.__qualname__, [self.model_name], {})

    def state_forwards(self, app_label: str, state: ProjectState) -> None:
        pass  # triggers are not part of Django's model state

    def _run(
        self,
        app_label: str,
        schema_editor: BaseDatabaseSchemaEditor,
        state: ProjectState,
        *,
        create: bool,
    ) -> None:
        model = state.apps.get_model(app_label, self.model_name)
        if not self.allow_migrate_model(schema_editor.connection.alias, model):
            return
        vendor = schema_editor.connection.vendor
        table = model._meta.db_table
        statements = create_statements(vendor, table) if create else drop_statements(vendor, table)
        for sql in statements:
            schema_editor.execute(sql, params=None)  # no parameters: '%' is PL/pgSQL's here

    def database_forwards(
        self,
        app_label: str,
        schema_editor: BaseDatabaseSchemaEditor,
        from_state: ProjectState,
        to_state: ProjectState,
    ) -> None:
        self._run(app_label, schema_editor, to_state, create=True)

    def database_backwards(
        self,
        app_label: str,
        schema_editor: BaseDatabaseSchemaEditor,
        from_state: ProjectState,
        to_state: ProjectState,
    ) -> None:
        self._run(app_label, schema_editor, to_state, create=False)

    def describe(self) -> str:
        return f"Refuse UPDATE and DELETE on {self.model_name} (append-only triggers)"

    @property
    def migration_name_fragment(self) -> str:
        return f"append_only_{self.model_name.lower()}"
