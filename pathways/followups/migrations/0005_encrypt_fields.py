"""Encrypt sensitive columns at rest (docs/decisions/0012-field-encryption.md).

Each AlterField makes the column TEXT (binary stays binary) holding pw1:<kid>:<base64>;
then the existing values are encrypted in batches under the current key. Reversed, the
values are decrypted back first (the keys they are under must still be configured)."""

import pathways.core.fields
from pathways.core.fields import encrypt_existing
import pathways.core.validators
from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('followups', '0004_eligibility_review_kind'),
    ]

    operations = [
        migrations.AlterField(
            model_name='outreachentry',
            name='note',
            field=pathways.core.fields.EncryptedCharField(blank=True, help_text='Why the person is on the list, without names', max_length=300, validators=[pathways.core.validators.validate_clean_text]),
        ),
        migrations.AlterField(
            model_name='outreachlist',
            name='description',
            field=pathways.core.fields.EncryptedCharField(blank=True, max_length=500, validators=[pathways.core.validators.validate_clean_text]),
        ),
        migrations.AlterField(
            model_name='outreachstatuschange',
            name='note',
            field=pathways.core.fields.EncryptedCharField(blank=True, max_length=300, validators=[pathways.core.validators.validate_clean_text]),
        ),
        migrations.AlterField(
            model_name='visit',
            name='note',
            field=pathways.core.fields.EncryptedCharField(blank=True, max_length=300, validators=[pathways.core.validators.validate_clean_text]),
        ),
        migrations.AlterField(
            model_name='workitem',
            name='cancel_reason',
            field=pathways.core.fields.EncryptedCharField(blank=True, max_length=300, validators=[pathways.core.validators.validate_clean_text]),
        ),
        migrations.AlterField(
            model_name='workitem',
            name='outcome_note',
            field=pathways.core.fields.EncryptedCharField(blank=True, max_length=300, validators=[pathways.core.validators.validate_clean_text]),
        ),
        # then the data: existing rows, batched, reversible
        encrypt_existing('outreachentry', ['note'], app_label='followups'),
        encrypt_existing('outreachlist', ['description'], app_label='followups'),
        encrypt_existing('outreachstatuschange', ['note'], app_label='followups'),
        encrypt_existing('visit', ['note'], app_label='followups'),
        encrypt_existing('workitem', ['cancel_reason', 'outcome_note'], app_label='followups'),
    ]
