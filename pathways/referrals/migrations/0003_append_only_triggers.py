"""The status history refuses UPDATE and DELETE in the database (on SQLite too); on PostgreSQL
this replaces the combined trigger audit migration 0002 made."""

from django.db import migrations

from pathways.core.migrations_ops import AppendOnlyTrigger


class Migration(migrations.Migration):
    dependencies = [("referrals", "0002_encrypt_fields"), ("audit", "0002_append_only_triggers")]
    operations = [
        AppendOnlyTrigger("referralstatuschange"),
    ]
