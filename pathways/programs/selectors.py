from __future__ import annotations

from typing import Any

from pathways.accounts.selectors import _memberships
from pathways.programs.models import Pathway, Program, ProgramPathway


def program_for_user(user: Any) -> Program | None:
    """The program the user works in (every membership is in one program's agency)."""
    memberships = _memberships(user)
    return memberships[0].agency.program if memberships else None


def enabled_pathways(program: Program) -> list[ProgramPathway]:
    return list(
        ProgramPathway.objects.filter(program=program, is_enabled=True)
        .select_related("pathway", "program")
        .order_by("pathway__display_order")
    )


def startable_pathways(user: Any) -> list[ProgramPathway]:
    """Enabled pathways this user may start: their role and agency kind must be allowed."""
    memberships = _memberships(user)
    if not memberships:
        return []
    program = memberships[0].agency.program
    result = []
    for pp in enabled_pathways(program):
        for m in memberships:
            if m.role in pp.pathway.starter_roles and (
                m.agency.kind in pp.pathway.starter_agency_kinds
            ):
                result.append(pp)
                break
    return result


def can_start(user: Any, pathway: Pathway, agency: Any) -> bool:
    if agency.kind not in pathway.starter_agency_kinds:
        return False
    return (
        any(
            m.agency_id == agency.pk and m.role in pathway.starter_roles for m in _memberships(user)
        )
        and ProgramPathway.objects.filter(
            program_id=agency.program_id, pathway=pathway, is_enabled=True
        ).exists()
    )
