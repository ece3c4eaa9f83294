"""Forms for diversion cases. `ChargeForm` is also embedded in the officer's field form (with a
prefix) for the Officer Intervention pathway; its `charge_input()` feeds `case_open`."""

from __future__ import annotations

from typing import Any

from django import forms

from pathways.cases.models import (
    NOTE_MAX_LENGTH,
    OFFENCE_LEVEL_CHOICES,
    OFFENCE_TYPE_CHOICES,
    CaseEventKind,
    CaseStatus,
    HeldChargeMode,
    RequirementKind,
    ReviewDeclineReason,
)
from pathways.cases.services import ChargeInput, charge_problems
from pathways.core.forms import (
    DATETIME_LOCAL_FORMATS,
    DateInput,
    DateTimeLocalInput,
    Form,
    LocalDateTimeField,
)
from pathways.core.validators import validate_clean_text

SELECT = [("", "- Select -")]


def _money_input() -> forms.NumberInput:
    return forms.NumberInput(attrs={"step": "0.01", "min": "0", "inputmode": "decimal"})


def _money_field(label: str, what: str, *, required: bool = False) -> forms.DecimalField:
    return forms.DecimalField(
        label=label,
        required=required,
        widget=_money_input(),
        error_messages={
            "invalid": f"Enter the {what} as a number of dollars and cents, e.g. 25.00.",
            "required": f"Enter the {what}.",
        },
    )


class _StatusForm(Form):
    """Every status change carries the status the page showed; the service refuses a stale one."""

    expected_status = forms.ChoiceField(choices=CaseStatus.choices, widget=forms.HiddenInput)


# --- The charge (embedded in the field form) -----------------------------------------------------


class ChargeForm(Form):
    """One held charge or civil citation.

    ``ChargeForm(data, prefix="charge", mode=config.charges)`` fixes the mode to the pathway
    configuration's (the field is then hidden and needs no input); without ``mode`` the officer
    chooses. Citation number: required for a civil citation, refused for an abeyance."""

    mode = forms.ChoiceField(
        label="How is the charge diverted?",
        choices=[*SELECT, *HeldChargeMode.choices],
        error_messages={"required": "Choose whether the charge is held or a civil citation."},
    )
    offence_type = forms.ChoiceField(
        label="Offense",
        choices=[*SELECT, *OFFENCE_TYPE_CHOICES],
        error_messages={"required": "Choose the type of offense."},
    )
    offence_level = forms.ChoiceField(
        label="Level of offense",
        choices=[*SELECT, *OFFENCE_LEVEL_CHOICES],
        error_messages={"required": "Choose the level of offense."},
    )
    statute = forms.CharField(
        label="Statute or ordinance (optional)",
        required=False,
        help_text="For example Fla. Stat. 810.09",
        widget=forms.TextInput(attrs={"maxlength": 60, "autocomplete": "off"}),
    )
    citation_number = forms.CharField(
        label="Citation number",
        required=False,
        help_text="As printed on the civil citation",
        widget=forms.TextInput(attrs={"maxlength": 40, "autocomplete": "off"}),
    )
    description = forms.CharField(
        label="What happened, briefly (optional)",
        required=False,
        help_text="No names: the prosecutor and the case manager read this.",
        widget=forms.TextInput(attrs={"maxlength": 200}),
    )
    fine_amount = _money_field("Fine (optional)", "fine")
    fee_amount = _money_field("Fee (optional)", "fee")

    def __init__(self, *args: Any, mode: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fixed_mode = mode if mode in HeldChargeMode.values else None
        if self.fixed_mode is not None:
            field = self.fields["mode"]
            field.required = False
            field.widget = forms.HiddenInput()
            field.initial = self.fixed_mode
            if self.fixed_mode == HeldChargeMode.ABEYANCE:
                # an abeyance has no citation: the field is not shown (an entry is refused)
                self.fields["citation_number"].widget = forms.HiddenInput()
            else:
                self.fields["citation_number"].required = True
                self.fields["citation_number"].error_messages["required"] = (
                    "Enter the citation number printed on the civil citation."
                )

    @property
    def shows_citation_number(self) -> bool:
        return not isinstance(self.fields["citation_number"].widget, forms.HiddenInput)

    def clean_mode(self) -> str:
        if self.fixed_mode is not None:
            return self.fixed_mode
        return str(self.cleaned_data.get("mode", ""))

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if any(name in self.errors for name in ("mode", "offence_type", "offence_level")):
            return cleaned
        for field, problem in charge_problems(
            self._input(cleaned), expected_mode=self.fixed_mode
        ).items():
            if field not in self.errors:
                self.add_error(field, problem)
        return cleaned

    @staticmethod
    def _input(cleaned: dict[str, Any]) -> ChargeInput:
        return ChargeInput(
            mode=cleaned.get("mode") or "",
            offence_type=cleaned.get("offence_type") or "",
            offence_level=cleaned.get("offence_level") or "",
            description=cleaned.get("description") or "",
            statute=cleaned.get("statute") or "",
            citation_number=cleaned.get("citation_number") or "",
            fine_amount=cleaned.get("fine_amount"),
            fee_amount=cleaned.get("fee_amount"),
        )

    def charge_input(self) -> ChargeInput:
        """The charge for `case_open`; call after `is_valid()` returned True."""
        if not self.is_valid():
            raise ValueError("charge_input() needs a valid ChargeForm")
        return self._input(self.cleaned_data)


# --- The prosecutor's review ---------------------------------------------------------------------


class ReviewAcceptForm(_StatusForm):
    detail = forms.CharField(
        label="Note (optional)",
        required=False,
        max_length=NOTE_MAX_LENGTH,
        validators=[validate_clean_text],
    )


class ReviewDeclineForm(_StatusForm):
    reason = forms.ChoiceField(
        label="Why is the diversion declined?",
        choices=[*SELECT, *ReviewDeclineReason.choices],
        error_messages={"required": "Choose why the diversion is declined."},
    )
    detail = forms.CharField(
        label="Detail (required for “Other”)",
        required=False,
        max_length=NOTE_MAX_LENGTH,
        validators=[validate_clean_text],
    )


# --- The plan ------------------------------------------------------------------------------------


class ProgressForm(Form):
    """Hours done or an amount paid; `unit` ("hours" or "amount") keeps only that field."""

    hours = forms.DecimalField(
        label="Hours done",
        widget=forms.NumberInput(attrs={"step": "0.25", "min": "0", "inputmode": "decimal"}),
        error_messages={
            "required": "Enter the hours done.",
            "invalid": "Enter the hours as a number, e.g. 4 or 2.5.",
        },
    )
    amount = _money_field("Amount paid ($)", "amount paid", required=True)
    note = forms.CharField(
        label="Note (optional)",
        required=False,
        max_length=NOTE_MAX_LENGTH,
        validators=[validate_clean_text],
    )

    def __init__(self, *args: Any, unit: str = "hours", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        del self.fields["amount" if unit == "hours" else "hours"]


class RequirementDoneForm(Form):
    pass


class WaiveForm(Form):
    reason = forms.CharField(
        label="Why is it waived?",
        max_length=NOTE_MAX_LENGTH,
        validators=[validate_clean_text],
        error_messages={"required": "Say why the requirement is waived."},
    )


class RequirementAddForm(Form):
    kind = forms.ChoiceField(
        label="Kind",
        choices=[*SELECT, *RequirementKind.choices],
        error_messages={"required": "Choose the kind of requirement."},
    )
    description = forms.CharField(
        label="Description",
        max_length=300,
        validators=[validate_clean_text],
        error_messages={"required": "Describe the requirement."},
    )
    due_date = forms.DateField(
        label="Due date",
        widget=DateInput(),
        error_messages={
            "required": "Enter the due date.",
            "invalid": "Enter the due date as a real date.",
        },
    )
    hours_required = forms.DecimalField(
        label="Hours required (optional)",
        required=False,
        widget=forms.NumberInput(attrs={"step": "0.25", "min": "0", "inputmode": "decimal"}),
        error_messages={"invalid": "Enter the hours as a number, e.g. 20."},
    )
    amount_required = _money_field("Amount required in $ (optional)", "amount required")


# --- The case log and closing --------------------------------------------------------------------


class EventForm(Form):
    kind = forms.ChoiceField(
        label="What happened?",
        choices=[*SELECT, *CaseEventKind.choices],
        error_messages={"required": "Choose what happened."},
    )
    occurred_at = LocalDateTimeField(
        label="When",
        input_formats=DATETIME_LOCAL_FORMATS,
        widget=DateTimeLocalInput(),
        error_messages={
            "required": "Enter when it happened.",
            "invalid": "Enter a real date and time.",
        },
    )
    note = forms.CharField(
        label="Note (optional)",
        required=False,
        max_length=NOTE_MAX_LENGTH,
        validators=[validate_clean_text],
        widget=forms.Textarea(attrs={"rows": 2, "class": "height-10"}),
    )


class CaseCompleteForm(_StatusForm):
    pass


class ReferForm(_StatusForm):
    reason = forms.CharField(
        label="Why is the charge referred for prosecution?",
        error_messages={"required": "Enter the reason the charge is referred."},
        max_length=NOTE_MAX_LENGTH,
        validators=[validate_clean_text],
        widget=forms.Textarea(attrs={"rows": 2, "class": "height-10"}),
    )
    confirm = forms.BooleanField(
        label="I confirm: the charge goes to the prosecutor, who may file it.",
        required=False,
    )


class WithdrawForm(_StatusForm):
    reason = forms.CharField(
        label="Why is the case withdrawn?",
        error_messages={"required": "Enter the reason the case is withdrawn."},
        max_length=NOTE_MAX_LENGTH,
        validators=[validate_clean_text],
        widget=forms.Textarea(attrs={"rows": 2, "class": "height-10"}),
    )
