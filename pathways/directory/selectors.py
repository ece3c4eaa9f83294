from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.db.models import BooleanField, Case, QuerySet, Value, When

from pathways.directory.models import SERVICE_TYPES_FOR_NEED, Service

if TYPE_CHECKING:
    from pathways.programs.models import Program


def services_in_program(*, program: Program) -> QuerySet[Service]:
    return Service.objects.active().filter(
        organization__program=program, organization__archived_at__isnull=True
    )


def service_types_for(*, needs: Iterable[str]) -> list[str]:
    types: list[str] = []
    for need in needs:
        for service_type in SERVICE_TYPES_FOR_NEED.get(need, []):
            if service_type not in types:
                types.append(str(service_type))
    return types


def services_for_needs(
    *, program: Program, needs: Iterable[str], only: Iterable[str] | None = None
) -> list[Service]:
    """Services that answer the needs, those with open capacity first (most open first).
    With no needs given, every service of the program, ranked the same way. `only` (a pathway's
    partner services, when its configuration names some) puts those first, each marked
    `partner`; the program's other services that answer the needs follow, so a responder is
    never left without a service while any matching one exists."""
    qs = services_in_program(program=program).select_related("organization")
    partners = [str(pk) for pk in (only or [])]
    types = service_types_for(needs=needs)
    if types:
        qs = qs.filter(service_type__in=types)
    qs = qs.annotate(
        partner=Case(
            When(pk__in=partners, then=Value(True)),
            default=Value(False),
            output_field=BooleanField(),
        )
        if partners
        else Value(False, output_field=BooleanField()),
        open_now=Case(
            When(capacity_open__gt=0, then=Value(True)),
            default=Value(False),
            output_field=BooleanField(),
        ),
    )
    return list(qs.order_by("-partner", "-open_now", "-capacity_open", "name"))


def service_for_program(*, program: Program, service_id: uuid.UUID | str) -> Service | None:
    """An active service of the program (a pathway's partner services come first in the lists,
    but any of the program's services may be chosen)."""
    return (
        services_in_program(program=program)
        .select_related("organization")
        .filter(pk=service_id)
        .first()
    )
