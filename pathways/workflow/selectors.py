"""Reads that compose several apps: a person's history across contacts, referrals and cases, as
one viewer may see it; who may name a person recorded without one, and whom they may link them
to; what a submission key already recorded. Each part goes through its own app's scoped
selector; nothing here widens what a viewer sees."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field

from django.db.models import Q

from pathways.accounts.models import Agency, Role, User
from pathways.accounts.selectors import (
    agencies_for,
    agency_ids_for,
    is_program_wide,
    primary_agency,
    program_for_user,
)
from pathways.cases.models import Case
from pathways.cases.selectors import cases_visible_to
from pathways.encounters.models import Encounter
from pathways.encounters.selectors import encounters_visible_to, find_by_idempotency_key
from pathways.linkage.duplicates import likely_duplicates
from pathways.people.models import ContactDetails, Person
from pathways.people.selectors import FIELD_ROLES, PROVIDER_ROLES, Candidate
from pathways.referrals.models import Referral
from pathways.referrals.selectors import referrals_visible_to
from pathways.workflow.commands import KeyLookup

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


def person_history(*, viewer: User, person: Person) -> PersonHistory:
    """The person's contacts, referrals and cases the viewer may see, and how to reach them as
    the viewer may know it: program-wide staff and the field agencies see the details their own
    agency took (the program office, anyone's); a provider sees the details the person agreed
    to share with the services they were referred to there."""
    encounters = list(
        encounters_visible_to(user=viewer)
        .filter(person=person)
        .order_by("-occurred_at")[:HISTORY_LIMIT]
    )
    referrals = list(
        referrals_visible_to(user=viewer)
        .filter(person=person)
        .order_by("-created_at")[:HISTORY_LIMIT]
    )
    cases = list(cases_visible_to(user=viewer).filter(person=person).order_by("-opened_at")[:50])
    return PersonHistory(
        person, encounters, referrals, cases, reach_for(viewer=viewer, person=person)
    )


def reach_for(*, viewer: User, person: Person) -> ContactDetails | None:
    """The person's latest contact details that the viewer may see (None: none)."""
    details = ContactDetails.objects.filter(person=person)
    if not is_program_wide(user=viewer):
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


def may_identify(*, viewer: User, person: Person) -> bool:
    """Who names a person recorded without a name, or links them to someone in Pathways: the
    field staff of an agency that met them, and the program office."""
    if person.is_named or person.is_archived:
        return False
    if is_program_wide(user=viewer) and agency_ids_for(viewer, Role.COORDINATOR, Role.ADMIN):
        return True
    field_ids = agency_ids_for(viewer, *FIELD_ROLES)
    return (
        bool(field_ids)
        and Encounter.objects.filter(person=person, agency_id__in=field_ids).exists()
    )


def identify_candidates(
    *,
    viewer: User,
    person: Person,
    first_name: str,
    last_name: str,
    date_of_birth: dt.date | None,
) -> list[Candidate]:
    """The people of the viewer's program the name and birth date match (by the program's
    linkage model when it has one), other than `person`: the only ones naming `person` may
    link it to."""
    return [
        c
        for c in likely_duplicates(
            program=program_for_user(user=viewer),
            first_name=first_name,
            last_name=last_name,
            date_of_birth=date_of_birth,
        )
        if c.person.pk != person.pk
    ]


def acting_agency(*, viewer: User, person: Person) -> Agency | None:
    """The viewer's agency that met the person (else their first), for the audit row."""
    met = set(person.encounters.values_list("agency_id", flat=True))
    for agency in agencies_for(viewer, *FIELD_ROLES):
        if agency.pk in met:
            return agency
    return primary_agency(user=viewer)


def key_lookup(*, user: User, key: uuid.UUID | None) -> KeyLookup | None:
    """What this user already recorded with this submission key (None: no key). The field
    page reads it before the form, so a resubmission lands on the first contact, and hands it
    to field_entry_submit, which then does not read the key again."""
    if key is None:
        return None
    return KeyLookup(
        responder_id=user.pk, key=key, found=find_by_idempotency_key(user=user, key=key)
    )
