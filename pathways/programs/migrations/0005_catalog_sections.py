"""The pathway catalog names the field-form sections each pathway adds (overdose, surrendered
items, companion, crisis team, charge)."""

from django.db import migrations

SECTIONS = {
    "self_referral": ["presenting_needs", "location_text", "surrendered_items", "companion"],
    "naloxone_plus": ["presenting_needs", "location_text", "overdose"],
    "officer_intervention": ["presenting_needs", "location_text", "charge"],
    "community_response": ["presenting_needs", "location_text", "crisis_team"],
}


def forwards(apps, schema_editor):
    Pathway = apps.get_model("programs", "Pathway")
    for code, questions in SECTIONS.items():
        Pathway.objects.filter(code=code).update(questions=questions)


class Migration(migrations.Migration):
    dependencies = [("programs", "0004_initial_pathway_configs")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
