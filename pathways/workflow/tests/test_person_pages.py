"""Issue 18, item 5 and 4: the scoped, audited person search; the person page with every episode
the viewer may see; naming or linking a person recorded without a name; "Our contacts" with
paging, a name search and filters."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.urls import reverse

from pathways.audit.models import SEARCH_EVENT, AuditEvent
from pathways.encounters.factories import EncounterFactory
from pathways.encounters.models import Encounter
from pathways.people.factories import PersonFactory
from pathways.people.models import Identity, Person
from pathways.people.selectors import SEARCH_LIMIT
from pathways.programs.models import Pathway

SEARCH_URL = reverse("people:search")


def _met(cast: Any, agency: Any, responder: Any, **person: Any) -> Encounter:
    return EncounterFactory.create(
        agency=agency, responder=responder, person=PersonFactory.create(**person)
    )


# --- the person search ------------------------------------------------------------------------


def test_an_officer_finds_only_the_people_their_agency_met_and_the_search_is_audited(
    cast: Any,
) -> None:
    ours = _met(cast, cast.police_a, cast.officer_a, first_name="Dana", last_name="Whitfield")
    _met(cast, cast.police_b, cast.officer_b, first_name="Dale", last_name="Whitman")
    page = cast.client_for(cast.officer_a).get(SEARCH_URL, {"q": "whit"})
    html = page.content.decode()
    assert page.status_code == 200
    assert "Dana Whitfield" in html and "Whitman" not in html
    assert reverse("people:detail", args=[ours.person_id]) in html
    event = AuditEvent.objects.get(event_type=SEARCH_EVENT)
    assert event.actor == cast.officer_a
    assert event.changes["results"] == [None, 1]
    assert "whit" not in str(event.changes).lower()  # what was typed is never kept


def test_the_program_office_finds_anyone_in_the_program(cast: Any) -> None:
    _met(cast, cast.police_b, cast.officer_b, first_name="Dale", last_name="Whitman")
    html = cast.client_for(cast.coordinator).get(SEARCH_URL, {"q": "whitman"}).content.decode()
    assert "Dale Whitman" in html


def test_bad_searches_are_refused_clearly_and_find_no_one(cast: Any) -> None:
    _met(cast, cast.police_a, cast.officer_a, first_name="Dana", last_name="Whitfield")
    client = cast.client_for(cast.officer_a)
    short = client.get(SEARCH_URL, {"q": "w"})
    assert short.status_code == 422
    assert "Type at least two letters of the name." in short.content.decode()
    bad_date = client.get(SEARCH_URL, {"q": "whit", "date_of_birth": "1990-02-31"})
    assert bad_date.status_code == 422
    assert "Enter the date of birth as a real date" in bad_date.content.decode()
    assert "Dana Whitfield" not in short.content.decode() + bad_date.content.decode()


def test_the_search_is_limited_in_rate(cast: Any) -> None:
    _met(cast, cast.police_a, cast.officer_a, first_name="Dana", last_name="Whitfield")
    client = cast.client_for(cast.officer_a)
    for _ in range(SEARCH_LIMIT):
        assert client.get(SEARCH_URL, {"q": "whit"}).status_code == 200
    refused = client.get(SEARCH_URL, {"q": "whit"})
    assert refused.status_code == 422
    assert "Wait a few minutes" in refused.content.decode()
    assert "Dana Whitfield" not in refused.content.decode()
    assert AuditEvent.objects.filter(event_type=SEARCH_EVENT, outcome="refused").count() == 1


def test_roles_that_do_not_work_with_people_cannot_search(cast: Any) -> None:
    for user in (cast.prosecutor, cast.researcher):
        assert cast.client_for(user).get(SEARCH_URL, {"q": "whit"}).status_code == 403


# --- the person page --------------------------------------------------------------------------


def test_the_person_page_lists_every_contact_the_viewer_may_see_and_is_audited(
    cast: Any,
) -> None:
    first = _met(cast, cast.police_a, cast.officer_a, first_name="Dana", last_name="Whitfield")
    EncounterFactory.create(agency=cast.police_a, responder=cast.officer_a, person=first.person)
    theirs = EncounterFactory.create(
        agency=cast.police_b,
        responder=cast.officer_b,
        person=first.person,
        pathway=Pathway.objects.get(code="naloxone_plus"),
    )
    url = reverse("people:detail", args=[first.person_id])
    html = cast.client_for(cast.officer_a).get(url).content.decode()
    assert html.count(reverse("encounters:detail", args=[first.pk])) == 1
    assert "Southside" not in html  # another agency's contact stays with it
    assert reverse("encounters:detail", args=[theirs.pk]) not in html
    office = cast.client_for(cast.coordinator).get(url).content.decode()
    assert reverse("encounters:detail", args=[theirs.pk]) in office
    assert AuditEvent.objects.filter(
        event_type="read.person", object_id=str(first.person_id)
    ).exists()


def test_a_person_met_only_by_another_agency_is_not_found(cast: Any) -> None:
    theirs = _met(cast, cast.police_b, cast.officer_b)
    url = reverse("people:detail", args=[theirs.person_id])
    assert cast.client_for(cast.officer_a).get(url).status_code == 404
    assert cast.client_for(cast.intake_q).get(url).status_code == 404
    assert cast.client_for(cast.prosecutor).get(url).status_code == 403


# --- naming or linking a person recorded without a name ---------------------------------------


def _unknown(cast: Any) -> Encounter:
    person = Person.objects.create(
        identity=Identity.UNKNOWN, estimated_birth_year=1996, description="Black hoodie"
    )
    return EncounterFactory.create(agency=cast.police_a, responder=cast.officer_a, person=person)


def test_an_unknown_person_is_named_later_and_keeps_their_contacts(cast: Any) -> None:
    encounter = _unknown(cast)
    url = reverse("people:identify", args=[encounter.person_id])
    client = cast.client_for(cast.officer_a)
    response = client.post(
        url, {"first_name": "Rae", "last_name": "Okafor", "date_of_birth": "1996-03-02"}
    )
    assert response.status_code == 302
    person = Person.objects.get(pk=encounter.person_id)
    assert person.is_named and person.display_name == "Rae Okafor"
    assert person.date_of_birth == dt.date(1996, 3, 2)
    assert AuditEvent.objects.filter(event_type="person.name").exists()


def test_bad_names_are_refused_and_the_record_stays_unnamed(cast: Any) -> None:
    encounter = _unknown(cast)
    url = reverse("people:identify", args=[encounter.person_id])
    response = cast.client_for(cast.officer_a).post(url, {"first_name": "", "last_name": "123"})
    html = response.content.decode()
    assert response.status_code == 422
    assert "Enter the first name." in html and "A name needs at least one letter." in html
    assert "Nothing was saved." in html
    assert not Person.objects.get(pk=encounter.person_id).is_named


def test_an_unknown_person_is_linked_to_the_person_already_in_pathways(cast: Any) -> None:
    known = _met(
        cast,
        cast.police_a,
        cast.officer_a,
        first_name="Rae",
        last_name="Okafor",
        date_of_birth=dt.date(1996, 3, 2),
    )
    encounter = _unknown(cast)
    url = reverse("people:identify", args=[encounter.person_id])
    client = cast.client_for(cast.officer_a)
    typed = {"first_name": "Rae", "last_name": "Okafor", "date_of_birth": "1996-03-02"}
    offered = client.post(url, typed)
    assert offered.status_code == 200
    assert "Same person: Rae Okafor" in offered.content.decode()
    assert not Person.objects.get(pk=encounter.person_id).is_archived  # nothing yet
    linked = client.post(url, {**typed, "person_choice": str(known.person_id)})
    assert linked.status_code == 302
    encounter.refresh_from_db()
    assert encounter.person_id == known.person_id
    old = Person.objects.get(identity=Identity.UNKNOWN)
    assert old.is_archived and old.merged_into_id == known.person_id
    assert AuditEvent.objects.filter(event_type="person.link").exists()


def test_only_a_person_the_check_offered_can_be_chosen(cast: Any) -> None:
    stranger = PersonFactory.create(first_name="Other", last_name="Person")
    encounter = _unknown(cast)
    url = reverse("people:identify", args=[encounter.person_id])
    response = cast.client_for(cast.officer_a).post(
        url, {"first_name": "Rae", "last_name": "Okafor", "person_choice": str(stranger.pk)}
    )
    assert response.status_code == 422
    assert "Choose one of the people listed" in response.content.decode()
    encounter.refresh_from_db()
    assert encounter.person_id != stranger.pk
    assert not Person.objects.get(pk=encounter.person_id).is_named


def test_another_agency_cannot_name_or_link_the_person(cast: Any) -> None:
    encounter = _unknown(cast)
    url = reverse("people:identify", args=[encounter.person_id])
    response = cast.client_for(cast.officer_b).post(
        url, {"first_name": "Rae", "last_name": "Okafor"}
    )
    assert response.status_code == 404
    assert not Person.objects.get(pk=encounter.person_id).is_named


# --- "Our contacts" ---------------------------------------------------------------------------


def test_our_contacts_pages_by_25_and_filters_by_name(cast: Any) -> None:
    for _ in range(30):
        EncounterFactory.create(agency=cast.police_a, responder=cast.officer_a)
    _met(cast, cast.police_a, cast.supervisor_a, first_name="Dana", last_name="Whitfield")
    client = cast.client_for(cast.officer_a)
    url = reverse("encounters:list")
    first = client.get(url).content.decode()
    assert "1–25 of 31 contacts" in first and "Page 1 of 2" in first
    second = client.get(url, {"page": "2"}).content.decode()
    assert "26–31 of 31" in second
    found = client.get(url, {"q": "whitfield"}).content.decode()
    assert "1–1 of 1 contact," in found and "Dana Whitfield" in found
    mine = client.get(url, {"mine": "on"}).content.decode()
    assert "of 30 contacts" in mine


def test_our_contacts_filters_refuse_bad_input_clearly(cast: Any) -> None:
    EncounterFactory.create(agency=cast.police_a, responder=cast.officer_a)
    client = cast.client_for(cast.officer_a)
    url = reverse("encounters:list")
    response = client.get(url, {"since": "2026-12-05", "until": "2026-12-01"})
    assert response.status_code == 422
    assert "The last day cannot be before the first day." in response.content.decode()
    bad = client.get(url, {"pathway": "no_such", "since": "yesterday"})
    assert bad.status_code == 422
    html = bad.content.decode()
    assert "Select a valid choice." in html and "Enter the first day as a real date" in html
