"""Reads for work items, always scoped: a team sees its own items (agency scope); coordinators
and administrators see every team's items in their program (program scope)."""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, OuterRef, QuerySet, Subquery

from pathways.accounts.models import PROVIDER_KINDS, Agency, AgencyKind, Membership, Role, User
from pathways.accounts.selectors import agencies_for, agency_ids_for, has_role, is_program_wide
from pathways.consent.selectors import may_disclose
from pathways.core import clock
from pathways.directory.selectors import services_for_needs
from pathways.followups.models import (
    OUTREACH_STATUS_DESCRIPTIONS,
    OutreachEntry,
    OutreachList,
    OutreachStatus,
    Visit,
    WorkItem,
    WorkItemQuerySet,
    WorkKind,
)
from pathways.programs.models import PathwayCode, ProgramPathway
from pathways.programs.program_templates import program_template
from pathways.programs.selectors import VISIT_ROLES, current_config, program_for_user
from pathways.surveillance.models import OverdoseEvent
from pathways.surveillance.selectors import overdoses_of_person

DUE_SOON = dt.timedelta(hours=24)
#: The page shows at most this many open items; a team with more needs a triage, not a scroll.
WORKLIST_LIMIT = 500


@dataclass
class Worklist:
    overdue: list[WorkItem] = field(default_factory=list)
    due_soon: list[WorkItem] = field(default_factory=list)
    later: list[WorkItem] = field(default_factory=list)
    truncated: bool = False  # more than WORKLIST_LIMIT open items: only the soonest are listed
    now: dt.datetime | None = None

    def __len__(self) -> int:
        return len(self.overdue) + len(self.due_soon) + len(self.later)


def work_items_visible_to(user: Any) -> WorkItemQuerySet:
    """Every item (open or closed) the user may see."""
    qs = WorkItem.objects.select_related("team", "program")
    if is_program_wide(user):
        program = program_for_user(user)
        return qs.filter(program=program) if program is not None else qs.none()
    team_ids = agency_ids_for(user)
    if not team_ids:
        return qs.none()
    return qs.filter(team_id__in=team_ids)


def work_item_for_user(user: Any, item_id: Any) -> WorkItem | None:
    return work_items_visible_to(user).filter(pk=item_id).first()


def can_complete(user: Any, item: WorkItem) -> bool:
    """Only the team that must act marks its items done; program-wide staff watch."""
    return item.team_id in agency_ids_for(user)


def can_record_visit(user: Any, item: WorkItem) -> bool:
    """The team's staff who go on visits (programs.selectors.VISIT_ROLES) record them on the
    team's follow-up and outreach items (followups.services checks the team's authority)."""
    from pathways.followups.services import VISIT_KINDS

    return (
        item.kind in VISIT_KINDS
        and item.person_id is not None
        and item.team_id in agency_ids_for(user, *VISIT_ROLES)
    )


def worklist_for(user: Any, *, now: dt.datetime | None = None) -> Worklist:
    """The user's open items split into overdue, due in the next 24 hours, and later; each list
    soonest due first."""
    now = now or clock.now()
    rows = list(
        work_items_visible_to(user)
        .open()
        .select_related("person")
        .order_by("due_at", "id")[: WORKLIST_LIMIT + 1]
    )
    worklist = Worklist(truncated=len(rows) > WORKLIST_LIMIT, now=now)
    for item in rows[:WORKLIST_LIMIT]:
        if item.due_at < now:
            worklist.overdue.append(item)
        elif item.due_at - now <= DUE_SOON:
            worklist.due_soon.append(item)
        else:
            worklist.later.append(item)
    return worklist


def team_email_addresses(team_id: Any) -> list[str]:
    """E-mail addresses of the team's active members (active accounts only), sorted."""
    emails = (
        Membership.objects.filter(
            agency_id=team_id,
            agency__archived_at__isnull=True,
            is_active=True,
            user__is_active=True,
        )
        .exclude(user__email="")
        .values_list("user__email", flat=True)
        .distinct()
    )
    return sorted({email.strip() for email in emails if email.strip()})


@dataclass(frozen=True)
class VisitContext:
    """What the team sees before a visit: the contact being followed up, the overdose, the
    person's overdose history (a repeat shows), and earlier attempts on this item."""

    index: Any
    overdose: Any
    overdoses: list[Any]
    attempts: list[Visit]


#: Who gave naloxone, as the visit page says it ("Naloxone given by EMS").
ADMINISTERED_BY_PHRASE: dict[str, str] = {
    "bystander": "by a bystander, friend or family member",
    "police": "by police",
    "fire": "by the fire service",
    "ems": "by EMS",
    "self": "by the person themselves",
    "unknown": "(who gave it is not known)",
}


def administered_by_phrase(overdose: Any) -> str:
    return ADMINISTERED_BY_PHRASE.get(overdose.administered_by, "")


#: The order services are offered in at a visit when the pathway states none (it was not
#: started from a program template): crisis-level treatment first, medication for opioid use
#: disorder before everything else (the Naloxone Plus definition).
DEFAULT_SERVICE_PRIORITY: tuple[str, ...] = (
    "moud",
    "detox",
    "medical",
    "mh_crisis",
    "residential",
    "outpatient",
    "mh_outpatient",
    "peer_support",
    "case_management",
    "housing",
    "basic_needs",
)
#: Service types a person starts only with a prescriber or clinician: the visit form says so
#: next to each such service, before the team sends the referral.
PRESCRIBER_SERVICE_TYPES = frozenset({"moud"})
PRESCRIBER_HINT = "Needs a prescriber or clinician to start"


def service_priority(program: Any, pathway: Any) -> list[str]:
    """The service types in the pathway's stated priority order: the order of the program
    template the pathway was started from (e.g. the Quick Response Team's MOUD, detox,
    residential, ...), then the default order for the types it does not name."""

    stated: list[str] = []
    pp = (
        ProgramPathway.objects.filter(program=program, pathway=pathway).first()
        if pathway is not None
        else None
    )
    template = program_template(pp.template_code) if pp is not None and pp.template_code else None
    if template is not None:
        part = next((p for p in template.pathways if p.pathway == pathway.code), None)
        stated = list(part.service_types) if part is not None else []
    return stated + [t for t in DEFAULT_SERVICE_PRIORITY if t not in stated]


def visit_services(item: WorkItem, needs: list[str], pathway: Any) -> list[Any]:
    """The services offered at a visit for the needs: in the pathway's priority order of
    service types (service_priority), then those with open capacity first (most open first),
    then by name."""

    order = service_priority(item.program, pathway)
    rank = {service_type: n for n, service_type in enumerate(order)}
    services = services_for_needs(item.program, needs)
    services.sort(
        key=lambda s: (
            rank.get(s.service_type, len(rank)),
            s.capacity_open <= 0,
            -s.capacity_open,
            s.name,
        )
    )
    return services


def visit_config(item: WorkItem, pathway: Any = None) -> Any:
    """The configuration a visit on the item is checked against (services.visit_record): the
    pathway's in force when given (an outreach visit), else the index contact's."""

    if pathway is not None:
        return current_config(item.program_id, pathway)
    return item.encounter.config if item.encounter is not None else None


def visit_team_rule(config: Any) -> str:
    """The program's rule on who goes on a visit, said on the form before it is sent ("" when
    there is none); services.visit_record refuses a met visit without them."""
    if config is None:
        return ""
    if config.requires_clinician and config.requires_peer:
        needed = "a clinician or social worker and a peer recovery coach"
    elif config.requires_clinician:
        needed = "a clinician or social worker"
    elif config.requires_peer:
        needed = "a peer recovery coach"
    else:
        return ""
    return f"This program's visits include {needed} when the team meets the person."


def visit_context(item: WorkItem) -> VisitContext:

    index = item.encounter
    overdose = OverdoseEvent.objects.filter(encounter=index).first() if index is not None else None
    return VisitContext(
        index=index,
        overdose=overdose,
        overdoses=overdoses_of_person(item.person),
        attempts=list(item.visits.order_by("-visited_at")),
    )


#: The kind of protected information a provider's work item tells (consent.InfoCategory): that
#: a referral was answered or a placement made, that an intake assessment was done, that a
#: requirement was attended, how the person is doing.
KIND_CATEGORY: dict[str, str] = {
    WorkKind.REFERRAL_RESPONSE: "referral_status",
    WorkKind.PLACEMENT: "referral_status",
    WorkKind.INTAKE_DUE: "assessment",
    WorkKind.REQUIREMENT_DUE: "attendance",
}
#: Every other kind (visits, completion, reviews) tells how the person responded: progress.
DEFAULT_CATEGORY = "progress"
#: Notes the system once wrote when a placement target was met; they named the provider that
#: accepted the person. Shown as the neutral note (services.PLACEMENT_MET_NOTE).
LEGACY_PLACEMENT_NOTE = "Placed: referral accepted by "


def work_items_of_contact(encounter: Any, *, viewer: Any) -> list[WorkItem]:
    """The deadlines a contact opened (open and closed), with their visits, as `viewer` may see
    them on the contact's page: the items held by the viewer's own agencies or by the program
    office (program-wide staff see every item), and a provider's items only when the one
    disclosure check (consent.selectors.may_disclose) allows it for the kind of information
    the item tells. Everything else, its note and visits included, is left out.

    It records nothing: an item shown under the person's consent carries the decision as
    `item.disclosure`, for the caller to account for (services.work_items_disclosures_record).
    """
    from pathways.followups.services import PLACEMENT_MET_NOTE

    items = list(
        WorkItem.objects.filter(encounter=encounter)
        .select_related("team", "completed_by")
        .prefetch_related("visits")
        .order_by("due_at")
    )
    wide = is_program_wide(viewer)
    own = agency_ids_for(viewer)
    shown = []
    for item in items:
        item.disclosure = None
        if wide or item.team_id in own or item.team.kind == AgencyKind.PROGRAM_OFFICE:
            pass
        elif item.team.kind in PROVIDER_KINDS:
            category = KIND_CATEGORY.get(item.kind, DEFAULT_CATEGORY)
            decision = may_disclose(viewer, encounter.person_id, category, item.team_id)
            if not decision.allowed:
                continue
            item.disclosure = decision
        else:
            continue
        if item.kind == WorkKind.PLACEMENT and item.outcome_note.startswith(LEGACY_PLACEMENT_NOTE):
            item.outcome_note = PLACEMENT_MET_NOTE  # for display only: never saved from here
        shown.append(item)
    return shown


# --- Active Outreach ---------------------------------------------------------------------------

#: Roles that use the outreach pages (the nav link shows for them).
OUTREACH_ROLES = (Role.OUTREACH, Role.OFFICER, Role.SUPERVISOR, Role.COORDINATOR, Role.ADMIN)
#: Responders who put people on lists: they see every list of their program, statuses only.
RESPONDER_ROLES = (Role.OFFICER, Role.SUPERVISOR)


class OutreachAccess(enum.StrEnum):
    """What a user may do with a list, widest first."""

    TEAM = "team"  # a member of the list's team: everything, visits included
    PROGRAM = "program"  # coordinators and administrators: everything but recording visits
    STATUS = "status"  # responders of the program: entries and statuses, add people; no notes


#: Bar colours for the status summary (USWDS palette; each against white text-free bars).
STATUS_COLORS: dict[str, str] = {
    OutreachStatus.IDENTIFIED: "#97d4ea",
    OutreachStatus.ATTEMPTING: "#e5a000",
    OutreachStatus.ENGAGED: "#00a398",
    OutreachStatus.IN_TREATMENT: "#008817",
    OutreachStatus.DECLINED: "#d83933",
    OutreachStatus.CLOSED: "#a9aeb1",
}
#: The status tag's class (pathways.css already colours these).
STATUS_TAG: dict[str, str] = {
    OutreachStatus.IDENTIFIED: "pw-status--sent",
    OutreachStatus.ATTEMPTING: "pw-status--accepted",
    OutreachStatus.ENGAGED: "pw-status--engaged",
    OutreachStatus.IN_TREATMENT: "pw-status--completed",
    OutreachStatus.DECLINED: "pw-status--declined",
    OutreachStatus.CLOSED: "",
}


def outreach_access(user: Any, outreach_list: OutreachList) -> OutreachAccess | None:
    program = program_for_user(user)
    if program is None or outreach_list.program_id != program.pk:
        return None
    if outreach_list.team_id in agency_ids_for(user, *OUTREACH_ROLES):
        return OutreachAccess.TEAM
    if is_program_wide(user):
        return OutreachAccess.PROGRAM
    if has_role(user, *RESPONDER_ROLES):
        return OutreachAccess.STATUS
    return None


def outreach_lists_for(user: Any) -> QuerySet[OutreachList]:
    """The active lists the user may see: their teams' lists, or every list of the program for
    coordinators, administrators and responders."""
    program = program_for_user(user)
    if program is None:
        return OutreachList.objects.none()
    qs = (
        OutreachList.objects.active()
        .filter(program=program)
        .select_related("team", "program")
        .order_by("name")
    )
    if is_program_wide(user) or has_role(user, *RESPONDER_ROLES):
        return qs
    return qs.filter(team_id__in=agency_ids_for(user, *OUTREACH_ROLES))


def outreach_list_for_user(user: Any, list_id: Any) -> OutreachList | None:
    return outreach_lists_for(user).filter(pk=list_id).first()


def outreach_entry_for_user(user: Any, entry_id: Any) -> OutreachEntry | None:
    return (
        OutreachEntry.objects.filter(pk=entry_id, outreach_list__in=outreach_lists_for(user))
        .select_related("outreach_list", "outreach_list__team", "outreach_list__program")
        .first()
    )


def outreach_entry_of_item(item: WorkItem) -> OutreachEntry | None:
    """The entry whose open outreach visit this item is (None for other items)."""
    if item.kind != WorkKind.OUTREACH_VISIT:
        return None
    return (
        OutreachEntry.objects.filter(work_item=item)
        .select_related("outreach_list", "outreach_list__team", "outreach_list__program")
        .first()
    )


def active_outreach_pathway(program: Any) -> ProgramPathway | None:
    """The program's Active Outreach pathway when it is enabled and configured."""
    return (
        ProgramPathway.objects.filter(
            program=program,
            pathway__code=PathwayCode.ACTIVE_OUTREACH,
            is_enabled=True,
            current_config__isnull=False,
        )
        .select_related("pathway", "current_config")
        .first()
    )


def outreach_team_kinds(program: Any) -> frozenset[str]:
    """Kinds of agency that may work an outreach list: those the Active Outreach configuration
    lets record a contact (a visit that meets the person is one). Empty when the program does
    not run Active Outreach."""
    pp = active_outreach_pathway(program)
    if pp is None or pp.current_config is None:
        return frozenset()
    return frozenset(pp.current_config.starter_agency_kinds)


def outreach_teams_for(user: Any) -> list[Agency]:
    """The teams a user may start a list for: for coordinators and administrators any active
    agency of the program, else the user's own agencies; in both cases only agencies of a kind
    the Active Outreach configuration lets record contacts."""
    program = program_for_user(user)
    if program is None:
        return []
    kinds = outreach_team_kinds(program)
    if is_program_wide(user):
        teams = list(Agency.objects.active().filter(program=program).order_by("name"))
    else:
        teams = sorted(agencies_for(user, *OUTREACH_ROLES), key=lambda a: a.name)
    return [t for t in teams if t.kind in kinds]


def team_members(team: Agency) -> list[User]:
    """The team's active members, by name: who may lead an entry."""
    return list(
        User.objects.filter(memberships__agency=team, memberships__is_active=True, is_active=True)
        .distinct()
        .order_by("last_name", "first_name", "username")
    )


@dataclass
class StatusCount:
    status: str
    label: str
    description: str
    count: int
    color: str
    tag: str
    offset: float = 0.0  # where the bar's segment starts, in percent
    width: float = 0.0  # percent of the list's entries


@dataclass
class StatusSummary:
    counts: list[StatusCount]
    total: int

    @property
    def shown(self) -> list[StatusCount]:
        """Statuses with at least one person, in workflow order (the bar's segments)."""
        return [c for c in self.counts if c.count]

    def count(self, status: str) -> int:
        return next((c.count for c in self.counts if c.status == status), 0)


def _summary(raw: dict[str, int]) -> StatusSummary:
    total = sum(raw.values())
    counts = []
    offset = 0.0
    for status in OutreachStatus:
        n = raw.get(status, 0)
        width = 100.0 * n / total if total else 0.0
        counts.append(
            StatusCount(
                status=status,
                label=status.label,
                description=OUTREACH_STATUS_DESCRIPTIONS[status],
                count=n,
                color=STATUS_COLORS[status],
                tag=STATUS_TAG[status],
                offset=round(offset, 3),
                width=round(width, 3),
            )
        )
        offset += width
    return StatusSummary(counts=counts, total=total)


#: Statuses that tell how the person responded to the team's services: part of the team's
#: record (42 CFR Part 2 when the team is a treatment or recovery program). Viewers outside the
#: team see them as one "Reached" status unless the person consented (consent.may_disclose).
PROTECTED_STATUSES = (OutreachStatus.ENGAGED, OutreachStatus.IN_TREATMENT, OutreachStatus.DECLINED)
REACHED = "reached"
REACHED_LABEL = "Reached"
REACHED_DESCRIPTION = "Reached by the team; how the person responded stays with the team"


def masked_summary(summary: StatusSummary) -> StatusSummary:
    """The summary as viewers outside the team see it: the protected statuses as one count."""
    raw = {c.status: c.count for c in summary.counts}
    reached = sum(raw.pop(status, 0) for status in PROTECTED_STATUSES)
    order = [OutreachStatus.IDENTIFIED, OutreachStatus.ATTEMPTING, REACHED, OutreachStatus.CLOSED]
    counts = []
    offset = 0.0
    for status in order:
        n = reached if status == REACHED else raw.get(status, 0)
        width = 100.0 * n / summary.total if summary.total else 0.0
        plain = status == REACHED
        counts.append(
            StatusCount(
                status=str(status),
                label=REACHED_LABEL if plain else OutreachStatus(status).label,
                description=REACHED_DESCRIPTION if plain else OUTREACH_STATUS_DESCRIPTIONS[status],
                count=n,
                color="#71767a" if plain else STATUS_COLORS[status],
                tag="" if plain else STATUS_TAG[status],
                offset=round(offset, 3),
                width=round(width, 3),
            )
        )
        offset += width
    return StatusSummary(counts=counts, total=summary.total)


def status_counts(outreach_list: OutreachList) -> StatusSummary:
    """How many people on the list are in each status (closed included)."""
    return status_counts_of([outreach_list]).get(outreach_list.pk) or _summary({})


def status_counts_of(lists: Iterable[OutreachList]) -> dict[Any, StatusSummary]:
    """The status summary of each list, in one query."""
    raw: dict[Any, dict[str, int]] = {}
    ids = [ol.pk for ol in lists]
    rows = (
        OutreachEntry.objects.filter(outreach_list_id__in=ids)
        .values_list("outreach_list_id", "status")
        .annotate(n=Count("id"))
        .order_by()
    )
    for list_id, status, n in rows:
        raw.setdefault(list_id, {})[status] = n
    return {list_id: _summary(raw.get(list_id, {})) for list_id in ids}


@dataclass
class EntryRow:
    entry: OutreachEntry
    attempts: int
    latest_visit: Visit | None
    open_item: WorkItem | None  # the next visit, when one is open


def entries_of(outreach_list: OutreachList, *, closed: bool = False) -> list[EntryRow]:
    """The list's people (open entries, or with `closed` the closed ones), soonest visit first,
    with their visit count, latest visit and the open visit's due date."""
    latest = Visit.objects.filter(outreach_entry=OuterRef("pk")).order_by("-visited_at", "-pk")
    qs = (
        OutreachEntry.objects.filter(outreach_list=outreach_list)
        .select_related("person", "assigned_to", "work_item")
        .annotate(attempt_count=Count("visits"), latest_visit_id=Subquery(latest.values("pk")[:1]))
    )
    qs = (
        qs.filter(status=OutreachStatus.CLOSED)
        if closed
        else qs.exclude(status=OutreachStatus.CLOSED)
    )
    entries = list(qs)
    visits = Visit.objects.in_bulk([e.latest_visit_id for e in entries if e.latest_visit_id])
    rows = []
    for entry in entries:
        item = entry.work_item
        rows.append(
            EntryRow(
                entry=entry,
                attempts=entry.attempt_count,
                latest_visit=visits.get(entry.latest_visit_id),
                open_item=item if item is not None and item.is_open else None,
            )
        )
    far = dt.datetime.max.replace(tzinfo=dt.UTC)
    rows.sort(
        key=lambda r: (
            r.open_item.due_at if r.open_item else far,
            r.entry.person.last_name_key,
            r.entry.person.first_name_key,
        )
    )
    return rows
