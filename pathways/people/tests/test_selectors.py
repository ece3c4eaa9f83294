from __future__ import annotations

import datetime as dt
from typing import Any

from pathways.accounts.factories import AgencyFactory
from pathways.core import clock
from pathways.people.factories import PersonFactory
from pathways.people.matching import name_key, name_sound
from pathways.people.models import PersonAlias
from pathways.people.selectors import person_duplicates, person_search
from pathways.programs.factories import ProgramFactory


def test_duplicates_found_by_birth_date_sound_and_alias(cast: Any) -> None:
    dana = PersonFactory.create(
        created_by_agency=cast.police_a,
        first_name="Dana",
        last_name="Whitfield",
        date_of_birth=dt.date(1990, 6, 1),
    )
    PersonFactory.create(
        created_by_agency=cast.police_a,
        first_name="Marcus",
        last_name="Okafor",
        date_of_birth=dt.date(1990, 6, 1),
    )
    found = person_duplicates(
        program=cast.program,
        first_name="Dana",
        last_name="Whitfeld",
        date_of_birth=dt.date(1990, 6, 1),
    )
    assert [c.person for c in found] == [dana]
    PersonAlias.objects.create(
        person=dana,
        first_name="Dana",
        last_name="Stroud",
        first_name_key="dana",
        last_name_key=name_key("Stroud"),
        last_name_sound=name_sound("Stroud"),
    )
    by_alias = person_duplicates(
        program=cast.program,
        first_name="Dana",
        last_name="Stroud",
        date_of_birth=dt.date(1990, 6, 1),
    )
    assert by_alias and by_alias[0].person == dana


def test_archived_people_are_not_offered(cast: Any) -> None:
    PersonFactory.create(
        created_by_agency=cast.police_a,
        first_name="Dana",
        last_name="Whitfield",
        date_of_birth=dt.date(1990, 6, 1),
        archived_at=clock.now(),
    )
    assert (
        person_duplicates(
            program=cast.program,
            first_name="Dana",
            last_name="Whitfield",
            date_of_birth=dt.date(1990, 6, 1),
        )
        == []
    )


def test_search_by_surname_prefix_and_both_orders(db: Any) -> None:
    dana = PersonFactory.create(first_name="Dana", last_name="Whitfield")
    assert person_search(query="whit") == [dana]
    assert person_search(query="Whitfield, Da") == [dana]
    assert person_search(query="dana whit") == [dana]
    assert person_search(query="   ") == []


def test_common_surname_sound_does_not_pull_in_people_born_other_years(cast: Any) -> None:
    for year in range(1950, 1990):
        PersonFactory.create(
            created_by_agency=cast.police_a,
            first_name="Dana",
            last_name="Whitfield",
            date_of_birth=dt.date(year, 3, 3),
        )
    found = person_duplicates(
        program=cast.program,
        first_name="Dana",
        last_name="Whitfeld",
        date_of_birth=dt.date(1970, 3, 4),
    )
    assert [c.person.date_of_birth for c in found] == [dt.date(1970, 3, 3)]


def test_a_namesake_known_only_to_another_program_is_never_offered(cast: Any) -> None:
    """The field form's duplicate check once offered anyone in Pathways: an officer learnt that
    another program knew a person, and could attach a contact to that record."""
    elsewhere = AgencyFactory.create(program=ProgramFactory.create(name="Other County"))
    PersonFactory.create(
        created_by_agency=elsewhere,
        first_name="Dana",
        last_name="Whitfield",
        date_of_birth=dt.date(1990, 6, 1),
    )
    asked: dict[str, Any] = {
        "first_name": "Dana",
        "last_name": "Whitfield",
        "date_of_birth": dt.date(1990, 6, 1),
    }
    assert person_duplicates(program=cast.program, **asked) == []
    assert person_duplicates(program=None, **asked) == []
    ours = PersonFactory.create(created_by_agency=cast.police_b, **asked)
    assert [c.person for c in person_duplicates(program=cast.program, **asked)] == [ours]
