"""Load the six PTACC pathways into the catalog."""

from django.db import migrations


def load_catalog(apps, schema_editor):
    from pathways.programs.catalog import catalog_rows

    Pathway = apps.get_model("programs", "Pathway")
    for row in catalog_rows():
        # the catalog today says `holds_charges`; the pathway row of this migration's time kept
        # the same fact as `charges` ("held" or "none"), until 0007
        row = dict(row)
        row["charges"] = "held" if row.pop("holds_charges") else "none"
        Pathway.objects.update_or_create(code=row["code"], defaults=row)


class Migration(migrations.Migration):
    dependencies = [("programs", "0001_initial")]
    operations = [migrations.RunPython(load_catalog, migrations.RunPython.noop)]
