from __future__ import annotations

import uuid
from typing import Any

import factory

from pathways.core import clock
from pathways.encounters.models import CallSource, Disposition, Encounter
from pathways.people.factories import PersonFactory
from pathways.programs.models import Pathway


class EncounterFactory(factory.django.DjangoModelFactory[Encounter]):
    """Pass agency= and responder=; the pathway defaults to Officer Prevention."""

    class Meta:
        model = Encounter

    program = factory.LazyAttribute(lambda o: o.agency.program)
    pathway = factory.LazyFunction(lambda: Pathway.objects.get(code="officer_prevention"))
    person = factory.SubFactory(PersonFactory)
    occurred_at = factory.LazyFunction(clock.now)
    location_text = "Main St & 3rd Ave"
    call_source = CallSource.ON_VIEW
    presenting_needs = ["mental_health"]
    disposition = Disposition.REFERRED


def field_entry_data(referred_to: Any, /, **overrides: Any) -> dict[str, Any]:
    """What the officer's Officer Prevention form posts for a new person referred to the service
    `referred_to` with a warm hand-off (a fresh idempotency key each time); overrides change any
    field (`service=` too), `None` leaves one out."""
    data: dict[str, Any] = {
        "idempotency_key": str(uuid.uuid4()),
        "first_name": "Dana",
        "last_name": "Whitfield",
        "date_of_birth": "1990-06-01",
        "presenting_needs": ["substance_use"],
        "location_text": "400 Block of Elm St",
        "service": str(referred_to.pk),
        "warm_handoff": "on",
        "call_source": "on_view",
        "disposition": "referred",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}
