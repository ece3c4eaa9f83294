"""Writes for referrals: sending one, and every step of its closed loop."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError

from pathways.accounts.models import User
from pathways.audit.services import audit_log, created
from pathways.core import clock
from pathways.core.models import clean_fields_only
from pathways.core.services import service
from pathways.core.transitions import transition
from pathways.directory.models import Service
from pathways.directory.services import service_capacity_take
from pathways.encounters.models import Encounter
from pathways.referrals import hooks
from pathways.referrals.models import (
    TRANSITIONS,
    DeclineReason,
    Referral,
    ReferralStatus,
    ReferralStatusChange,
)

REFERRAL_FIELDS = [
    "encounter",
    "person",
    "service",
    "referring_agency",
    "receiving_agency",
    "warm_handoff",
    "capacity_override_reason",
    "status",
]


@service
def referral_send(
    *,
    actor: User,
    encounter: Encounter,
    service: Service,
    warm_handoff: bool,
    handoff_note: str = "",
    capacity_override_reason: str = "",
) -> Referral:
    """Send a referral from an encounter to a partner service: an active service of the
    encounter's program, and one with open capacity unless the actor says why anyway.

    The check runs on `service` as given when it comes with its organization loaded (the field
    form reads it so, as one of the program's services, in the same request: pass a service
    read in this request); otherwise the service and its organization are read first
    (docs/decisions/0026)."""
    if not Service.organization.is_cached(service):
        service = Service.objects.select_related("organization").get(pk=service.pk)
    if service.is_archived or service.organization.program_id != encounter.program_id:
        raise ValidationError({"service": "This service is not part of the program."})
    override = capacity_override_reason.strip()
    if service.capacity_open == 0 and not override:
        raise ValidationError(
            {
                "capacity_override_reason": (
                    f"{service.name} shows no open capacity. Say why you are referring anyway "
                    "(for example, the provider confirmed a slot by phone)."
                )
            }
        )
    now = clock.now()
    referral = Referral(
        encounter=encounter,
        person=encounter.person,
        service=service,
        referring_agency=encounter.agency,
        receiving_agency=service.organization,
        warm_handoff=warm_handoff,
        handoff_note=handoff_note.strip(),
        # an override only means something when the service showed no capacity
        capacity_override_reason=override if service.capacity_open == 0 else "",
        status=ReferralStatus.SENT,
        status_changed_at=now,
    )
    clean_fields_only(referral)
    referral.save()
    ReferralStatusChange.objects.create(
        referral=referral,
        from_status="",
        to_status=ReferralStatus.SENT,
        changed_at=now,
        changed_by=actor,
    )
    audit_log(
        actor=actor,
        actor_agency=encounter.agency,
        event_type="referral.send",
        obj=referral,
        changes=created(referral, REFERRAL_FIELDS),
    )
    return referral


def _transition(
    *,
    actor: Any,
    referral: Referral,
    to_status: str,
    event: str,
    decline_reason: str = "",
    note: str = "",
    scheduled_for: dt.datetime | None = None,
    expected_status: str | None = None,
) -> Referral:
    now = clock.now()
    moved = transition(
        referral,
        actor=actor,
        to_status=to_status,
        allowed=TRANSITIONS,
        statuses=ReferralStatus,
        noun="referral",
        expected_status=expected_status,
        at=now,
        history={
            "decline_reason": decline_reason,
            "note": note.strip(),
            "scheduled_for": scheduled_for,
        },
        also_set=(
            {"intake_at": scheduled_for or now} if to_status == ReferralStatus.ENGAGED else {}
        ),
    )
    locked = moved.obj
    audit_log(
        actor=actor,
        event_type=f"referral.{event}",
        obj=locked,
        changes={"status": [moved.from_status, to_status]},
    )
    return locked


@service
def referral_receive(*, actor: Any, referral: Referral) -> Referral:
    """The provider opened the referral (a read receipt). Does nothing once past 'sent'."""
    if referral.status != ReferralStatus.SENT:
        return referral
    return _transition(
        actor=actor, referral=referral, to_status=ReferralStatus.RECEIVED, event="receive"
    )


@service
def referral_accept(
    *, actor: Any, referral: Referral, note: str = "", expected_status: str | None = None
) -> Referral:
    accepted = _transition(
        actor=actor,
        referral=referral,
        to_status=ReferralStatus.ACCEPTED,
        event="accept",
        note=note,
        expected_status=expected_status,
    )
    service_capacity_take(actor=actor, service=accepted.service, reason="referral accepted")
    _answered(actor=actor, referral=accepted, accepted=True)
    return accepted


@service
def referral_decline(
    *,
    actor: Any,
    referral: Referral,
    reason: str,
    note: str = "",
    expected_status: str | None = None,
) -> Referral:
    if reason not in DeclineReason.values:
        raise ValidationError({"reason": "Choose why the referral is declined."})
    if reason == DeclineReason.OTHER and not note.strip():
        raise ValidationError({"note": "Explain the reason when you choose “Other”."})
    declined = _transition(
        actor=actor,
        referral=referral,
        to_status=ReferralStatus.DECLINED,
        event="decline",
        decline_reason=reason,
        note=note,
        expected_status=expected_status,
    )
    _answered(actor=actor, referral=declined, accepted=False)
    return declined


def _answered(*, actor: Any, referral: Referral, accepted: bool) -> None:
    """Close the provider's response deadline, and on acceptance the contact's placement target:
    the workflow does it, through the `answered` hook it fills (decision 0023). Unfilled, the
    hook raises and the answer rolls back: no answered referral misses its follow-up."""
    hooks.answered.function(actor=actor, referral=referral, accepted=accepted)


@service
def referral_schedule_intake(
    *,
    actor: Any,
    referral: Referral,
    scheduled_for: dt.datetime,
    note: str = "",
    expected_status: str | None = None,
) -> Referral:
    if scheduled_for < clock.now() - dt.timedelta(minutes=5):
        raise ValidationError({"scheduled_for": "An intake appointment must be in the future."})
    return _transition(
        actor=actor,
        referral=referral,
        to_status=ReferralStatus.INTAKE_SCHEDULED,
        event="schedule_intake",
        note=note,
        scheduled_for=scheduled_for,
        expected_status=expected_status,
    )


@service
def referral_record_intake(
    *,
    actor: Any,
    referral: Referral,
    intake_at: dt.datetime,
    note: str = "",
    expected_status: str | None = None,
) -> Referral:
    """The person attended intake: the referral becomes 'engaged'."""
    if intake_at > clock.now() + dt.timedelta(minutes=5):
        raise ValidationError({"intake_at": "An intake that happened cannot be in the future."})
    if intake_at < referral.created_at - dt.timedelta(minutes=5):
        raise ValidationError({"intake_at": "The intake cannot be before the referral was sent."})
    return _transition(
        actor=actor,
        referral=referral,
        to_status=ReferralStatus.ENGAGED,
        event="record_intake",
        note=note,
        scheduled_for=intake_at,
        expected_status=expected_status,
    )


@service
def referral_complete(
    *, actor: Any, referral: Referral, note: str = "", expected_status: str | None = None
) -> Referral:
    return _transition(
        actor=actor,
        referral=referral,
        to_status=ReferralStatus.COMPLETED,
        event="complete",
        note=note,
        expected_status=expected_status,
    )


@service
def referral_disengage(
    *, actor: Any, referral: Referral, note: str = "", expected_status: str | None = None
) -> Referral:
    return _transition(
        actor=actor,
        referral=referral,
        to_status=ReferralStatus.DISENGAGED,
        event="disengage",
        note=note,
        expected_status=expected_status,
    )
