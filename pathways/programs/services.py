"""Writes for programs and the pathway catalog."""

from __future__ import annotations

from typing import Any

from pathways.audit.services import audit_log, created, diff, snapshot
from pathways.core.services import service
from pathways.programs.catalog import catalog_rows
from pathways.programs.models import Pathway, Program, ProgramPathway

PATHWAY_FIELDS = [
    "name",
    "short_name",
    "definition",
    "initiated_by",
    "starter_agency_kinds",
    "starter_roles",
    "charges",
    "target_populations",
    "typical_needs",
    "questions",
    "default_call_source",
    "display_order",
]


@service
def catalog_sync(*, actor: Any = None) -> list[Pathway]:
    """Create or update the six pathway rows from the catalog."""
    result = []
    for row in catalog_rows():
        pathway = Pathway.objects.filter(code=row["code"]).first()
        if pathway is None:
            pathway = Pathway.objects.create(**row)
            audit_log(
                actor=actor,
                event_type="pathway.create",
                obj=pathway,
                changes=created(pathway, PATHWAY_FIELDS),
            )
        else:
            old = snapshot(pathway, PATHWAY_FIELDS)
            for name in PATHWAY_FIELDS:
                setattr(pathway, name, row[name])
            changes = diff(old, snapshot(pathway, PATHWAY_FIELDS))
            if changes:
                pathway.save()
                audit_log(actor=actor, event_type="pathway.update", obj=pathway, changes=changes)
        result.append(pathway)
    return result


@service
def program_create(
    *,
    actor: Any,
    name: str,
    jurisdiction: str,
    time_zone: str,
    pathway_codes: list[str],
    description: str = "",
) -> Program:
    program = Program(
        name=name, jurisdiction=jurisdiction, time_zone=time_zone, description=description
    )
    program.full_clean()
    program.save()
    audit_log(
        actor=actor,
        event_type="program.create",
        obj=program,
        changes=created(program, ["name", "jurisdiction", "time_zone"]),
    )
    for code in pathway_codes:
        program_pathway_set_enabled(
            actor=actor, program=program, pathway=Pathway.objects.get(code=code), enabled=True
        )
    return program


@service
def program_pathway_set_enabled(
    *, actor: Any, program: Program, pathway: Pathway, enabled: bool, local_name: str = ""
) -> ProgramPathway:
    pp, made = ProgramPathway.objects.get_or_create(
        program=program,
        pathway=pathway,
        defaults={"is_enabled": enabled, "local_name": local_name},
    )
    if made:
        audit_log(
            actor=actor,
            event_type="program_pathway.create",
            obj=pp,
            changes=created(pp, ["program", "pathway", "is_enabled", "local_name"]),
        )
        return pp
    old = snapshot(pp, ["is_enabled", "local_name"])
    pp.is_enabled = enabled
    pp.local_name = local_name or pp.local_name
    changes = diff(old, snapshot(pp, ["is_enabled", "local_name"]))
    if changes:
        pp.save()
        audit_log(actor=actor, event_type="program_pathway.update", obj=pp, changes=changes)
    return pp
