from __future__ import annotations

import uuid
from typing import Any

from django import forms

from pathways.core import clock
from pathways.core.forms import DATETIME_LOCAL_FORMATS, DateTimeLocalInput, Form
from pathways.core.validators import validate_clean_text, validate_not_future
from pathways.followups.models import NOTE_MAX_LENGTH, TeamMember, VisitOutcome


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


class VisitForm(Form):
    visited_at = forms.DateTimeField(
        label="When",
        help_text="Leave empty for now",
        required=False,
        input_formats=DATETIME_LOCAL_FORMATS,
        widget=DateTimeLocalInput(),
        validators=[validate_not_future],
        error_messages={"invalid": "Enter a real date and time."},
    )
    members = forms.MultipleChoiceField(
        label="Who went",
        choices=TeamMember.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Say who went on the visit."},
    )
    outcome = forms.ChoiceField(
        label="What happened",
        choices=VisitOutcome.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose what happened."},
    )
    service = forms.CharField(required=False)
    warm_handoff = forms.BooleanField(
        label="Warm hand-off: we connected the person with the provider", required=False
    )
    capacity_override_reason = forms.CharField(
        label="Why refer to a service with no open capacity?",
        required=False,
        max_length=300,
        validators=[validate_clean_text],
    )
    family_resources = forms.BooleanField(
        label="Left resources with family or household (e.g. naloxone, support groups)",
        required=False,
    )
    note = forms.CharField(
        label="Note (optional)",
        help_text=f"No names or health details. At most {NOTE_MAX_LENGTH} characters.",
        required=False,
        max_length=NOTE_MAX_LENGTH,
        validators=[validate_clean_text],
    )

    def __init__(self, *args: Any, program: Any, **kwargs: Any) -> None:
        self.program = program
        self.service_obj: Any = None
        super().__init__(*args, **kwargs)

    def clean(self) -> dict[str, Any]:
        from pathways.directory.selectors import service_for_program

        data = super().clean() or {}
        if not data.get("visited_at") and "visited_at" not in self.errors:
            data["visited_at"] = clock.now()
        raw = (data.get("service") or "").strip()
        if data.get("outcome") == VisitOutcome.REFERRED:
            if not raw:
                self.add_error("service", "Choose the service you referred the person to.")
                return data
            try:
                self.service_obj = service_for_program(self.program, uuid.UUID(raw))
            except ValueError:
                self.service_obj = None
            if self.service_obj is None:
                self.add_error("service", "Choose a service from the list.")
            elif self.service_obj.capacity_open == 0 and not data.get("capacity_override_reason"):
                self.add_error(
                    "capacity_override_reason",
                    f"{self.service_obj.name} shows no open capacity. Say why you are referring "
                    "anyway (for example, the provider confirmed a slot by phone).",
                )
        elif raw:
            self.add_error("service", "Choose a service only when the outcome is a referral.")
        return data
