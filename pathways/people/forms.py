"""Forms for people: the person search, and naming or linking a person recorded without a name."""

from __future__ import annotations

from django import forms

from pathways.core.forms import DateInput, Form
from pathways.core.validators import validate_birth_date, validate_person_name

BIRTH_DATE_ERRORS = {"invalid": "Enter the date of birth as a real date, e.g. 1985-03-14."}


class PersonSearchForm(Form):
    """Find a person by name (last name first, or "first last"), with a birth date to narrow."""

    q = forms.CharField(
        label="Name",
        max_length=80,
        required=False,
        help_text='Last name, or "first last", or "last, first": at least two letters.',
    )
    date_of_birth = forms.DateField(
        label="Date of birth",
        required=False,
        validators=[validate_birth_date],
        widget=DateInput(),
        error_messages=BIRTH_DATE_ERRORS,
    )


class PersonNameForm(Form):
    """The name of a person first recorded without one."""

    first_name = forms.CharField(
        label="First name",
        max_length=80,
        validators=[validate_person_name],
        error_messages={"required": "Enter the first name."},
    )
    last_name = forms.CharField(
        label="Last name",
        max_length=80,
        validators=[validate_person_name],
        error_messages={"required": "Enter the last name."},
    )
    date_of_birth = forms.DateField(
        label="Date of birth",
        required=False,
        validators=[validate_birth_date],
        widget=DateInput(),
        error_messages=BIRTH_DATE_ERRORS,
        help_text="If known.",
    )
