"""Reads that compose several apps: a person's history across contacts, referrals and cases, as
one viewer may see it. Each part goes through its own app's scoped selector; nothing here widens
what a viewer sees."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q

from pathways.accounts.models import Role
from pathways.accounts.selectors import agency_ids_for, is_program_wide
from pathways.cases.models import Case
from pathways.cases.selectors import cases_visible_to
from pathways.encounters.models import Encounter
from pathways.encounters.selectors import encounters_visible_to
from pathways.people.models import ContactDetails, Person
from pathways.people.selectors import FIELD_ROLES, PROVIDER_ROLES
from pathways.referrals.models import Referral
from pathways.referrals.selectors import referrals_visible_to

#: The most recent episodes of each kind a person page lists (a person with more is rare).
HISTORY_LIMIT = 100


@dataclass
class PersonHistory:
    """What one viewer may see of a person's episodes, newest first."""

    person: Person
    encounters: list[Encounter] = field(default_factory=list)
    referrals: list[Referral] = field(default_factory=list)
    cases: list[Case] = field(default_factory=list)
    reach: ContactDetails | None = None


def person_history(viewer: Any, person: Person) -> PersonHistory:
    """The person's contacts, referrals and cases the viewer may see, and how to reach them as
    the viewer may know it: program-wide staff and the field agencies see the details their own
    agency took (the program office, anyone's); a provider sees the details the person agreed
    to share with the services they were referred to there."""
    encounters = list(
        encounters_visible_to(viewer).filter(person=person).order_by("-occurred_at")[:HISTORY_LIMIT]
    )
    referrals = list(
        referrals_visible_to(viewer).filter(person=person).order_by("-created_at")[:HISTORY_LIMIT]
    )
    cases = list(cases_visible_to(viewer).filter(person=person).order_by("-opened_at")[:50])
    return PersonHistory(person, encounters, referrals, cases, reach_for(viewer, person))


def reach_for(viewer: Any, person: Person) -> ContactDetails | None:
    """The person's latest contact details that the viewer may see (None: none)."""
    details = ContactDetails.objects.filter(person=person)
    if not is_program_wide(viewer):
        allowed = Q(pk__in=[])
        if field_ids := agency_ids_for(viewer, *FIELD_ROLES):
            allowed |= Q(agency_id__in=field_ids)
        if provider_ids := agency_ids_for(viewer, *PROVIDER_ROLES):
            shared = Referral.objects.filter(
                person=person, receiving_agency_id__in=provider_ids
            ).values("encounter__contact_details_id")
            allowed |= Q(share_with_provider=True, pk__in=shared)
        details = details.filter(allowed)
    return details.order_by("-created_at").first()


def may_identify(viewer: Any, person: Person) -> bool:
    """Who names a person recorded without a name, or links them to someone in Pathways: the
    field staff of an agency that met them, and the program office."""
    if person.is_named or person.is_archived:
        return False
    if is_program_wide(viewer) and agency_ids_for(viewer, Role.COORDINATOR, Role.ADMIN):
        return True
    field_ids = agency_ids_for(viewer, *FIELD_ROLES)
    return (
        bool(field_ids)
        and Encounter.objects.filter(person=person, agency_id__in=field_ids).exists()
    )
