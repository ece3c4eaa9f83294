"""The partner API end to end: credentials, scopes, rate, problems, and each endpoint through
the same selectors, services and disclosure check as the pages."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client

from pathways.api.services import api_client_revoke
from pathways.api.tests.helpers import assert_problem, bearer, get, post, put, register
from pathways.audit.models import AuditEvent
from pathways.consent.factories import consent_values
from pathways.consent.models import Disclosure
from pathways.consent.services import consent_record
from pathways.core import clock
from pathways.directory.models import CapacityUpdate, Service
from pathways.encounters.factories import EncounterFactory
from pathways.referrals.models import Referral, ReferralStatusChange
from pathways.referrals.services import referral_accept, referral_send

SENT = "/api/v1/referrals/sent/"


def one(referral: Any) -> str:
    return f"/api/v1/referrals/{referral.pk}/"


def answer(referral: Any) -> str:
    return f"/api/v1/referrals/{referral.pk}/answer/"


def capacity(service: Any) -> str:
    return f"/api/v1/services/{service.pk}/capacity/"


@pytest.fixture(autouse=True)
def _fresh_rate_counts() -> Any:
    cache.clear()
    yield
    cache.clear()


def send(cast: Any, *, agency: Any = None, service: Any = None) -> Referral:
    agency = agency or cast.police_a
    responder = cast.officer_a if agency == cast.police_a else cast.officer_b
    encounter = EncounterFactory.create(program=cast.program, agency=agency, responder=responder)
    return referral_send(
        actor=responder, encounter=encounter, service=service or cast.detox_p, warm_handoff=True
    )


class Partners:
    def __init__(self, cast: Any) -> None:
        self.cast = cast
        self.police, self.police_token = register(cast, cast.police_a, "referrals:read", name="RMS")
        self.provider, self.provider_token = register(
            cast,
            cast.provider_p,
            "referrals:read",
            "referrals:write",
            "directory:write",
            name="Harbor EHR",
        )
        self.other_provider, self.other_provider_token = register(
            cast, cast.provider_q, "referrals:write", "directory:write", name="Lakeside EHR"
        )


@pytest.fixture
def partners(cast: Any) -> Partners:
    return Partners(cast)


# --- credentials ------------------------------------------------------------------------------


def test_no_credential_a_wrong_one_or_a_session_cookie_get_401(
    cast: Any, partners: Partners
) -> None:
    send(cast)
    for headers in (
        {},
        {"Authorization": "Bearer nonsense"},
        {"Authorization": "Basic eDp5"},
        bearer(partners.police_token[:-2] + "zz"),
    ):
        body = assert_problem(Client().get(SENT, headers=headers), 401, "unauthorized")
        assert "pwapi_" in body["detail"]
    # a fully signed-in person (password and second step) is still not a client
    for user in (cast.supervisor_a, cast.coordinator, cast.intake_p):
        session = cast.client_for(user)
        assert_problem(session.get(SENT), 401, "unauthorized")
        response = session.post(
            answer(send(cast)),
            json.dumps({"decision": "accept", "expected_status": "sent"}),
            content_type="application/json",
            headers={"Idempotency-Key": "k1"},
        )
        assert_problem(response, 401, "unauthorized")
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert not Referral.objects.exclude(status="sent").exists()


def test_expired_and_revoked_credentials_get_401_and_are_audited(
    cast: Any, partners: Partners
) -> None:
    assert get(partners.police_token, SENT).status_code == 200
    with clock.frozen(partners.police.expires_at + dt.timedelta(seconds=1)):
        assert_problem(get(partners.police_token, SENT), 401, "unauthorized")
    api_client_revoke(actor=cast.coordinator, client=partners.provider, reason="replaced")
    assert_problem(get(partners.provider_token, SENT), 401, "unauthorized")
    reasons = sorted(
        e.changes["reason"][1] for e in AuditEvent.objects.filter(event_type="auth.api_refused")
    )
    assert reasons == ["expired", "revoked"]


def test_a_scope_the_client_lacks_gets_403(cast: Any, partners: Partners) -> None:
    referral = send(cast)
    body = assert_problem(
        post(
            partners.police_token,
            answer(referral),
            {"decision": "accept", "expected_status": "sent"},
        ),
        403,
        "forbidden",
    )
    assert "referrals:write" in body["detail"]
    assert_problem(get(partners.other_provider_token, one(referral)), 403, "forbidden")
    assert_problem(
        put(partners.police_token, capacity(cast.detox_p), {"capacity_open": 1}), 403, "forbidden"
    )
    assert Referral.objects.get(pk=referral.pk).status == "sent"
    assert AuditEvent.objects.filter(event_type="auth.api_refused").count() == 3


def test_the_rate_per_client_gives_429_with_retry_after(
    cast: Any, partners: Partners, settings: Any
) -> None:
    settings.PATHWAYS_API_RATE_PER_MINUTE = 3
    for _ in range(3):
        assert get(partners.police_token, SENT).status_code == 200
    limited = assert_problem(get(partners.police_token, SENT), 429, "rate-limited")
    assert "3 requests a minute" in limited["detail"]
    retry = get(partners.police_token, SENT)["Retry-After"]
    assert 1 <= int(retry) <= 60
    # counted per client: another client is not held back
    assert get(partners.provider_token, SENT).status_code == 200


def test_last_used_is_noted(cast: Any, partners: Partners) -> None:
    assert partners.police.last_used_at is None
    get(partners.police_token, SENT)
    partners.police.refresh_from_db()
    assert partners.police.last_used_at is not None


# --- problems for every error -----------------------------------------------------------------


def test_404_405_and_malformed_bodies_are_problems(cast: Any, partners: Partners) -> None:
    assert_problem(Client().get("/api/v1/no/such/thing/"), 404, "not-found")
    assert_problem(Client().post("/api/v1/no/such/thing/"), 404, "not-found")
    not_allowed = assert_problem(
        Client().delete(SENT, headers=bearer(partners.police_token)), 405, "method-not-allowed"
    )
    assert "GET" in not_allowed["detail"]
    referral = send(cast)
    response = Client().post(
        answer(referral),
        "{not json",
        content_type="application/json",
        headers={**bearer(partners.provider_token), "Idempotency-Key": "k"},
    )
    assert_problem(response, 400, "malformed")
    assert_problem(
        get(partners.police_token, f"/api/v1/referrals/{uuid.uuid4()}/"), 404, "not-found"
    )
    assert_problem(get(partners.police_token, "/api/v1/referrals/not-a-uuid/"), 422, "invalid")


def test_a_server_error_is_a_problem_with_nothing_personal_logged(
    cast: Any, partners: Partners, monkeypatch: Any, caplog: Any
) -> None:
    from pathways.api import v1

    def boom(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("Avery Nakamura-Cole, born 1990-01-01")

    monkeypatch.setattr(v1, "referrals_visible_to", boom)
    body = assert_problem(get(partners.police_token, SENT), 500, "server-error")
    assert body["instance"].startswith("urn:uuid:")
    assert "Avery" not in json.dumps(body)
    assert "RuntimeError" in caplog.text and "Avery" not in caplog.text
    assert partners.police_token not in caplog.text


# --- referrals sent ---------------------------------------------------------------------------


def test_the_referrals_sent_page_by_page_only_the_agencys(cast: Any, partners: Partners) -> None:
    ours = [send(cast) for _ in range(5)]
    send(cast, agency=cast.police_b)  # another agency's
    seen: list[str] = []
    url: str | None = f"{SENT}?limit=2"
    pages = 0
    while url:
        response = get(partners.police_token, url)
        assert response.status_code == 200, response.content
        body = response.json()
        seen += [item["id"] for item in body["items"]]
        url = body["next"]
        pages += 1
    assert pages == 3
    assert seen == [
        str(r.pk) for r in sorted(ours, key=lambda r: (r.created_at, r.pk), reverse=True)
    ]
    assert_problem(get(partners.police_token, f"{SENT}?cursor=forged"), 422, "invalid")
    assert_problem(get(partners.police_token, f"{SENT}?limit=1000"), 422, "invalid")


def test_progress_beyond_sent_is_shown_only_under_consent(cast: Any, partners: Partners) -> None:
    referral = send(cast)
    referral_accept(actor=cast.intake_p, referral=referral, expected_status="sent")
    # a status filter cannot probe the real status: it is no parameter of the list
    item = get(partners.police_token, f"{SENT}?status=accepted").json()["items"][0]
    assert (item["status"], item["shared_under_consent"]) == ("sent", False)
    moved = dt.datetime.fromisoformat(item["status_changed_at"].replace("Z", "+00:00"))
    sent = dt.datetime.fromisoformat(item["sent_at"].replace("Z", "+00:00"))
    assert abs(moved - sent) < dt.timedelta(seconds=1)  # not when it was accepted
    detail = get(partners.police_token, one(referral)).json()
    assert detail["status"] == "sent"
    assert [h["status"] for h in detail["history"]] == ["sent"]
    assert detail["redisclosure_notice"] is None
    assert not Disclosure.objects.exists()
    # the person's consent to the agency's supervisors: the client (a supervisor's role) sees it
    consent_record(
        **consent_values(
            actor=cast.intake_p,
            person=referral.person,
            disclosing_agency=cast.provider_p,
            recipient_agency=cast.police_a,
        )
    )
    detail = get(partners.police_token, one(referral)).json()
    assert (detail["status"], detail["shared_under_consent"]) == ("accepted", True)
    assert "42 CFR part 2" in detail["redisclosure_notice"]
    assert Disclosure.objects.filter(recipient_user=partners.police.user).exists()
    assert get(partners.police_token, SENT).json()["items"][0]["status"] == "accepted"


def test_a_consent_for_officers_only_does_not_reach_the_client(
    cast: Any, partners: Partners
) -> None:
    referral = send(cast)
    referral_accept(actor=cast.intake_p, referral=referral, expected_status="sent")
    consent_record(
        **consent_values(
            actor=cast.intake_p,
            person=referral.person,
            disclosing_agency=cast.provider_p,
            recipient_agency=cast.police_a,
            recipient_roles=["officer"],
        )
    )
    assert get(partners.police_token, one(referral)).json()["status"] == "sent"


def test_another_agencys_referral_is_404(cast: Any, partners: Partners) -> None:
    theirs = send(cast, agency=cast.police_b)
    assert_problem(get(partners.police_token, one(theirs)), 404, "not-found")
    to_q = send(cast, service=cast.crisis_q)
    assert_problem(get(partners.provider_token, one(to_q)), 404, "not-found")
    _, token_b = register(cast, cast.police_b, "referrals:read", name="South RMS")
    assert get(token_b, SENT).json()["items"][0]["id"] == str(theirs.pk)


# --- the provider's answer --------------------------------------------------------------------


def test_accept_through_the_referral_service_audited_and_idempotent(
    cast: Any, partners: Partners
) -> None:
    referral = send(cast)
    open_before = Service.objects.get(pk=cast.detox_p.pk).capacity_open
    body = {"decision": "accept", "expected_status": "sent", "note": "Bed 4 tonight"}
    first = post(partners.provider_token, answer(referral), body, key="abc-1")
    assert first.status_code == 200, first.content
    assert first.json()["status"] == "accepted"
    assert Service.objects.get(pk=cast.detox_p.pk).capacity_open == open_before - 1
    event = AuditEvent.objects.get(event_type="referral.accept", object_id=str(referral.pk))
    assert event.actor == partners.provider.user
    change = ReferralStatusChange.objects.get(referral=referral, to_status="accepted")
    assert change.changed_by == partners.provider.user
    again = post(partners.provider_token, answer(referral), body, key="abc-1")
    assert again.status_code == 200 and again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert AuditEvent.objects.filter(event_type="referral.accept").count() == 1
    other = {**body, "note": "Bed 5"}
    assert_problem(
        post(partners.provider_token, answer(referral), other, key="abc-1"),
        422,
        "idempotency-key-reused",
    )
    # a new key is a new request: the referral has moved on, so the stale answer is refused
    stale = assert_problem(
        post(partners.provider_token, answer(referral), body, key="abc-2"), 409, "conflict"
    )
    assert stale["current_status"] == "Accepted"


def test_decline_needs_a_reason_and_refusals_change_nothing(cast: Any, partners: Partners) -> None:
    referral = send(cast)
    url = answer(referral)
    refused = assert_problem(
        post(partners.provider_token, url, {"decision": "decline", "expected_status": "sent"}),
        422,
        "invalid",
    )
    assert [e["field"] for e in refused["errors"]] == ["reason"]
    other = assert_problem(
        post(
            partners.provider_token,
            url,
            {"decision": "decline", "expected_status": "sent", "reason": "other"},
        ),
        422,
        "invalid",
    )
    assert [e["field"] for e in other["errors"]] == ["note"]
    done = post(
        partners.provider_token,
        url,
        {"decision": "decline", "expected_status": "sent", "reason": "no_capacity"},
    )
    assert done.status_code == 200 and done.json()["status"] == "declined"
    change = ReferralStatusChange.objects.get(referral=referral, to_status="declined")
    assert change.decline_reason == "no_capacity"


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({}, {"decision", "expected_status"}),
        ({"decision": "maybe", "expected_status": "sent"}, {"decision"}),
        ({"decision": "accept", "expected_status": 1}, {"expected_status"}),
        ({"decision": "accept", "expected_status": "sent", "note": 5}, {"note"}),
        ({"decision": "accept", "expected_status": "sent", "note": "x" * 501}, {"note"}),
        ({"decision": "accept", "expected_status": "sent", "note": "a\x00b"}, {"note"}),
        ({"decision": "accept", "expected_status": "sent", "reason": "other"}, {"reason"}),
        # mass assignment: fields the client may not set are refused, not applied
        ({"decision": "accept", "expected_status": "sent", "status": "completed"}, {"status"}),
        (
            {
                "decision": "accept",
                "expected_status": "sent",
                "receiving_agency": "x",
                "person": "y",
            },
            {"receiving_agency", "person"},
        ),
        ([], {""}),
    ],
)
def test_bad_answers_get_a_problem_listing_the_fields_and_change_nothing(
    cast: Any, partners: Partners, body: Any, fields: set[str]
) -> None:
    referral = send(cast)
    events = AuditEvent.objects.writes().count()
    problem = assert_problem(post(partners.provider_token, answer(referral), body), 422, "invalid")
    assert {e["field"] for e in problem["errors"]} == fields, problem["errors"]
    assert all(set(e) == {"field", "in", "message", "code"} for e in problem["errors"])
    assert "x" * 501 not in json.dumps(problem)  # the input is never echoed
    fresh = Referral.objects.get(pk=referral.pk)
    assert (fresh.status, fresh.receiving_agency_id) == ("sent", cast.provider_p.pk)
    assert AuditEvent.objects.writes().count() == events


def test_an_answer_needs_an_idempotency_key(cast: Any, partners: Partners) -> None:
    referral = send(cast)
    response = Client().post(
        answer(referral),
        json.dumps({"decision": "accept", "expected_status": "sent"}),
        content_type="application/json",
        headers=bearer(partners.provider_token),
    )
    assert_problem(response, 400, "malformed")
    assert Referral.objects.get(pk=referral.pk).status == "sent"


def test_only_the_receiving_provider_answers(cast: Any, partners: Partners) -> None:
    referral = send(cast)  # to Harbor (provider P)
    assert_problem(
        post(
            partners.other_provider_token,
            answer(referral),
            {"decision": "accept", "expected_status": "sent"},
        ),
        404,
        "not-found",
    )
    assert Referral.objects.get(pk=referral.pk).status == "sent"


# --- capacity ---------------------------------------------------------------------------------


def test_capacity_of_the_agencys_own_service_through_the_directory_service(
    cast: Any, partners: Partners
) -> None:
    response = put(
        partners.provider_token, capacity(cast.detox_p), {"capacity_open": 7, "capacity_total": 12}
    )
    assert response.status_code == 200, response.content
    assert response.json()["capacity_open"] == 7
    service = Service.objects.get(pk=cast.detox_p.pk)
    assert (service.capacity_open, service.capacity_total) == (7, 12)
    assert service.capacity_updated_by == partners.provider.user
    assert CapacityUpdate.objects.filter(service=service, capacity_open=7).exists()
    event = AuditEvent.objects.get(event_type="service.capacity_set")
    assert event.actor == partners.provider.user
    assert_problem(
        put(partners.other_provider_token, capacity(cast.detox_p), {"capacity_open": 1}),
        404,
        "not-found",
    )


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"capacity_open": "3"}, {"capacity_open"}),
        ({"capacity_open": -1}, {"capacity_open"}),
        ({"capacity_open": 2.5}, {"capacity_open"}),
        ({}, {"capacity_open"}),
        ({"capacity_open": 11}, {""}),  # more open than offered: the service's rule
        ({"capacity_open": 1, "organization": "x"}, {"organization"}),
    ],
)
def test_bad_capacity_changes_nothing(
    cast: Any, partners: Partners, body: Any, fields: set[str]
) -> None:
    problem = assert_problem(
        put(partners.provider_token, capacity(cast.detox_p), body), 422, "invalid"
    )
    assert {e["field"] for e in problem["errors"]} == fields
    service = Service.objects.get(pk=cast.detox_p.pk)
    assert (service.capacity_open, service.capacity_total) == (3, 10)
    assert not CapacityUpdate.objects.exists()


# --- the document -----------------------------------------------------------------------------


def test_openapi_31_document_names_each_operations_scope() -> None:
    doc = Client().get("/api/v1/openapi.json").json()
    assert doc["openapi"].startswith("3.1")
    scopes = {
        (method, path): op["security"]
        for path, ops in doc["paths"].items()
        for method, op in ops.items()
    }
    assert scopes[("get", "/api/v1/referrals/sent/")] == [{"ClientCredential": ["referrals:read"]}]
    assert scopes[("post", "/api/v1/referrals/{referral_id}/answer/")] == [
        {"ClientCredential": ["referrals:write"]}
    ]
    assert scopes[("put", "/api/v1/services/{service_id}/capacity/")] == [
        {"ClientCredential": ["directory:write"]}
    ]
    assert doc["components"]["securitySchemes"]["ClientCredential"]["scheme"] == "bearer"
