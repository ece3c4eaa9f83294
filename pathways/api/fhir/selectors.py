"""What a client sees through FHIR: the referrals its agency sent or owns, through the same
selector the pages use (referrals.selectors), and the directory of its program."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from pathways.accounts.models import Agency
from pathways.accounts.selectors import program_for_user
from pathways.api.models import ApiClient
from pathways.directory.models import Location, Service
from pathways.directory.selectors import services_in_program
from pathways.referrals.models import Referral
from pathways.referrals.selectors import referrals_visible_to


def referrals_for_client(*, client: ApiClient) -> QuerySet[Referral]:
    """The referrals the client's account sees that its agency sent or was sent."""
    return referrals_visible_to(user=client.user).filter(
        Q(referring_agency_id=client.agency_id) | Q(receiving_agency_id=client.agency_id)
    )


def referral_for_client(*, client: ApiClient, referral_id: Any) -> Referral | None:
    return referrals_for_client(client=client).filter(pk=referral_id).first()


def organizations_for_client(*, client: ApiClient) -> QuerySet[Agency]:
    program = program_for_user(user=client.user)
    if program is None:
        return Agency.objects.none()
    return Agency.objects.active().filter(program=program)


def services_for_client(*, client: ApiClient) -> QuerySet[Service]:
    program = program_for_user(user=client.user)
    if program is None:
        return Service.objects.none()
    return (
        services_in_program(program=program)
        .select_related("organization")
        .prefetch_related("locations", "hours")
    )


def locations_for_client(*, client: ApiClient) -> QuerySet[Location]:
    program = program_for_user(user=client.user)
    if program is None:
        return Location.objects.none()
    return (
        Location.objects.active()
        .filter(organization__program=program, organization__archived_at__isnull=True)
        .select_related("organization")
    )
