"""Give every program pathway a first configuration version, from the catalog's defaults."""

import uuid

from django.db import migrations
from django.utils import timezone


def forwards(apps, schema_editor):
    from pathways.programs.deadlines import default_deadlines

    ProgramPathway = apps.get_model("programs", "ProgramPathway")
    PathwayConfig = apps.get_model("programs", "PathwayConfig")
    for pp in ProgramPathway.objects.filter(current_config__isnull=True).select_related("pathway"):
        now = timezone.now()
        config = PathwayConfig.objects.create(
            id=uuid.uuid4(),
            created_at=now,
            updated_at=now,
            program_pathway=pp,
            version=1,
            starter_roles=pp.pathway.starter_roles,
            starter_agency_kinds=pp.pathway.starter_agency_kinds,
            charges="abeyance" if pp.pathway.charges == "held" else "none",
            deadlines=default_deadlines(pp.pathway.code),
            note="First configuration, from the pathway catalog.",
        )
        pp.current_config = config
        pp.save(update_fields=["current_config"])


class Migration(migrations.Migration):
    dependencies = [("programs", "0003_pathway_config")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
