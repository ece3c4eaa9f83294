"""Writes for work items: open, complete, cancel (each audited), and the reminder claims."""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from typing import Any, Literal

from django.core.exceptions import ValidationError

from pathways.accounts.models import Agency, Membership
from pathways.accounts.selectors import agency_ids_for
from pathways.audit.services import REDACTED, audit_log, created, diff, snapshot
from pathways.consent.services import disclosure_record
from pathways.core import clock
from pathways.core.deadlines import due_end_of_day
from pathways.core.models import clean_fields_only
from pathways.core.services import service
from pathways.core.transitions import transition
from pathways.core.validators import clean_text_field
from pathways.encounters.models import Disposition, Encounter
from pathways.encounters.services import followup_contact_create
from pathways.followups.models import (
    LIST_DESCRIPTION_MAX_LENGTH,
    LIST_NAME_MAX_LENGTH,
    MET_OUTCOMES,
    NOTE_MAX_LENGTH,
    OUTREACH_TRANSITIONS,
    TITLE_MAX_LENGTH,
    OutreachEntry,
    OutreachList,
    OutreachReason,
    OutreachStatus,
    OutreachStatusChange,
    TeamMember,
    Visit,
    VisitOutcome,
    WorkItem,
    WorkKind,
)
from pathways.followups.selectors import active_outreach_pathway
from pathways.people.models import Person
from pathways.programs.deadlines import DEADLINES
from pathways.programs.models import Pathway, Program, ProgramPathway
from pathways.programs.selectors import VISIT_ROLES, current_config
from pathways.referrals.models import Referral
from pathways.referrals.services import referral_send

WORK_ITEM_FIELDS = ["program", "team", "kind", "title", "person", "encounter", "referral", "due_at"]
CLOSE_FIELDS = ["completed_at", "completed_by", "outcome_note", "cancelled_at", "cancel_reason"]
#: Free text staff type when closing an item may hold clinical detail: the audit records that
#: it changed, not what it says (the row itself keeps it).
REDACTED_FIELDS = ("outcome_note", "cancel_reason")


#: Titles, notes and reasons of work items are single lines.
_one_line = functools.partial(clean_text_field, one_line=True)


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


def followup_team_ids(item: WorkItem, pathway: Pathway | None = None) -> set[Any]:
    """The teams whose visits the item may carry: the follow-up team of the pathway under the
    configuration the item was opened with (the index contact's) and under the one in force
    (empty: the agency of the responder who recorded the contact), and for an outreach visit
    the team of the outreach list it belongs to."""
    index = item.encounter
    pathway = pathway or (index.pathway if index is not None else None)
    configs = [index.config if index is not None else None]
    if pathway is not None:
        configs.append(current_config(program_id=item.program_id, pathway=pathway))
    teams: set[Any] = set()
    for config in configs:
        if config is None:
            continue
        if config.followup_team_id is not None:
            teams.add(config.followup_team_id)
        elif index is not None:
            teams.add(index.agency_id)
    if item.kind == WorkKind.OUTREACH_VISIT:
        teams.update(
            OutreachEntry.objects.filter(work_item=item).values_list(
                "outreach_list__team_id", flat=True
            )
        )
    return teams


def _visit_refusal(item: WorkItem, *, actor: Any, pathway: Pathway | None) -> str:
    """Why `actor` may not record a visit on the item ("" when they may). The authority is the
    team's: the item's team must be the program's follow-up team for the pathway (or the list's
    outreach team), and the actor one of its staff with a visit role. The pathway's starting
    roles do not apply: a follow-up visit does not start the pathway (docs/decisions/0017)."""
    if item.team_id not in followup_team_ids(item, pathway):
        return (
            f"{item.team} is not the follow-up team for this item under the program's "
            "configuration, so it cannot record visits on it. Nothing was changed."
        )
    if item.team_id not in agency_ids_for(actor, *VISIT_ROLES):
        return f"Only the staff of {item.team} who go on visits record them. Nothing was changed."
    return ""


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
    pathway: Pathway | None = None,
) -> Visit:
    """Record a visit on a follow-up or outreach item. Meeting the person records a contact under
    the index contact's pathway (and the referral, if one was made) and closes the item; a visit
    that did not reach the person leaves the item open for the next attempt.

    `pathway` records the contact under that pathway instead (an outreach visit is an Active
    Outreach contact whatever the person's last contact was); the team the visit needs is then
    that pathway's current configuration, and the item needs no index contact."""
    item = (
        WorkItem.objects.select_for_update(of=("self",))
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
    if pathway is not None:
        config = current_config(program_id=item.program_id, pathway=pathway)
    else:
        config = item.encounter.config if item.encounter_id and item.encounter else None
    met = outcome in MET_OUTCOMES
    if refusal := _visit_refusal(item, actor=actor, pathway=pathway):
        raise ValidationError(refusal)
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
        if pathway is None:
            pathway = index.pathway if index is not None else None
        if pathway is None:
            raise ValidationError("This item has no contact to follow up.")
        disposition = {
            VisitOutcome.REFERRED: Disposition.REFERRED,
            VisitOutcome.DECLINED: Disposition.DECLINED,
        }.get(VisitOutcome(outcome), Disposition.INFORMATION)
        # The team's authority was checked above (_visit_refusal): a visit is not the start of
        # a pathway, so the pathway's starting roles and kinds of agency do not apply.
        assert item.person is not None  # a visit item names its person (checked above)
        contact = followup_contact_create(
            actor=actor,
            agency=item.team,
            pathway=pathway,
            person=item.person,
            occurred_at=visited_at,
            call_source=VISIT_CALL_SOURCE[WorkKind(item.kind)],
            presenting_needs=presenting_needs or (index.presenting_needs if index else []),
            disposition=disposition,
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


#: The note a met placement target closes with. Neutral: the item is the follow-up team's and
#: is shown on the contact's page, where which provider took the person, or that a provider
#: accepted them, is the provider's record (42 CFR Part 2) shown only with the person's consent.
PLACEMENT_MET_NOTE = "Placement target met"


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
                outcome_note=PLACEMENT_MET_NOTE,
                expected_open=False,
            )
        )
    return closed


@service
def work_items_disclosures_record(*, viewer: Any, items: list[WorkItem]) -> int:
    """Account for the providers' work items a page showed `viewer` under the person's consent
    (selectors.work_items_of_contact sets `item.disclosure`): one disclosure per consent, with
    the categories it was shown for. Returns how many were recorded."""
    from pathways.followups.selectors import DEFAULT_CATEGORY, KIND_CATEGORY

    used: dict[Any, tuple[Any, list[str]]] = {}
    for item in items:
        decision = item.disclosure
        if decision is None or decision.consent is None or not decision.allowed:
            continue
        consent, categories = used.setdefault(decision.consent.pk, (decision.consent, []))
        category = KIND_CATEGORY.get(item.kind, DEFAULT_CATEGORY)
        if category not in categories:
            categories.append(category)
    for consent, categories in used.values():
        disclosure_record(
            viewer=viewer,
            consent=consent,
            recipient_agency=consent.recipient_agency,
            categories=categories,
        )
    return len(used)


# --- Active Outreach: lists, entries, visits ---------------------------------------------------

LIST_FIELDS = ["program", "name", "description", "team"]
ENTRY_FIELDS = [
    "outreach_list",
    "person",
    "reason",
    "note",
    "assigned_to",
    "status",
    "work_item",
]
#: The note on an entry may say why the team is worried: audited as changed, not copied.
ENTRY_REDACTED = ("note",)
OUTREACH_ITEM_TITLE = "Outreach visit — {name}"

#: Where a visit moves an entry. A visit that does not reach the person moves only a person
#: not yet reached; an engaged person missed on a later visit stays engaged.
OUTCOME_STATUS: dict[str, str] = {
    VisitOutcome.DECLINED: OutreachStatus.DECLINED,
    VisitOutcome.ENGAGED: OutreachStatus.ENGAGED,
    VisitOutcome.REFERRED: OutreachStatus.IN_TREATMENT,
}


def _is_team_member(team: Agency, user: Any) -> bool:
    return Membership.objects.filter(
        agency=team, user=user, is_active=True, user__is_active=True
    ).exists()


def _active_outreach(program: Program) -> ProgramPathway:
    """The program's Active Outreach pathway, enabled and configured, else a refusal."""
    pp = active_outreach_pathway(program=program)
    if pp is None:
        raise ValidationError(
            "This program does not run Active Outreach. A coordinator can turn it on under Setup."
        )
    return pp


def _outreach_visit_days(pp: ProgramPathway) -> int:
    assert pp.current_config is not None
    days = pp.current_config.deadline("outreach_visit_days")
    return days if days is not None else DEADLINES["outreach_visit_days"].default


def _open_outreach_item(
    *, actor: Any, entry: OutreachEntry, pp: ProgramPathway, start: dt.datetime
) -> WorkItem:
    """The next outreach visit for the entry: due by the end of the day `outreach_visit_days`
    calendar days after `start`, in the program's time zone. The item follows up the person's
    latest contact in the program, when there is one."""
    outreach_list = entry.outreach_list
    program = outreach_list.program
    latest = (
        Encounter.objects.filter(program=program, person=entry.person, archived_at__isnull=True)
        .order_by("-occurred_at")
        .first()
    )
    return work_item_open(
        actor=actor,
        program=program,
        team=outreach_list.team,
        kind=WorkKind.OUTREACH_VISIT,
        title=OUTREACH_ITEM_TITLE.format(name=outreach_list.name)[:TITLE_MAX_LENGTH],
        due_at=due_end_of_day(start, _outreach_visit_days(pp), program.time_zone),
        person=entry.person,
        encounter=latest,
    )


def _status_change(
    *,
    actor: Any,
    entry: OutreachEntry,
    to_status: str,
    visit: Visit | None = None,
    note: str = "",
) -> bool:
    """Append the history row and cache the status on the (locked) entry; the caller saves
    the entry and writes the audit event. False when the status does not change."""
    if entry.status == to_status:
        return False
    transition(
        entry,
        actor=actor,
        to_status=to_status,
        allowed=OUTREACH_TRANSITIONS,
        statuses=OutreachStatus,
        noun="person's outreach",
        lock=False,  # the caller locked it (_lock_entry)
        history={"visit": visit, "note": note},
        save=False,  # the caller saves it with its open visit (work_item)
    )
    return True


@service
def outreach_list_create(
    *, actor: Any, program: Program, name: str, team: Agency, description: str = ""
) -> OutreachList:
    """Start an outreach list worked by `team`. Names are unique among the program's active
    lists (ignoring case) and, like the description, never carry a person's name."""
    clean_name = _one_line(
        name, field="name", label="list name", max_length=LIST_NAME_MAX_LENGTH, required=True
    )
    clean_description = _one_line(
        description,
        field="description",
        label="description",
        max_length=LIST_DESCRIPTION_MAX_LENGTH,
        required=False,
    )
    if team.program_id != program.pk or team.archived_at is not None:
        raise ValidationError({"team": "Choose an active team of the program."})
    pp = _active_outreach(program)
    assert pp.current_config is not None
    if team.kind not in pp.current_config.starter_agency_kinds:
        raise ValidationError(
            {
                "team": f"{team} cannot record Active Outreach contacts under the program's "
                "configuration. Choose an outreach team."
            }
        )
    if OutreachList.objects.active().filter(program=program, name__iexact=clean_name).exists():
        raise ValidationError(
            {"name": f"There is already a list called “{clean_name}”. Choose another name."}
        )
    outreach_list = OutreachList(
        program=program,
        name=clean_name,
        description=clean_description,
        team=team,
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    clean_fields_only(outreach_list)
    outreach_list.save()
    audit_log(
        actor=actor,
        event_type="outreach_list.create",
        obj=outreach_list,
        changes=created(outreach_list, LIST_FIELDS),
    )
    return outreach_list


@service
def outreach_entry_add(
    *,
    actor: Any,
    outreach_list: OutreachList,
    person: Person,
    reason: str,
    note: str = "",
    assigned_to: Any = None,
) -> OutreachEntry:
    """Put a person on the list (status “identified”) and an outreach visit on the team's
    worklist, due after the pathway's `outreach_visit_days` in the program's time zone."""
    errors: dict[str, str] = {}
    if outreach_list.archived_at is not None:
        raise ValidationError("This list is archived. Nothing was changed.")
    if reason not in OutreachReason.values:
        errors["reason"] = "Choose why the person is on the list."
    if person.archived_at is not None:
        errors["person"] = "This person's record is archived. Choose another person."
    if assigned_to is not None and not _is_team_member(outreach_list.team, assigned_to):
        errors["assigned_to"] = f"Choose a member of {outreach_list.team}."
    clean_note = _one_line(
        note, field="note", label="note", max_length=NOTE_MAX_LENGTH, required=False
    )
    if errors:
        raise ValidationError(errors)
    if (
        OutreachEntry.objects.filter(outreach_list=outreach_list, person=person)
        .exclude(status=OutreachStatus.CLOSED)
        .exists()
    ):
        raise ValidationError({"person": f"{person.display_name} is already on this list."})
    pp = _active_outreach(outreach_list.program)
    entry = OutreachEntry(
        outreach_list=outreach_list,
        person=person,
        added_by=actor if getattr(actor, "pk", None) else None,
        added_at=clock.now(),
        reason=reason,
        note=clean_note,
        assigned_to=assigned_to,
        status=OutreachStatus.IDENTIFIED,
    )
    entry.status_changed_at = entry.added_at
    clean_fields_only(entry)
    entry.work_item = _open_outreach_item(actor=actor, entry=entry, pp=pp, start=entry.added_at)
    entry.save()
    OutreachStatusChange.objects.create(
        entry=entry,
        from_status="",
        to_status=entry.status,
        changed_at=entry.status_changed_at,
        changed_by=entry.added_by,
    )
    audit_log(
        actor=actor,
        event_type="outreach_entry.add",
        obj=entry,
        changes=created(entry, ENTRY_FIELDS, redact=ENTRY_REDACTED),
    )
    return entry


def _lock_entry(entry: OutreachEntry) -> OutreachEntry:
    return (
        OutreachEntry.objects.select_for_update(of=("self",))
        .select_related("outreach_list", "outreach_list__program", "outreach_list__team")
        .get(pk=entry.pk)
    )


@dataclass(frozen=True)
class OutreachVisitResult:
    visit: Visit
    entry: OutreachEntry
    next_item: WorkItem | None  # the next visit opened after an engaged visit


@service
def outreach_visit_record(
    *,
    actor: Any,
    entry: OutreachEntry,
    visited_at: dt.datetime,
    members: list[str],
    outcome: str,
    note: str = "",
    family_resources: bool = False,
    referral: VisitReferral | None = None,
    further_visit: bool = True,
) -> OutreachVisitResult:
    """Record a visit on the entry's open outreach item (visit_record; a met person's contact
    is an Active Outreach contact) and move the entry: not found → attempting (the item stays
    open); declined → declined; engaged → engaged, with the next visit opened unless
    `further_visit` is False; referred → in treatment."""
    locked = _lock_entry(entry)
    if locked.is_closed:
        raise ValidationError("This person's outreach is closed. Nothing was changed.")
    if locked.work_item_id is None:
        raise ValidationError(
            "There is no open outreach visit for this person. Nothing was changed."
        )
    pp = _active_outreach(locked.outreach_list.program)
    item = locked.work_item
    assert item is not None
    # Without an earlier contact the visit's contact carries the pathway's typical needs.
    needs = None if item.encounter_id else list(pp.pathway.typical_needs)
    visit = visit_record(
        actor=actor,
        work_item=item,
        visited_at=visited_at,
        members=members,
        outcome=outcome,
        note=note,
        family_resources=family_resources,
        presenting_needs=needs,
        referral=referral,
        pathway=pp.pathway,
    )
    visit.outreach_entry = locked
    visit.save(update_fields=["outreach_entry"])
    old = snapshot(locked, ["status", "work_item"])
    if outcome == VisitOutcome.NOT_FOUND:
        if locked.status == OutreachStatus.IDENTIFIED:
            _status_change(
                actor=actor, entry=locked, to_status=OutreachStatus.ATTEMPTING, visit=visit
            )
    else:
        _status_change(actor=actor, entry=locked, to_status=OUTCOME_STATUS[outcome], visit=visit)
        locked.work_item = None
    next_item = None
    if outcome == VisitOutcome.ENGAGED and further_visit:
        next_item = _open_outreach_item(actor=actor, entry=locked, pp=pp, start=visited_at)
        locked.work_item = next_item
    locked.save(update_fields=["status", "status_changed_at", "work_item"])
    audit_log(
        actor=actor,
        actor_agency=locked.outreach_list.team,
        event_type="outreach_entry.visit",
        obj=locked,
        changes={
            "visit": [None, str(visit.pk)],
            **diff(old, snapshot(locked, ["status", "work_item"])),
        },
    )
    return OutreachVisitResult(visit=visit, entry=locked, next_item=next_item)


@service
def outreach_entry_assign(*, actor: Any, entry: OutreachEntry, assigned_to: Any) -> OutreachEntry:
    """Name the team member who leads the outreach (None: nobody)."""
    locked = _lock_entry(entry)
    if locked.is_closed:
        raise ValidationError("This person's outreach is closed. Nothing was changed.")
    if assigned_to is not None and not _is_team_member(locked.outreach_list.team, assigned_to):
        raise ValidationError({"assigned_to": f"Choose a member of {locked.outreach_list.team}."})
    old = snapshot(locked, ["assigned_to"])
    locked.assigned_to = assigned_to
    changes = diff(old, snapshot(locked, ["assigned_to"]))
    if not changes:
        return locked
    locked.save(update_fields=["assigned_to"])
    audit_log(actor=actor, event_type="outreach_entry.assign", obj=locked, changes=changes)
    return locked


@service
def outreach_entry_close(*, actor: Any, entry: OutreachEntry, reason: str) -> OutreachEntry:
    """Take the person off the list (moved away, deceased, no longer needed): the open visit
    is cancelled with the same reason. The person can be put on the list again later."""
    clean_reason = _one_line(
        reason, field="reason", label="reason", max_length=NOTE_MAX_LENGTH, required=True
    )
    locked = _lock_entry(entry)
    if locked.is_closed:
        raise ValidationError("This person's outreach is already closed. Nothing was changed.")
    old = snapshot(locked, ["status", "work_item"])
    item = locked.work_item
    if item is not None and item.is_open:
        work_item_cancel(item, actor=actor, reason=clean_reason)
    _status_change(actor=actor, entry=locked, to_status=OutreachStatus.CLOSED, note=clean_reason)
    locked.work_item = None
    locked.save(update_fields=["status", "status_changed_at", "work_item"])
    audit_log(
        actor=actor,
        event_type="outreach_entry.close",
        obj=locked,
        changes={
            **diff(old, snapshot(locked, ["status", "work_item"])),
            "reason": [REDACTED, REDACTED],
        },
    )
    return locked
