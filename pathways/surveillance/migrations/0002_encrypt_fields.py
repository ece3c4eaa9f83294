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
        ('surveillance', '0001_initial'),
    ]

    operations = [
        migrations.AlterField(
            model_name='overdoseevent',
            name='location_text',
            field=pathways.core.fields.EncryptedCharField(blank=True, max_length=200, validators=[pathways.core.validators.validate_clean_text]),
        ),
        # then the data: existing rows, batched, reversible
        encrypt_existing('overdoseevent', ['location_text'], app_label='surveillance'),
    ]
