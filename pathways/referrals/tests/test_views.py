"""The provider's queue and actions; who may see and do what."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from pathways.accounts.models import Agency
from pathways.consent.factories import SIGNATURE
from pathways.consent.services import consent_record
from pathways.core import clock
from pathways.directory.models import Service
from pathways.encounters.factories import EncounterFactory
from pathways.referrals.factories import make_referral
from pathways.referrals.models import Referral, ReferralStatusChange
from pathways.referrals.services import referral_send


@pytest.fixture
def referral(cast: Any) -> Referral:
    encounter = EncounterFactory.create(agency=cast.police_a, responder=cast.officer_a)
    return make_referral(actor=cast.officer_a, encounter=encounter, service=cast.detox_p)


def act(cast: Any, user: Any, referral: Referral, action: str, **data: Any) -> Any:
    payload = {f"{action}-{k}": v for k, v in data.items()}
    payload.setdefault(f"{action}-expected_status", Referral.objects.get(pk=referral.pk).status)
    return cast.client_for(user).post(reverse("referrals:act", args=[referral.pk, action]), payload)


def test_queue_shows_only_the_providers_own_referrals(cast: Any, referral: Referral) -> None:
    mine = cast.client_for(cast.intake_p).get(reverse("referrals:queue"))
    assert referral.person.last_name.encode() in mine.content
    other = cast.client_for(cast.intake_q).get(reverse("referrals:queue"))
    assert referral.person.last_name.encode() not in other.content


def test_opening_marks_received_then_accept_and_record_intake(
    cast: Any, referral: Referral
) -> None:
    page = cast.client_for(cast.intake_p).get(reverse("referrals:detail", args=[referral.pk]))
    assert page.status_code == 200
    assert Referral.objects.get(pk=referral.pk).status == "received"
    assert act(cast, cast.intake_p, referral, "accept").status_code == 302
    response = act(cast, cast.intake_p, referral, "intake", intake_at="2026-01-01T10:00")
    # the referral was created "now", so an intake long before it is refused
    assert response.status_code == 422
    assert b"before the referral was sent" in response.content
    now_local = clock.now().astimezone(ZoneInfo("America/Chicago")).strftime("%Y-%m-%dT%H:%M")
    assert act(cast, cast.intake_p, referral, "intake", intake_at=now_local).status_code == 302
    engaged = Referral.objects.get(pk=referral.pk)
    assert engaged.status == "engaged"
    assert engaged.intake_at is not None
    assert abs((engaged.intake_at - clock.now()).total_seconds()) < 120


def test_officer_agency_sees_status_under_consent_other_agency_gets_404(
    cast: Any, referral: Referral
) -> None:
    """The provider's progress is Part 2 data: the referring agency sees "Sent" until the
    person consents (consent/tests has the details)."""
    act(cast, cast.intake_p, referral, "accept")
    url = reverse("encounters:detail", args=[referral.encounter.pk])
    page = cast.client_for(cast.officer_a).get(url)
    assert page.status_code == 200
    assert b'data-testid="referral-status">Sent' in page.content
    consent_record(
        actor=cast.intake_p,
        person=referral.person,
        kind="general",
        disclosing_agency=cast.provider_p,
        categories=["referral_status"],
        recipient_agency=cast.police_a,
        recipient_roles=["officer"],
        intermediary="Pathways",
        purpose="So the officer knows the person connected with treatment.",
        revocation_statement="You may revoke this consent at any time.",
        expiry_event="treatment_ended",
        signature_method="on_screen",
        signed_by="The person",
        signed_on=clock.local_date("America/Chicago"),
        signature_image=SIGNATURE,
    )
    page = cast.client_for(cast.officer_a).get(url)
    assert b'data-testid="referral-status">Accepted' in page.content
    assert cast.client_for(cast.officer_b).get(url).status_code == 404
    detail = reverse("referrals:detail", args=[referral.pk])
    assert cast.client_for(cast.officer_b).get(detail).status_code == 404
    assert cast.client_for(cast.intake_q).get(detail).status_code == 404
    assert cast.client_for(cast.officer_a).get(detail).status_code == 200


def test_only_receiving_intake_staff_can_act(cast: Any, referral: Referral) -> None:
    assert act(cast, cast.officer_a, referral, "accept").status_code == 403
    assert act(cast, cast.intake_q, referral, "accept").status_code == 404
    assert act(cast, cast.case_manager_p, referral, "accept").status_code == 403
    assert Referral.objects.get(pk=referral.pk).status == "sent"


def test_decline_without_reason_is_refused_with_message(cast: Any, referral: Referral) -> None:
    response = act(cast, cast.intake_p, referral, "decline", reason="")
    assert response.status_code == 422
    assert b"Choose why the referral is declined." in response.content
    assert Referral.objects.get(pk=referral.pk).status != "declined"
    assert act(cast, cast.intake_p, referral, "decline", reason="insurance").status_code == 302
    assert Referral.objects.get(pk=referral.pk).status == "declined"


def test_stale_page_gets_a_conflict_message(cast: Any, referral: Referral) -> None:
    act(cast, cast.intake_p, referral, "accept")
    response = act(
        cast, cast.intake_p, referral, "decline", reason="insurance", expected_status="sent"
    )
    assert response.status_code == 409
    page = response.content.decode()
    assert "Someone changed this referral while you had it open" in page
    assert "Decline the referral" in page
    assert "Accepted" in page
    assert f"by {cast.intake_p}" in page
    assert Referral.objects.get(pk=referral.pk).status == "accepted"
    assert ReferralStatusChange.objects.filter(referral=referral, to_status="declined").count() == 0


def test_unknown_action_and_get_are_refused(cast: Any, referral: Referral) -> None:
    client = cast.client_for(cast.intake_p)
    assert client.post(reverse("referrals:act", args=[referral.pk, "teleport"])).status_code == 404
    assert client.get(reverse("referrals:act", args=[referral.pk, "accept"])).status_code == 405


def test_the_referral_page_has_the_services_number_to_tap(cast: Any, referral: Referral) -> None:
    Service.objects.filter(pk=cast.detox_p.pk).update(phone="(555) 010-2000 ext. 4")
    page = cast.client_for(cast.officer_a).get(reverse("referrals:detail", args=[referral.pk]))
    call = page.content.decode().split('data-testid="service-call">', 1)[1].split("</p>", 1)[0]
    assert 'href="tel:5550102000,4"' in call and "Call (555) 010-2000 ext. 4" in call
    # without its own number, the service's organisation's
    Service.objects.filter(pk=cast.detox_p.pk).update(phone="")
    Agency.objects.filter(pk=cast.provider_p.pk).update(phone="+1 555 010 3000")
    page = cast.client_for(cast.officer_a).get(reverse("referrals:detail", args=[referral.pk]))
    assert 'href="tel:+15550103000"' in page.content.decode()


def test_the_queue_shows_each_status_in_a_fixed_number_of_queries(
    cast: Any, referral: Referral
) -> None:
    client = cast.client_for(cast.intake_p)
    client.get(reverse("referrals:queue"))  # the session's first request
    act(cast, cast.intake_p, referral, "accept")
    with CaptureQueriesContext(connection) as one:
        page = client.get(reverse("referrals:queue")).content.decode()
    assert 'data-testid="queue-status">Accepted' in page
    for _ in range(4):
        encounter = EncounterFactory.create(agency=cast.police_a, responder=cast.officer_a)
        referral_send(
            actor=cast.officer_a,
            encounter=encounter,
            service=cast.detox_p,
            warm_handoff=True,
            capacity_override_reason="The provider confirmed a bed by phone.",
        )
    with CaptureQueriesContext(connection) as five:
        page = client.get(reverse("referrals:queue")).content.decode()
    assert page.count('data-testid="queue-status">') == 5
    assert page.count('data-testid="queue-status">Sent') == 4
    assert len(five) == len(one), [q["sql"][:80] for q in five.captured_queries]
    sent = page.split('data-label="Sent">', 1)[1].split("</td>", 1)[0]
    assert f"{referral.created_at.astimezone(ZoneInfo('America/Chicago')):%b %-d, %Y}" in sent
