"""The calls followups makes into an app above it (pathways.core.hooks).

`cases_of_contacts`: the worklist points a case deadline (review, intake, completion, a plan
requirement) at the case page. A work item knows its contact, not its case (cases builds on
followups), so the worklist asks cases, which registers `cases.worklist_links.case_ids_of_contacts`
in CasesConfig.ready() (docs/decisions/0023)."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Mapping
from typing import Protocol

from pathways.core.hooks import Hook


class CasesOfContacts(Protocol):
    def __call__(self, encounter_ids: Collection[uuid.UUID]) -> Mapping[uuid.UUID, uuid.UUID]:
        """The case of each of these contacts that has one (contact pk -> case pk)."""
        ...


cases_of_contacts: Hook[CasesOfContacts] = Hook(
    "followups.cases_of_contacts", filled_by="pathways.cases"
)
