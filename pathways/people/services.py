"""Writes for people."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pathways.audit.services import audit_log, created
from pathways.core.models import clean_fields_only
from pathways.core.services import service
from pathways.people.matching import name_key, name_sound
from pathways.people.models import Ethnicity, Person, Sex

PERSON_FIELDS = [
    "first_name",
    "middle_name",
    "last_name",
    "suffix",
    "date_of_birth",
    "sex",
    "races",
    "ethnicity",
    "postal_code",
]


def _fill_keys(person: Person) -> None:
    person.first_name_key = name_key(person.first_name)
    person.last_name_key = name_key(person.last_name)
    person.last_name_sound = name_sound(person.last_name)


@service
def person_create(
    *,
    actor: Any,
    agency: Any,
    first_name: str,
    last_name: str,
    date_of_birth: dt.date | None,
    middle_name: str = "",
    suffix: str = "",
    sex: str = Sex.UNKNOWN,
    races: list[str] | None = None,
    ethnicity: str = Ethnicity.UNKNOWN,
    postal_code: str = "",
) -> Person:
    person = Person(
        first_name=first_name.strip(),
        middle_name=middle_name.strip(),
        last_name=last_name.strip(),
        suffix=suffix.strip(),
        date_of_birth=date_of_birth,
        sex=sex,
        races=sorted(set(races or [])),
        ethnicity=ethnicity,
        demographics_self_reported=bool(races) or ethnicity != Ethnicity.UNKNOWN,
        postal_code=postal_code.strip(),
        created_by_agency=agency,
    )
    _fill_keys(person)
    clean_fields_only(person)
    person.save()
    # Names and birth dates are personal data: the audit row records that they were set, not
    # their values (the row itself is the record of who created whom, when).
    audit_log(
        actor=actor,
        actor_agency=agency,
        event_type="person.create",
        obj=person,
        changes=created(person, PERSON_FIELDS, redact=PERSON_FIELDS),
    )
    return person
