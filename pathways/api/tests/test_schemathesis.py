"""Schemathesis against the API's own OpenAPI document, through the Django WSGI app in process:
for every operation, generated requests (valid and invalid) with a client credential holding
every scope must never get a 500, and every answer must be documented (its status code, its
content type, its body's schema: the problem details of errors included).

Bounded and deterministic: a fixed number of examples per operation, derandomized (the same
requests each run), no example database. The data is the shared cast: a referral sent to the
provider and the provider's service, so some requests reach real records."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import pytest
import schemathesis
from django.core.cache import cache
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Ok
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from pathways.api.tests.helpers import register
from pathways.api.vocabulary import ApiScope
from pathways.directory.factories import ServiceFactory
from pathways.encounters.factories import EncounterFactory
from pathways.referrals.services import referral_send

#: Examples per operation: enough to reach each body's branches, small enough for ~30 s.
EXAMPLES = 40
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


@dataclass
class World:
    token: str
    referral_to_us: Any  # a referral addressed to the client's agency
    our_service: Any


@pytest.fixture
def world(cast: Any, settings: Any) -> World:
    settings.PATHWAYS_API_RATE_PER_MINUTE = 1_000_000
    cache.clear()
    # one client may not hold every scope (provider scopes are for providers, field scopes
    # for first responders): a community response team is both
    team = cast.police_a
    team.kind = "community_response"
    team.save(update_fields=["kind"])
    _, credential = register(cast, team, *ApiScope.values, name="Every scope")
    ours = ServiceFactory.create(organization=team, capacity_total=5, capacity_open=2)
    encounter = EncounterFactory.create(
        program=cast.program, agency=cast.police_b, responder=cast.officer_b
    )
    to_us = referral_send(
        actor=cast.officer_b, encounter=encounter, service=ours, warm_handoff=True
    )
    sent = EncounterFactory.create(program=cast.program, agency=team, responder=cast.officer_a)
    referral_send(actor=cast.officer_a, encounter=sent, service=cast.detox_p, warm_handoff=True)
    return World(str(credential), to_us, ours)


def good_cases(world: World, cast: Any) -> dict[tuple[str, str], list[dict[str, Any]]]:
    """Requests that succeed, per (method, path), so the success answers are checked too."""
    contact = {
        "pathway": "community_response",
        "call_source": "dispatched",
        "presenting_needs": ["substance_use"],
        "location_text": "400 Block of Elm St",
        "disposition": "referred",
        "service_id": str(cast.detox_p.pk),
        "person": {"first_name": "Dana", "last_name": "Whitfield", "date_of_birth": "1990-06-01"},
        "reach": {"phone": "555-0100", "texts_ok": True},
        "sections": {"crisis_team": {"team_members": ["clinician", "peer"], "outcome": "referred"}},
    }
    return {
        ("POST", "/api/v1/contacts/"): [{"body": contact}],
        ("POST", "/api/v1/overdoses/"): [
            {
                "body": {
                    "occurred_at": "2026-01-05T03:10:00Z",
                    "naloxone_given": False,
                    "fatal": False,
                    "transported": False,
                }
            }
        ],
        ("GET", "/api/v1/referrals/{referral_id}/"): [
            {"path_parameters": {"referral_id": str(world.referral_to_us.pk)}}
        ],
        ("POST", "/api/v1/referrals/{referral_id}/answer/"): [
            {
                "path_parameters": {"referral_id": str(world.referral_to_us.pk)},
                "body": {"decision": "accept", "expected_status": "sent"},
            }
        ],
        ("PUT", "/api/v1/services/{service_id}/capacity/"): [
            {
                "path_parameters": {"service_id": str(world.our_service.pk)},
                "body": {"capacity_open": 1},
            }
        ],
    }


@pytest.fixture
def wsgi_app() -> Any:
    """Django's WSGI app, keeping the test's database connection open between requests (as
    django.test.Client does: the test's transaction holds the data)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield get_wsgi_application()
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def test_every_operation_answers_as_documented(cast: Any, world: World, wsgi_app: Any) -> None:
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", wsgi_app)
    operations = []
    for result in schema.get_all_operations():
        assert isinstance(result, Ok), result  # the document itself is valid
        operations.append(result.ok())
    assert len(operations) >= 6
    token = world.token

    def headers_for(method: str) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {token}"}
        if method.upper() == "POST":
            headers["Idempotency-Key"] = str(uuid.uuid4())
        return headers

    good = good_cases(world, cast)
    for operation in operations:
        for values in good.get((operation.method.upper(), operation.path), []):
            case = operation.Case(media_type="application/json", **values)
            response = case.call(headers=headers_for(case.method))
            assert response.status_code < 300, (operation.path, response.content)
            case.validate_response(response, checks=CHECKS)

        @settings(
            max_examples=EXAMPLES,
            derandomize=True,
            database=None,
            deadline=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy())
        def answers_as_documented(case: Any) -> None:
            response = case.call(headers=headers_for(case.method))
            case.validate_response(response, checks=CHECKS)

        answers_as_documented()
