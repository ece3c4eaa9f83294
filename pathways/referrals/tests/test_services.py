"""The closed loop: every transition, refused transitions, history and audit."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from pathways.accounts.factories import AgencyFactory
from pathways.audit.models import AuditEvent
from pathways.core import clock
from pathways.directory.factories import ServiceFactory
from pathways.directory.models import Service
from pathways.encounters.factories import EncounterFactory
from pathways.programs.factories import ProgramFactory
from pathways.referrals import services
from pathways.referrals.factories import make_referral
from pathways.referrals.models import Referral, ReferralStatus, ReferralStatusChange


@pytest.fixture
def referral(cast: Any) -> Referral:
    encounter = EncounterFactory.create(agency=cast.police_a, responder=cast.officer_a)
    return make_referral(actor=cast.officer_a, encounter=encounter, service=cast.detox_p)


def test_full_loop_records_each_step_in_history_and_audit(cast: Any, referral: Referral) -> None:
    actor = cast.intake_p
    services.referral_receive(actor=actor, referral=referral)
    services.referral_accept(actor=actor, referral=referral)
    when = clock.now() + dt.timedelta(days=1)
    services.referral_schedule_intake(actor=actor, referral=referral, scheduled_for=when)
    services.referral_record_intake(actor=actor, referral=referral, intake_at=clock.now())
    done = services.referral_complete(actor=actor, referral=referral)
    assert done.status == ReferralStatus.COMPLETED
    assert [c.to_status for c in done.history.all()] == [
        "sent",
        "received",
        "accepted",
        "intake_scheduled",
        "engaged",
        "completed",
    ]
    assert done.intake_at is not None
    events = list(
        AuditEvent.objects.filter(object_id=str(referral.pk))
        .order_by("occurred_at")
        .values_list("event_type", flat=True)
    )
    assert events == [
        "referral.send",
        "referral.receive",
        "referral.accept",
        "referral.schedule_intake",
        "referral.record_intake",
        "referral.complete",
    ]


def test_accepting_takes_one_open_slot(cast: Any, referral: Referral) -> None:
    services.referral_accept(actor=cast.intake_p, referral=referral)
    cast.detox_p.refresh_from_db()
    assert cast.detox_p.capacity_open == 2
    assert cast.detox_p.capacity_updates.count() == 1


def test_decline_needs_a_reason_and_other_needs_a_note(cast: Any, referral: Referral) -> None:
    with pytest.raises(ValidationError, match="Choose why"):
        services.referral_decline(actor=cast.intake_p, referral=referral, reason="")
    with pytest.raises(ValidationError, match="Explain"):
        services.referral_decline(actor=cast.intake_p, referral=referral, reason="other")
    assert Referral.objects.get(pk=referral.pk).status == "sent"
    declined = services.referral_decline(
        actor=cast.intake_p, referral=referral, reason="no_capacity"
    )
    assert declined.history.get(to_status="declined").decline_reason == "no_capacity"


def test_transitions_outside_the_workflow_are_refused_and_change_nothing(
    cast: Any, referral: Referral
) -> None:
    before = ReferralStatusChange.objects.count(), AuditEvent.objects.writes().count()
    with pytest.raises(ValidationError, match="cannot become"):
        services.referral_complete(actor=cast.intake_p, referral=referral)
    services.referral_decline(actor=cast.intake_p, referral=referral, reason="not_eligible")
    with pytest.raises(ValidationError, match="cannot become"):
        services.referral_accept(actor=cast.intake_p, referral=referral)
    assert Referral.objects.get(pk=referral.pk).status == "declined"
    assert ReferralStatusChange.objects.count() == before[0] + 1
    assert AuditEvent.objects.writes().count() == before[1] + 1


def test_stale_expected_status_is_a_conflict(cast: Any, referral: Referral) -> None:
    services.referral_accept(actor=cast.intake_p, referral=referral)
    with pytest.raises(ValidationError, match="changed"):
        services.referral_decline(
            actor=cast.case_manager_p,
            referral=referral,
            reason="no_capacity",
            expected_status="sent",
        )


def test_intake_times_are_checked(cast: Any, referral: Referral) -> None:
    services.referral_accept(actor=cast.intake_p, referral=referral)
    with pytest.raises(ValidationError, match="future"):
        services.referral_schedule_intake(
            actor=cast.intake_p,
            referral=referral,
            scheduled_for=clock.now() - dt.timedelta(days=2),
        )
    with pytest.raises(ValidationError, match="cannot be in the future"):
        services.referral_record_intake(
            actor=cast.intake_p, referral=referral, intake_at=clock.now() + dt.timedelta(days=2)
        )
    with pytest.raises(ValidationError, match="before the referral"):
        services.referral_record_intake(
            actor=cast.intake_p,
            referral=referral,
            intake_at=referral.created_at - dt.timedelta(days=2),
        )
    assert Referral.objects.get(pk=referral.pk).status == "accepted"


def test_zero_capacity_needs_override(cast: Any) -> None:
    encounter = EncounterFactory.create(agency=cast.police_a, responder=cast.officer_a)
    with pytest.raises(ValidationError) as info:
        services.referral_send(
            actor=cast.officer_a,
            encounter=encounter,
            service=cast.outpatient_p_full,
            warm_handoff=False,
        )
    assert "capacity_override_reason" in info.value.message_dict
    assert Referral.objects.count() == 0


def test_history_is_append_only(cast: Any, referral: Referral) -> None:
    change = referral.history.get()
    change.note = "rewritten"
    with pytest.raises(PermissionError):
        change.save()
    with pytest.raises(PermissionError):
        change.delete()


def test_audit_and_write_share_one_transaction(cast: Any, referral: Referral) -> None:
    """If the surrounding transaction fails, neither the change nor its audit row remain."""
    before = AuditEvent.objects.writes().count()
    with pytest.raises(RuntimeError), transaction.atomic():
        services.referral_accept(actor=cast.intake_p, referral=referral)
        raise RuntimeError("boom")
    assert Referral.objects.get(pk=referral.pk).status == "sent"
    assert AuditEvent.objects.writes().count() == before


def test_referrals_are_archived_never_deleted(referral: Referral) -> None:
    with pytest.raises(PermissionError):
        referral.delete()


def service_reads(queries: CaptureQueriesContext) -> int:
    return sum('FROM "directory_service"' in q["sql"] for q in queries.captured_queries)


def test_a_service_read_with_its_organization_is_checked_not_read_again(cast: Any) -> None:
    """The field form reads the service with its organization as one of the program's: the
    send checks that object (no second read); a bare one is read first (decision 0026)."""
    encounter = EncounterFactory.create(agency=cast.police_a, responder=cast.officer_a)
    loaded = Service.objects.select_related("organization").get(pk=cast.detox_p.pk)
    with CaptureQueriesContext(connection) as given:
        services.referral_send(
            actor=cast.officer_a, encounter=encounter, service=loaded, warm_handoff=False
        )
    assert service_reads(given) == 0
    bare = Service.objects.get(pk=cast.detox_p.pk)
    with CaptureQueriesContext(connection) as read:
        services.referral_send(
            actor=cast.officer_a, encounter=encounter, service=bare, warm_handoff=False
        )
    assert service_reads(read) == 1


@pytest.mark.parametrize("loaded", [True, False])
def test_a_service_outside_the_program_or_archived_is_refused(cast: Any, loaded: bool) -> None:
    encounter = EncounterFactory.create(agency=cast.police_a, responder=cast.officer_a)
    elsewhere = AgencyFactory.create(
        program=ProgramFactory.create(name="Another County Program"), kind="treatment"
    )
    foreign = ServiceFactory.create(organization=elsewhere, capacity_total=5, capacity_open=5)
    archived = ServiceFactory.create(
        organization=cast.provider_p, capacity_total=5, capacity_open=5, archived_at=clock.now()
    )
    before = (Referral.objects.count(), AuditEvent.objects.writes().count())
    for service in (foreign, archived):
        given = (
            Service.objects.select_related("organization").get(pk=service.pk)
            if loaded
            else Service.objects.get(pk=service.pk)
        )
        with pytest.raises(ValidationError) as info:
            services.referral_send(
                actor=cast.officer_a, encounter=encounter, service=given, warm_handoff=False
            )
        assert info.value.message_dict == {"service": ["This service is not part of the program."]}
    assert (Referral.objects.count(), AuditEvent.objects.writes().count()) == before
