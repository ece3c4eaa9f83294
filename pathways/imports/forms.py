from __future__ import annotations

from typing import Any

from django import forms

from pathways.core.forms import Form


class AgencyChoice(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.name)


class ImportForm(Form):
    agency = AgencyChoice(
        queryset=None,
        label="Agency",
        empty_label="- Select -",
        error_messages={"required": "Choose the agency.", "invalid_choice": "Choose the agency."},
    )
    file = forms.FileField(
        label="File",
        error_messages={"required": "Choose the file to import."},
        widget=forms.ClearableFileInput(attrs={"class": "usa-file-input"}),
    )

    def __init__(self, *args: Any, agencies: Any, label: str, accept: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["agency"]
        assert isinstance(field, AgencyChoice)
        field.queryset = agencies
        field.label = label
        self.fields["file"].widget.attrs["accept"] = accept


class MappingForm(Form):
    mapping = forms.CharField(
        label="Mapping (JSON)",
        widget=forms.Textarea(attrs={"rows": 14, "class": "usa-textarea font-mono-2xs"}),
        error_messages={"required": "Paste the mapping."},
    )
