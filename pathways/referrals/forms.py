from __future__ import annotations

from django import forms

from pathways.core.forms import DATETIME_LOCAL_FORMATS, DateTimeLocalInput, Form
from pathways.core.validators import validate_clean_text
from pathways.referrals.models import DeclineReason, ReferralStatus


class _ActionForm(Form):
    expected_status = forms.ChoiceField(choices=ReferralStatus.choices, widget=forms.HiddenInput)
    note = forms.CharField(
        label="Note (optional)",
        required=False,
        max_length=500,
        validators=[validate_clean_text],
        widget=forms.TextInput(),
    )


class AcceptForm(_ActionForm):
    pass


class DeclineForm(_ActionForm):
    reason = forms.ChoiceField(
        label="Why is the referral declined?",
        choices=[("", "- Select -"), *DeclineReason.choices],
        error_messages={"required": "Choose why the referral is declined."},
    )


class ScheduleIntakeForm(_ActionForm):
    scheduled_for = forms.DateTimeField(
        label="Intake appointment",
        input_formats=DATETIME_LOCAL_FORMATS,
        widget=DateTimeLocalInput(),
        error_messages={
            "required": "Enter the appointment's date and time.",
            "invalid": "Enter a real date and time.",
        },
    )


class RecordIntakeForm(_ActionForm):
    intake_at = forms.DateTimeField(
        label="Intake took place at",
        input_formats=DATETIME_LOCAL_FORMATS,
        widget=DateTimeLocalInput(),
        error_messages={
            "required": "Enter when the intake took place.",
            "invalid": "Enter a real date and time.",
        },
    )


class CloseForm(_ActionForm):
    pass
