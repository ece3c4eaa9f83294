"""The attack suite, through the partner API: what a partner system (or someone holding its
credential, or a person's session) would try. Each case must fail; they count in the attack
report under their groups (tests/attack_report.py)."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import Any

import pytest
from django.core.cache import cache
from django.urls import reverse

from pathways.api.models import ApiClient, IdempotentRequest
from pathways.api.services import api_client_revoke
from pathways.api.tests.helpers import assert_problem, get, post, put, register
from pathways.audit.models import AuditEvent
from pathways.consent.models import Disclosure
from pathways.core import clock
from pathways.directory.models import Service
from pathways.encounters.factories import EncounterFactory
from pathways.encounters.models import Encounter
from pathways.people.models import Person
from pathways.referrals.models import Referral, ReferralStatusChange
from pathways.referrals.services import referral_accept, referral_record_intake, referral_send
from pathways.surveillance.models import OverdoseEvent

attack = pytest.mark.attack

CONTACTS = "/api/v1/contacts/"
OVERDOSES = "/api/v1/overdoses/"
SENT = "/api/v1/referrals/sent/"


@pytest.fixture(autouse=True)
def _fresh_rate_counts() -> Any:
    cache.clear()
    yield
    cache.clear()


def one(referral: Any) -> str:
    return f"/api/v1/referrals/{referral.pk}/"


def answer(referral: Any) -> str:
    return f"/api/v1/referrals/{referral.pk}/answer/"


def capacity(service: Any) -> str:
    return f"/api/v1/services/{service.pk}/capacity/"


def sent_by_a(cast: Any) -> Referral:
    encounter = EncounterFactory.create(
        program=cast.program, agency=cast.police_a, responder=cast.officer_a
    )
    return referral_send(
        actor=cast.officer_a, encounter=encounter, service=cast.detox_p, warm_handoff=True
    )


def contact(cast: Any, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "pathway": "officer_prevention",
        "call_source": "on_view",
        "presenting_needs": ["substance_use"],
        "location_text": "400 Block of Elm St",
        "disposition": "referred",
        "service_id": str(cast.detox_p.pk),
        "person": {"first_name": "Dana", "last_name": "Whitfield", "date_of_birth": "1990-06-01"},
    }
    body.update(overrides)
    return body


def snapshot() -> tuple[int, ...]:
    return (
        Person.objects.count(),
        Encounter.objects.count(),
        Referral.objects.count(),
        ReferralStatusChange.objects.count(),
        OverdoseEvent.objects.count(),
        ApiClient.objects.count(),
        IdempotentRequest.objects.count(),
        AuditEvent.objects.writes().exclude(event_type="auth.api_refused").count(),
    )


# --- Another agency's records -----------------------------------------------------------------


@attack(group="api: other agency")
def test_another_police_agencys_client_cannot_read_the_referral(cast: Any) -> None:
    referral = sent_by_a(cast)
    _, token_b = register(cast, cast.police_b, "referrals:read", name="South RMS")
    assert_problem(get(token_b, one(referral)), 404, "not-found")
    assert get(token_b, SENT).json()["items"] == []


@attack(group="api: other agency")
def test_another_providers_client_cannot_answer_the_referral(cast: Any) -> None:
    referral = sent_by_a(cast)  # to Harbor (provider P)
    _, token_q = register(cast, cast.provider_q, "referrals:read", "referrals:write", name="Q")
    assert_problem(get(token_q, one(referral)), 404, "not-found")
    before = snapshot()
    response = post(token_q, answer(referral), {"decision": "accept", "expected_status": "sent"})
    assert_problem(response, 404, "not-found")
    assert Referral.objects.get(pk=referral.pk).status == "sent"
    assert snapshot() == before


@attack(group="api: other agency")
def test_another_providers_client_cannot_set_the_service_capacity(cast: Any) -> None:
    _, token_q = register(cast, cast.provider_q, "directory:write", name="Q")
    response = put(token_q, capacity(cast.detox_p), {"capacity_open": 0})
    assert_problem(response, 404, "not-found")
    assert Service.objects.get(pk=cast.detox_p.pk).capacity_open == 3


# --- Credentials and scopes -------------------------------------------------------------------


@attack(group="api: credentials and scopes")
def test_a_client_without_the_scope_cannot_write(cast: Any) -> None:
    _, reader = register(cast, cast.police_a, "referrals:read", name="Reader")
    referral = sent_by_a(cast)
    before = snapshot()
    assert_problem(post(reader, CONTACTS, contact(cast)), 403, "forbidden")
    assert_problem(
        post(reader, OVERDOSES, {"occurred_at": "2026-01-01T00:00:00Z"}), 403, "forbidden"
    )
    _, provider = register(cast, cast.provider_p, "directory:write", name="Beds only")
    assert_problem(
        post(provider, answer(referral), {"decision": "accept", "expected_status": "sent"}),
        403,
        "forbidden",
    )
    assert snapshot()[:5] == before[:5]
    assert Referral.objects.get(pk=referral.pk).status == "sent"


@attack(group="api: credentials and scopes")
def test_a_revoked_credential_is_refused_at_once(cast: Any) -> None:
    client, token = register(cast, cast.police_a, "encounters:write", name="RMS")
    api_client_revoke(actor=cast.coordinator, client=client, reason="laptop stolen")
    before = snapshot()
    assert_problem(post(token, CONTACTS, contact(cast)), 401, "unauthorized")
    assert snapshot() == before


@attack(group="api: credentials and scopes")
def test_an_expired_credential_is_refused(cast: Any) -> None:
    client, token = register(cast, cast.police_a, "encounters:write", name="RMS")
    before = snapshot()
    with clock.frozen(client.expires_at + dt.timedelta(minutes=1)):
        assert_problem(post(token, CONTACTS, contact(cast)), 401, "unauthorized")
    assert snapshot() == before


@attack(group="api: credentials and scopes")
def test_a_signed_in_persons_session_cookie_is_no_api_credential(cast: Any) -> None:
    """An officer fully signed in (password and second step) sends the session cookie alone:
    the API reads no cookie, so a cross-site request riding it gets nothing."""
    session = cast.client_for(cast.officer_a)
    before = snapshot()
    response = session.post(
        CONTACTS,
        json.dumps(contact(cast)),
        content_type="application/json",
        headers={"Idempotency-Key": str(uuid.uuid4())},
    )
    assert_problem(response, 401, "unauthorized")
    assert_problem(cast.client_for(cast.supervisor_a).get(SENT), 401, "unauthorized")
    assert snapshot() == before


@attack(group="api: credentials and scopes")
def test_an_officers_account_cannot_register_an_api_client(cast: Any) -> None:
    officer = cast.client_for(cast.officer_a)
    before = snapshot()
    response = officer.post(
        reverse("api:client_new"),
        {
            "name": "My own pipe",
            "agency": str(cast.police_a.pk),
            "scopes": ["encounters:write", "referrals:read"],
            "days": "730",
        },
    )
    assert response.status_code in (403, 404)
    assert officer.get(reverse("api:clients")).status_code in (403, 404)
    assert snapshot() == before


# --- Consent --------------------------------------------------------------------------------


@attack(group="api: consent bypass")
def test_the_referral_detail_without_consent_shows_nothing_of_the_treatment(cast: Any) -> None:
    referral = sent_by_a(cast)
    referral_accept(actor=cast.intake_p, referral=referral, expected_status="sent")
    referral_record_intake(actor=cast.intake_p, referral=referral, intake_at=clock.now())
    # a client with every scope a police agency may hold acts as its supervisors and officers
    _, token = register(
        cast,
        cast.police_a,
        "referrals:read",
        "encounters:write",
        "overdoses:write",
        name="RMS",
    )
    detail = get(token, one(referral))
    assert detail.status_code == 200
    body = detail.json()
    assert (body["status"], body["shared_under_consent"]) == ("sent", False)
    assert [h["status"] for h in body["history"]] == ["sent"]
    text = json.dumps(body).lower()
    assert "accepted" not in text and "intake" not in text and "engaged" not in text
    for probe in ("?status=accepted", "?include=history", "?consent=1"):
        probed = get(token, f"{one(referral)}{probe}").json()
        assert probed["status"] == "sent"
    listed = get(token, f"{SENT}?status=engaged").json()["items"]
    assert [item["status"] for item in listed] == ["sent"]
    assert not Disclosure.objects.exists()


# --- Mass assignment and idempotency --------------------------------------------------------


@attack(group="api: mass assignment")
@pytest.mark.parametrize(
    "extra",
    [
        {"status": "completed"},
        {"agency": "00000000-0000-4000-8000-000000000001"},
        {"agency_id": "00000000-0000-4000-8000-000000000001"},
        {"program": "x"},
        {"id": "00000000-0000-4000-8000-000000000002"},
        {"responder": "x"},
        {"eligibility_outcome": "eligible"},
        {"config_version": 1},
        {"idempotency_key": "00000000-0000-4000-8000-000000000003"},
        {"person": {"first_name": "A", "last_name": "B", "date_of_birth": "1990-01-01", "id": "p"}},
        {"sections": {"charge": {"offence_type": "theft", "offence_level": "felony", "case": 1}}},
    ],
)
def test_a_contact_cannot_set_what_the_client_may_not(cast: Any, extra: dict[str, Any]) -> None:
    _, token = register(cast, cast.police_a, "encounters:write", name="RMS")
    before = snapshot()
    body = {**contact(cast), **extra}
    assert_problem(post(token, CONTACTS, body), 422, "invalid")
    assert snapshot() == before


@attack(group="api: mass assignment")
def test_a_contact_cannot_be_recorded_for_another_agency_or_service(cast: Any) -> None:
    """The agency is the client's own, always; a service outside the program is refused."""
    _, token = register(cast, cast.police_b, "encounters:write", name="South RMS")
    other_program_service = Service.objects.exclude(organization__program=cast.program).first()
    assert other_program_service is None  # the cast has one program: make up an id
    response = post(token, CONTACTS, contact(cast, service_id=str(uuid.uuid4())))
    assert_problem(response, 422, "invalid")
    created = post(token, CONTACTS, contact(cast))
    assert created.status_code == 201, created.content
    assert Encounter.objects.get().agency == cast.police_b


@attack(group="api: idempotency replay")
def test_a_replayed_key_with_another_body_changes_nothing(cast: Any) -> None:
    _, token = register(cast, cast.police_a, "encounters:write", "overdoses:write", name="RMS")
    first = post(token, CONTACTS, contact(cast), key="shared-key")
    assert first.status_code == 201
    before = snapshot()
    for other in (
        contact(cast, disposition="information", service_id=None),
        contact(cast, person={"identity": "unknown", "description": "Tall, red jacket"}),
    ):
        assert_problem(
            post(token, CONTACTS, other, key="shared-key"), 422, "idempotency-key-reused"
        )
    # nor on another address with the same key
    assert_problem(
        post(
            token,
            OVERDOSES,
            {
                "occurred_at": "2026-01-01T00:00:00Z",
                "naloxone_given": False,
                "fatal": False,
                "transported": False,
            },
            key="shared-key",
        ),
        422,
        "idempotency-key-reused",
    )
    assert snapshot() == before


@attack(group="api: idempotency replay")
def test_a_replayed_answer_key_cannot_answer_another_referral(cast: Any) -> None:
    _, token = register(cast, cast.provider_p, "referrals:write", name="EHR")
    first, second = sent_by_a(cast), sent_by_a(cast)
    accept = {"decision": "accept", "expected_status": "sent"}
    assert post(token, answer(first), accept, key="k").status_code == 200
    assert_problem(post(token, answer(second), accept, key="k"), 422, "idempotency-key-reused")
    assert Referral.objects.get(pk=second.pk).status == "sent"


@attack(group="api: idempotency replay")
def test_another_clients_key_is_its_own(cast: Any) -> None:
    """The same key from another client is that client's request: no replay of the first
    client's answer (which would show another agency's contact)."""
    _, token_a = register(cast, cast.police_a, "encounters:write", name="North RMS")
    _, token_b = register(cast, cast.police_b, "encounters:write", name="South RMS")
    first = post(token_a, CONTACTS, contact(cast), key="k-1")
    theirs = post(token_b, CONTACTS, contact(cast, location_text="Elsewhere"), key="k-1")
    assert theirs.status_code in (201, 422)
    assert theirs.get("Idempotent-Replayed") is None
    assert theirs.json().get("id") != first.json()["id"]
