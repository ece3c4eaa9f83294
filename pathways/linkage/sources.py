"""The program's source records in the linkage engine's layout (pathways.linkage.engine.records):
its people (names, aliases, birth date, sex, ZIP, phone, their numbers in other systems) and
its imported arrest records (the subject's number, birth date, sex). Read in chunks; the frame
lives only in the worker's memory and is never written anywhere."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from pathways.linkage.models import ArrestRecord
from pathways.linkage.registry import sources
from pathways.people.models import ContactDetails, ExternalIdentifier, Person, PersonAlias
from pathways.people.selectors import people_of_program

if TYPE_CHECKING:
    import pandas as pd  # type: ignore[import-untyped]

    from pathways.programs.models import Program

CHUNK = 2000
#: a number's punctuation and spaces differ between systems ("B-77 12", "b_77_12"): only its
#: letters and digits are compared
_ID_NOISE = re.compile(r"[^0-9a-z]+")

PERSON = "person"
ARREST = "arrest"


def record_key(kind: str, pk: Any) -> str:
    return f"{kind}:{pk}"


def split_key(key: str) -> tuple[str, str]:
    kind, _, pk = key.partition(":")
    return kind, pk


def _ext_id(system: str, value: str) -> str:
    return f"{system}:{_ID_NOISE.sub('', value.lower())}"


def _group(races: list[str], ethnicity: str) -> str:
    if ethnicity == "hispanic":
        return "hispanic"
    if len(races) == 1:
        return races[0]
    return "multiple" if races else "unknown"


#: the columns of Person a person's record is built from (`.values(*PERSON_FIELDS)`)
PERSON_FIELDS = (
    "id",
    "first_name",
    "middle_name",
    "last_name",
    "date_of_birth",
    "sex",
    "postal_code",
    "races",
    "ethnicity",
)


def person_records(people: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The engine's records of one chunk of people (each a mapping of PERSON_FIELDS, as
    `Person.objects.values(*PERSON_FIELDS)` gives them), in their order: three queries, for
    their other names, their numbers in other systems and their current phone, whatever
    the chunk's size (keep it to CHUNK or fewer)."""
    ids = [person["id"] for person in people]
    aliases: dict[Any, list[str]] = defaultdict(list)
    for person_id, first, last in PersonAlias.objects.filter(person_id__in=ids).values_list(
        "person_id", "first_name", "last_name"
    ):
        aliases[person_id].append(f"{last}, {first}")
    numbers: dict[Any, list[str]] = defaultdict(list)
    for person_id, system, value in ExternalIdentifier.objects.filter(
        person_id__in=ids
    ).values_list("person_id", "system", "value"):
        if _ID_NOISE.sub("", value.lower()):
            numbers[person_id].append(_ext_id(system, value))
    phones: dict[Any, str] = {}
    # the newest contact details are the current ones (the phone is decrypted as it is read)
    for person_id, phone in (
        ContactDetails.objects.filter(person_id__in=ids)
        .order_by("created_at")
        .values_list("person_id", "phone")
    ):
        if phone:
            phones[person_id] = phone
    return [
        {
            "unique_id": record_key(PERSON, person["id"]),
            "source": "pathways",
            "first_name": person["first_name"] or None,
            "middle_name": person["middle_name"] or None,
            "last_name": person["last_name"] or None,
            "aliases": "|".join(aliases[person["id"]]) or None,
            "dob": person["date_of_birth"].isoformat() if person["date_of_birth"] else None,
            "sex": person["sex"],
            "postal_code": person["postal_code"] or None,
            "address": None,
            "phone": phones.get(person["id"]),
            "ext_ids": "|".join(sorted(set(numbers[person["id"]]))) or None,
            "group": _group(list(person["races"] or []), person["ethnicity"]),
        }
        for person in people
    ]


def _people_rows(program: Program) -> Iterator[dict[str, Any]]:
    ids = list(
        people_of_program(program=program)
        .filter(merged_into__isnull=True)
        .values_list("pk", flat=True)
    )
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        yield from person_records(list(Person.objects.filter(pk__in=chunk).values(*PERSON_FIELDS)))


def _arrest_rows(program: Program) -> Iterator[dict[str, Any]]:
    rows = (
        ArrestRecord.objects.active()
        .filter(program=program)
        .values_list("pk", "id_system", "id_number", "date_of_birth", "sex", "race", "ethnicity")
        .order_by("pk")
    )
    for pk, system, number, dob, sex, race, ethnicity in rows.iterator(chunk_size=CHUNK):
        yield {
            "unique_id": record_key(ARREST, pk),
            "source": "arrest",
            "first_name": None,
            "middle_name": None,
            "last_name": None,
            "aliases": None,
            "dob": dob.isoformat() if dob else None,
            "sex": sex,
            "postal_code": None,
            "address": None,
            "phone": None,
            "ext_ids": _ext_id(system, number) if _ID_NOISE.sub("", number.lower()) else None,
            "group": _group([race] if race else [], ethnicity),
        }


def program_frame(*, program: Program) -> pd.DataFrame:
    """Every source record of the program, in the engine's layout: its people, its arrest
    records and the records of each registered source (pathways.linkage.registry)."""
    from pathways.linkage.engine.records import frame

    def rows() -> Iterator[dict[str, Any]]:
        yield from _people_rows(program)
        yield from _arrest_rows(program)
        # the records other apps register (EMS patient care reports)
        for source in sources():
            yield from source.rows(program)

    return frame(rows())
