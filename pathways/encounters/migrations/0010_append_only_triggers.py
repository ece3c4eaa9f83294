"""The supervisors' eligibility decisions refuse UPDATE and DELETE in the database."""

from django.db import migrations

from pathways.core.migrations_ops import AppendOnlyTrigger


class Migration(migrations.Migration):
    dependencies = [("encounters", "0009_eligibility_outcome_choices")]
    operations = [
        AppendOnlyTrigger("eligibilityreview"),
    ]
