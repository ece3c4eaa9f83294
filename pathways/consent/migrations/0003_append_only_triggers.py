"""The accounting of disclosures refuses UPDATE and DELETE in the database."""

from django.db import migrations

from pathways.core.migrations_ops import AppendOnlyTrigger


class Migration(migrations.Migration):
    dependencies = [("consent", "0002_encrypt_fields")]
    operations = [
        AppendOnlyTrigger("disclosure"),
    ]
