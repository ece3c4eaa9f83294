"""A provider's Task update as our referral's status change: the Task read and checked (JSON,
a valid Task, its version, the server's elements unchanged, a status a provider may set), then
the same referral service the provider's page calls, with its own checks, stale refusal and
audit event. Every refusal is a FhirError: nothing is written.
docs/decisions/0030-fhir-closed-loop-referral.md"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

import pydantic
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from fhir.resources.R4B.task import Task

from pathways.api.fhir import resources
from pathways.api.fhir.outcomes import FhirError, invalid_resource, issue
from pathways.api.models import ApiClient
from pathways.core import clock
from pathways.core.conflicts import StaleEdit
from pathways.referrals import services as referral_services
from pathways.referrals.disclosure import ReferralShown
from pathways.referrals.models import DeclineReason, Referral, ReferralStatus

#: What a provider's system may set a Task's status to, as our status (in-progress: see
#: target_of).
TARGET_FOR: dict[str, str] = {
    "received": ReferralStatus.RECEIVED,
    "accepted": ReferralStatus.ACCEPTED,
    "rejected": ReferralStatus.DECLINED,
    "completed": ReferralStatus.COMPLETED,
    "cancelled": ReferralStatus.DISENGAGED,
}
#: Elements of the Task that are the server's: an update may leave them out, not change them.
FIXED = ("intent", "focus", "for", "owner", "requester")


def task_sent(request: HttpRequest, referral: Referral) -> tuple[dict[str, Any], Task]:
    """(the JSON, the Task) the client sent for `referral`: JSON, a valid Task, its id."""
    data = _body_of(request)
    try:
        sent = Task.model_validate(data)
    except pydantic.ValidationError as exc:
        raise invalid_resource("Task", exc) from None
    if sent.id != str(referral.pk):
        raise FhirError(
            400, "invalid", "Task.id must be the id in the address. Nothing was changed."
        )
    return data, sent


def unchanged(referral: Referral, shown: ReferralShown, target: str, sent: Task) -> bool:
    """The Task put back as it is (PUT is idempotent): nothing to do. A new intake time for a
    scheduled intake is a change (it reschedules)."""
    start = _start(sent)
    return target == referral.status and (
        target != ReferralStatus.INTAKE_SCHEDULED or start is None or same_start(shown, start)
    )


def _body_of(request: HttpRequest) -> dict[str, Any]:
    try:
        body = json.loads(request.body or b"")
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise FhirError(400, "structure", "The body is not JSON. Nothing was changed.") from None
    if not isinstance(body, dict):
        raise FhirError(400, "structure", "The body is not a FHIR resource. Nothing was changed.")
    return body


def expected_version(request: HttpRequest, sent: Task, current: str) -> None:
    """The stale-version refusal: If-Match (412) or meta.versionId (409) naming another
    version than the current one changes nothing; one of them is required (428)."""
    if_match = request.headers.get("If-Match")
    if if_match is not None:
        if if_match.strip().removeprefix("W/").strip('"') != current:
            raise FhirError(
                412,
                "conflict",
                f"The Task is at version {current}, not the one If-Match names: it changed "
                "meanwhile. Nothing was changed. Read it again and decide.",
                headers={"ETag": f'W/"{current}"'},
            )
        return
    version: str | None = sent.meta.versionId if sent.meta is not None else None
    if version is None:
        raise FhirError(
            428,
            "required",
            'Send the version you read: If-Match: W/"<versionId>" (the Task\'s ETag) or '
            "meta.versionId. Nothing was changed.",
        )
    if version != current:
        raise FhirError(
            409,
            "conflict",
            f"The Task is at version {current}, not {version}: it changed meanwhile. Nothing "
            "was changed. Read it again and decide.",
            headers={"ETag": f'W/"{current}"'},
        )


def _business_rule(diagnostics: str, expression: str | None = None) -> FhirError:
    return FhirError(
        422,
        "business-rule",
        diagnostics,
        issues=[issue("business-rule", diagnostics, [expression] if expression else None)],
    )


def _our_code(sent: Any, base: str, name: str) -> str | None:
    """The code of `sent` (a CodeableConcept) in our CodeSystem `name`, if any."""
    for coding in getattr(sent, "coding", None) or []:
        if coding.system == resources.system(base, name) and coding.code:
            return str(coding.code)
    return None


def target_of(sent: Task, base: str) -> str:
    status = str(sent.status)
    if status not in resources.TASK_STATUSES:
        raise FhirError(
            400,
            "code-invalid",
            "Task.status is not a FHIR task status. Nothing was changed.",
            issues=[issue("code-invalid", "Not a FHIR task status.", ["Task.status"])],
        )
    if status == "in-progress":
        business = _our_code(sent.businessStatus, base, "referral-status")
        if business == ReferralStatus.INTAKE_SCHEDULED:
            return ReferralStatus.INTAKE_SCHEDULED
        return ReferralStatus.ENGAGED
    if status == "requested":
        return ReferralStatus.SENT
    if status not in TARGET_FOR:
        raise _business_rule(
            f"A provider's system sets a Task to received, accepted, rejected, in-progress, "
            f"completed or cancelled, not {status}. Nothing was changed.",
            "Task.status",
        )
    return TARGET_FOR[status]


def _note(sent: Task) -> str:
    if sent.statusReason is not None and sent.statusReason.text:
        return str(sent.statusReason.text)
    notes = [n.text for n in (sent.note or []) if n.text]
    return str(notes[-1]) if notes else ""


def _start(sent: Task) -> dt.datetime | None:
    start = sent.executionPeriod.start if sent.executionPeriod is not None else None
    return start if isinstance(start, dt.datetime) else None


def check_fixed(data: dict[str, Any], ours: dict[str, Any]) -> None:
    for name in FIXED:
        if name not in data:
            continue
        mine, theirs = ours[name], data[name]
        same = (
            mine == theirs
            if name == "intent"
            else (isinstance(theirs, dict) and theirs.get("reference") == mine.get("reference"))
        )
        if not same:
            raise _business_rule(
                f"Task.{name} is the server's and cannot change. Nothing was changed.",
                f"Task.{name}",
            )


def same_start(shown: ReferralShown, start: dt.datetime) -> bool:
    for change in reversed(shown.history):
        if change.to_status == ReferralStatus.INTAKE_SCHEDULED:
            return bool(change.scheduled_for == start)
    return False


def _decline_reason(sent: Task, base: str) -> str:
    reason = _our_code(sent.statusReason, base, "decline-reason")
    if reason not in DeclineReason.values:
        raise _business_rule(
            "A rejected Task needs statusReason coded in "
            f"{resources.system(base, 'decline-reason')}. Nothing was changed.",
            "Task.statusReason",
        )
    return str(reason)


def _intake_time(sent: Task) -> dt.datetime:
    start = _start(sent)
    if start is None:
        raise _business_rule(
            "Scheduling the intake needs executionPeriod.start (when). Nothing was changed.",
            "Task.executionPeriod.start",
        )
    return start


def _receive(*, actor: Any, referral: Referral, **_: Any) -> Referral:
    if referral.status != ReferralStatus.SENT:
        raise ValidationError(
            f"A referral that is “{referral.get_status_display()}” cannot become “Received”."
        )
    return referral_services.referral_receive(actor=actor, referral=referral)


#: Our status -> (the service that moves a referral there, its further arguments from the Task).
MOVES: dict[str, tuple[Callable[..., Referral], Callable[[Task, str], dict[str, Any]]]] = {
    ReferralStatus.RECEIVED: (_receive, lambda sent, base: {}),
    ReferralStatus.ACCEPTED: (referral_services.referral_accept, lambda sent, base: {}),
    ReferralStatus.DECLINED: (
        referral_services.referral_decline,
        lambda sent, base: {"reason": _decline_reason(sent, base)},
    ),
    ReferralStatus.INTAKE_SCHEDULED: (
        referral_services.referral_schedule_intake,
        lambda sent, base: {"scheduled_for": _intake_time(sent)},
    ),
    ReferralStatus.ENGAGED: (
        referral_services.referral_record_intake,
        lambda sent, base: {"intake_at": _start(sent) or clock.now()},
    ),
    ReferralStatus.COMPLETED: (referral_services.referral_complete, lambda sent, base: {}),
    ReferralStatus.DISENGAGED: (referral_services.referral_disengage, lambda sent, base: {}),
}


def move(*, client: ApiClient, referral: Referral, target: str, sent: Task, base: str) -> None:
    """Move `referral` to our status `target` as the client's account, through the service the
    page calls (expecting the status the client's version showed)."""
    if target not in MOVES:
        raise _business_rule("A referral cannot go back to “requested”. Nothing was changed.")
    service, more = MOVES[target]
    kwargs: dict[str, Any] = {"actor": client.user, "referral": referral, **more(sent, base)}
    if target != ReferralStatus.RECEIVED:
        kwargs.update(note=_note(sent), expected_status=referral.status)
    try:
        service(**kwargs)
    except StaleEdit as exc:
        raise FhirError(
            409,
            "conflict",
            f"The referral became “{exc.current}” meanwhile. Nothing was changed. Read the "
            "Task again and decide.",
        ) from None
    except ValidationError as exc:
        raise _business_rule(" ".join(exc.messages) + " Nothing was changed.") from None
