"""Which case a contact's work item is about, for the worklist's link to the case page;
registered with followups.hooks when the app is ready (apps.py)."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Mapping

from pathways.cases.models import Case
from pathways.followups import hooks


def case_ids_of_contacts(encounter_ids: Collection[uuid.UUID]) -> Mapping[uuid.UUID, uuid.UUID]:
    """The case opened for each of these contacts (the latest, should there be two), in one
    query. Only ids: the worklist links to the case page, which checks who may open it."""
    if not encounter_ids:
        return {}
    return dict(
        Case.objects.filter(encounter_id__in=list(encounter_ids))
        .order_by("opened_at")
        .values_list("encounter_id", "pk")
    )


def register() -> None:
    hooks.cases_of_contacts.register(case_ids_of_contacts)
