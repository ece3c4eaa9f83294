"""Reads for people: search and the likely-duplicate check."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Q, QuerySet

from pathways.people.matching import MatchScore, name_key, name_sound, score_pair
from pathways.people.models import Person, PersonAlias

MAX_CANDIDATES = 50
PERSON_COLUMNS = ("id", "first_name", "middle_name", "last_name", "suffix", "date_of_birth")


@dataclass(frozen=True)
class Candidate:
    person: Person
    match: MatchScore


def people_active() -> QuerySet[Person]:
    return Person.objects.active()


def person_duplicates(
    *, first_name: str, last_name: str, date_of_birth: dt.date | None, limit: int = 5
) -> list[Candidate]:
    """People who are likely the same as the one being entered, best first.

    Blocking keeps it cheap: candidates share the birth date or the surname's sound (Soundex),
    directly or through an alias; each is then scored on names and birth date."""
    sound = name_sound(last_name)
    initial = name_key(first_name)[:1]
    if not (sound and initial) and date_of_birth is None:
        return []
    # Blocks: the same birth date (index person_dob_idx); or the same surname sound and first
    # initial (person_sound_idx) born the same year, so a common surname does not pull in
    # everyone; or an alias with that surname sound, born the same year.
    block = Q(pk__in=[])
    same_year = Q()
    if date_of_birth is not None:
        block |= Q(date_of_birth=date_of_birth)
        same_year = Q(date_of_birth__year=date_of_birth.year)
    if sound and initial:
        block |= Q(last_name_sound=sound, first_name_key__startswith=initial) & same_year
        aliased = PersonAlias.objects.filter(last_name_sound=sound).values("person_id")
        block |= Q(pk__in=aliased) & same_year
    # Plain rows, not model instances: this runs on every field submit, and building up to
    # fifty Person objects with a prefetch cost more than the query itself.
    rows = list(people_active().filter(block).values_list(*PERSON_COLUMNS)[:MAX_CANDIDATES])
    if not rows:
        return []
    alias_names: dict[object, list[tuple[str, str]]] = {}
    for person_id, first, last in PersonAlias.objects.filter(
        person_id__in=[row[0] for row in rows]
    ).values_list("person_id", "first_name", "last_name"):
        alias_names.setdefault(person_id, []).append((first, last))
    found: list[Candidate] = []
    for row in rows:
        fields = dict(zip(PERSON_COLUMNS, row, strict=True))
        own_first, own_last = fields["first_name"], fields["last_name"]
        names = [(own_first, own_last)] + [
            (f or own_first, last or own_last) for f, last in alias_names.get(row[0], [])
        ]
        best = max(
            (
                score_pair(first_name, last_name, date_of_birth, f, last, fields["date_of_birth"])
                for f, last in names
            ),
            key=lambda m: m.score,
        )
        if best.is_likely:
            found.append(Candidate(Person(**fields), best))
    found.sort(key=lambda c: c.match.score, reverse=True)
    return found[:limit]


def person_search(query: str, *, limit: int = 20) -> list[Person]:
    """People whose last name starts with the typed text (and first name, after a comma or
    space): 'smi', 'smith, jo', 'jo smith'."""
    parts = [name_key(p) for p in query.replace(",", " ").split() if name_key(p)]
    if not parts:
        return []
    qs = people_active()
    if len(parts) == 1:
        qs = qs.filter(last_name_key__startswith=parts[0])
    else:
        a, b = parts[0], parts[-1]
        qs = qs.filter(
            Q(last_name_key__startswith=a, first_name_key__startswith=b)
            | Q(first_name_key__startswith=a, last_name_key__startswith=b)
        )
    return list(qs.order_by("last_name_key", "first_name_key")[:limit])
