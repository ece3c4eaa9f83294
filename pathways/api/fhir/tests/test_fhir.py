"""FHIR R4 closed-loop referrals end to end: resources validated by fhir.resources, the search a
provider's EHR polls, Task updates landing as our status changes (audited, stale versions
refused), the consent-gated Patient, and every refusal an OperationOutcome that changes
nothing."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.capabilitystatement import CapabilityStatement
from fhir.resources.R4B.healthcareservice import HealthcareService
from fhir.resources.R4B.location import Location as FhirLocation
from fhir.resources.R4B.operationoutcome import OperationOutcome
from fhir.resources.R4B.organization import Organization
from fhir.resources.R4B.patient import Patient
from fhir.resources.R4B.servicerequest import ServiceRequest
from fhir.resources.R4B.task import Task

from pathways.api.tests.helpers import bearer, register
from pathways.audit.models import AuditEvent
from pathways.consent.factories import consent_values
from pathways.consent.models import Disclosure
from pathways.consent.services import consent_record
from pathways.core import clock
from pathways.directory.models import Location
from pathways.encounters.factories import EncounterFactory
from pathways.referrals.models import Referral, ReferralStatus, ReferralStatusChange
from pathways.referrals.services import referral_accept, referral_send

BASE = "/api/fhir/r4"
SITE = "http://testserver/api/fhir/r4"
FHIR_JSON = "application/fhir+json; charset=utf-8"


@pytest.fixture(autouse=True)
def _fresh_rate_counts() -> Any:
    cache.clear()
    yield
    cache.clear()


def send(cast: Any, *, agency: Any = None, needs: list[str] | None = None) -> Referral:
    agency = agency or cast.police_a
    responder = cast.officer_a if agency == cast.police_a else cast.officer_b
    encounter = EncounterFactory.create(
        program=cast.program,
        agency=agency,
        responder=responder,
        presenting_needs=needs or ["substance_use"],
    )
    return referral_send(
        actor=responder, encounter=encounter, service=cast.detox_p, warm_handoff=True
    )


class Partners:
    def __init__(self, cast: Any) -> None:
        self.police, self.police_token = register(cast, cast.police_a, "fhir:read", name="RMS")
        self.ehr, self.ehr_token = register(
            cast, cast.provider_p, "fhir:read", "fhir:write", name="Harbor EHR"
        )
        self.reader, self.reader_token = register(
            cast, cast.provider_p, "fhir:read", "referrals:write", name="Harbor reader"
        )
        self.other, self.other_token = register(
            cast, cast.provider_q, "fhir:read", "fhir:write", name="Lakeside EHR"
        )


@pytest.fixture
def partners(cast: Any) -> Partners:
    return Partners(cast)


def parse(model: Any, data: Any) -> Any:
    """`data` as fhir.resources' model (it refuses what is not valid FHIR)."""
    return model.model_validate(data)


def get(token: str, url: str) -> Any:
    return Client().get(url, headers=bearer(token))


def put(token: str, url: str, body: Any, if_match: str | None = None) -> Any:
    raw = body if isinstance(body, (str, bytes)) else json.dumps(body)
    headers = bearer(token)
    if if_match is not None:
        headers["If-Match"] = if_match
    return Client().put(url, raw, content_type="application/fhir+json", headers=headers)


def outcome(response: Any, status: int, code: str | None = None) -> Any:
    assert response.status_code == status, (response.status_code, response.content[:500])
    assert response["Content-Type"] == FHIR_JSON
    parsed = parse(OperationOutcome, response.json())
    if code is not None:
        assert code in [i.code for i in parsed.issue], parsed.issue
    return parsed


def task_url(referral: Referral) -> str:
    return f"{BASE}/Task/{referral.pk}"


def read_task(token: str, referral: Referral) -> tuple[dict[str, Any], str]:
    response = get(token, task_url(referral))
    assert response.status_code == 200, response.content[:500]
    return response.json(), response["ETag"]


def code_of(concept: dict[str, Any]) -> tuple[str, str]:
    coding = concept["coding"][0]
    return coding["system"], coding["code"]


def snapshot(referral: Referral) -> tuple[str, int, int]:
    referral.refresh_from_db()
    return (
        referral.status,
        ReferralStatusChange.objects.filter(referral=referral).count(),
        AuditEvent.objects.filter(event_type__startswith="referral.").count(),
    )


# --- resources ----------------------------------------------------------------------------------


def test_a_referral_round_trips_as_service_request_and_task(cast: Any, partners: Partners) -> None:
    referral = send(cast, needs=["substance_use", "housing"])
    response = get(partners.ehr_token, task_url(referral))
    assert response.status_code == 200
    assert response["Content-Type"] == FHIR_JSON
    assert response["ETag"] == 'W/"1"'
    task = parse(Task, response.json())
    assert (task.status, task.intent, task.id) == ("requested", "order", str(referral.pk))
    assert task.focus.reference == f"ServiceRequest/{referral.pk}"
    assert task.owner.reference == f"Organization/{cast.provider_p.pk}"
    assert task.requester.reference == f"Organization/{cast.police_a.pk}"
    assert task.for_fhir.reference == f"Patient/{referral.person_id}"
    assert task.meta.versionId == "1"
    assert code_of(response.json()["businessStatus"]) == (
        f"{SITE}/CodeSystem/referral-status",
        "sent",
    )

    sr_response = get(partners.ehr_token, task.focus.reference.join([f"{BASE}/", ""]))
    assert sr_response.status_code == 200
    request = parse(ServiceRequest, sr_response.json())
    assert (request.status, request.intent) == ("active", "order")
    assert request.subject.reference == f"Patient/{referral.person_id}"
    assert request.requester.reference == f"Organization/{cast.police_a.pk}"
    assert [p.reference for p in request.performer] == [
        f"Organization/{cast.provider_p.pk}",
        f"HealthcareService/{cast.detox_p.pk}",
    ]
    assert code_of(sr_response.json()["code"]) == (f"{SITE}/CodeSystem/service-type", "detox")
    assert [c.coding[0].code for c in request.reasonCode] == ["substance_use", "housing"]
    assert {c.coding[0].system for c in request.reasonCode} == {f"{SITE}/CodeSystem/need"}
    # the vocabulary behind the system URL is served
    need = Client().get(f"{BASE}/CodeSystem/need").json()
    assert need["url"] == f"{SITE}/CodeSystem/need"
    assert "housing" in [c["code"] for c in need["concept"]]


def test_capability_statement_is_public_and_valid(db: Any) -> None:
    response = Client().get(f"{BASE}/metadata")
    assert response.status_code == 200
    statement = parse(CapabilityStatement, response.json())
    assert statement.fhirVersion == "4.0.1"
    kinds = {r.type: r for r in statement.rest[0].resource}
    assert {"Task", "ServiceRequest", "Patient", "Organization", "HealthcareService"} <= set(kinds)
    assert {i.code for i in kinds["Task"].interaction} == {"read", "update", "search-type"}


def test_directory_as_organization_healthcare_service_location(
    cast: Any, partners: Partners
) -> None:
    place = Location.objects.create(
        organization=cast.provider_p,
        name="Harbor main",
        address_1="1 Pier St",
        city="Harbor",
        state_province="CA",
        postal_code="90000",
    )
    cast.detox_p.locations.add(place)
    org = get(partners.police_token, f"{BASE}/Organization/{cast.provider_p.pk}")
    assert parse(Organization, org.json()).name == cast.provider_p.name
    service = get(partners.police_token, f"{BASE}/HealthcareService/{cast.detox_p.pk}").json()
    parsed = parse(HealthcareService, service)
    assert parsed.providedBy.reference == f"Organization/{cast.provider_p.pk}"
    assert parsed.location[0].reference == f"Location/{place.pk}"
    loc = parse(FhirLocation, get(partners.police_token, f"{BASE}/Location/{place.pk}").json())
    assert loc.address.city == "Harbor"
    bundle = parse(Bundle, get(partners.police_token, f"{BASE}/HealthcareService?_count=1").json())
    assert bundle.type == "searchset" and len(bundle.entry) == 1
    assert [link.relation for link in bundle.link] == ["self", "next"]
    second = get(partners.police_token, bundle.link[1].url).json()
    assert second["entry"][0]["resource"]["id"] != bundle.entry[0].resource.id
    # read-only: no writes on the directory
    response = put(partners.ehr_token, f"{BASE}/Organization/{cast.provider_p.pk}", {})
    outcome(response, 405, "not-supported")


# --- search ----------------------------------------------------------------------------------


def test_search_by_owner_and_last_updated(cast: Any, partners: Partners) -> None:
    start = clock.now()
    with clock.frozen(start):
        old = send(cast)
    with clock.frozen(start + dt.timedelta(hours=1)):
        new = send(cast)
    with clock.frozen(start + dt.timedelta(hours=2)):
        referral_accept(actor=cast.intake_p, referral=old)
    send(cast, agency=cast.police_b)  # another referrer: still owned by provider P
    to_q = referral_send(
        actor=cast.officer_a,
        encounter=EncounterFactory.create(
            program=cast.program, agency=cast.police_a, responder=cast.officer_a
        ),
        service=cast.crisis_q,
        warm_handoff=False,
    )
    owner = f"Organization/{cast.provider_p.pk}"
    since = (start + dt.timedelta(minutes=30)).isoformat().replace("+00:00", "Z")
    response = Client().get(
        f"{BASE}/Task",
        {"owner": owner, "_lastUpdated": f"gt{since}"},
        headers=bearer(partners.ehr_token),
    )
    assert response.status_code == 200, response.content[:500]
    bundle = parse(Bundle, response.json())
    assert bundle.type == "searchset"
    ids = [e.resource.id for e in bundle.entry]
    assert str(old.pk) in ids and str(new.pk) in ids
    assert str(to_q.pk) not in ids
    accepted = next(e for e in response.json()["entry"] if e["resource"]["id"] == str(old.pk))
    assert accepted["resource"]["status"] == "accepted"
    assert accepted["fullUrl"] == f"{SITE}/Task/{old.pk}"

    later = (start + dt.timedelta(minutes=90)).isoformat()
    only_old = (
        Client()
        .get(
            f"{BASE}/Task",
            {"owner": owner, "_lastUpdated": f"gt{later}"},
            headers=bearer(partners.ehr_token),
        )
        .json()
    )
    assert [e["resource"]["id"] for e in only_old["entry"]] == [str(old.pk)]

    # another organization's Tasks are not the client's: an empty searchset
    theirs = get(partners.ehr_token, f"{BASE}/Task?owner=Organization/{cast.provider_q.pk}")
    assert theirs.status_code == 200 and theirs.json().get("entry", []) == []
    # paging
    first = get(partners.ehr_token, f"{BASE}/Task?owner={owner}&_count=1").json()
    assert len(first["entry"]) == 1 and first["link"][-1]["relation"] == "next"
    rest = get(partners.ehr_token, first["link"][-1]["url"]).json()
    assert rest["entry"][0]["resource"]["id"] != first["entry"][0]["resource"]["id"]


def test_the_referrers_search_shows_no_progress_without_consent(
    cast: Any, partners: Partners
) -> None:
    start = clock.now()
    with clock.frozen(start):
        referral = send(cast)
    with clock.frozen(start + dt.timedelta(hours=2)):
        referral_accept(actor=cast.intake_p, referral=referral)
    since = (start + dt.timedelta(hours=1)).isoformat()
    found = (
        Client()
        .get(
            f"{BASE}/Task",
            {"requester": f"Organization/{cast.police_a.pk}", "_lastUpdated": f"gt{since}"},
            headers=bearer(partners.police_token),
        )
        .json()
    )
    # the provider's step is its record: neither the status nor its time shows
    assert found.get("entry", []) == []
    task, etag = read_task(partners.police_token, referral)
    assert (task["status"], task["meta"]["versionId"], etag) == ("requested", "1", 'W/"1"')


@pytest.mark.parametrize(
    "query",
    [
        "_lastUpdated=gtyesterday",
        "_lastUpdated=gt2026-01-01T00:00:00",
        "owner=Patient/x",
        "_count=0",
        "name=x",
        "_cursor=forged",
    ],
)
def test_a_bad_search_is_an_operation_outcome(partners: Partners, query: str) -> None:
    outcome(get(partners.ehr_token, f"{BASE}/Task?{query}"), 400, "invalid")


# --- Task update ----------------------------------------------------------------------------


def test_the_providers_ehr_accepts_through_the_referral_service(
    cast: Any, partners: Partners
) -> None:
    referral = send(cast)
    task, etag = read_task(partners.ehr_token, referral)
    task["status"] = "accepted"
    task["note"] = [{"text": "Bed held until 5pm."}]
    response = put(partners.ehr_token, task_url(referral), task, if_match=etag)
    assert response.status_code == 200, response.content[:500]
    answered = parse(Task, response.json())
    assert answered.status == "accepted"
    assert response["ETag"] == 'W/"2"' and answered.meta.versionId == "2"
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.ACCEPTED
    change = referral.history.order_by("-changed_at", "-id").first()
    assert change is not None
    assert (change.to_status, change.changed_by, change.note) == (
        "accepted",
        partners.ehr.user,
        "Bed held until 5pm.",
    )
    assert AuditEvent.objects.filter(
        event_type="referral.accept", object_id=str(referral.pk), actor=partners.ehr.user
    ).exists()
    # the same PUT again changes nothing (PUT is idempotent)
    again = put(partners.ehr_token, task_url(referral), task, if_match='W/"2"')
    assert again.status_code == 200 and again["ETag"] == 'W/"2"'
    assert referral.history.count() == 2


def test_the_providers_ehr_rejects_with_a_reason(cast: Any, partners: Partners) -> None:
    referral = send(cast)
    task, _ = read_task(partners.ehr_token, referral)
    task["status"] = "rejected"
    task["statusReason"] = {
        "coding": [{"system": f"{SITE}/CodeSystem/decline-reason", "code": "no_capacity"}],
        "text": "Full until Monday.",
    }
    response = put(partners.ehr_token, task_url(referral), task)  # meta.versionId "1"
    assert response.status_code == 200, response.content[:500]
    body = response.json()
    assert body["status"] == "rejected"
    assert code_of(body["statusReason"]) == (f"{SITE}/CodeSystem/decline-reason", "no_capacity")
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.DECLINED
    change = referral.history.get(to_status="declined")
    assert (change.decline_reason, change.note) == ("no_capacity", "Full until Monday.")
    assert AuditEvent.objects.filter(
        event_type="referral.decline", object_id=str(referral.pk)
    ).exists()
    sr = get(partners.ehr_token, f"{BASE}/ServiceRequest/{referral.pk}").json()
    assert sr["status"] == "revoked"


def test_the_loop_through_intake_to_completion(cast: Any, partners: Partners) -> None:
    referral = send(cast)
    url = task_url(referral)
    for status, extra, ours in [
        ("received", {}, "received"),
        ("accepted", {}, "accepted"),
        ("in-progress", {"executionPeriod": {"start": clock.now().isoformat()}}, "engaged"),
        ("completed", {}, "completed"),
    ]:
        task, etag = read_task(partners.ehr_token, referral)
        response = put(partners.ehr_token, url, {**task, "status": status, **extra}, if_match=etag)
        assert response.status_code == 200, (status, response.content[:500])
        referral.refresh_from_db()
        assert referral.status == ours
    assert response.json()["businessStatus"]["coding"][0]["code"] == "completed"


def test_a_stale_version_is_refused_and_nothing_changes(cast: Any, partners: Partners) -> None:
    referral = send(cast)
    task, etag = read_task(partners.ehr_token, referral)
    referral_accept(actor=cast.intake_p, referral=referral)  # someone on the page, meanwhile
    before = snapshot(referral)
    task["status"] = "rejected"
    task["statusReason"] = {
        "coding": [{"system": f"{SITE}/CodeSystem/decline-reason", "code": "no_capacity"}]
    }
    refused = put(partners.ehr_token, task_url(referral), task, if_match=etag)
    outcome(refused, 412, "conflict")
    assert refused["ETag"] == 'W/"2"'
    outcome(put(partners.ehr_token, task_url(referral), task), 409, "conflict")  # meta.versionId
    del task["meta"]
    outcome(put(partners.ehr_token, task_url(referral), task), 428, "required")
    assert snapshot(referral) == before


def test_another_agencys_task_is_404(cast: Any, partners: Partners) -> None:
    referral = send(cast)
    outcome(get(partners.other_token, task_url(referral)), 404, "not-found")
    outcome(get(partners.other_token, f"{BASE}/ServiceRequest/{referral.pk}"), 404, "not-found")
    task, etag = read_task(partners.ehr_token, referral)
    before = snapshot(referral)
    refused = put(
        partners.other_token, task_url(referral), {**task, "status": "accepted"}, if_match=etag
    )
    outcome(refused, 404, "not-found")
    # the referrer sees the Task but owns nothing: it cannot update it either
    assert snapshot(referral) == before
    outcome(get(partners.ehr_token, f"{BASE}/Task/00000000-0000-0000-0000-000000000000"), 404)
    outcome(get(partners.ehr_token, f"{BASE}/Nothing/here"), 404, "not-found")


def test_wrong_scope_is_403_and_no_credential_401(cast: Any, partners: Partners) -> None:
    referral = send(cast)
    task, etag = read_task(partners.ehr_token, referral)
    before = snapshot(referral)
    # fhir:read only (its referrals:write gives it no FHIR update)
    refused = put(
        partners.reader_token,
        task_url(referral),
        {**task, "status": "accepted"},
        if_match=etag,
    )
    outcome(refused, 403, "forbidden")
    outcome(put(partners.police_token, task_url(referral), task, if_match=etag), 403)
    _, rest_token = register(cast, cast.police_a, "referrals:read", name="REST only")
    outcome(get(rest_token, task_url(referral)), 403, "forbidden")
    missing = Client().get(task_url(referral))
    outcome(missing, 401, "login")
    assert missing["WWW-Authenticate"].startswith("Bearer")
    outcome(get("pwapi_0000000000000000_nope", task_url(referral)), 401, "login")
    assert snapshot(referral) == before


@pytest.mark.parametrize(
    ("change", "status", "code"),
    [
        ("not json", 400, "structure"),
        ("[1, 2]", 400, "structure"),
        ({"resourceType": "Patient", "id": "x"}, 400, "invalid"),
        ({"intent": None}, 400, "required"),
        ({"status": 7}, 400, "structure"),
        ({"unknownElement": True}, 400, "structure"),
        ({"status": "bogus"}, 400, "code-invalid"),
        ({"status": "on-hold"}, 422, "business-rule"),
        ({"status": "completed"}, 422, "business-rule"),  # not from "requested"
        ({"status": "rejected"}, 422, "business-rule"),  # no reason
        ({"status": "accepted", "owner": {"reference": "Organization/elsewhere"}}, 422, None),
        ({"status": "accepted", "id": "another"}, 400, "invalid"),
    ],
)
def test_invalid_input_is_an_operation_outcome_and_changes_nothing(
    cast: Any, partners: Partners, change: Any, status: int, code: str | None
) -> None:
    referral = send(cast)
    task, etag = read_task(partners.ehr_token, referral)
    before = snapshot(referral)
    if isinstance(change, str):
        body: Any = change
    else:
        body = {**task, **change}
        body = {k: v for k, v in body.items() if v is not None}
    response = put(partners.ehr_token, task_url(referral), body, if_match=etag)
    parsed = outcome(response, status, code)
    assert "secret" not in response.content.decode()
    assert all(i.diagnostics for i in parsed.issue)
    assert snapshot(referral) == before


def test_invalid_resource_names_the_element_without_echoing_it(
    cast: Any, partners: Partners
) -> None:
    referral = send(cast)
    task, etag = read_task(partners.ehr_token, referral)
    task["authoredOn"] = "secret-value"
    parsed = outcome(put(partners.ehr_token, task_url(referral), task, if_match=etag), 400)
    assert "Task.authoredOn" in [e for i in parsed.issue for e in (i.expression or [])]
    assert "secret-value" not in json.dumps(parsed.model_dump(mode="json"))


# --- Patient ----------------------------------------------------------------------------------


def test_patient_details_only_under_the_disclosure_check(cast: Any, partners: Partners) -> None:
    referral = send(cast)
    person = referral.person
    url = f"{BASE}/Patient/{person.pk}"
    # the holder (the receiving provider) sees the minimal Patient
    response = get(partners.ehr_token, url)
    assert response.status_code == 200
    patient = parse(Patient, response.json())
    assert set(response.json()) <= {"resourceType", "id", "name", "birthDate", "gender"}
    assert patient.name[0].family == person.last_name
    assert AuditEvent.objects.filter(
        event_type="read.person", object_id=str(person.pk), actor=partners.ehr.user
    ).exists()
    # the referrer without the person's consent: the reference only, no details
    outcome(get(partners.police_token, url), 404, "not-found")
    sr = get(partners.police_token, f"{BASE}/ServiceRequest/{referral.pk}").json()
    assert sr["subject"] == {"reference": f"Patient/{person.pk}"}
    assert "reasonCode" not in sr
    # another provider: nothing
    outcome(get(partners.other_token, url), 404, "not-found")

    # under a consent naming the referrer's supervisors: shown, and accounted for
    consent_record(
        **consent_values(
            actor=cast.intake_p,
            person=person,
            disclosing_agency=cast.provider_p,
            recipient_agency=cast.police_a,
        )
    )
    shown = get(partners.police_token, url)
    assert shown.status_code == 200
    assert parse(Patient, shown.json()).id == str(person.pk)
    assert Disclosure.objects.filter(recipient_user=partners.police.user).exists()
    assert "reasonCode" in get(partners.police_token, f"{BASE}/ServiceRequest/{referral.pk}").json()


def test_scheduling_the_intake_needs_its_time(cast: Any, partners: Partners) -> None:
    referral = send(cast)
    referral_accept(actor=cast.intake_p, referral=referral)
    task, etag = read_task(partners.ehr_token, referral)
    task["status"] = "in-progress"
    task["businessStatus"] = {
        "coding": [{"system": f"{SITE}/CodeSystem/referral-status", "code": "intake_scheduled"}]
    }
    before = snapshot(referral)
    outcome(put(partners.ehr_token, task_url(referral), task, if_match=etag), 422, "business-rule")
    assert snapshot(referral) == before
    when = (clock.now() + dt.timedelta(days=2)).replace(microsecond=0)
    task["executionPeriod"] = {"start": when.isoformat()}
    response = put(partners.ehr_token, task_url(referral), task, if_match=etag)
    assert response.status_code == 200, response.content[:500]
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.INTAKE_SCHEDULED
    assert referral.history.get(to_status="intake_scheduled").scheduled_for == when
    assert response.json()["executionPeriod"]["start"].startswith(when.strftime("%Y-%m-%dT%H:%M"))
