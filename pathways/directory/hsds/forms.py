from __future__ import annotations

from django import forms

from pathways.core.forms import Form
from pathways.directory.hsds.reader import MAX_BYTES


class HsdsImportForm(Form):
    file = forms.FileField(
        label="HSDS file (.json, or the tabular data package as .zip)",
        help_text=f"At most {MAX_BYTES // (1024 * 1024)} MB.",
        error_messages={"required": "Choose the file to import."},
        widget=forms.ClearableFileInput(attrs={"accept": ".json,.zip", "class": "usa-file-input"}),
    )
    dry_run = forms.BooleanField(
        label="Only check the file: show what it would change, and change nothing",
        required=False,
        initial=True,
    )
