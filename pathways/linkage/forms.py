from __future__ import annotations

from django import forms

from pathways.core.forms import Form
from pathways.linkage.imports import MAX_BYTES
from pathways.linkage.services import SOURCE_MAX


class ArrestImportForm(Form):
    source = forms.CharField(
        label="Where the records come from",
        max_length=SOURCE_MAX,
        help_text="The system, as you would name it to a colleague: for example 'Sheriff's "
        "Office jail bookings'. Records are matched to earlier imports from the same source "
        "by their record number.",
        error_messages={"required": "Name the system these records come from."},
        widget=forms.TextInput(attrs={"list": "source-names", "autocomplete": "off"}),
    )
    file = forms.FileField(
        label="File of arrest records (.csv or .xlsx)",
        help_text=f"At most {MAX_BYTES // (1024 * 1024)} MB. The first line names the columns; "
        "see the list below.",
        error_messages={"required": "Choose the file to import."},
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx", "class": "usa-file-input"}),
    )
