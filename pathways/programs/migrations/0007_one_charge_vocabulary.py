"""One vocabulary for charges (issue 19): pathways say whether they hold a charge; the
configuration's charge mode is checked by the database."""

from django.conf import settings
from django.db import migrations, models


def holds_from_charges(apps, schema_editor):
    """One charge vocabulary: the catalog's "held"/"none" becomes a yes/no; how a charge is held
    (abeyance or civil citation) is the configuration's ChargeMode, as before."""
    Pathway = apps.get_model("programs", "Pathway")
    Pathway.objects.filter(charges="held").update(holds_charges=True)


def charges_from_holds(apps, schema_editor):
    Pathway = apps.get_model("programs", "Pathway")
    Pathway.objects.update(charges="none")
    Pathway.objects.filter(holds_charges=True).update(charges="held")


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0003_mfa_enrolment_codes_and_encrypted_apps'),
        ('programs', '0006_template_provenance_and_sections'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='pathway',
            name='holds_charges',
            field=models.BooleanField(default=False, help_text='A charge is diverted under this pathway (held in abeyance or a civil citation until the plan is done); every other pathway involves no charge at all'),
        ),
        migrations.RunPython(holds_from_charges, charges_from_holds),
        # a default, so that undoing the removal can add the column back to existing rows
        migrations.AlterField(
            model_name='pathway',
            name='charges',
            field=models.CharField(max_length=10, default='none'),
        ),
        migrations.RemoveField(
            model_name='pathway',
            name='charges',
        ),
        migrations.AddConstraint(
            model_name='pathwayconfig',
            constraint=models.CheckConstraint(condition=models.Q(('charges__in', ['abeyance', 'civil_citation', 'none'])), name='pathway_config_charges_known'),
        ),
    ]
