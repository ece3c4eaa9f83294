"""Encrypt sensitive columns at rest (docs/decisions/0012-field-encryption.md).

Each AlterField makes the column TEXT (binary stays binary) holding pw1:<kid>:<base64>;
then the existing values are encrypted in batches under the current key. Reversed, the
values are decrypted back first (the keys they are under must still be configured)."""

import pathways.core.fields
from pathways.core.fields import encrypt_existing
from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('consent', '0001_initial'),
    ]

    operations = [
        migrations.AlterField(
            model_name='consent',
            name='revocation_note',
            field=pathways.core.fields.EncryptedCharField(blank=True, max_length=300),
        ),
        migrations.AlterField(
            model_name='consent',
            name='signature_image',
            field=pathways.core.fields.EncryptedTextField(blank=True, help_text='On-screen signature: the drawn signature as a PNG data URL'),
        ),
        migrations.AlterField(
            model_name='consentdocument',
            name='content',
            field=pathways.core.fields.EncryptedBinaryField(),
        ),
        # then the data: existing rows, batched, reversible
        encrypt_existing('consent', ['revocation_note', 'signature_image'], app_label='consent'),
        encrypt_existing('consentdocument', ['content'], app_label='consent'),
    ]
