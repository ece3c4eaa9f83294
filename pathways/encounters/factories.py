from __future__ import annotations

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
