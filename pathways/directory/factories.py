from __future__ import annotations

import factory

from pathways.accounts.factories import AgencyFactory
from pathways.core import clock
from pathways.directory.models import Service, ServiceType


class ServiceFactory(factory.django.DjangoModelFactory[Service]):
    class Meta:
        model = Service

    organization = factory.SubFactory(AgencyFactory, kind="treatment")
    name = factory.Sequence(lambda n: f"Service {n}")
    service_type = ServiceType.OUTPATIENT
    languages = ["en"]
    capacity_total = 10
    capacity_open = 5
    capacity_updated_at = factory.LazyFunction(clock.now)
