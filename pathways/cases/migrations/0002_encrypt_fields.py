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
        ('cases', '0001_initial'),
    ]

    operations = [
        migrations.AlterField(
            model_name='caseevent',
            name='note',
            field=pathways.core.fields.EncryptedCharField(blank=True, max_length=500, validators=[pathways.core.validators.validate_clean_text]),
        ),
        migrations.AlterField(
            model_name='casestatuschange',
            name='reason',
            field=pathways.core.fields.EncryptedCharField(blank=True, max_length=500, validators=[pathways.core.validators.validate_clean_text]),
        ),
        migrations.AlterField(
            model_name='heldcharge',
            name='description',
            field=pathways.core.fields.EncryptedCharField(blank=True, max_length=200, validators=[pathways.core.validators.validate_clean_text]),
        ),
        migrations.AlterField(
            model_name='heldcharge',
            name='statute',
            field=pathways.core.fields.EncryptedCharField(blank=True, help_text='e.g. Fla. Stat. 810.09', max_length=60, validators=[pathways.core.validators.validate_clean_text]),
        ),
        migrations.AlterField(
            model_name='planrequirement',
            name='description',
            field=pathways.core.fields.EncryptedCharField(max_length=300, validators=[pathways.core.validators.validate_clean_text]),
        ),
        migrations.AlterField(
            model_name='planrequirement',
            name='waived_reason',
            field=pathways.core.fields.EncryptedCharField(blank=True, max_length=500, validators=[pathways.core.validators.validate_clean_text]),
        ),
        migrations.AlterField(
            model_name='prosecutorreview',
            name='detail',
            field=pathways.core.fields.EncryptedCharField(blank=True, max_length=500, validators=[pathways.core.validators.validate_clean_text]),
        ),
        migrations.AlterField(
            model_name='requirementprogress',
            name='note',
            field=pathways.core.fields.EncryptedCharField(blank=True, max_length=500, validators=[pathways.core.validators.validate_clean_text]),
        ),
        # then the data: existing rows, batched, reversible
        encrypt_existing('caseevent', ['note'], app_label='cases'),
        encrypt_existing('casestatuschange', ['reason'], app_label='cases'),
        encrypt_existing('heldcharge', ['description', 'statute'], app_label='cases'),
        encrypt_existing('planrequirement', ['description', 'waived_reason'], app_label='cases'),
        encrypt_existing('prosecutorreview', ['detail'], app_label='cases'),
        encrypt_existing('requirementprogress', ['note'], app_label='cases'),
    ]
