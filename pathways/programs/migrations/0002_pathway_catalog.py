"""Load the six PTACC pathways into the catalog."""

from django.db import migrations


def load_catalog(apps, schema_editor):
    from pathways.programs.catalog import catalog_rows

    Pathway = apps.get_model("programs", "Pathway")
    for row in catalog_rows():
        Pathway.objects.update_or_create(code=row["code"], defaults=row)


class Migration(migrations.Migration):
    dependencies = [("programs", "0001_initial")]
    operations = [migrations.RunPython(load_catalog, migrations.RunPython.noop)]
