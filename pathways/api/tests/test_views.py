from __future__ import annotations

import re
from typing import Any

from django.test import Client
from django.urls import reverse

from pathways.accounts.factories import AgencyFactory, member
from pathways.api.models import ApiClient
from pathways.api.tests.helpers import bearer, register
from pathways.audit.models import AuditEvent
from pathways.core import clock
from pathways.programs.factories import ProgramFactory


def test_register_shows_the_credential_once_and_it_works(cast: Any) -> None:
    page = cast.client_for(cast.coordinator)
    form = page.get(reverse("api:client_new"))
    assert form.status_code == 200
    assert cast.provider_p.name in form.content.decode()
    response = page.post(
        reverse("api:client_new"),
        {
            "name": "Harbor EHR",
            "agency": cast.provider_p.pk,
            "scopes": ["referrals:read", "referrals:write"],
            "days": "90",
        },
    )
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    token = re.search(r'value="(pwapi_[^"]+)"', response.content.decode())
    assert token is not None
    client = ApiClient.objects.get(name="Harbor EHR")
    assert client.created_by == cast.coordinator and client.agency == cast.provider_p
    assert (client.expires_at - clock.now()).days in (89, 90)
    assert (
        Client().get("/api/v1/referrals/sent/", headers=bearer(token.group(1))).status_code == 200
    )
    listing = page.get(reverse("api:clients")).content.decode()
    assert "Harbor EHR" in listing and token.group(1) not in listing
    assert f"pwapi_{client.key_id}_" in listing


def test_bad_registrations_say_why_and_register_nothing(cast: Any) -> None:
    page = cast.client_for(cast.coordinator)
    for data, field_text in (
        (
            {"name": "", "agency": cast.provider_p.pk, "scopes": ["referrals:read"], "days": "30"},
            "This field is required",
        ),
        ({"name": "X", "agency": cast.provider_p.pk, "days": "30"}, "Choose at least one"),
        (
            {"name": "X", "agency": cast.provider_p.pk, "scopes": ["referrals:read"], "days": "0"},
            "greater than or equal to 1",
        ),
        (
            {"name": "X", "agency": cast.police_a.pk, "scopes": ["directory:write"], "days": "30"},
            "is for service providers",
        ),
        (
            {"name": "X", "agency": "not-an-agency", "scopes": ["referrals:read"], "days": "30"},
            "is not a valid UUID",
        ),
    ):
        response = page.post(reverse("api:client_new"), data)
        assert response.status_code == 422, data
        assert field_text in response.content.decode(), (data, field_text)
    assert not ApiClient.objects.exists()


def test_an_agency_of_another_program_cannot_be_chosen(cast: Any) -> None:
    elsewhere = AgencyFactory.create(
        program=ProgramFactory.create(name="Elsewhere"), kind="treatment"
    )
    page = cast.client_for(cast.coordinator)
    response = page.post(
        reverse("api:client_new"),
        {"name": "X", "agency": elsewhere.pk, "scopes": ["referrals:read"], "days": "30"},
    )
    assert response.status_code == 422
    assert not ApiClient.objects.exists()


def test_revoke_from_the_page_and_not_another_programs(cast: Any) -> None:
    client, token = register(cast, cast.provider_p, "referrals:read")
    page = cast.client_for(cast.coordinator)
    url = reverse("api:client_revoke", kwargs={"client_id": client.pk})
    too_long = page.post(url, {"reason": "x" * 201})
    assert too_long.status_code == 302
    assert ApiClient.objects.get(pk=client.pk).revoked_at is None
    elsewhere = AgencyFactory.create(
        program=ProgramFactory.create(name="Elsewhere"), kind="program_office"
    )
    outsider = member(elsewhere, "coordinator", "coordinator_elsewhere")
    assert cast.client_for(outsider).post(url, {"reason": ""}).status_code == 404
    assert ApiClient.objects.get(pk=client.pk).revoked_at is None
    assert page.post(url, {"reason": "EHR replaced"}).status_code == 302
    revoked = ApiClient.objects.get(pk=client.pk)
    assert revoked.revoked_by == cast.coordinator and revoked.revoke_reason == "EHR replaced"
    assert AuditEvent.objects.filter(event_type="api_client.revoke").count() == 1
    assert Client().get("/api/v1/referrals/sent/", headers=bearer(token)).status_code == 401


def test_the_docs_page_is_drawn_on_the_server_with_nothing_from_elsewhere(cast: Any) -> None:
    response = Client().get(reverse("api:docs"))
    assert response.status_code == 200
    html = response.content.decode()
    for text in (
        "GET /api/v1/referrals/sent/",
        "POST /api/v1/referrals/{referral_id}/answer/",
        "PUT /api/v1/services/{service_id}/capacity/",
        'id="problem-unauthorized"',
        "referrals:write",
        "Idempotency-Key",
    ):
        assert text in html, text
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert sources and all(not s.startswith(("http:", "https:", "//")) for s in sources), sources
    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert "<script>" not in html and "style=" not in html
    assert Client().get("/api/v1/")["Location"] == reverse("api:docs")


def test_management_commands_register_and_revoke(cast: Any) -> None:
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command(
        "api_client_register",
        "--program",
        cast.program.name,
        "--agency",
        cast.provider_p.name,
        "--name",
        "Harbor EHR",
        "--scope",
        "directory:write",
        "--by",
        "coordinator",
        stdout=out,
    )
    token = out.getvalue().strip().splitlines()[-1]
    assert token.startswith("pwapi_")
    client = ApiClient.objects.get(name="Harbor EHR")
    assert client.created_by == cast.coordinator
    call_command("api_client_revoke", client.key_id, "--reason", "test", stdout=StringIO())
    assert ApiClient.objects.get(pk=client.pk).revoked_at is not None
