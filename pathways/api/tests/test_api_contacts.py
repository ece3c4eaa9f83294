"""Contacts and overdoses through the API: the field form's checks, the workflow service, the
pathway's sections, idempotency, and strict bodies."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client

from pathways.api.models import ApiClient
from pathways.api.tests.helpers import assert_problem, bearer, post, register
from pathways.audit.models import AuditEvent
from pathways.encounters.models import Encounter
from pathways.people.models import Person
from pathways.referrals.models import Referral
from pathways.surveillance.models import OverdoseEvent

CONTACTS = "/api/v1/contacts/"
OVERDOSES = "/api/v1/overdoses/"


@pytest.fixture(autouse=True)
def _fresh_rate_counts() -> Any:
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def rms(cast: Any) -> str:
    """The token of police A's records system, allowed to record contacts and overdoses."""
    _, token = register(cast, cast.police_a, "encounters:write", "overdoses:write", name="RMS")
    return str(token)


def contact(cast: Any, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "pathway": "officer_prevention",
        "call_source": "on_view",
        "presenting_needs": ["substance_use"],
        "location_text": "400 Block of Elm St",
        "disposition": "referred",
        "service_id": str(cast.detox_p.pk),
        "warm_handoff": True,
        "person": {"first_name": "Dana", "last_name": "Whitfield", "date_of_birth": "1990-06-01"},
    }
    body.update(overrides)
    return body


def counts() -> tuple[int, ...]:
    return (
        Person.objects.count(),
        Encounter.objects.count(),
        Referral.objects.count(),
        OverdoseEvent.objects.count(),
        AuditEvent.objects.writes().count(),
    )


def test_a_contact_with_its_referral_through_the_workflow(cast: Any, rms: str) -> None:
    response = post(rms, CONTACTS, contact(cast), key="c-1")
    assert response.status_code == 201, response.content
    body = response.json()
    encounter = Encounter.objects.get(pk=body["id"])
    assert encounter.agency == cast.police_a
    assert ApiClient.objects.get(user=encounter.responder).name == "RMS"
    assert body["referral"]["service_id"] == str(cast.detox_p.pk)
    assert body["referral"]["status"] == "sent"
    assert body["person_id"] == str(encounter.person_id)
    assert AuditEvent.objects.filter(event_type="referral.send").count() == 1
    assert AuditEvent.objects.get(event_type="referral.send").actor == encounter.responder
    # a retry with the same key and body: the first answer, nothing recorded twice
    before = counts()
    again = post(rms, CONTACTS, contact(cast), key="c-1")
    assert again.status_code == 201 and again.json() == body
    assert again["Idempotent-Replayed"] == "true"
    assert counts() == before
    # the same key with another body is refused, and changes nothing
    other = contact(cast, location_text="500 Block of Oak St")
    assert_problem(post(rms, CONTACTS, other, key="c-1"), 422, "idempotency-key-reused")
    assert counts() == before


def test_a_contact_needs_an_idempotency_key(cast: Any, rms: str) -> None:
    response = Client().post(
        CONTACTS, json.dumps(contact(cast)), content_type="application/json", headers=bearer(rms)
    )
    assert_problem(response, 400, "malformed")
    assert not Encounter.objects.exists()


def test_the_pathways_overdose_section_is_recorded(cast: Any, rms: str) -> None:
    body = contact(
        cast,
        pathway="naloxone_plus",
        call_source="overdose_response",
        sections={
            "overdose": {
                "naloxone_given": True,
                "naloxone_doses": 2,
                "administered_by": "police",
                "fatal": False,
                "transported": True,
                "destination": "County General",
            }
        },
    )
    response = post(rms, CONTACTS, body)
    assert response.status_code == 201, response.content
    event = OverdoseEvent.objects.get(encounter_id=response.json()["id"])
    assert (event.naloxone_doses, event.administered_by, event.source) == (2, "police", "field")
    assert response.json()["work_items"]  # the follow-up inside the recovery window


def problem_fields(response: Any) -> set[str]:
    body = assert_problem(response, 422, "invalid")
    return {e["field"] for e in body["errors"]}


@pytest.mark.parametrize(
    ("overrides", "fields"),
    [
        # a section the pathway asks is required: Naloxone Plus without the overdose
        (
            {"pathway": "naloxone_plus"},
            {f"sections.overdose.{name}" for name in ("naloxone_given", "fatal", "transported")},
        ),
        # a section the pathway does not ask is refused
        (
            {"sections": {"crisis_team": {"team_members": ["clinician"], "outcome": "resolved"}}},
            {"sections.crisis_team"},
        ),
        # the section's own rules
        (
            {
                "pathway": "naloxone_plus",
                "sections": {
                    "overdose": {
                        "naloxone_given": False,
                        "naloxone_doses": 2,
                        "fatal": False,
                        "transported": True,
                    }
                },
            },
            {"sections.overdose.naloxone_doses", "sections.overdose.destination"},
        ),
        # a pathway the agency may not start (Community Response: community response teams)
        ({"pathway": "community_response"}, {"pathway"}),
        # a referral needs a service, and a service the program offers
        ({"service_id": None}, {"service_id"}),
        ({"service_id": "00000000-0000-4000-8000-000000000000"}, {"service_id"}),
        ({"disposition": "information"}, {"service_id"}),
        # a named person needs a birth date; an unnamed one a description
        ({"person": {"first_name": "Dana", "last_name": "Whitfield"}}, {"person.date_of_birth"}),
        ({"person": {"identity": "unknown"}}, {"person.description"}),
        # eligibility questions the rules do not ask
        ({"eligibility": {"made_up": True}}, {"eligibility.made_up"}),
        # strict body: mass assignment and wrong types refused
        ({"status": "completed"}, {"status"}),
        ({"agency": "x", "program": "y", "id": "z"}, {"agency", "program", "id"}),
        ({"responder": "x", "person_id": "y"}, {"responder", "person_id"}),
        ({"person": {"first_name": "A", "last_name": "B", "id": "x"}}, {"person.id"}),
        ({"presenting_needs": "substance_use"}, {"presenting_needs"}),
        ({"presenting_needs": []}, {"presenting_needs"}),
        ({"warm_handoff": "on"}, {"warm_handoff"}),
        ({"occurred_at": "2026-01-01T10:00"}, {"occurred_at"}),  # no UTC offset
        ({"occurred_at": "2999-01-01T10:00:00Z"}, {"occurred_at"}),  # the future
        ({"location_text": "x\x00y"}, {"location_text"}),
    ],
)
def test_bad_contacts_are_refused_field_by_field_and_change_nothing(
    cast: Any, rms: str, overrides: dict[str, Any], fields: set[str]
) -> None:
    before = counts()
    response = post(rms, CONTACTS, contact(cast, **overrides))
    assert problem_fields(response) == fields, response.json()["errors"]
    assert counts() == before


def test_no_capacity_needs_the_override_reason_as_on_the_form(cast: Any, rms: str) -> None:
    full = {"service_id": str(cast.outpatient_p_full.pk)}
    assert problem_fields(post(rms, CONTACTS, contact(cast, **full))) == {
        "capacity_override_reason"
    }
    reason = {**full, "capacity_override_reason": "Only outpatient the person will attend"}
    response = post(rms, CONTACTS, contact(cast, **reason))
    assert response.status_code == 201, response.content


def test_the_pathways_eligibility_rules_decide(cast: Any, rms: str) -> None:
    from pathways.encounters.tests.test_eligibility import angel

    angel(cast)
    base = {
        "pathway": "self_referral",
        "call_source": "walk_in",
        "eligibility": {
            "outstanding_warrant": True,
            "officer_safety_risk": False,
            "parent_consent": False,
        },
    }
    refused = assert_problem(post(rms, CONTACTS, contact(cast, **base)), 422, "invalid")
    why = {e["field"]: e["message"] for e in refused["errors"]}
    assert "outstanding warrant must be cleared" in why["disposition"]
    assert not Encounter.objects.exists()
    base["eligibility"]["outstanding_warrant"] = False  # type: ignore[index]
    response = post(rms, CONTACTS, contact(cast, **base))
    assert response.status_code == 201, response.content
    assert response.json()["eligibility_outcome"] == "eligible"


def test_a_known_person_is_chosen_only_among_the_matches(cast: Any, rms: str) -> None:
    first = post(rms, CONTACTS, contact(cast)).json()
    # the same name and birth date: the client must say who it is
    assert problem_fields(post(rms, CONTACTS, contact(cast))) == {""}
    same = contact(
        cast,
        person={
            "first_name": "Dana",
            "last_name": "Whitfield",
            "date_of_birth": "1990-06-01",
            "existing_person_id": first["person_id"],
        },
    )
    second = post(rms, CONTACTS, same)
    assert second.status_code == 201, second.content
    assert second.json()["person_id"] == first["person_id"]
    # another person's id is refused when the names do not match
    stranger = contact(
        cast,
        person={
            "first_name": "Sam",
            "last_name": "Okafor",
            "date_of_birth": "1985-01-01",
            "existing_person_id": first["person_id"],
        },
    )
    assert problem_fields(post(rms, CONTACTS, stranger)) == {"person.existing_person_id"}
    assert Person.objects.count() == 1


# --- overdoses --------------------------------------------------------------------------------


def overdose(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "occurred_at": "2026-01-05T03:10:00-05:00",
        "naloxone_given": True,
        "naloxone_doses": 2,
        "administered_by": "ems",
        "fatal": False,
        "transported": True,
        "destination": "County General",
        "area": "60601",
    }
    body.update(overrides)
    return body


def test_an_overdose_through_the_surveillance_service(cast: Any, rms: str) -> None:
    with_key = post(rms, OVERDOSES, overdose(), key="od-1")
    assert with_key.status_code == 201, with_key.content
    event = OverdoseEvent.objects.get()
    assert event.reporting_agency == cast.police_a
    assert event.source == "import"
    assert event.occurred_at == dt.datetime(2026, 1, 5, 8, 10, tzinfo=dt.UTC)
    audit = AuditEvent.objects.get(event_type="overdose.record")
    assert ApiClient.objects.get(user=audit.actor).name == "RMS"
    again = post(rms, OVERDOSES, overdose(), key="od-1")
    assert again.json() == with_key.json() and again["Idempotent-Replayed"] == "true"
    assert OverdoseEvent.objects.count() == 1
    assert_problem(
        post(rms, OVERDOSES, overdose(fatal=True), key="od-1"), 422, "idempotency-key-reused"
    )


@pytest.mark.parametrize(
    ("overrides", "fields"),
    [
        ({"naloxone_given": False}, {"naloxone_doses"}),
        ({"transported": False}, {"destination"}),
        ({"naloxone_doses": 0}, {"naloxone_doses"}),
        ({"occurred_at": "2999-01-01T00:00:00Z"}, {"occurred_at"}),
        ({"occurred_at": "1900-01-01T00:00:00Z"}, {"occurred_at"}),
        ({"source": "field"}, {"source"}),
        ({"reporting_agency": "x"}, {"reporting_agency"}),
        ({"person": "x"}, {"person"}),
        ({"fatal": "no"}, {"fatal"}),
    ],
)
def test_bad_overdoses_change_nothing(
    cast: Any, rms: str, overrides: dict[str, Any], fields: set[str]
) -> None:
    before = counts()
    assert problem_fields(post(rms, OVERDOSES, overdose(**overrides))) == fields
    assert counts() == before


def test_contacts_and_overdoses_need_their_scopes_and_a_field_agency(cast: Any) -> None:
    _, reader = register(cast, cast.police_a, "referrals:read", name="Reader")
    assert_problem(post(reader, CONTACTS, contact(cast)), 403, "forbidden")
    assert_problem(post(reader, OVERDOSES, overdose()), 403, "forbidden")
    from django.core.exceptions import ValidationError

    from pathways.api.services import api_client_register

    with pytest.raises(ValidationError, match="first responders"):
        api_client_register(
            actor=cast.coordinator, agency=cast.provider_p, name="EHR", scopes=["encounters:write"]
        )
    assert not Encounter.objects.exists() and not OverdoseEvent.objects.exists()
