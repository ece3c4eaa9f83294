from __future__ import annotations

import factory

from pathways.programs.models import Pathway, Program, ProgramPathway
from pathways.programs.services import catalog_sync, program_pathway_set_enabled


class ProgramFactory(factory.django.DjangoModelFactory[Program]):
    class Meta:
        model = Program
        django_get_or_create = ["name"]

    name = "Test County Deflection Program"
    jurisdiction = "Test County"
    time_zone = "America/Chicago"


def enable_all_pathways(program: Program) -> None:
    # Transactional tests flush the tables, catalog included; put the catalog back first.
    if not Pathway.objects.exists():
        catalog_sync()
    for pathway in Pathway.objects.all():
        if not ProgramPathway.objects.filter(program=program, pathway=pathway).exists():
            program_pathway_set_enabled(actor=None, program=program, pathway=pathway, enabled=True)
