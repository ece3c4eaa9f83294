"""Reads for people: who a user may see, the scoped and audited search, the likely-duplicate
check."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet

from pathways.accounts.models import Role
from pathways.accounts.selectors import agency_ids_for, has_role, is_program_wide
from pathways.audit.selectors import searches_since
from pathways.audit.services import record_search
from pathways.core import clock
from pathways.people.matching import MatchScore, name_key, name_sound, score_pair
from pathways.people.models import ContactDetails, Identity, Person, PersonAlias
from pathways.programs.selectors import program_for_user

FIELD_ROLES = (Role.OFFICER, Role.SUPERVISOR, Role.OUTREACH)
PROVIDER_ROLES = (Role.PROVIDER_INTAKE, Role.CASE_MANAGER)
#: Who may search for people and open a person's page: the program's staff who work with
#: people (not prosecutors, who work from their cases, nor researchers, who see no records).
SEARCH_ROLES = (*FIELD_ROLES, *PROVIDER_ROLES, Role.COORDINATOR, Role.ADMIN)
#: At most this many searches per user in SEARCH_WINDOW (counted from the audit events).
SEARCH_LIMIT = 30
SEARCH_WINDOW = dt.timedelta(minutes=10)
SEARCH_RESULTS = 20

MAX_CANDIDATES = 50
PERSON_COLUMNS = ("id", "first_name", "middle_name", "last_name", "suffix", "date_of_birth")


@dataclass(frozen=True)
class Candidate:
    person: Person
    match: MatchScore


def people_active() -> QuerySet[Person]:
    return Person.objects.active()


def in_program(*, program: Any) -> Q:
    """The condition for a person of the program: recorded by one of its agencies or met at
    one of its contacts. A correlated EXISTS, checked only on the rows other conditions leave
    (the duplicate check's blocks, a search's name), never a list of the program's people."""
    met = Person.objects.filter(pk=OuterRef("pk"), encounters__program=program)
    return Q(created_by_agency__program=program) | Q(Exists(met))


def people_of_program(*, program: Any) -> QuerySet[Person]:
    """Active people of the program: recorded by one of its agencies or met at its contacts."""
    return people_active().filter(in_program(program=program))


def people_visible_to(*, user: Any) -> QuerySet[Person]:
    """The people a user may see: program-wide staff, everyone in the program; field staff,
    the people their agency met, follows up or seeks out; a provider's staff, the people
    referred to it, on its cases or on its worklist. Nobody else sees anyone."""
    if not has_role(user, *SEARCH_ROLES):
        return Person.objects.none()
    if is_program_wide(user=user):
        program = program_for_user(user=user)
        return people_of_program(program=program) if program is not None else Person.objects.none()
    visible = Q(pk__in=[])
    if field_ids := agency_ids_for(user, *FIELD_ROLES):
        visible |= Q(pk__in=Person.objects.filter(encounters__agency_id__in=field_ids).values("pk"))
        visible |= Q(
            pk__in=Person.objects.filter(
                outreach_entries__outreach_list__team_id__in=field_ids
            ).values("pk")
        )
    if provider_ids := agency_ids_for(user, *PROVIDER_ROLES):
        visible |= Q(
            pk__in=Person.objects.filter(referrals__receiving_agency_id__in=provider_ids).values(
                "pk"
            )
        )
        visible |= Q(
            pk__in=Person.objects.filter(cases__case_agency_id__in=provider_ids).values("pk")
        )
    if team_ids := agency_ids_for(user, *FIELD_ROLES, *PROVIDER_ROLES):
        visible |= Q(pk__in=Person.objects.filter(work_items__team_id__in=team_ids).values("pk"))
    return people_active().filter(visible)


def person_for_user(*, user: Any, person_id: Any) -> Person | None:
    return people_visible_to(user=user).filter(pk=person_id).first()


def current_contact_details(*, person: Person, agency_ids: set[Any] | None = None) -> Any:
    """The person's latest contact details (recorded by one of `agency_ids`, when given)."""
    qs = ContactDetails.objects.filter(person=person)
    if agency_ids is not None:
        qs = qs.filter(agency_id__in=agency_ids)
    return qs.order_by("-created_at").first()


@dataclass(frozen=True)
class PeopleSearch:
    """What a person search gave: the people found, or why it was refused."""

    people: list[Person] = field(default_factory=list)
    refused: str = ""
    searched: bool = False


def find_people(
    *,
    viewer: Any,
    query: str,
    date_of_birth: dt.date | None = None,
    purpose: str = "person_search",
    program_wide: bool = False,
) -> PeopleSearch:
    """Search people by name for `viewer`, scoped, limited in rate and audited (what for and
    how many were found, never the text typed).

    By default the search looks among the people the viewer may see (people_visible_to).
    `program_wide` searches the whole program (to put someone on an outreach list): responders
    must then type a birth date too, and only people born that day are found."""
    query = query.strip()[:80]
    if not has_role(viewer, *SEARCH_ROLES):
        return PeopleSearch(refused="Your role does not search for people.")
    if not query:
        return PeopleSearch()
    if len([c for c in query if c.isalpha()]) < 2:
        return PeopleSearch(refused="Type at least two letters of the name.")
    responder = not is_program_wide(user=viewer)
    if program_wide and responder and date_of_birth is None:
        return PeopleSearch(
            refused="Type the person's date of birth as well as the name to find them."
        )
    if searches_since(actor=viewer, since=clock.now() - SEARCH_WINDOW) >= SEARCH_LIMIT:
        record_search(
            actor=viewer, object_type="people.person", purpose=purpose, results=0, refused=True
        )
        minutes = int(SEARCH_WINDOW.total_seconds() // 60)
        return PeopleSearch(
            refused=f"You have searched {SEARCH_LIMIT} times in {minutes} minutes. "
            "Wait a few minutes and search again."
        )
    if program_wide:
        program = program_for_user(user=viewer)
        scope = people_of_program(program=program) if program is not None else Person.objects.none()
    else:
        scope = people_visible_to(user=viewer)
    if date_of_birth is not None:
        scope = scope.filter(date_of_birth=date_of_birth)
    found = person_search(query=query, within=scope)
    record_search(actor=viewer, object_type="people.person", purpose=purpose, results=len(found))
    return PeopleSearch(people=found, searched=True)


def duplicate_block(
    *,
    program: Any,
    first_name: str,
    last_name: str,
    date_of_birth: dt.date | None,
    near_dates: bool = False,
) -> QuerySet[Person] | None:
    """The people of `program` the duplicate check compares with the one being entered (not
    sliced, in no order); None when the name and birth date give nothing to look by. Only
    the program's named, active people are ever in it.

    Blocks: the same birth date (index person_dob_idx); or the same surname sound and first
    initial (person_sound_idx) born the same year, so a common surname does not pull in
    everyone; or an alias with that surname sound, born the same year. With `near_dates`
    (the linkage model's check, which weighs these slips) the birth-date block also takes the
    day and month swapped and the same day a year before or after, still on the index."""
    if program is None:
        return None
    sound = name_sound(last_name)
    initial = name_key(first_name)[:1]
    if not (sound and initial) and date_of_birth is None:
        return None
    block = Q(pk__in=[])
    same_year = Q()
    if date_of_birth is not None:
        dates = _near_dates(date_of_birth) if near_dates else [date_of_birth]
        block |= Q(date_of_birth__in=dates) if len(dates) > 1 else Q(date_of_birth=dates[0])
        same_year = Q(date_of_birth__year=date_of_birth.year)
    if sound and initial:
        block |= Q(last_name_sound=sound, first_name_key__startswith=initial) & same_year
        aliased = PersonAlias.objects.filter(last_name_sound=sound).values("person_id")
        block |= Q(pk__in=aliased) & same_year
    return people_of_program(program=program).filter(identity=Identity.KNOWN).filter(block)


def _near_dates(born: dt.date) -> list[dt.date]:
    """The date, its day and month swapped, and the same day a year either side (those that
    exist: no 29 February in another year, no swap of a day over 12)."""
    dates = [born]
    for year, month, day in (
        (born.year, born.day, born.month),
        (born.year - 1, born.month, born.day),
        (born.year + 1, born.month, born.day),
    ):
        try:
            other = dt.date(year, month, day)
        except ValueError:
            continue
        if other not in dates:
            dates.append(other)
    return dates


def person_duplicates(
    *,
    program: Any,
    first_name: str,
    last_name: str,
    date_of_birth: dt.date | None,
    limit: int = 5,
) -> list[Candidate]:
    """People of `program` who are likely the same as the one being entered, best first, by
    the hand-written score (matching.score_pair): the check of a program without a trained
    linkage model (pathways.linkage.duplicates uses the model when there is one). Only the
    program's people are candidates: a namesake known only to another program is never
    offered, so the check tells nobody who is in Pathways elsewhere (CJIS, 42 CFR Part 2).

    Blocking keeps it cheap (duplicate_block): candidates share the birth date or the
    surname's sound (Soundex), directly or through an alias; each is then scored on names and
    birth date."""
    named = duplicate_block(
        program=program, first_name=first_name, last_name=last_name, date_of_birth=date_of_birth
    )
    if named is None:
        return []
    # Plain rows, not model instances: this runs on every field submit, and building up to
    # fifty Person objects with a prefetch cost more than the query itself.
    rows = list(named.values_list(*PERSON_COLUMNS)[:MAX_CANDIDATES])
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


def person_search(
    *, query: str, within: QuerySet[Person] | None = None, limit: int = SEARCH_RESULTS
) -> list[Person]:
    """People (of `within`, else everyone active) whose last name starts with the typed text
    (and first name, after a comma or space): 'smi', 'smith, jo', 'jo smith'. Not scoped:
    pages search through find_people()."""
    condition = name_condition(query=query)
    if condition is None:
        return []
    qs = (within if within is not None else people_active()).filter(identity=Identity.KNOWN)
    return list(qs.filter(condition).order_by("last_name_key", "first_name_key")[:limit])


def name_condition(*, query: str, prefix: str = "") -> Q | None:
    """The condition for people whose last name starts with the typed text (and first name,
    after a comma or space), on Person or, with `prefix` ("person__"), through a relation.
    None when the text holds no name."""
    parts = [name_key(p) for p in query.replace(",", " ").split() if name_key(p)]
    if not parts:
        return None
    last, first = f"{prefix}last_name_key__startswith", f"{prefix}first_name_key__startswith"
    if len(parts) == 1:
        return Q(**{last: parts[0]})
    a, b = parts[0], parts[-1]
    return Q(**{last: a, first: b}) | Q(**{first: a, last: b})
