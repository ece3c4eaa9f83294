"""The field entry's duplicate check through the program's trained linkage model
(linkage/duplicates.py): it finds what the hand-written score missed (a nickname, a swapped
day and month), keeps to the program's own people, reads a bounded number of queries, and a
program without a model (or with one the quick path cannot score) gets the check as before.
The model is trained here on generated records, then stored as the program's."""

from __future__ import annotations

import datetime as dt
import json
import logging
from typing import Any

import pytest
from django.urls import reverse

from pathways.accounts.factories import AgencyFactory
from pathways.core import clock
from pathways.encounters.factories import field_entry_data
from pathways.encounters.models import Encounter
from pathways.linkage import duplicates
from pathways.linkage.duplicates import likely_duplicates
from pathways.linkage.engine import model as M
from pathways.linkage.engine.generator import generate
from pathways.linkage.models import LinkageModel
from pathways.people.factories import PersonFactory
from pathways.people.matching import name_key, name_sound
from pathways.people.models import ContactDetails, ExternalIdentifier, Person, PersonAlias
from pathways.people.selectors import person_duplicates
from pathways.programs.factories import ProgramFactory

BORN = dt.date(1990, 6, 1)
NEW_URL = reverse("encounters:new", kwargs={"code": "officer_prevention"})


@pytest.fixture(scope="module")
def trained() -> M.TrainedModel:
    return M.train(generate(700, seed=11), seed=3, u_max_pairs=3e5)


def _store(program: Any, trained: M.TrainedModel) -> LinkageModel:
    return LinkageModel.objects.create(
        program=program,
        version=trained.version,
        parameters=json.loads(trained.to_json()),
        records=trained.counts.get("records", 0),
    )


@pytest.fixture
def with_model(cast: Any, trained: M.TrainedModel) -> LinkageModel:
    return _store(cast.program, trained)


def _person(agency: Any, first: str, last: str, born: dt.date | None = BORN, **more: Any) -> Person:
    person: Person = PersonFactory.create(
        created_by_agency=agency, first_name=first, last_name=last, date_of_birth=born, **more
    )
    return person


def _check(cast: Any, first: str, last: str, born: dt.date | None = BORN, **more: Any) -> list:
    return likely_duplicates(
        program=cast.program, first_name=first, last_name=last, date_of_birth=born, **more
    )


def test_the_model_knows_a_nickname_where_the_old_score_saw_only_the_surname(
    cast: Any, with_model: Any
) -> None:
    """The old score offers Robert for Bob on the surname and the birth date alone (0.9), and
    Bob's twin Boris above him (0.94): the first names hardly count. The model offers Robert
    for the nickname, and holds the twin back."""
    robert = _person(cast.police_a, "Robert", "Kowalski")
    boris = _person(cast.police_a, "Boris", "Kowalski")
    asked: dict[str, Any] = {"first_name": "Bob", "last_name": "Kowalski", "date_of_birth": BORN}
    old = person_duplicates(program=cast.program, **asked)
    assert [c.person for c in old] == [boris, robert]
    assert all("first name" not in " ".join(c.match.reasons) for c in old)
    found = likely_duplicates(program=cast.program, **asked)
    assert [c.person for c in found] == [robert]
    match = found[0].match
    assert match.score >= M.REVIEW_BAND and match.is_likely
    assert "first name is a known nickname or other form" in match.reasons
    assert "same last name" in match.reasons and "same date of birth" in match.reasons
    # shown as the page shows a person (no extra query for the name)
    assert found[0].person.display_name == "Robert Kowalski"


def test_the_model_finds_a_nickname_with_a_date_slip_the_old_score_missed(
    cast: Any, with_model: Any
) -> None:
    """Bob for Robert with the day and month swapped, or the year off by one: the old score
    (0.79) misses both; the sound-and-initial block would not even reach them (B is not R),
    the model's block takes those dates too."""
    robert = _person(cast.police_a, "Robert", "Kowalski", dt.date(1984, 3, 7))
    for born, reason in (
        (dt.date(1984, 7, 3), "date of birth with day and month swapped"),
        (dt.date(1985, 3, 7), "born the same day, a year apart"),
    ):
        asked: dict[str, Any] = {
            "first_name": "Bob",
            "last_name": "Kowalski",
            "date_of_birth": born,
        }
        assert person_duplicates(program=cast.program, **asked) == []
        found = likely_duplicates(program=cast.program, **asked)
        assert [c.person for c in found] == [robert]
        assert reason in found[0].match.reasons


def test_the_model_finds_a_day_and_month_swapped(cast: Any, with_model: Any) -> None:
    dana = _person(cast.police_a, "Dana", "Whitfield")
    swapped = dt.date(1990, 1, 6)
    found = _check(cast, "Dana", "Whitfield", swapped)
    assert [c.person for c in found] == [dana]
    assert "date of birth with day and month swapped" in found[0].match.reasons


def test_twins_and_other_people_born_that_day_are_not_offered(cast: Any, with_model: Any) -> None:
    _person(cast.police_a, "Marcus", "Whitfield")
    _person(cast.police_a, "Ines", "Okonkwo")
    assert _check(cast, "Dana", "Whitfield") == []


def test_a_namesake_known_only_to_another_program_is_never_offered(
    cast: Any, trained: M.TrainedModel, with_model: Any
) -> None:
    other = ProgramFactory.create(name="Other County")
    _store(other, trained)
    elsewhere = AgencyFactory.create(program=other)
    _person(elsewhere, "Dana", "Whitfield")
    _person(elsewhere, "Robert", "Kowalski")
    assert _check(cast, "Dana", "Whitfield") == []
    assert _check(cast, "Bob", "Kowalski") == []
    assert (
        likely_duplicates(
            program=None, first_name="Dana", last_name="Whitfield", date_of_birth=BORN
        )
        == []
    )
    ours = _person(cast.police_b, "Dana", "Whitfield")
    assert [c.person for c in _check(cast, "Dana", "Whitfield")] == [ours]


def test_archived_and_unnamed_people_are_not_offered(cast: Any, with_model: Any) -> None:
    _person(cast.police_a, "Dana", "Whitfield", archived_at=clock.now())
    assert _check(cast, "Dana", "Whitfield") == []


def test_other_names_numbers_and_phones_count(cast: Any, with_model: Any) -> None:
    dana = _person(cast.police_a, "Dana", "Stroud", postal_code="60601")
    PersonAlias.objects.create(
        person=dana,
        first_name="Dana",
        last_name="Whitfield",
        first_name_key="dana",
        last_name_key=name_key("Whitfield"),
        last_name_sound=name_sound("Whitfield"),
    )
    ContactDetails.objects.create(
        person=dana, agency=cast.police_a, recorded_by=cast.officer_a, phone="(312) 555-0101"
    )
    ExternalIdentifier.objects.create(person=dana, system="booking", value="B-77")
    by_alias = _check(cast, "Dana", "Whitfield")
    assert [c.person for c in by_alias] == [dana]
    assert "shares a last name or other name" in by_alias[0].match.reasons
    with_phone = _check(cast, "Dana", "Whitfield", phone="312 555 0101", postal_code="60601")
    assert "same phone number" in with_phone[0].match.reasons
    assert "same ZIP code" in with_phone[0].match.reasons
    assert with_phone[0].match.score > by_alias[0].match.score
    other_phone = _check(cast, "Dana", "Whitfield", phone="773 555 9999")
    assert not other_phone or other_phone[0].match.score < by_alias[0].match.score


def test_a_program_without_a_model_gets_the_check_as_before(cast: Any) -> None:
    dana = _person(cast.police_a, "Dana", "Whitfield")
    _person(cast.police_a, "Marcus", "Okafor")
    _person(cast.police_b, "Robert", "Kowalski")
    for first, last, born in (
        ("Dana", "Whitfeld", BORN),
        ("Dana", "Whitfield", dt.date(1990, 1, 6)),
        ("Bob", "Kowalski", BORN),
        ("Bob", "Kowalski", dt.date(1990, 1, 6)),
        ("Zed", "Okonkwo", dt.date(1970, 1, 1)),
    ):
        asked: dict[str, Any] = {"first_name": first, "last_name": last, "date_of_birth": born}
        assert likely_duplicates(program=cast.program, **asked) == person_duplicates(
            program=cast.program, **asked
        )
    assert [c.person for c in _check(cast, "Dana", "Whitfeld")] == [dana]
    assert _check(cast, "Bob", "Kowalski", dt.date(1990, 1, 6)) == []


def test_a_model_the_quick_path_cannot_score_falls_back_to_the_old_check(
    cast: Any, trained: M.TrainedModel, caplog: pytest.LogCaptureFixture
) -> None:
    data = json.loads(trained.to_json())
    data["splink"]["comparisons"][2]["comparison_levels"][2]["sql_condition"] = "dob_l = dob_r"
    changed = M.TrainedModel.from_splink(data["splink"], data["counts"])
    stored = _store(cast.program, changed)
    _person(cast.police_a, "Robert", "Kowalski")
    with caplog.at_level(logging.WARNING, logger="pathways.linkage.duplicates"):
        # the old check: a nickname with the day and month swapped is not found
        assert _check(cast, "Bob", "Kowalski", dt.date(1990, 1, 6)) == []
    assert str(stored.pk) in caplog.text and "Kowalski" not in caplog.text


def test_the_newest_model_is_used(cast: Any, trained: M.TrainedModel) -> None:
    data = json.loads(trained.to_json())
    data["splink"]["comparisons"][2]["comparison_levels"][2]["sql_condition"] = "dob_l = dob_r"
    with clock.frozen(dt.datetime(2026, 1, 1, tzinfo=dt.UTC)):
        _store(cast.program, trained)
    with clock.frozen(dt.datetime(2026, 2, 1, tzinfo=dt.UTC)):
        newest = _store(cast.program, M.TrainedModel.from_splink(data["splink"], {}))
    assert duplicates.newest_model_id(program=cast.program) == newest.pk


def test_the_check_reads_a_bounded_number_of_queries(
    cast: Any, with_model: Any, django_assert_num_queries: Any
) -> None:
    """Five queries whatever the number of candidates (the model's id, the blocked people,
    their other names, numbers and phones), six when the process first meets the model."""
    duplicates._scorer.cache_clear()
    _person(cast.police_a, "Robert", "Kowalski")
    with django_assert_num_queries(6):
        assert len(_check(cast, "Bob", "Kowalski")) == 1
    with django_assert_num_queries(5):
        assert len(_check(cast, "Bob", "Kowalski")) == 1
    for n in range(30):
        person = _person(cast.police_b, "Robert", f"Kowalsky{'e' * (n % 3)}{chr(97 + n)}")
        ContactDetails.objects.create(
            person=person, agency=cast.police_b, recorded_by=cast.officer_b, phone="3125550101"
        )
        ExternalIdentifier.objects.create(person=person, system="booking", value=f"B-{n}")
    with django_assert_num_queries(5):
        assert len(_check(cast, "Bob", "Kowalski", limit=5)) == 5


def test_the_review_band_is_the_engines() -> None:
    assert duplicates.REVIEW_BAND == M.REVIEW_BAND


# --- the page: the htmx fragment and the field form offer the model's candidates ----------


def test_the_fragment_and_the_form_offer_the_models_candidate(cast: Any, with_model: Any) -> None:
    robert = _person(cast.police_b, "Robert", "Kowalski")
    client = cast.client_for(cast.officer_a)
    html = client.get(
        reverse("people:duplicates"),
        {"first_name": "Bob", "last_name": "Kowalski", "date_of_birth": BORN.isoformat()},
    ).content.decode()
    assert "Same person: Robert Kowalski" in html
    assert "first name is a known nickname or other form" in html
    answers = {"first_name": "Bob", "last_name": "Kowalski", "date_of_birth": BORN.isoformat()}
    warned = client.post(NEW_URL, field_entry_data(cast.detox_p, **answers))
    assert warned.status_code == 422
    assert Encounter.objects.count() == 0
    chosen = client.post(
        NEW_URL, field_entry_data(cast.detox_p, person_choice=str(robert.pk), **answers)
    )
    assert chosen.status_code == 302
    assert Encounter.objects.get().person == robert
    assert Person.objects.count() == 1
