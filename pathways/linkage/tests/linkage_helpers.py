"""Test data for linkage runs: the engine's generated hard cases stored as the program's
people (names, birth dates, sex, ZIP), with each stored record's true person kept aside."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from pathways.core import clock
from pathways.linkage.engine.generator import generate
from pathways.linkage.sources import PERSON, record_key
from pathways.people.models import Person


def _name(value: Any) -> str:
    return str(value)[:80] if isinstance(value, str) else ""


def people_from_generator(
    agency: Any,
    n_people: int,
    *,
    seed: int = 7,
    only: Callable[[int, dict[str, Any]], bool] | None = None,
) -> dict[str, str]:
    """Store `n_people` generated people (1-4 records each) as the agency's people; returns
    record key -> true id. `only(position, row)` picks which generated records to store."""
    frame = generate(n_people, seed=seed)
    now = clock.now()
    people = []
    truth: dict[str, str] = {}
    for position, row in enumerate(frame.to_dict("records")):
        if not (_name(row["first_name"]) and _name(row["last_name"])):
            continue  # a named person has both names (person_named_has_names)
        if only is not None and not only(position, row):
            continue
        person = Person(
            first_name=_name(row["first_name"]),
            middle_name=_name(row["middle_name"]),
            last_name=_name(row["last_name"]),
            date_of_birth=dt.date.fromisoformat(row["dob"]) if row["dob"] else None,
            sex=row["sex"] or "unknown",
            postal_code=_name(row["postal_code"])[:10],
            created_by_agency=agency,
            created_at=now,
            updated_at=now,
        )
        people.append(person)
        truth[record_key(PERSON, person.pk)] = str(row["true_id"])
    Person.objects.bulk_create(people, batch_size=1000)
    return truth
