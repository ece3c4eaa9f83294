"""Issue 18 on the field form: people without a name, how to reach the person, only offered
candidates can be chosen, and times in the hour the clocks change."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

import pytest
from django.db import connection
from django.urls import reverse

from pathways.audit.models import AuditEvent
from pathways.core import clock
from pathways.encounters.factories import EncounterFactory, field_entry_data
from pathways.encounters.models import Encounter
from pathways.people.factories import PersonFactory
from pathways.people.models import ContactDetails, Person
from pathways.referrals.models import Referral
from pathways.surveillance.models import OverdoseEvent

NEW_URL = reverse("encounters:new", kwargs={"code": "officer_prevention"})


def entry(cast: Any, **overrides: Any) -> dict[str, Any]:
    return field_entry_data(cast.detox_p, **overrides)


def counts() -> tuple[int, ...]:
    return (
        Person.objects.count(),
        Encounter.objects.count(),
        Referral.objects.count(),
        ContactDetails.objects.count(),
        AuditEvent.objects.writes().count(),
    )


# --- A person without a name -----------------------------------------------------------------


@pytest.mark.parametrize("identity", ["unknown", "withheld"])
def test_a_person_without_a_name_is_recorded_with_age_and_description(
    cast: Any, identity: str
) -> None:
    client = cast.client_for(cast.officer_a)
    with clock.frozen(dt.datetime(2026, 5, 4, 15, tzinfo=dt.UTC)):
        response = client.post(
            NEW_URL,
            entry(
                cast,
                identity=identity,
                first_name="",
                last_name="",
                date_of_birth="",
                approximate_age="40",
                description="  Tall man, grey beard,   red jacket ",
            ),
        )
    assert response.status_code == 302, response.content.decode()[:3000]
    person = Encounter.objects.get().person
    assert person.identity == identity
    assert (person.first_name, person.last_name, person.date_of_birth) == ("", "", None)
    assert person.estimated_birth_year == 1986
    assert person.description == "Tall man, grey beard, red jacket"
    label = "Unknown person" if identity == "unknown" else "Name not given"
    with clock.frozen(dt.datetime(2026, 5, 4, 15, tzinfo=dt.UTC)):
        assert person.display_name == f"{label}, about 40"
        page = client.get(reverse("encounters:detail", args=[Encounter.objects.get().pk]))
    assert f"{label}, about 40" in page.content.decode()
    with connection.cursor() as cursor:  # the description is encrypted at rest
        cursor.execute("SELECT description FROM people_person WHERE id = %s", [person.pk.hex])
        row = cursor.fetchone()
    if row is None:  # PostgreSQL keeps uuids as uuids
        with connection.cursor() as cursor:
            cursor.execute("SELECT description FROM people_person WHERE id = %s", [person.pk])
            row = cursor.fetchone()
    assert "grey beard" not in str(row[0])


def test_a_named_person_is_never_stored_without_a_name(cast: Any) -> None:
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        Person.objects.create(identity="known", first_name="", last_name="")


def test_an_unconscious_overdose_patient_is_recorded_under_naloxone_plus(cast: Any) -> None:
    client = cast.client_for(cast.officer_a)
    url = reverse("encounters:new", kwargs={"code": "naloxone_plus"})
    data = {
        **field_entry_data(cast.detox_p),
        "identity": "unknown",
        "first_name": "",
        "last_name": "",
        "date_of_birth": "",
        "approximate_age": "25",
        "description": "Woman, about 25, black hoodie, found in the library restroom",
        "presenting_needs": ["opioid_use"],
        "call_source": "overdose_response",
        "disposition": "transported",
        "service": "",
        "overdose-naloxone_given": "yes",
        "overdose-naloxone_doses": "2",
        "overdose-administered_by": "ems",
        "overdose-transported": "yes",
        "overdose-destination": "County General",
        "overdose-fatal": "no",
    }
    response = client.post(url, data)
    assert response.status_code == 302
    overdose = OverdoseEvent.objects.get()
    assert overdose.person is not None and overdose.person.identity == "unknown"


# --- Only the candidates the duplicate check offered ----------------------------------------


@pytest.mark.attack(group="person enumeration")
def test_a_posted_person_id_that_was_not_offered_is_refused(cast: Any) -> None:
    """A field POST naming any person's id (`person_choice`) used to attach the contact to that
    person and show their overdose history."""
    stranger = PersonFactory.create(
        first_name="Morgan", last_name="Quill", date_of_birth=dt.date(1979, 1, 2)
    )
    EncounterFactory.create(
        program=cast.program, agency=cast.police_b, responder=cast.officer_b, person=stranger
    )
    client = cast.client_for(cast.officer_a)
    before = counts()
    response = client.post(NEW_URL, entry(cast, person_choice=str(stranger.pk)))
    assert response.status_code == 422
    assert "does not match the name and birth date" in response.content.decode()
    assert counts() == before
    assert not Encounter.objects.filter(person=stranger, agency=cast.police_a).exists()


def test_an_offered_candidate_can_be_chosen(cast: Any) -> None:
    same = PersonFactory.create(
        created_by_agency=cast.police_b,
        first_name="Dana",
        last_name="Whitfield",
        date_of_birth=dt.date(1990, 6, 1),
    )
    client = cast.client_for(cast.officer_a)
    response = client.post(NEW_URL, entry(cast, person_choice=str(same.pk)))
    assert response.status_code == 302
    assert Encounter.objects.get().person == same
    assert Person.objects.count() == 1


def test_the_duplicate_check_needs_a_birth_date(cast: Any) -> None:
    PersonFactory.create(
        first_name="Dana", last_name="Whitfield", date_of_birth=dt.date(1990, 6, 1)
    )
    client = cast.client_for(cast.officer_a)
    html = client.get(
        reverse("people:duplicates"), {"first_name": "Dana", "last_name": "Whitfield"}
    ).content.decode()
    assert "Same person" not in html


# --- How to reach the person ------------------------------------------------------------------


def test_contact_details_are_kept_encrypted_and_shown_to_the_provider_when_agreed(
    cast: Any,
) -> None:
    client = cast.client_for(cast.officer_a)
    response = client.post(
        NEW_URL,
        entry(
            cast,
            contact_phone="(555) 010-2000",
            contact_texts_ok="on",
            contact_best_time="Weekday mornings",
            contact_other_way="Through the Main St shelter",
            contact_language="es",
            contact_share="on",
        ),
    )
    assert response.status_code == 302
    details = ContactDetails.objects.get()
    encounter = Encounter.objects.get()
    assert encounter.contact_details == details
    assert (details.phone, details.texts_ok, details.language) == ("(555) 010-2000", True, "es")
    assert details.share_with_provider and details.agency == cast.police_a
    with connection.cursor() as cursor:
        cursor.execute("SELECT phone, other_way FROM people_contactdetails")
        raw = " ".join(str(v) for v in cursor.fetchone())
    assert "010-2000" not in raw and "Main St" not in raw
    event = AuditEvent.objects.get(event_type="contact_details.record")
    assert "010-2000" not in str(event.changes) and "Main St" not in str(event.changes)

    referral = Referral.objects.get()
    provider = cast.client_for(cast.intake_p).get(reverse("referrals:detail", args=[referral.pk]))
    page = provider.content.decode()
    assert "How to reach the person" in page
    assert 'href="tel:5550102000"' in page and "Texts are OK" in page
    assert "Spanish" in page and "Weekday mornings" in page


def test_without_the_persons_agreement_the_provider_does_not_see_how_to_reach_them(
    cast: Any,
) -> None:
    client = cast.client_for(cast.officer_a)
    client.post(NEW_URL, entry(cast, contact_phone="555-010-2000"))
    referral = Referral.objects.get()
    page = cast.client_for(cast.intake_p).get(reverse("referrals:detail", args=[referral.pk]))
    assert "010-2000" not in page.content.decode()
    # the officer's agency sees the number it collected
    own = client.get(reverse("encounters:detail", args=[referral.encounter_id]))
    assert "555-010-2000" in own.content.decode()
    other = cast.client_for(cast.officer_b).get(
        reverse("encounters:detail", args=[referral.encounter_id])
    )
    assert other.status_code == 404


def test_no_contact_details_record_when_nothing_was_given(cast: Any) -> None:
    cast.client_for(cast.officer_a).post(NEW_URL, entry(cast))
    assert not ContactDetails.objects.exists()
    assert Encounter.objects.get().contact_details is None


# --- The hour the clocks change (America/Chicago in the test program) ------------------------


def test_a_time_the_clocks_skipped_gets_a_plain_message(cast: Any) -> None:
    client = cast.client_for(cast.officer_a)
    before = counts()
    with clock.frozen(dt.datetime(2026, 3, 9, 12, tzinfo=dt.UTC)):
        response = client.post(NEW_URL, entry(cast, occurred_at="2026-03-08T02:30"))
    assert response.status_code == 422
    message = " ".join(response.context["form"].errors["occurred_at"])
    assert "clocks went forward an hour" in message and "2:30 AM" in message
    assert "3:30 AM" in message
    assert "interpreted" not in message  # not Django's raw error
    assert counts() == before


def test_a_repeated_time_asks_which_one_was_meant(cast: Any) -> None:
    client = cast.client_for(cast.officer_a)
    before = counts()
    with clock.frozen(dt.datetime(2026, 11, 2, 12, tzinfo=dt.UTC)):
        asked = client.post(NEW_URL, entry(cast, occurred_at="2026-11-01T01:30"))
        assert asked.status_code == 422
        page = asked.content.decode()
        assert "happened twice" in page and "Which 1:30 AM do you mean?" in page
        assert "1:30 AM CDT: the first time" in page and "1:30 AM CST: the second time" in page
        assert counts() == before
        second = client.post(
            NEW_URL, entry(cast, occurred_at="2026-11-01T01:30", occurred_at_fold="1")
        )
    assert second.status_code == 302
    occurred = Encounter.objects.get().occurred_at
    assert occurred == dt.datetime(2026, 11, 1, 7, 30, tzinfo=dt.UTC)  # 1:30 CST = UTC-6
    local = occurred.astimezone(zoneinfo.ZoneInfo("America/Chicago"))
    assert (local.hour, local.minute, local.fold) == (1, 30, 1)


def test_the_first_of_two_repeated_times(cast: Any) -> None:
    client = cast.client_for(cast.officer_a)
    with clock.frozen(dt.datetime(2026, 11, 2, 12, tzinfo=dt.UTC)):
        client.post(NEW_URL, entry(cast, occurred_at="2026-11-01T01:30", occurred_at_fold="0"))
    assert Encounter.objects.get().occurred_at == dt.datetime(2026, 11, 1, 6, 30, tzinfo=dt.UTC)
