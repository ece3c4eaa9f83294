"""Reads for work items, always scoped: a team sees its own items (agency scope); coordinators
and administrators see every team's items in their program (program scope)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from pathways.accounts.models import Membership
from pathways.accounts.selectors import agency_ids_for, is_program_wide
from pathways.core import clock
from pathways.followups.models import Visit, WorkItem, WorkItemQuerySet
from pathways.programs.selectors import program_for_user

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


def worklist_for(user: Any, *, now: dt.datetime | None = None) -> Worklist:
    """The user's open items split into overdue, due in the next 24 hours, and later; each list
    soonest due first."""
    now = now or clock.now()
    rows = list(work_items_visible_to(user).open().order_by("due_at", "id")[: WORKLIST_LIMIT + 1])
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


def visit_context(item: WorkItem) -> VisitContext:
    from pathways.surveillance.models import OverdoseEvent
    from pathways.surveillance.selectors import overdoses_of_person

    index = item.encounter
    overdose = OverdoseEvent.objects.filter(encounter=index).first() if index is not None else None
    return VisitContext(
        index=index,
        overdose=overdose,
        overdoses=overdoses_of_person(item.person),
        attempts=list(item.visits.order_by("-visited_at")),
    )


def work_items_of_contact(encounter: Any) -> list[WorkItem]:
    """The deadlines a contact opened (open and closed), with their visits, for its page."""
    return list(
        WorkItem.objects.filter(encounter=encounter)
        .select_related("team", "completed_by")
        .prefetch_related("visits")
        .order_by("due_at")
    )
