from __future__ import annotations

import datetime as dt

import factory

from pathways.accounts.factories import AgencyFactory
from pathways.core import clock
from pathways.followups.models import WorkItem, WorkKind


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
