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
        ('referrals', '0001_initial'),
    ]

    operations = [
        migrations.AlterField(
            model_name='referral',
            name='capacity_override_reason',
            field=pathways.core.fields.EncryptedCharField(blank=True, help_text='Why the referral went to a service showing no open capacity', max_length=300, validators=[pathways.core.validators.validate_clean_text]),
        ),
        migrations.AlterField(
            model_name='referral',
            name='handoff_note',
            field=pathways.core.fields.EncryptedCharField(blank=True, max_length=500, validators=[pathways.core.validators.validate_clean_text]),
        ),
        migrations.AlterField(
            model_name='referralstatuschange',
            name='note',
            field=pathways.core.fields.EncryptedCharField(blank=True, max_length=500, validators=[pathways.core.validators.validate_clean_text]),
        ),
        # then the data: existing rows, batched, reversible
        encrypt_existing('referral', ['capacity_override_reason', 'handoff_note'], app_label='referrals'),
        encrypt_existing('referralstatuschange', ['note'], app_label='referrals'),
    ]
