"""The audit events get the shared append-only triggers (on SQLite too); on PostgreSQL they replace
the combined trigger of 0002."""

from django.db import migrations

from pathways.core.migrations_ops import AppendOnlyTrigger


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_append_only_triggers")]
    operations = [
        AppendOnlyTrigger("auditevent"),
    ]
