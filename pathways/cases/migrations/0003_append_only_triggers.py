"""The case history tables refuse UPDATE and DELETE in the database."""

from django.db import migrations

from pathways.core.migrations_ops import AppendOnlyTrigger


class Migration(migrations.Migration):
    dependencies = [("cases", "0002_encrypt_fields")]
    operations = [
        AppendOnlyTrigger("casestatuschange"),
        AppendOnlyTrigger("caseevent"),
        AppendOnlyTrigger("requirementprogress"),
        AppendOnlyTrigger("prosecutorreview"),
    ]
