"""The provider's side of a referral: queue, detail, and each step of the loop."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from pathways.accounts.access import role_required
from pathways.accounts.models import Role
from pathways.audit.services import audit_read
from pathways.consent.selectors import REDISCLOSURE_NOTICE, manages_consents
from pathways.core import clock
from pathways.core.conflicts import StaleEdit, conflict_response
from pathways.referrals import services
from pathways.referrals.disclosure import referral_for_viewer, referrals_for_viewer
from pathways.referrals.forms import (
    AcceptForm,
    CloseForm,
    DeclineForm,
    RecordIntakeForm,
    ScheduleIntakeForm,
)
from pathways.referrals.models import STATUS_DESCRIPTIONS, Referral, ReferralStatus
from pathways.referrals.selectors import (
    can_act_on,
    history_of,
    intake_queue,
    reach_for_provider,
    referral_for_user,
)

PROVIDER_ROLES = (Role.PROVIDER_INTAKE, Role.CASE_MANAGER)
VIEW_ROLES = (
    *PROVIDER_ROLES,
    Role.OFFICER,
    Role.SUPERVISOR,
    Role.OUTREACH,
    Role.COORDINATOR,
    Role.ADMIN,
)

ACTIONS: dict[str, tuple[type, Callable[..., Referral], str]] = {
    "accept": (AcceptForm, services.referral_accept, "Referral accepted."),
    "decline": (DeclineForm, services.referral_decline, "Referral declined."),
    "schedule": (ScheduleIntakeForm, services.referral_schedule_intake, "Intake scheduled."),
    "intake": (RecordIntakeForm, services.referral_record_intake, "Intake recorded."),
    "complete": (CloseForm, services.referral_complete, "Marked completed."),
    "disengage": (CloseForm, services.referral_disengage, "Marked disengaged."),
}
#: What the user tried, for the conflict screen when the page was stale.
ACTION_TRIED = {
    "accept": "Accept the referral",
    "decline": "Decline the referral",
    "schedule": "Schedule the intake",
    "intake": "Record the intake",
    "complete": "Mark the referral completed",
    "disengage": "Mark the person disengaged",
}
#: Which actions the page offers from each status.
ACTIONS_FOR_STATUS: dict[str, list[str]] = {
    ReferralStatus.SENT: ["accept", "decline"],
    ReferralStatus.RECEIVED: ["accept", "decline"],
    ReferralStatus.ACCEPTED: ["schedule", "intake", "disengage"],
    ReferralStatus.INTAKE_SCHEDULED: ["intake", "schedule", "disengage"],
    ReferralStatus.ENGAGED: ["complete", "disengage"],
}


def _get_referral_for_user(request: HttpRequest, referral_id: uuid.UUID) -> Referral:
    referral = referral_for_user(user=request.user, referral_id=referral_id)
    if referral is None:
        raise Http404("No such referral.")
    return referral


@role_required(*PROVIDER_ROLES)
def queue(request: HttpRequest) -> HttpResponse:
    referrals = list(intake_queue(user=request.user)[:200])
    # The status each viewer may see, for the whole list in a fixed number of queries (the
    # provider's own staff see their record; anyone else only under the person's consent).
    shown = referrals_for_viewer(request.user, referrals)
    fresh = (ReferralStatus.SENT, ReferralStatus.RECEIVED)
    new = [(r, shown[r.pk]) for r in referrals if r.status in fresh]
    working = [(r, shown[r.pk]) for r in referrals if r.status not in fresh]
    return render(request, "referrals/queue.html", {"new": new, "working": working})


def _forms_for(referral: Referral, bound: dict[str, Any] | None = None) -> dict[str, Any]:
    initial = {"expected_status": referral.status, "intake_at": clock.now()}
    forms = {}
    for name in ACTIONS_FOR_STATUS.get(referral.status, []):
        form_class = ACTIONS[name][0]
        if bound and name in bound:
            forms[name] = bound[name]
        else:
            forms[name] = form_class(initial=initial, prefix=name)
    return forms


@role_required(*VIEW_ROLES)
def detail(
    request: HttpRequest, referral_id: uuid.UUID, bound: dict[str, Any] | None = None
) -> HttpResponse:
    referral = _get_referral_for_user(request, referral_id)
    acting = can_act_on(user=request.user, referral=referral)
    for name, form in (bound or {}).items():
        if name not in ACTIONS_FOR_STATUS.get(referral.status, []):
            # The page was stale: the action is no longer offered, so say why at the top.
            for error in form.non_field_errors() or ["This action is no longer possible."]:
                messages.error(request, error)
    if acting and referral.status == ReferralStatus.SENT:
        referral = services.referral_receive(actor=request.user, referral=referral)
    shown = referral_for_viewer(request.user, referral, list(history_of(referral=referral)))
    audit_read(
        actor=request.user,
        obj=referral,
        fields=("person", "status", "history") if not shown.withheld else ("person",),
    )
    return render(
        request,
        "referrals/detail.html",
        {
            "referral": referral,
            "shown": shown,
            "notice": REDISCLOSURE_NOTICE,
            "acting": acting,
            "forms": _forms_for(referral, bound) if acting else {},
            "status_help": STATUS_DESCRIPTIONS[shown.status],
            "manages_consents": manages_consents(
                user=request.user, agency_id=referral.receiving_agency_id
            ),
            "reach": reach_for_provider(user=request.user, referral=referral),
        },
        status=422 if bound else 200,
    )


@require_POST
@role_required(Role.PROVIDER_INTAKE)
def act(request: HttpRequest, referral_id: uuid.UUID, action: str) -> HttpResponse:
    referral = _get_referral_for_user(request, referral_id)
    if not can_act_on(user=request.user, referral=referral):
        raise PermissionDenied("Only the receiving provider's intake staff can do this.")
    if action not in ACTIONS:
        raise Http404
    form_class, service, done = ACTIONS[action]
    form = form_class(request.POST, prefix=action)
    if form.is_valid():
        data = dict(form.cleaned_data)
        kwargs: dict[str, Any] = {
            "actor": request.user,
            "referral": referral,
            "note": data.pop("note", ""),
        }
        kwargs.update(data)  # includes expected_status: the service refuses a stale page
        try:
            service(**kwargs)
        except StaleEdit as exc:
            return conflict_response(
                request,
                exc,
                tried=ACTION_TRIED[action],
                latest_url=reverse("referrals:detail", kwargs={"referral_id": referral.pk}),
                form=form,
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, done)
            return redirect("referrals:detail", referral_id=referral.pk)
    return detail(request, referral_id, bound={action: form})
