"""The forms of a contact that are the contact's own: the supervisor's eligibility decision and
the filters of "Our contacts". The field entry form composes several apps and lives in
pathways.workflow.forms."""

from __future__ import annotations

from typing import Any

from django import forms

from pathways.core.forms import DateInput, Form
from pathways.core.validators import validate_clean_text
from pathways.encounters.models import Disposition, EligibilityReview


class EligibilityReviewForm(Form):
    decision = forms.ChoiceField(
        label="Your decision",
        choices=EligibilityReview.Decision.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose eligible or not eligible."},
    )
    reason = forms.CharField(
        label="Reason",
        help_text="Kept with the decision. At most 300 characters.",
        max_length=300,
        validators=[validate_clean_text],
        error_messages={"required": "Give the reason for the decision."},
    )


class ContactFilterForm(Form):
    """Filters of the "Our contacts" list (GET): name, pathway, dates, outcome, mine only."""

    q = forms.CharField(label="Name", max_length=80, required=False)
    pathway = forms.ChoiceField(label="Pathway", required=False)
    since = forms.DateField(
        label="From",
        required=False,
        widget=DateInput(),
        error_messages={"invalid": "Enter the first day as a real date, e.g. 2026-11-01."},
    )
    until = forms.DateField(
        label="To",
        required=False,
        widget=DateInput(),
        error_messages={"invalid": "Enter the last day as a real date, e.g. 2026-11-30."},
    )
    disposition = forms.ChoiceField(label="Outcome", required=False)
    mine = forms.BooleanField(label="Only my contacts", required=False)

    def __init__(self, *args: Any, pathways: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["pathway"].choices = [("", "Any pathway"), *pathways]  # type: ignore[attr-defined]
        self.fields["disposition"].choices = [  # type: ignore[attr-defined]
            ("", "Any outcome"),
            *Disposition.choices,
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        since, until = data.get("since"), data.get("until")
        if since and until and until < since:
            self.add_error("until", "The last day cannot be before the first day.")
        q = (data.get("q") or "").strip()
        if q and len([c for c in q if c.isalpha()]) < 2:
            self.add_error("q", "Type at least two letters of the name.")
        return data
