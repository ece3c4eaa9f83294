from __future__ import annotations

import datetime as dt

import factory

from pathways.accounts.factories import AgencyFactory, member
from pathways.accounts.models import Agency, AgencyKind, Role, User
from pathways.core import clock
from pathways.followups.models import OutreachList, WorkItem, WorkKind
from pathways.programs.models import Program


class WorkItemFactory(factory.django.DjangoModelFactory[WorkItem]):
    """Pass team= (the agency that must act); the program follows the team. Due in 12 hours.

    For a row written through the service (with its audit event), call work_item_open."""

    class Meta:
        model = WorkItem

    team = factory.SubFactory(AgencyFactory)
    program = factory.LazyAttribute(lambda o: o.team.program)
    kind = WorkKind.OUTREACH_VISIT
    title = factory.Sequence(lambda n: f"Outreach visit #{n}")
    due_at = factory.LazyFunction(lambda: clock.now() + dt.timedelta(hours=12))


class OutreachListFactory(factory.django.DjangoModelFactory[OutreachList]):
    """Pass team= (the outreach team); the program follows the team. A bare row: for one
    written through the service (with its audit event), call outreach_list_create. Entries
    are always added with outreach_entry_add (it opens the visit on the worklist)."""

    class Meta:
        model = OutreachList

    team = factory.SubFactory(AgencyFactory, kind=AgencyKind.RECOVERY_SUPPORT)
    program = factory.LazyAttribute(lambda o: o.team.program)
    name = factory.Sequence(lambda n: f"Outreach list {n}")


def outreach_team(program: Program, *, name: str, username: str) -> tuple[Agency, User]:
    """A recovery-support agency of `program` (the outreach team) with one outreach worker."""
    team = AgencyFactory.create(program=program, name=name, kind=AgencyKind.RECOVERY_SUPPORT)
    return team, member(team, Role.OUTREACH, username)
