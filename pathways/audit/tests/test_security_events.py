"""Audit events for sign-in, sign-out and refused requests, with nothing typed at a failed
sign-in kept."""

from __future__ import annotations

import json
from typing import Any

from django.test import Client
from django.urls import reverse

from pathways.accounts.factories import TEST_PASSWORD
from pathways.audit.models import AuditEvent
from pathways.encounters.factories import EncounterFactory
from pathways.referrals.services import referral_send


def everything_stored() -> str:
    return json.dumps(
        list(AuditEvent.objects.values("event_type", "object_type", "object_id", "changes")),
        default=str,
    )


def test_sign_in_and_sign_out_are_audited(cast: Any) -> None:
    writes = AuditEvent.objects.writes().count()  # the cast's set-up
    client = Client()
    client.post(reverse("login"), {"username": "officer_a", "password": TEST_PASSWORD})
    client.post(reverse("logout"))
    events = list(AuditEvent.objects.filter(event_type__startswith="auth.").order_by("occurred_at"))
    assert [(e.event_type, e.outcome, e.actor) for e in events] == [
        ("auth.login", "success", cast.officer_a),
        ("auth.logout", "success", cast.officer_a),
    ]
    assert events[0].object_id == str(cast.officer_a.pk)
    assert AuditEvent.objects.writes().count() == writes


def test_a_failed_sign_in_is_audited_without_what_was_typed(cast: Any) -> None:
    Client().post(reverse("login"), {"username": "officer_a", "password": "Hunter2-wrong"})
    Client().post(reverse("login"), {"username": "Hunter2-typed-here", "password": "x"})
    failed = list(AuditEvent.objects.filter(event_type="auth.login_failed").order_by("occurred_at"))
    assert [(e.outcome, e.object_id, e.actor) for e in failed] == [
        ("failure", str(cast.officer_a.pk), None),
        ("failure", "", None),
    ]
    stored = everything_stored()
    assert "Hunter2" not in stored and '"officer_a"' not in stored


def test_a_refused_request_is_audited_with_its_route(cast: Any) -> None:
    response = cast.client_for(cast.officer_a).get(reverse("programs:pathway_list"))
    assert response.status_code == 403
    denied = AuditEvent.objects.get(event_type="auth.denied")
    assert denied.actor == cast.officer_a and denied.outcome == "denied"
    assert denied.changes == {"route": [None, "programs:pathway_list"], "method": [None, "GET"]}


def test_a_page_of_a_protected_record_is_audited_as_a_read(cast: Any) -> None:
    encounter = EncounterFactory.create(
        program=cast.program, agency=cast.police_a, responder=cast.officer_a
    )
    referral = referral_send(
        actor=cast.officer_a, encounter=encounter, service=cast.detox_p, warm_handoff=True
    )
    writes = AuditEvent.objects.writes().count()
    cast.client_for(cast.officer_a).get(reverse("encounters:detail", args=[encounter.pk]))
    cast.client_for(cast.intake_p).get(reverse("referrals:detail", args=[referral.pk]))
    reads = list(AuditEvent.objects.filter(event_type__startswith="read.").order_by("occurred_at"))
    assert [(e.event_type, e.actor, e.object_id) for e in reads] == [
        ("read.encounter", cast.officer_a, str(encounter.pk)),
        ("read.referral", cast.intake_p, str(referral.pk)),
    ]
    assert reads[1].changes == {"fields": [None, ["history", "person", "status"]]}
    # a refused read records the refusal, not a read
    cast.client_for(cast.officer_b).get(reverse("encounters:detail", args=[encounter.pk]))
    assert AuditEvent.objects.filter(event_type__startswith="read.").count() == 2
    # opening a referral as its provider is a write too (received), counted among writes
    assert AuditEvent.objects.writes().count() == writes + 1
