"""Writes for work items: open, complete, cancel (each audited), and the reminder claims."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Literal

from django.core.exceptions import ValidationError

from pathways.accounts.models import Agency
from pathways.audit.services import audit_log, created, diff, snapshot
from pathways.core import clock
from pathways.core.models import clean_fields_only
from pathways.core.services import service
from pathways.core.validators import validate_clean_text
from pathways.encounters.models import Encounter
from pathways.followups.models import (
    MET_OUTCOMES,
    NOTE_MAX_LENGTH,
    TITLE_MAX_LENGTH,
    TeamMember,
    Visit,
    VisitOutcome,
    WorkItem,
    WorkKind,
)
from pathways.people.models import Person
from pathways.programs.models import Program
from pathways.referrals.models import Referral

WORK_ITEM_FIELDS = ["program", "team", "kind", "title", "person", "encounter", "referral", "due_at"]
CLOSE_FIELDS = ["completed_at", "completed_by", "outcome_note", "cancelled_at", "cancel_reason"]
#: Free text staff type when closing an item may hold clinical detail: the audit records that
#: it changed, not what it says (the row itself keeps it).
REDACTED_FIELDS = ("outcome_note", "cancel_reason")


def _one_line(value: str, *, field: str, label: str, max_length: int, required: bool) -> str:
    text = value.strip()
    if required and not text:
        raise ValidationError({field: f"Enter the {label}."})
    if len(text) > max_length:
        raise ValidationError(
            {field: f"The {label} can have at most {max_length} characters (it has {len(text)})."}
        )
    if any(char in text for char in "\t\n\r"):
        raise ValidationError({field: f"The {label} must be on one line."})
    try:
        validate_clean_text(text)
    except ValidationError as exc:
        raise ValidationError({field: exc.messages}) from exc
    return text


@service
def work_item_open(
    *,
    actor: Any,
    program: Program,
    team: Agency,
    kind: str,
    title: str,
    due_at: dt.datetime,
    person: Person | None = None,
    encounter: Encounter | None = None,
    referral: Referral | None = None,
) -> WorkItem:
    """Put an item on `team`'s worklist, due at `due_at` (aware; stored in UTC).

    The title is read by the whole team and goes nowhere else: never put a name in it."""
    if kind not in WorkKind.values:
        raise ValidationError({"kind": "Choose what kind of work this is."})
    clean_title = _one_line(
        title, field="title", label="title", max_length=TITLE_MAX_LENGTH, required=True
    )
    if due_at.tzinfo is None or due_at.utcoffset() is None:
        raise ValidationError({"due_at": "The due time must carry a time zone."})
    if team.program_id != program.pk:
        raise ValidationError({"team": "The team is not part of the program."})
    if encounter is not None and encounter.program_id != program.pk:
        raise ValidationError({"encounter": "The contact is not part of the program."})
    if referral is not None and referral.receiving_agency.program_id != program.pk:
        raise ValidationError({"referral": "The referral is not part of the program."})
    item = WorkItem(
        program=program,
        team=team,
        kind=kind,
        title=clean_title,
        person=person,
        encounter=encounter,
        referral=referral,
        due_at=due_at.astimezone(dt.UTC),
    )
    clean_fields_only(item)
    item.save()
    audit_log(
        actor=actor,
        event_type="work_item.open",
        obj=item,
        changes=created(item, WORK_ITEM_FIELDS),
    )
    return item


def _closed_message(item: WorkItem) -> str:
    if item.completed_at is not None:
        return "This item was already marked done. Nothing was changed."
    return "This item was cancelled. Nothing was changed."


@service
def work_item_complete(
    item: WorkItem, *, actor: Any, outcome_note: str = "", expected_open: bool = True
) -> WorkItem:
    """Mark the item done, with an optional note on the outcome.

    With `expected_open` (the caller showed the item as open, e.g. a page) an item someone
    else already closed is refused; with `expected_open=False` the caller accepts that and
    gets the closed item back unchanged (nothing is written)."""
    note = _one_line(
        outcome_note,
        field="outcome_note",
        label="outcome note",
        max_length=NOTE_MAX_LENGTH,
        required=False,
    )
    locked = WorkItem.objects.select_for_update().get(pk=item.pk)
    if not locked.is_open:
        if expected_open:
            raise ValidationError(_closed_message(locked))
        return locked
    old = snapshot(locked, CLOSE_FIELDS)
    locked.completed_at = clock.now()
    locked.completed_by = actor if getattr(actor, "pk", None) else None
    locked.outcome_note = note
    clean_fields_only(locked)
    locked.save(update_fields=["completed_at", "completed_by", "outcome_note"])
    audit_log(
        actor=actor,
        event_type="work_item.complete",
        obj=locked,
        changes=diff(old, snapshot(locked, CLOSE_FIELDS), redact=REDACTED_FIELDS),
    )
    return locked


@service
def work_item_cancel(item: WorkItem, *, actor: Any, reason: str) -> WorkItem:
    """Take the item off the worklist without doing it (a duplicate, the person moved away);
    the reason is required."""
    clean_reason = _one_line(
        reason, field="cancel_reason", label="reason", max_length=NOTE_MAX_LENGTH, required=True
    )
    locked = WorkItem.objects.select_for_update().get(pk=item.pk)
    if not locked.is_open:
        raise ValidationError(_closed_message(locked))
    old = snapshot(locked, CLOSE_FIELDS)
    locked.cancelled_at = clock.now()
    locked.cancel_reason = clean_reason
    clean_fields_only(locked)
    locked.save(update_fields=["cancelled_at", "cancel_reason"])
    audit_log(
        actor=actor,
        event_type="work_item.cancel",
        obj=locked,
        changes=diff(old, snapshot(locked, CLOSE_FIELDS), redact=REDACTED_FIELDS),
    )
    return locked


Notice = Literal["reminder", "overdue"]
_NOTICE_FIELD: dict[str, str] = {"reminder": "reminder_sent_at", "overdue": "overdue_sent_at"}


def work_item_claim_notice(item_id: Any, *, notice: Notice, at: dt.datetime) -> bool:
    """Claim the right to send `notice` for an open item: one conditional UPDATE, so of two
    runs (or two concurrent ones) exactly one gets True. Bookkeeping, not audited."""
    field = _NOTICE_FIELD[notice]
    claimed = (
        WorkItem.objects.open()
        .filter(pk=item_id, **{f"{field}__isnull": True})
        .update(**{field: at})
    )
    return claimed == 1


def work_item_release_notice(item_id: Any, *, notice: Notice, at: dt.datetime) -> None:
    """Give a claim back when the e-mail could not be sent, so the next run tries again."""
    field = _NOTICE_FIELD[notice]
    WorkItem.objects.filter(pk=item_id, **{field: at}).update(**{field: None})


# --- Visits: follow-up and outreach attempts ---------------------------------------------------

VISIT_FIELDS = ["work_item", "person", "team", "visited_at", "members", "outcome", "contact"]
#: The contact a met visit records: how it began, by the kind of work.
VISIT_CALL_SOURCE = {
    WorkKind.OVERDOSE_FOLLOWUP: "overdose_response",
    WorkKind.OUTREACH_VISIT: "outreach",
    WorkKind.CRISIS_FOLLOWUP: "outreach",
    WorkKind.PLACEMENT: "walk_in",
}
VISIT_KINDS = tuple(VISIT_CALL_SOURCE)


@dataclass(frozen=True)
class VisitReferral:
    service: Any
    warm_handoff: bool = False
    capacity_override_reason: str = ""


@service
def visit_record(
    *,
    actor: Any,
    work_item: WorkItem,
    visited_at: dt.datetime,
    members: list[str],
    outcome: str,
    note: str = "",
    family_resources: bool = False,
    presenting_needs: list[str] | None = None,
    referral: VisitReferral | None = None,
) -> Visit:
    """Record a visit on a follow-up or outreach item. Meeting the person records a contact under
    the index contact's pathway (and the referral, if one was made) and closes the item; a visit
    that did not reach the person leaves the item open for the next attempt."""
    from pathways.encounters.models import Disposition
    from pathways.encounters.services import encounter_create
    from pathways.referrals.services import referral_send

    item = (
        WorkItem.objects.select_for_update()
        .select_related("encounter", "program")
        .get(pk=work_item.pk)
    )
    errors: dict[str, str] = {}
    if not item.is_open:
        raise ValidationError(_closed_message(item))
    if item.kind not in VISIT_KINDS or item.person_id is None:
        raise ValidationError("Visits are recorded on follow-up and outreach items only.")
    if visited_at > clock.now() + dt.timedelta(minutes=5):
        errors["visited_at"] = "The visit cannot be in the future."
    elif visited_at < item.created_at - dt.timedelta(days=1):
        errors["visited_at"] = "The visit cannot be before the item was opened."
    members = list(dict.fromkeys(members))
    if not members:
        errors["members"] = "Say who went on the visit."
    elif unknown := set(members) - set(TeamMember.values):
        errors["members"] = f"Unknown team members: {', '.join(sorted(unknown))}."
    config = item.encounter.config if item.encounter_id and item.encounter else None
    met = outcome in MET_OUTCOMES
    if config is not None and met and not errors.get("members"):
        if config.requires_clinician and TeamMember.CLINICIAN not in members:
            errors["members"] = "This program's visits include a clinician or social worker."
        elif config.requires_peer and TeamMember.PEER not in members:
            errors["members"] = "This program's visits include a peer recovery coach."
    if outcome not in VisitOutcome.values:
        errors["outcome"] = "Choose what happened."
    elif outcome == VisitOutcome.REFERRED and referral is None:
        errors["service"] = "Choose the service you referred the person to."
    elif outcome != VisitOutcome.REFERRED and referral is not None:
        errors["service"] = "Choose a service only when the outcome is a referral."
    clean_note = _one_line(
        note, field="note", label="note", max_length=NOTE_MAX_LENGTH, required=False
    )
    if errors:
        raise ValidationError(errors)
    contact = None
    if met:
        index = item.encounter
        pathway = index.pathway if index is not None else None
        if pathway is None:
            raise ValidationError("This item has no contact to follow up.")
        disposition = {
            VisitOutcome.REFERRED: Disposition.REFERRED,
            VisitOutcome.DECLINED: Disposition.DECLINED,
        }.get(VisitOutcome(outcome), Disposition.INFORMATION)
        contact = encounter_create(
            actor=actor,
            agency=item.team,
            pathway=pathway,
            person=item.person,
            occurred_at=visited_at,
            call_source=VISIT_CALL_SOURCE[WorkKind(item.kind)],
            presenting_needs=presenting_needs or (index.presenting_needs if index else []),
            disposition=disposition,
            location_text="",
            notes="",
        )
        if referral is not None:
            referral_send(
                actor=actor,
                encounter=contact,
                service=referral.service,
                warm_handoff=referral.warm_handoff,
                capacity_override_reason=referral.capacity_override_reason,
            )
    visit = Visit(
        program=item.program,
        work_item=item,
        person_id=item.person_id,
        team=item.team,
        recorded_by=actor,
        visited_at=visited_at,
        members=members,
        outcome=outcome,
        contact=contact,
        family_resources=family_resources,
        note=clean_note,
    )
    clean_fields_only(visit)
    visit.save()
    audit_log(
        actor=actor,
        actor_agency=item.team,
        event_type="visit.record",
        obj=visit,
        changes=created(visit, VISIT_FIELDS),
    )
    if outcome != VisitOutcome.NOT_FOUND:
        work_item_complete(item, actor=actor, outcome_note=VisitOutcome(outcome).label[:200])
    return visit


@service
def placement_meet(*, actor: Any, referral: Referral) -> list[WorkItem]:
    """Close the open placement target of the referral's contact: the person has a place."""
    closed = []
    for item in WorkItem.objects.open().filter(
        encounter_id=referral.encounter_id, kind=WorkKind.PLACEMENT
    ):
        closed.append(
            work_item_complete(
                item,
                actor=actor,
                outcome_note=f"Placed: referral accepted by {referral.receiving_agency}"[:200],
                expected_open=False,
            )
        )
    return closed
