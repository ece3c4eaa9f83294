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
        ('encounters', '0006_idempotency_digest'),
    ]

    operations = [
        migrations.AlterField(
            model_name='eligibilityreview',
            name='reason',
            field=pathways.core.fields.EncryptedCharField(max_length=300, validators=[pathways.core.validators.validate_clean_text]),
        ),
        migrations.AlterField(
            model_name='encounter',
            name='eligibility_answers',
            field=pathways.core.fields.EncryptedJSONField(blank=True, default=dict, help_text='Answers to the eligibility questions the rules use'),
        ),
        migrations.AlterField(
            model_name='encounter',
            name='location_text',
            field=pathways.core.fields.EncryptedCharField(blank=True, help_text='Address, intersection or landmark', max_length=200, validators=[pathways.core.validators.validate_clean_text]),
        ),
        migrations.AlterField(
            model_name='encounter',
            name='notes',
            field=pathways.core.fields.EncryptedTextField(blank=True, validators=[pathways.core.validators.validate_clean_text]),
        ),
        migrations.AlterField(
            model_name='surrendereditem',
            name='quantity',
            field=pathways.core.fields.EncryptedCharField(blank=True, help_text="e.g. '3', '1 g'", max_length=60, validators=[pathways.core.validators.validate_clean_text]),
        ),
        # then the data: existing rows, batched, reversible
        encrypt_existing('eligibilityreview', ['reason'], app_label='encounters'),
        encrypt_existing('encounter', ['eligibility_answers', 'location_text', 'notes'], app_label='encounters'),
        encrypt_existing('surrendereditem', ['quantity'], app_label='encounters'),
    ]
