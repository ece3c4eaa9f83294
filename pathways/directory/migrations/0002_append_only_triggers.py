"""The capacity history refuses UPDATE and DELETE in the database."""

from django.db import migrations

from pathways.core.migrations_ops import AppendOnlyTrigger


class Migration(migrations.Migration):
    dependencies = [("directory", "0001_initial")]
    operations = [
        AppendOnlyTrigger("capacityupdate"),
    ]
