"""Validators shared by forms and services: names, free text, dates."""

from __future__ import annotations

import datetime as dt
import unicodedata

from django.core.exceptions import ValidationError

from pathways.core import clock

NAME_MAX_LENGTH = 80


def validate_clean_text(value: str) -> None:
    """Refuse control characters (other than tab/newline in long text) and unpaired surrogates."""
    for char in value:
        if char in "\t\n\r":
            continue
        if unicodedata.category(char) in {"Cc", "Cf", "Cs", "Co", "Cn"}:
            raise ValidationError(
                "Remove the hidden control characters from this text.", code="control_chars"
            )


def validate_person_name(value: str) -> None:
    validate_clean_text(value)
    if any(char in value for char in "\t\n\r"):
        raise ValidationError("A name must be on one line.", code="multiline")
    if len(value) > NAME_MAX_LENGTH:
        raise ValidationError(
            f"A name can have at most {NAME_MAX_LENGTH} characters (this has {len(value)}).",
            code="too_long",
        )
    if not any(char.isalpha() for char in value):
        raise ValidationError("A name needs at least one letter.", code="no_letters")


def validate_birth_date(value: dt.date) -> None:
    today = clock.now().date()
    if value > today:
        raise ValidationError("The date of birth cannot be in the future.", code="future")
    if value < dt.date(today.year - 120, 1, 1):
        raise ValidationError("The date of birth is more than 120 years ago.", code="too_old")


def validate_not_future(
    value: dt.datetime, *, slack: dt.timedelta = dt.timedelta(minutes=5)
) -> None:
    if value > clock.now() + slack:
        raise ValidationError("This time is in the future.", code="future")


def text_problem(value: str, *, label: str, max_length: int, one_line: bool = False) -> str | None:
    """Why `value` cannot be stored as the `label` text (None when it can)."""
    if len(value) > max_length:
        return f"The {label} can have at most {max_length} characters (it has {len(value)})."
    if one_line and any(char in value for char in "\t\n\r"):
        return f"The {label} must be on one line."
    try:
        validate_clean_text(value)
    except ValidationError as exc:
        return str(exc.messages[0])
    return None


def clean_text_field(
    value: str, *, field: str, label: str, max_length: int, required: bool, one_line: bool = False
) -> str:
    """A service's free-text argument, stripped and checked; refusals name `field`."""
    text = value.strip()
    if required and not text:
        raise ValidationError({field: f"Enter the {label}."})
    if problem := text_problem(text, label=label, max_length=max_length, one_line=one_line):
        raise ValidationError({field: problem})
    return text
