from __future__ import annotations

import uuid
from collections.abc import Iterable

from django.db.models import BooleanField, Case, QuerySet, Value, When

from pathways.directory.models import SERVICE_TYPES_FOR_NEED, Service
from pathways.programs.models import Program


def services_in_program(program: Program) -> QuerySet[Service]:
    return Service.objects.active().filter(
        organization__program=program, organization__archived_at__isnull=True
    )


def service_types_for(needs: Iterable[str]) -> list[str]:
    types: list[str] = []
    for need in needs:
        for service_type in SERVICE_TYPES_FOR_NEED.get(need, []):
            if service_type not in types:
                types.append(str(service_type))
    return types


def services_for_needs(
    program: Program, needs: Iterable[str], *, only: Iterable[str] | None = None
) -> list[Service]:
    """Services that answer the needs, those with open capacity first (most open first).
    With no needs given, every service of the program, ranked the same way. `only` (a pathway's
    partner services, when its configuration names some) limits the choice to those."""
    qs = services_in_program(program).select_related("organization")
    only = list(only or [])
    if only:
        qs = qs.filter(pk__in=only)
    types = service_types_for(needs)
    if types:
        qs = qs.filter(service_type__in=types)
    qs = qs.annotate(
        open_now=Case(
            When(capacity_open__gt=0, then=Value(True)),
            default=Value(False),
            output_field=BooleanField(),
        )
    )
    return list(qs.order_by("-open_now", "-capacity_open", "name"))


def service_for_program(
    program: Program, service_id: uuid.UUID | str, *, only: Iterable[str] | None = None
) -> Service | None:
    only = list(only or [])
    if only and str(service_id) not in only:
        return None
    return services_in_program(program).select_related("organization").filter(pk=service_id).first()
