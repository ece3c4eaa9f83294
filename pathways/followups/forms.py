from __future__ import annotations

import uuid
from typing import Any, cast

from django import forms

from pathways.core import clock
from pathways.core.forms import DATETIME_LOCAL_FORMATS, DateTimeLocalInput, Form
from pathways.core.validators import validate_clean_text, validate_not_future
from pathways.directory.forms import capacity_override_problem
from pathways.directory.selectors import service_for_program
from pathways.followups.models import (
    LIST_DESCRIPTION_MAX_LENGTH,
    LIST_NAME_MAX_LENGTH,
    NOTE_MAX_LENGTH,
    OutreachReason,
    TeamMember,
    VisitOutcome,
)


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
        help_text="Leave empty if it is happening now.",
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
        label="Only if the chosen service has no open capacity: why refer there anyway?",
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

        data = super().clean() or {}
        if not data.get("visited_at") and "visited_at" not in self.errors:
            data["visited_at"] = clock.now()
        raw = (data.get("service") or "").strip()
        if data.get("outcome") == VisitOutcome.REFERRED:
            if not raw:
                self.add_error("service", "Choose the service you referred the person to.")
                return data
            try:
                self.service_obj = service_for_program(
                    program=self.program, service_id=uuid.UUID(raw)
                )
            except ValueError:
                self.service_obj = None
            if self.service_obj is None:
                self.add_error("service", "Choose a service from the list.")
            elif problem := capacity_override_problem(
                self.service_obj, data.get("capacity_override_reason", "")
            ):
                self.add_error("capacity_override_reason", problem)
        elif raw:
            self.add_error("service", "Choose a service only when the outcome is a referral.")
        return data


class OutreachVisitForm(VisitForm):
    """The visit form on an outreach list's visit: the team may say no further visit is
    needed after an engaged visit."""

    no_further_visit = forms.BooleanField(
        label="No further visit needed (otherwise the next visit is put on the worklist)",
        required=False,
    )


class OutreachListForm(Form):
    name = forms.CharField(
        label="List name",
        help_text=f"For example “East side repeat overdoses”. No names of people. At most "
        f"{LIST_NAME_MAX_LENGTH} characters.",
        max_length=LIST_NAME_MAX_LENGTH,
        validators=[validate_clean_text],
        error_messages={
            "required": "Enter the list name.",
            "max_length": "The list name can have at most %(limit_value)d characters "
            "(it has %(show_value)d).",
        },
    )
    team = forms.ChoiceField(
        label="Team that works the list",
        error_messages={
            "required": "Choose the team that works the list.",
            "invalid_choice": "Choose the team that works the list.",
        },
    )
    description = forms.CharField(
        label="Description (optional)",
        help_text=f"Who belongs on the list. No names. At most {LIST_DESCRIPTION_MAX_LENGTH} "
        "characters.",
        required=False,
        max_length=LIST_DESCRIPTION_MAX_LENGTH,
        validators=[validate_clean_text],
        error_messages={
            "max_length": "The description can have at most %(limit_value)d characters "
            "(it has %(show_value)d)."
        },
    )

    def __init__(self, *args: Any, teams: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.teams = {str(t.pk): t for t in teams}
        choices = [(str(t.pk), t.name) for t in teams]
        if len(choices) != 1:
            choices = [("", "Choose a team"), *choices]
        cast(forms.ChoiceField, self.fields["team"]).choices = choices

    @property
    def team_obj(self) -> Any:
        return self.teams.get(self.cleaned_data.get("team", ""))


class OutreachEntryForm(Form):
    """Put a person already in Pathways on a list: the person is chosen from a name search."""

    person = forms.CharField(
        label="Person",
        error_messages={"required": "Search by name and choose the person."},
    )
    reason = forms.ChoiceField(
        label="Why the person is on the list",
        choices=[("", "Choose a reason"), *OutreachReason.choices],
        error_messages={
            "required": "Choose why the person is on the list.",
            "invalid_choice": "Choose why the person is on the list.",
        },
    )
    note = forms.CharField(
        label="Note (optional)",
        help_text=f"No names or health details. At most {NOTE_MAX_LENGTH} characters.",
        required=False,
        max_length=NOTE_MAX_LENGTH,
        validators=[validate_clean_text],
        error_messages={
            "max_length": "The note can have at most %(limit_value)d characters "
            "(it has %(show_value)d)."
        },
    )
    assigned_to = forms.ChoiceField(
        label="Lead team member (optional)",
        required=False,
        error_messages={"invalid_choice": "Choose a member of the team."},
    )

    def __init__(
        self,
        *args: Any,
        members: list[Any] | None,
        offered: list[Any] | None = None,
        **kwargs: Any,
    ) -> None:
        """`members`: the team's members to choose a lead from; None hides the choice.
        `offered`: the people the search found (only one of them can be chosen)."""
        super().__init__(*args, **kwargs)
        self.person_obj: Any = None
        self.offered = {str(p.pk): p for p in offered or []}
        self.members = {str(u.pk): u for u in members or []}
        if members is None:
            del self.fields["assigned_to"]
        else:
            cast(forms.ChoiceField, self.fields["assigned_to"]).choices = [
                ("", "Nobody yet"),
                *((str(u.pk), member_label(u)) for u in members),
            ]

    def clean_person(self) -> str:
        raw = (self.cleaned_data.get("person") or "").strip()
        try:
            person_id = str(uuid.UUID(raw))
        except ValueError:
            person_id = ""
        # only a person the scoped search found for what was typed: any other id is refused
        self.person_obj = self.offered.get(person_id)
        if self.person_obj is None:
            raise forms.ValidationError(
                "We could not find that person. Search by name and choose from the results."
            )
        return raw

    @property
    def assigned_obj(self) -> Any:
        return self.members.get(self.cleaned_data.get("assigned_to") or "")


class OutreachAssignForm(Form):
    assigned_to = forms.ChoiceField(
        label="Lead team member",
        required=False,
        error_messages={"invalid_choice": "Choose a member of the team."},
    )

    def __init__(self, *args: Any, members: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.members = {str(u.pk): u for u in members}
        cast(forms.ChoiceField, self.fields["assigned_to"]).choices = [
            ("", "Nobody"),
            *((str(u.pk), member_label(u)) for u in members),
        ]

    @property
    def assigned_obj(self) -> Any:
        return self.members.get(self.cleaned_data.get("assigned_to") or "")


class OutreachCloseForm(Form):
    reason = forms.CharField(
        label="Why the outreach ends",
        help_text="For example: moved away, no longer needed. No names.",
        max_length=NOTE_MAX_LENGTH,
        validators=[validate_clean_text],
        error_messages={
            "required": "Say why the outreach ends.",
            "max_length": "The reason can have at most %(limit_value)d characters "
            "(it has %(show_value)d).",
        },
    )


def member_label(user: Any) -> str:
    return str(user.get_full_name() or user.username)
