"""The field-form sections a pathway adds, named in the pathway catalog's `questions`:
an overdose (Naloxone Plus), items handed in and the paired companion (Self-Referral), the
crisis team (Community Response). Each section is a small form with its own prefix; the field
form composes them, with the held charge of cases, in pathways.workflow.sections."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import forms

from pathways.accounts.models import Role, User
from pathways.core.forms import DATETIME_LOCAL_FORMATS, DateTimeLocalInput, Form, LocalDateTimeField
from pathways.core.validators import validate_clean_text, validate_not_future
from pathways.encounters.eligibility import YesNoField
from pathways.encounters.models import CrisisOutcome, CrisisTeamMember, SurrenderedKind
from pathways.surveillance.models import AdministeredBy
from pathways.surveillance.services import OverdoseFacts


def _required_yes_no(label: str, message: str) -> YesNoField:
    field = YesNoField(label=label)
    field.choices = [("yes", "Yes"), ("no", "No")]
    field.required = True
    field.error_messages["required"] = message
    return field


class OverdoseForm(Form):
    legend = "The overdose"
    naloxone_given = _required_yes_no("Was naloxone given?", "Say whether naloxone was given.")
    naloxone_doses = forms.IntegerField(
        label="Naloxone doses",
        required=False,
        min_value=1,
        max_value=20,
        error_messages={
            "min_value": "Enter the number of doses given, 1 to 20.",
            "max_value": "Enter the number of doses given, 1 to 20.",
            "invalid": "Enter a whole number of doses.",
        },
    )
    administered_by = forms.ChoiceField(
        label="Who gave the naloxone",
        choices=[c for c in AdministeredBy.choices if c[0] != AdministeredBy.NONE],
        initial=AdministeredBy.UNKNOWN,
        required=False,
    )
    fatal = _required_yes_no("Was the overdose fatal?", "Say whether the overdose was fatal.")
    transported = _required_yes_no(
        "Was the person transported?", "Say whether the person was transported."
    )
    destination = forms.CharField(
        label="Taken to",
        help_text="e.g. the hospital's name",
        required=False,
        max_length=120,
        validators=[validate_clean_text],
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("naloxone_given") is False and data.get("naloxone_doses"):
            self.add_error("naloxone_doses", "Doses are recorded only when naloxone was given.")
        if data.get("transported") and not data.get("destination"):
            self.add_error("destination", "Say where the person was taken, e.g. the hospital.")
        if data.get("transported") is False and data.get("destination"):
            self.add_error(
                "destination", "A destination is recorded only when the person was transported."
            )
        return data

    def facts(self) -> OverdoseFacts:
        data = self.cleaned_data
        given = bool(data["naloxone_given"])
        return OverdoseFacts(
            naloxone_given=given,
            naloxone_doses=data["naloxone_doses"] if given else None,
            administered_by=(data["administered_by"] or AdministeredBy.UNKNOWN)
            if given
            else AdministeredBy.NONE,
            fatal=bool(data["fatal"]),
            transported=bool(data["transported"]),
            destination=data["destination"],
        )


@dataclass(frozen=True)
class SurrenderInput:
    kind: str
    quantity: str = ""


class SurrenderForm(Form):
    legend = "Handed in for disposal"
    help = (
        "Drugs or equipment the person hands in are logged for disposal only, never as "
        "evidence. Coming forward carries no charge."
    )
    kinds = forms.MultipleChoiceField(
        label="What was handed in",
        choices=SurrenderedKind.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    quantity = forms.CharField(
        label="How much (optional)",
        help_text="e.g. '5 syringes, about 1 g'",
        required=False,
        max_length=60,
        validators=[validate_clean_text],
    )
    disposal_method = forms.CharField(
        label="How it was disposed of",
        help_text="e.g. 'Drug drop box, Station 2'. Leave empty if disposal comes later.",
        required=False,
        max_length=80,
        validators=[validate_clean_text],
    )

    def items(self) -> list[SurrenderInput]:
        quantity = self.cleaned_data.get("quantity", "")
        kinds = self.cleaned_data.get("kinds") or []
        return [SurrenderInput(kind=k, quantity=quantity if len(kinds) == 1 else "") for k in kinds]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("kinds") and (data.get("quantity") or data.get("disposal_method")):
            self.add_error("kinds", "Tick what was handed in, or leave the section empty.")
        return data


def companions_for(program: Any) -> list[User]:
    """Volunteers and peers of the program who can be paired with a person."""
    return list(
        User.objects.filter(
            is_active=True,
            memberships__is_active=True,
            memberships__role=Role.OUTREACH,
            memberships__agency__program=program,
        )
        .distinct()
        .order_by("first_name", "last_name")
    )


class CompanionForm(Form):
    legend = "Companion"
    help = "A volunteer or peer (an “angel”) stays with the person while a placement is found."
    companion = forms.ChoiceField(label="Paired with", required=False)

    def __init__(self, *args: Any, program: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.people = {str(u.pk): u for u in companions_for(program)}
        field = self.fields["companion"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", "Nobody yet")] + [
            (pk, u.get_full_name() or u.username) for pk, u in self.people.items()
        ]

    def chosen(self) -> User | None:
        return self.people.get(self.cleaned_data.get("companion") or "")


@dataclass(frozen=True)
class CrisisInput:
    team_members: list[str]
    arrived_at: Any
    outcome: str


class CrisisForm(Form):
    legend = "The crisis response"
    team_members = forms.MultipleChoiceField(
        label="Who responded",
        choices=CrisisTeamMember.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Say who responded."},
    )
    arrived_at = LocalDateTimeField(
        label="Team arrived",
        help_text="Leave empty if the same as the contact time",
        required=False,
        input_formats=DATETIME_LOCAL_FORMATS,
        widget=DateTimeLocalInput(),
        validators=[validate_not_future],
        error_messages={"invalid": "Enter a real date and time."},
    )
    outcome = forms.ChoiceField(
        label="How it ended",
        choices=CrisisOutcome.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Say how the call ended."},
    )

    def crisis(self) -> CrisisInput:
        data = self.cleaned_data
        return CrisisInput(data["team_members"], data["arrived_at"], data["outcome"])
