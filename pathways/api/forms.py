from __future__ import annotations

from typing import Any

from django import forms

from pathways.accounts.models import Agency
from pathways.api.services import DEFAULT_DAYS, MAX_DAYS
from pathways.api.vocabulary import SCOPE_RULES, ApiScope
from pathways.core.forms import Form


class ClientForm(Form):
    name = forms.CharField(
        label="Name of the partner system",
        max_length=100,
        help_text="For example “Harbor EHR” or “Northside records system”.",
    )
    agency: forms.ModelChoiceField[Agency] = forms.ModelChoiceField(
        label="Agency",
        queryset=None,
        empty_label="- Select -",
        help_text="The client acts for this agency only, and sees only what its staff would.",
    )
    scopes = forms.MultipleChoiceField(
        label="What may it do?",
        choices=[
            (s.value, f"{s.label} ({s.value}): {SCOPE_RULES[s].description}") for s in ApiScope
        ],
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one thing the client may do."},
    )
    days = forms.IntegerField(
        label="Credential lasts (days)",
        min_value=1,
        max_value=MAX_DAYS,
        initial=DEFAULT_DAYS,
        help_text=f"From 1 to {MAX_DAYS} days; register a new client before it ends.",
    )

    def __init__(self, *args: Any, agencies: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["agency"].queryset = agencies  # type: ignore[attr-defined]


class RevokeForm(Form):
    reason = forms.CharField(label="Why (optional)", max_length=200, required=False)
