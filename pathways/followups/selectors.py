"""Reads for work items, always scoped: a team sees its own items (agency scope); coordinators
and administrators see every team's items in their program (program scope)."""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from typing import Any

from django.db.models import Count, OuterRef, QuerySet, Subquery
from django.urls import reverse

from pathways.accounts.models import PROVIDER_KINDS, Agency, AgencyKind, Membership, Role, User
from pathways.accounts.selectors import agencies_for, agency_ids_for, has_role, is_program_wide
from pathways.consent.models import Consent
from pathways.consent.selectors import may_disclose
from pathways.core import clock
from pathways.core.deadlines import describe_due
from pathways.directory.models import ServiceType
from pathways.directory.selectors import services_for_needs
from pathways.followups import hooks
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
from pathways.people.models import Person
from pathways.programs.catalog import service_priority_for
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


def work_items_visible_to(*, user: User) -> WorkItemQuerySet:
    """Every item (open or closed) the user may see."""
    qs = WorkItem.objects.select_related("team", "program")
    if is_program_wide(user=user):
        program = program_for_user(user=user)
        return qs.filter(program=program) if program is not None else qs.none()
    team_ids = agency_ids_for(user)
    if not team_ids:
        return qs.none()
    return qs.filter(team_id__in=team_ids)


def work_item_for_user(*, user: User, item_id: Any) -> WorkItem | None:
    return work_items_visible_to(user=user).filter(pk=item_id).first()


def can_complete(*, user: User, item: WorkItem) -> bool:
    """Only the team that must act marks its items done; program-wide staff watch."""
    return item.team_id in agency_ids_for(user)


def can_record_visit(*, user: User, item: WorkItem) -> bool:
    """The team's staff who go on visits (programs.selectors.VISIT_ROLES) record them on the
    team's follow-up and outreach items (followups.services checks the team's authority)."""
    from pathways.followups.services import VISIT_KINDS

    return (
        item.kind in VISIT_KINDS
        and item.person_id is not None
        and item.team_id in agency_ids_for(user, *VISIT_ROLES)
    )


def worklist_for(*, user: User, now: dt.datetime | None = None) -> Worklist:
    """The user's open items split into overdue, due in the next 24 hours, and later; each list
    soonest due first."""
    now = now or clock.now()
    rows = list(
        work_items_visible_to(user=user)
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


def team_email_addresses(*, team_id: Any) -> list[str]:
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


def administered_by_phrase(*, overdose: Any) -> str:
    return ADMINISTERED_BY_PHRASE.get(overdose.administered_by, "")


#: Service types a person starts only with a prescriber or clinician: the visit form says so
#: next to each such service, before the team sends the referral.
PRESCRIBER_SERVICE_TYPES = frozenset({"moud"})
PRESCRIBER_HINT = "Needs a prescriber or clinician to start"


def service_priority(*, program: Any, pathway: Any) -> list[str]:
    """The service types in the pathway's stated priority order: the order of the program
    template the pathway was started from (e.g. the Quick Response Team's MOUD, detox,
    residential, ...), then the pathway catalog's default order for the types it does not name
    (programs.catalog.service_priority_for)."""

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
    default = service_priority_for(pathway.code if pathway is not None else None)
    return stated + [t for t in default if t not in stated]


def visit_services(*, item: WorkItem, needs: list[str], pathway: Any) -> list[Any]:
    """The services offered at a visit for the needs: in the pathway's priority order of
    service types (service_priority), then those with open capacity first (most open first),
    then by name."""

    order = service_priority(program=item.program, pathway=pathway)
    rank = {service_type: n for n, service_type in enumerate(order)}
    services = services_for_needs(program=item.program, needs=needs)
    services.sort(
        key=lambda s: (
            rank.get(s.service_type, len(rank)),
            s.capacity_open <= 0,
            -s.capacity_open,
            s.name,
        )
    )
    return services


def visit_config(*, item: WorkItem, pathway: Any = None) -> Any:
    """The configuration a visit on the item is checked against (services.visit_record): the
    pathway's in force when given (an outreach visit), else the index contact's."""

    if pathway is not None:
        return current_config(program_id=item.program_id, pathway=pathway)
    return item.encounter.config if item.encounter is not None else None


def visit_team_rule(*, config: Any) -> str:
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


def visit_context(*, item: WorkItem) -> VisitContext:

    index = item.encounter
    overdose = OverdoseEvent.objects.filter(encounter=index).first() if index is not None else None
    return VisitContext(
        index=index,
        overdose=overdose,
        overdoses=overdoses_of_person(person=item.person),
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


def work_items_of_contact(*, encounter: Any, viewer: User) -> list[WorkItem]:
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
    wide = is_program_wide(user=viewer)
    own = agency_ids_for(viewer)
    shown = []
    for item in items:
        item.disclosure = None
        if wide or item.team_id in own or item.team.kind == AgencyKind.PROGRAM_OFFICE:
            pass
        elif item.team.kind in PROVIDER_KINDS:
            category = KIND_CATEGORY.get(item.kind, DEFAULT_CATEGORY)
            decision = may_disclose(
                viewer=viewer,
                person_id=encounter.person_id,
                category=category,
                holder_id=item.team_id,
            )
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


def outreach_access(*, user: User, outreach_list: OutreachList) -> OutreachAccess | None:
    program = program_for_user(user=user)
    if program is None or outreach_list.program_id != program.pk:
        return None
    if outreach_list.team_id in agency_ids_for(user, *OUTREACH_ROLES):
        return OutreachAccess.TEAM
    if is_program_wide(user=user):
        return OutreachAccess.PROGRAM
    if has_role(user, *RESPONDER_ROLES):
        return OutreachAccess.STATUS
    return None


def outreach_lists_for(*, user: User) -> QuerySet[OutreachList]:
    """The active lists the user may see: their teams' lists, or every list of the program for
    coordinators, administrators and responders."""
    program = program_for_user(user=user)
    if program is None:
        return OutreachList.objects.none()
    qs = (
        OutreachList.objects.active()
        .filter(program=program)
        .select_related("team", "program")
        .order_by("name")
    )
    if is_program_wide(user=user) or has_role(user, *RESPONDER_ROLES):
        return qs
    return qs.filter(team_id__in=agency_ids_for(user, *OUTREACH_ROLES))


def outreach_list_for_user(*, user: User, list_id: Any) -> OutreachList | None:
    return outreach_lists_for(user=user).filter(pk=list_id).first()


def outreach_entry_for_user(*, user: User, entry_id: Any) -> OutreachEntry | None:
    return (
        OutreachEntry.objects.filter(pk=entry_id, outreach_list__in=outreach_lists_for(user=user))
        .select_related("outreach_list", "outreach_list__team", "outreach_list__program")
        .first()
    )


def outreach_entry_of_item(*, item: WorkItem) -> OutreachEntry | None:
    """The entry whose open outreach visit this item is (None for other items)."""
    if item.kind != WorkKind.OUTREACH_VISIT:
        return None
    return (
        OutreachEntry.objects.filter(work_item=item)
        .select_related("outreach_list", "outreach_list__team", "outreach_list__program")
        .first()
    )


def active_outreach_pathway(*, program: Any) -> ProgramPathway | None:
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


def outreach_team_kinds(*, program: Any) -> frozenset[str]:
    """Kinds of agency that may work an outreach list: those the Active Outreach configuration
    lets record a contact (a visit that meets the person is one). Empty when the program does
    not run Active Outreach."""
    pp = active_outreach_pathway(program=program)
    if pp is None or pp.current_config is None:
        return frozenset()
    return frozenset(pp.current_config.starter_agency_kinds)


def outreach_teams_for(*, user: User) -> list[Agency]:
    """The teams a user may start a list for: for coordinators and administrators any active
    agency of the program, else the user's own agencies; in both cases only agencies of a kind
    the Active Outreach configuration lets record contacts."""
    program = program_for_user(user=user)
    if program is None:
        return []
    kinds = outreach_team_kinds(program=program)
    if is_program_wide(user=user):
        teams = list(Agency.objects.active().filter(program=program).order_by("name"))
    else:
        teams = sorted(agencies_for(user, *OUTREACH_ROLES), key=lambda a: a.name)
    return [t for t in teams if t.kind in kinds]


def team_members(*, team: Agency) -> list[User]:
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


def _summary(*, raw: dict[str, int]) -> StatusSummary:
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


def masked_summary(*, summary: StatusSummary) -> StatusSummary:
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


def status_counts(*, outreach_list: OutreachList) -> StatusSummary:
    """How many people on the list are in each status (closed included)."""
    return status_counts_of(lists=[outreach_list]).get(outreach_list.pk) or _summary(raw={})


def status_counts_of(*, lists: Iterable[OutreachList]) -> dict[Any, StatusSummary]:
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
    return {list_id: _summary(raw=raw.get(list_id, {})) for list_id in ids}


@dataclass
class EntryRow:
    entry: OutreachEntry
    attempts: int
    latest_visit: Visit | None
    open_item: WorkItem | None  # the next visit, when one is open


def entries_of(*, outreach_list: OutreachList, closed: bool = False) -> list[EntryRow]:
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


# --- Pages: what each page shows, for its view to add the forms -------------------------------


def _page_context(page: Any) -> dict[str, Any]:
    """A page's fields as the template's context, less those marked `context=False`."""
    return {f.name: getattr(page, f.name) for f in fields(page) if f.metadata.get("context", True)}


@dataclass
class Row:
    item: WorkItem
    due_text: str
    overdue: bool
    relative: bool  # due_text counts time (overdue by / due in); else it is the date itself
    acts: bool  # the user's team must act on it: the view gives it a form
    visit_url: str | None = None  # follow-up and outreach items of the user's team
    form: Any = None  # a CompleteForm; None when the user watches but does not act


@dataclass
class Section:
    key: str
    heading: str
    empty: str
    rows: list[Row]


@dataclass(frozen=True)
class WorklistPage:
    sections: list[Section]
    total: int
    truncated: bool
    limit: int
    show_team: bool

    @property
    def rows(self) -> list[Row]:
        return [row for section in self.sections for row in section.rows]

    def context(self) -> dict[str, Any]:
        return _page_context(self)


def _link_cases(items: list[WorkItem]) -> None:
    """Point case deadlines (review, intake, completion) at the case page, in one query. Cases
    builds on followups: it answers through the hook it fills (followups.hooks)."""
    wanted = {i.encounter_id for i in items if i.kind in WorkItem.CASE_KINDS and i.encounter_id}
    if not wanted:
        return
    by_encounter = hooks.cases_of_contacts.function(wanted)
    for item in items:
        if item.kind in WorkItem.CASE_KINDS and item.encounter_id is not None:
            item.case_id_for_link = by_encounter.get(item.encounter_id)


def worklist_page(*, user: User) -> WorklistPage:
    """The worklist page: the user's open items in three sections, each row saying whether the
    user's team acts on it and where its visit is recorded."""
    worklist = worklist_for(user=user)
    now = worklist.now
    assert now is not None
    acting_teams = agency_ids_for(user)
    _link_cases([*worklist.overdue, *worklist.due_soon, *worklist.later])

    def rows(items: list[WorkItem], *, overdue: bool, relative: bool = True) -> list[Row]:
        return [
            Row(
                item=item,
                due_text=describe_due(item.due_at, now, item.program.time_zone),
                overdue=overdue,
                relative=relative,
                acts=item.team_id in acting_teams,
                visit_url=reverse("followups:visit", kwargs={"item_id": item.pk})
                if can_record_visit(user=user, item=item)
                else None,
            )
            for item in items
        ]

    return WorklistPage(
        sections=[
            Section(
                "overdue", "Overdue", "Nothing is overdue.", rows(worklist.overdue, overdue=True)
            ),
            Section(
                "due-soon",
                "Due in the next 24 hours",
                "Nothing is due in the next 24 hours.",
                rows(worklist.due_soon, overdue=False),
            ),
            Section(
                "later",
                "Later",
                "Nothing is due later.",
                rows(worklist.later, overdue=False, relative=False),
            ),
        ],
        total=len(worklist),
        truncated=worklist.truncated,
        limit=WORKLIST_LIMIT,
        show_team=is_program_wide(user=user) or len(acting_teams) > 1,
    )


@dataclass(frozen=True)
class VisitPage:
    """The visit page (less the form): the item, what the team sees before the visit, the
    services offered and the program's rule on who goes."""

    item: WorkItem
    ctx: VisitContext
    services: list[Any]
    service_order: list[str]
    naloxone_by: str
    team_rule: str
    prescriber_hint: str
    prescriber_types: list[str]
    due_text: str
    outreach_entry: OutreachEntry | None

    def context(self) -> dict[str, Any]:
        return _page_context(self)


def visit_page(*, item: WorkItem, entry: OutreachEntry | None, now: dt.datetime) -> VisitPage:
    """The visit page of `item` (`entry`: the outreach entry whose visit it is, if any)."""
    context = visit_context(item=item)
    if context.index is not None:
        needs = context.index.presenting_needs
    else:
        needs = ["substance_use"] if entry is not None else ["opioid_use"]
    pathway = (
        outreach_pathway.pathway
        if entry is not None and (outreach_pathway := active_outreach_pathway(program=item.program))
        else (context.index.pathway if context.index is not None else None)
    )
    services = visit_services(item=item, needs=needs, pathway=pathway)
    labels = dict(ServiceType.choices)
    shown_types = list(dict.fromkeys(s.service_type for s in services))
    return VisitPage(
        item=item,
        ctx=context,
        services=services,
        service_order=[str(labels.get(t, t)) for t in shown_types],
        naloxone_by=administered_by_phrase(overdose=context.overdose) if context.overdose else "",
        team_rule=visit_team_rule(
            config=visit_config(item=item, pathway=pathway if entry else None)
        ),
        prescriber_hint=PRESCRIBER_HINT,
        prescriber_types=sorted(PRESCRIBER_SERVICE_TYPES),
        due_text=describe_due(item.due_at, now, item.program.time_zone),
        outreach_entry=entry,
    )


#: Who assigns, closes and picks the lead: the team and the program office.
MANAGERS = (OutreachAccess.TEAM, OutreachAccess.PROGRAM)


@dataclass(frozen=True)
class ShownStatus:
    label: str
    description: str
    tag: str  # the status tag's class
    consent: Consent | None = None  # shown under this consent: a disclosure for the caller


def shown_status(
    *, viewer: User, outreach_list: OutreachList, entry: OutreachEntry, access: OutreachAccess
) -> ShownStatus:
    """An entry's status as the viewer may see it: viewers outside the team see how the person
    responded only under the person's consent (which the caller records as a disclosure), and
    "Reached" otherwise. It records nothing."""
    real = ShownStatus(
        entry.get_status_display(), entry.status_description, STATUS_TAG.get(entry.status, "")
    )
    if access != OutreachAccess.STATUS or entry.status not in PROTECTED_STATUSES:
        return real
    decision = may_disclose(
        viewer=viewer,
        person_id=entry.person_id,
        category="progress",
        holder_id=outreach_list.team_id,
    )
    if not decision.allowed:
        return ShownStatus(REACHED_LABEL, REACHED_DESCRIPTION, "")
    return ShownStatus(real.label, real.description, real.tag, decision.consent)


@dataclass
class EntryView:
    row: EntryRow
    tag: str  # the status tag's class
    status_label: str
    status_description: str
    due_text: str | None
    overdue: bool
    visit_url: str | None
    manageable: bool  # the viewer leads and closes it: the view gives it the two forms
    consent: Consent | None = None  # its status is shown under this consent
    assign_form: Any = None  # an OutreachAssignForm
    close_form: Any = None  # an OutreachCloseForm


@dataclass(frozen=True)
class OutreachListPage:
    """A list's page (less the forms and the search box): its people with their status as the
    viewer may see it and their next visit, and the search results."""

    outreach_list: OutreachList
    access: OutreachAccess
    is_team: bool
    manage: bool
    summary: StatusSummary
    entries: list[EntryView]
    closed: list[EntryView]
    results: list[tuple[Person, bool]]  # each person found, and whether already on the list
    members: list[User] = field(metadata={"context": False})  # who may lead an entry

    @property
    def disclosures(self) -> list[Consent]:
        """The consent each entry's status was shown under, one per entry so shown."""
        return [ev.consent for ev in [*self.entries, *self.closed] if ev.consent is not None]

    def context(self) -> dict[str, Any]:
        return _page_context(self)


def _entry_views(
    *,
    viewer: User,
    outreach_list: OutreachList,
    access: OutreachAccess,
    now: dt.datetime,
    closed: bool,
) -> list[EntryView]:
    tz = outreach_list.program.time_zone
    views = []
    for row in entries_of(outreach_list=outreach_list, closed=closed):
        item = row.open_item
        shown = shown_status(
            viewer=viewer, outreach_list=outreach_list, entry=row.entry, access=access
        )
        views.append(
            EntryView(
                row=row,
                tag=shown.tag,
                status_label=shown.label,
                status_description=shown.description,
                due_text=describe_due(item.due_at, now, tz) if item else None,
                overdue=item is not None and item.due_at < now,
                visit_url=reverse("followups:visit", kwargs={"item_id": item.pk})
                if item is not None and access == OutreachAccess.TEAM
                else None,
                manageable=access in MANAGERS and not closed,
                consent=shown.consent,
            )
        )
    return views


def outreach_list_page(
    *,
    viewer: User,
    outreach_list: OutreachList,
    access: OutreachAccess,
    people: list[Person],
    now: dt.datetime,
) -> OutreachListPage:
    """The list's page as `viewer` (with `access`) may see it; `people`: a search's results."""
    manage = access in MANAGERS
    members = team_members(team=outreach_list.team) if manage else []
    on_list = set(
        OutreachEntry.objects.filter(outreach_list=outreach_list, person__in=[p.pk for p in people])
        .exclude(status=OutreachStatus.CLOSED)
        .values_list("person_id", flat=True)
    )
    summary = status_counts(outreach_list=outreach_list)
    return OutreachListPage(
        outreach_list=outreach_list,
        access=access,
        is_team=access == OutreachAccess.TEAM,
        manage=manage,
        summary=summary if access != OutreachAccess.STATUS else masked_summary(summary=summary),
        entries=_entry_views(
            viewer=viewer, outreach_list=outreach_list, access=access, now=now, closed=False
        ),
        closed=_entry_views(
            viewer=viewer, outreach_list=outreach_list, access=access, now=now, closed=True
        ),
        results=[(p, p.pk in on_list) for p in people],
        members=members,
    )


@dataclass(frozen=True)
class OutreachListsPage:
    """The lists page (less the form to start one): each list the user may see with its counts
    by status (masked for viewers outside the team), and whether the program runs outreach."""

    rows: list[tuple[OutreachList, StatusSummary]]
    runs_outreach: bool

    def context(self) -> dict[str, Any]:
        return _page_context(self)


def outreach_lists_page(*, user: User) -> OutreachListsPage:
    lists = list(outreach_lists_for(user=user))
    summaries = {
        pk: summary
        if outreach_access(user=user, outreach_list=next(ol for ol in lists if ol.pk == pk))
        != OutreachAccess.STATUS
        else masked_summary(summary=summary)
        for pk, summary in status_counts_of(lists=lists).items()
    }
    program = program_for_user(user=user)
    return OutreachListsPage(
        rows=[(ol, summaries[ol.pk]) for ol in lists],
        runs_outreach=bool(program and outreach_team_kinds(program=program)),
    )
