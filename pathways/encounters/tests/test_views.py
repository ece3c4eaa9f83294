"""The officer's field entry: the happy path, every kind of bad input, and scoping."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from pathways.audit.models import AuditEvent
from pathways.core import clock
from pathways.encounters.factories import EncounterFactory, field_entry_data
from pathways.encounters.models import Encounter
from pathways.followups.models import WorkItem
from pathways.people.factories import PersonFactory
from pathways.people.models import Person
from pathways.referrals.models import Referral, ReferralStatusChange
from pathways.workflow.commands import FieldEntry, NewPerson
from pathways.workflow.services import field_entry_submit

NEW_URL = reverse("encounters:new", kwargs={"code": "officer_prevention"})


def entry(cast: Any, **overrides: Any) -> dict[str, Any]:
    return field_entry_data(cast.detox_p, **overrides)


def counts() -> tuple[int, int, int, int, int]:
    return (
        Person.objects.count(),
        Encounter.objects.count(),
        Referral.objects.count(),
        ReferralStatusChange.objects.count(),
        AuditEvent.objects.writes().count(),
    )


def test_officer_records_prevention_referral_with_warm_handoff(cast: Any) -> None:
    client = cast.client_for(cast.officer_a)
    response = client.post(NEW_URL, entry(cast))
    encounter = Encounter.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("encounters:detail", args=[encounter.pk])
    referral = encounter.referrals.get()
    assert referral.service == cast.detox_p
    assert referral.warm_handoff is True
    assert referral.status == "sent"
    assert referral.receiving_agency == cast.provider_p
    assert referral.referring_agency == cast.police_a
    assert encounter.pathway.code == "officer_prevention"
    assert encounter.person.last_name == "Whitfield"
    assert encounter.responder == cast.officer_a
    assert [c.to_status for c in referral.history.all()] == ["sent"]
    submitted = AuditEvent.objects.writes().filter(actor=cast.officer_a)
    assert set(submitted.values_list("event_type", flat=True)) == {
        "person.create",
        "encounter.create",
        "referral.send",
        "work_item.open",  # the provider's response deadline
    }
    response_item = WorkItem.objects.get(referral=referral)
    assert response_item.team == cast.provider_p
    assert response_item.kind == "referral_response"
    assert response_item.due_at == referral.created_at + dt.timedelta(hours=24)
    page = client.get(response["Location"])
    assert b"Sent" in page.content and b"Harbor Detox" in page.content
    assert b"Substance use" in page.content  # needs shown by their labels, not codes


def test_form_asks_only_this_pathways_questions_and_lists_open_services_first(cast: Any) -> None:
    page = cast.client_for(cast.officer_a).get(NEW_URL).content.decode()
    assert page.index("Harbor Detox") < page.index("Harbor Outpatient")  # open before full
    assert "No open capacity" in page
    assert 'name="idempotency_key"' in page
    for question in ("first_name", "last_name", "date_of_birth", "location_text"):
        assert f'name="{question}"' in page


def test_services_partial_ranks_matching_services_open_first(cast: Any) -> None:
    client = cast.client_for(cast.officer_a)
    html = client.get(
        reverse("encounters:services"),
        {"presenting_needs": ["mental_health"]},
        HTTP_HX_REQUEST="true",
    ).content.decode()
    assert "Lakeside Crisis Stabilization" in html
    assert "Harbor Detox" not in html  # detox does not answer a mental-health need
    assert "<html" not in html  # a fragment, not the page


BAD_INPUT = [
    ({"first_name": ""}, "first_name", "Enter the first name."),
    ({"date_of_birth": ""}, "date_of_birth", "Enter the date of birth."),
    ({"identity": "unknown"}, "description", "Describe the person"),
    ({"identity": "martian"}, "identity", "not one of the available"),
    (
        {"identity": "withheld", "description": "Tall", "approximate_age": "130"},
        "approximate_age",
        "between 0 and 120",
    ),
    ({"contact_phone": "call me"}, "contact_phone", "7 to 15 digits"),
    ({"contact_phone": "12345"}, "contact_phone", "7 to 15 digits"),
    ({"contact_share": "on"}, "contact_share", "Give a phone number or another way"),
    ({"contact_language": "xx"}, "contact_language", "not one of the available"),
    ({"contact_best_time": "m" * 101}, "contact_best_time", "at most 100"),
    ({"person_choice": "not-a-uuid"}, "person_choice", "Choose a person from the list"),
    ({"presenting_needs": None}, "presenting_needs", "Choose at least one need."),
    ({"location_text": ""}, "location_text", "This field is required."),
    ({"date_of_birth": "2999-01-01"}, "date_of_birth", "cannot be in the future"),
    ({"date_of_birth": "1990-02-30"}, "date_of_birth", "real date"),
    ({"occurred_at": "2026-13-45T25:61"}, "occurred_at", "real date and time"),
    ({"occurred_at": "2999-01-01T10:00"}, "occurred_at", "in the future"),
    ({"last_name": "W" * 81}, "last_name", "at most 80 characters"),
    ({"first_name": "Da\x00na"}, "first_name", "control characters"),
    ({"first_name": "Dana\u200b"}, "first_name", "control characters"),
    ({"first_name": "12345"}, "first_name", "at least one letter"),
    ({"service": ""}, "service", "Choose the service"),
    ({"service": "not-a-uuid"}, "service", "Choose a service from the list"),
    ({"service": str(uuid.uuid4())}, "service", "not available in this program"),
    ({"presenting_needs": ["telepathy"]}, "presenting_needs", "not one of the available"),
    ({"idempotency_key": "x"}, "idempotency_key", "valid UUID"),
]


@pytest.mark.parametrize(("override", "field", "message"), BAD_INPUT)
def test_bad_input_gets_a_clear_message_and_saves_nothing(
    cast: Any, override: dict[str, Any], field: str, message: str
) -> None:
    client = cast.client_for(cast.officer_a)
    before = counts()
    response = client.post(NEW_URL, entry(cast, **override))
    assert response.status_code == 422
    errors = response.context["form"].errors
    assert field in errors, errors
    assert message in " ".join(errors[field])
    assert b"Nothing was saved" in response.content
    assert counts() == before


def test_zero_capacity_service_needs_an_override_reason(cast: Any) -> None:
    client = cast.client_for(cast.officer_a)
    full = str(cast.outpatient_p_full.pk)
    response = client.post(NEW_URL, entry(cast, service=full))
    assert response.status_code == 422
    assert "no open capacity" in response.context["form"].errors["capacity_override_reason"][0]
    assert Encounter.objects.count() == 0
    ok = client.post(
        NEW_URL, entry(cast, service=full, capacity_override_reason="Intake confirmed by phone")
    )
    assert ok.status_code == 302
    assert Referral.objects.get().capacity_override_reason == "Intake confirmed by phone"


def test_double_submit_creates_one_encounter(cast: Any) -> None:
    client = cast.client_for(cast.officer_a)
    data = entry(cast)
    first = client.post(NEW_URL, data)
    second = client.post(NEW_URL, data)
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    assert (Person.objects.count(), Encounter.objects.count(), Referral.objects.count()) == (
        1,
        1,
        1,
    )


def test_the_same_key_with_a_different_body_is_refused_and_changes_nothing(cast: Any) -> None:
    client = cast.client_for(cast.officer_a)
    data = entry(cast)
    assert client.post(NEW_URL, data).status_code == 302
    before = counts()
    recorded = Encounter.objects.get()
    other = {**data, "first_name": "Morgan", "last_name": "Ellery-Price"}
    refused = client.post(NEW_URL, other)
    assert refused.status_code == 409
    page = refused.content.decode()
    assert "This form had already recorded a different contact, so nothing was saved." in page
    assert str(data["idempotency_key"]) not in page  # a fresh form, with a new key
    assert counts() == before
    assert Encounter.objects.get() == recorded and recorded.person.first_name != "Morgan"
    # the service refuses it too, for callers other than the form
    with pytest.raises(ValidationError) as info:
        field_entry_submit(
            actor=cast.officer_a,
            entry=FieldEntry(
                agency=cast.police_a,
                pathway=recorded.pathway,
                new_person=NewPerson("Morgan", "Ellery-Price", None),
                occurred_at=clock.now(),
                call_source="on_view",
                presenting_needs=("mental_health",),
                disposition="information",
                idempotency_key=recorded.idempotency_key,
                idempotency_digest="0" * 64,
            ),
        )
    assert "already recorded a different contact" in str(info.value)
    assert counts() == before


def test_likely_duplicate_person_is_warned_then_chosen(cast: Any) -> None:
    existing = PersonFactory.create(
        created_by_agency=cast.police_b,
        first_name="Dana",
        last_name="Whitfield",
        date_of_birth=dt.date(1990, 6, 1),
    )
    client = cast.client_for(cast.officer_a)
    warned = client.post(NEW_URL, entry(cast, first_name="Dana", last_name="Whitfeld"))
    assert warned.status_code == 422
    assert b"may be someone already in Pathways" in warned.content
    assert str(existing.pk).encode() in warned.content
    assert Encounter.objects.count() == 0
    chosen = client.post(NEW_URL, entry(cast, person_choice=str(existing.pk)))
    assert chosen.status_code == 302
    assert Encounter.objects.get().person == existing
    assert Person.objects.count() == 1


def test_duplicate_warning_can_be_overridden_as_a_new_person(cast: Any) -> None:
    PersonFactory.create(
        first_name="Dana", last_name="Whitfield", date_of_birth=dt.date(1990, 6, 1)
    )
    client = cast.client_for(cast.officer_a)
    response = client.post(NEW_URL, entry(cast, person_choice="new"))
    assert response.status_code == 302
    assert Person.objects.count() == 2


def test_duplicates_fragment_lists_likely_people(cast: Any) -> None:
    PersonFactory.create(
        created_by_agency=cast.police_b,
        first_name="Dana",
        last_name="Whitfield",
        date_of_birth=dt.date(1990, 6, 1),
    )
    client = cast.client_for(cast.officer_a)
    html = client.get(
        reverse("people:duplicates"),
        {"first_name": "Dana", "last_name": "Whitfield", "date_of_birth": "1990-06-01"},
    ).content.decode()
    assert "Same person: Dana Whitfield" in html
    none = client.get(
        reverse("people:duplicates"),
        {"first_name": "Zed", "last_name": "Okonkwo", "date_of_birth": "1970-01-01"},
    ).content.decode()
    assert "Same person" not in none


def test_archived_person_cannot_be_chosen(cast: Any) -> None:
    gone = PersonFactory.create(archived_at=clock.now(), archive_reason="merged")
    response = cast.client_for(cast.officer_a).post(
        NEW_URL, entry(cast, person_choice=str(gone.pk))
    )
    assert response.status_code == 422
    # an archived person is never among the candidates the duplicate check offers
    assert "Choose a person from the list" in response.context["form"].errors["person_choice"][0]


def test_provider_staff_cannot_record_field_contacts(cast: Any) -> None:
    client = cast.client_for(cast.intake_p)
    assert client.get(NEW_URL).status_code == 403
    assert client.post(NEW_URL, entry(cast)).status_code == 403
    assert Encounter.objects.count() == 0


def test_pathway_not_enabled_is_not_found(cast: Any) -> None:
    cast.program.program_pathways.filter(pathway__code="officer_prevention").update(
        is_enabled=False
    )
    assert cast.client_for(cast.officer_a).get(NEW_URL).status_code == 404


def test_other_agency_sees_nothing_of_the_encounter(cast: Any) -> None:
    encounter = EncounterFactory.create(agency=cast.police_a, responder=cast.officer_a)
    url = reverse("encounters:detail", args=[encounter.pk])
    assert cast.client_for(cast.officer_a).get(url).status_code == 200
    assert cast.client_for(cast.supervisor_a).get(url).status_code == 200
    assert cast.client_for(cast.coordinator).get(url).status_code == 200
    assert cast.client_for(cast.officer_b).get(url).status_code == 404
    listing = cast.client_for(cast.officer_b).get(reverse("encounters:list")).content
    assert encounter.person.last_name.encode() not in listing
    assert cast.client_for(cast.intake_q).get(url).status_code == 403


def test_anonymous_users_are_sent_to_sign_in(cast: Any) -> None:
    from django.test import Client

    response = Client().get(NEW_URL)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_duplicates_fragment_keeps_the_officers_choice(cast: Any) -> None:
    dana = PersonFactory.create(
        created_by_agency=cast.police_b,
        first_name="Dana",
        last_name="Whitfield",
        date_of_birth=dt.date(1990, 6, 1),
    )
    html = (
        cast.client_for(cast.officer_a)
        .get(
            reverse("people:duplicates"),
            {
                "first_name": "Dana",
                "last_name": "Whitfield",
                "date_of_birth": "1990-06-01",
                "person_choice": str(dana.pk),
            },
        )
        .content.decode()
    )
    assert f'value="{dana.pk}" checked' in html


def test_override_reason_is_kept_only_when_the_service_was_full(cast: Any) -> None:
    client = cast.client_for(cast.officer_a)
    client.post(NEW_URL, entry(cast, capacity_override_reason="just in case"))
    assert Referral.objects.get().capacity_override_reason == ""


def test_duplicates_fragment_is_for_field_staff_only(cast: Any) -> None:
    url = reverse("people:duplicates")
    assert cast.client_for(cast.intake_p).get(url).status_code == 403
    assert cast.client_for(cast.researcher).get(url).status_code == 403


@pytest.mark.parametrize("same_body", [True, False])
def test_a_submission_racing_its_twin_past_the_key_check_saves_nothing_twice(
    cast: Any, monkeypatch: pytest.MonkeyPatch, same_body: bool
) -> None:
    """The twin was recorded between this submission's key check and its insert (two taps
    at once): the contact's unique key stops the insert, the whole composite (the new person
    and every audit event) rolls back, and the officer lands on the first contact, or is told
    the key was used for another contact."""
    client = cast.client_for(cast.officer_a)
    # "a new person": the twin, not yet committed when this one was checked, gives no warning
    data = entry(cast, person_choice="new")
    first = client.post(NEW_URL, data)
    assert first.status_code == 302
    before = counts()
    from pathways.encounters.selectors import find_by_idempotency_key as real

    calls: list[int] = []

    def late(user: Any, key: Any) -> Any:
        calls.append(1)
        return (
            None if len(calls) == 1 else real(user=user, key=key)
        )  # the first look came too early

    # the field page reads the key through workflow.selectors.key_lookup
    monkeypatch.setattr("pathways.workflow.selectors.find_by_idempotency_key", late)
    twin = data if same_body else {**data, "first_name": "Morgan", "last_name": "Ellery-Price"}
    second = client.post(NEW_URL, twin)
    assert len(calls) == 2
    assert counts() == before
    if same_body:
        assert second.status_code == 302 and second["Location"] == first["Location"]
    else:
        assert second.status_code == 422
        assert "already recorded a different contact" in second.content.decode()
