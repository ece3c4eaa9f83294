"""The outreach status history refuses UPDATE and DELETE in the database."""

from django.db import migrations

from pathways.core.migrations_ops import AppendOnlyTrigger


class Migration(migrations.Migration):
    dependencies = [("followups", "0005_encrypt_fields")]
    operations = [
        AppendOnlyTrigger("outreachstatuschange"),
    ]
