from __future__ import annotations

from typing import Any

from django import forms

from pathways.core.forms import Form
from pathways.core.validators import validate_clean_text
from pathways.followups.models import NOTE_MAX_LENGTH


class CompleteForm(Form):
    """Mark a work item done. One form per item on the page: pass a distinct `auto_id`."""

    outcome_note = forms.CharField(
        label="Outcome note (optional)",
        help_text=f"No names. At most {NOTE_MAX_LENGTH} characters.",
        required=False,
        max_length=NOTE_MAX_LENGTH,
        validators=[validate_clean_text],
        error_messages={
            "max_length": "The outcome note can have at most %(limit_value)d characters "
            "(it has %(show_value)d)."
        },
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The shared mixin assumes the default ids; point the hint at this form's own ids.
        for name, field in self.fields.items():
            if field.help_text:
                field.widget.attrs["aria-describedby"] = f"{self[name].id_for_label}-hint"

    def full_clean(self) -> None:
        super().full_clean()
        for name in getattr(self, "_errors", None) or {}:
            if name in self.fields:
                field_id = self[name].id_for_label
                hint = f"{field_id}-hint " if self.fields[name].help_text else ""
                self.fields[name].widget.attrs["aria-describedby"] = f"{hint}{field_id}-error"
