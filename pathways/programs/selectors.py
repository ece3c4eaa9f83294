from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pathways.accounts.selectors import _memberships
from pathways.programs.models import Pathway, PathwayConfig, Program, ProgramPathway


def program_for_user(user: Any) -> Program | None:
    """The program the user works in (every membership is in one program's agency)."""
    memberships = _memberships(user)
    return memberships[0].agency.program if memberships else None


def enabled_pathways(program: Program) -> list[ProgramPathway]:
    return list(
        ProgramPathway.objects.filter(program=program, is_enabled=True)
        .select_related("pathway", "program", "current_config")
        .order_by("pathway__display_order")
    )


def startable_pathways(user: Any) -> list[ProgramPathway]:
    """Enabled pathways this user may start: the current configuration must allow one of their
    roles at an agency of an allowed kind."""
    memberships = _memberships(user)
    if not memberships:
        return []
    program = memberships[0].agency.program
    result = []
    for pp in enabled_pathways(program):
        config = pp.current_config
        if config is None:
            continue
        for m in memberships:
            if m.role in config.starter_roles and m.agency.kind in config.starter_agency_kinds:
                result.append(pp)
                break
    return result


def starting_agency(user: Any, pp: ProgramPathway) -> Any:
    """The user's agency that may start this pathway under its current configuration (the
    first one, when they belong to several). Call only with a pathway from startable_pathways."""
    config = pp.current_config
    assert config is not None
    for m in _memberships(user):
        if m.role in config.starter_roles and m.agency.kind in config.starter_agency_kinds:
            return m.agency
    raise LookupError("The user may not start this pathway.")


def can_start(user: Any, pathway: Pathway, agency: Any) -> bool:
    pp = (
        ProgramPathway.objects.filter(
            program_id=agency.program_id, pathway=pathway, is_enabled=True
        )
        .select_related("current_config")
        .first()
    )
    config = pp.current_config if pp else None
    if config is None or agency.kind not in config.starter_agency_kinds:
        return False
    return any(
        m.agency_id == agency.pk and m.role in config.starter_roles for m in _memberships(user)
    )


def program_pathways(program: Program) -> list[ProgramPathway]:
    """Every pathway of the catalog with the program's row for it (enabled or not)."""
    return list(
        ProgramPathway.objects.filter(program=program)
        .select_related("pathway", "current_config")
        .order_by("pathway__display_order")
    )


@dataclass(frozen=True)
class ConfigVersion:
    config: PathwayConfig
    changes: list[tuple[str, Any, Any]]  # (field label, old, new) against the version before


CONFIG_LABELS = {
    "starter_roles": "Who may start it",
    "starter_agency_kinds": "Kinds of agency",
    "charges": "Charges",
    "prosecutor_review": "Prosecutor reviews every diversion",
    "requires_clinician": "Clinician on the team",
    "requires_peer": "Peer on the team",
    "followup_team_id": "Follow-up team",
    "deadlines": "Deadlines",
    "partner_service_ids": "Partner services",
    "rules": "Eligibility rules",
    "requirements": "Service-plan requirements",
    "rule_set_source": "Started from example",
}


def config_history_with_changes(program_pathway: ProgramPathway) -> list[ConfigVersion]:
    """Every version, newest first, each with what changed from the one before."""
    configs = list(
        PathwayConfig.objects.filter(program_pathway=program_pathway)
        .select_related("created_by")
        .order_by("version")
    )
    result: list[ConfigVersion] = []
    previous: PathwayConfig | None = None
    for config in configs:
        changes = [
            (
                label,
                _readable(name, getattr(previous, name)),
                _readable(name, getattr(config, name)),
            )
            for name, label in CONFIG_LABELS.items()
            if previous is not None and getattr(previous, name) != getattr(config, name)
        ]
        result.append(ConfigVersion(config, changes))
        previous = config
    return list(reversed(result))


def _readable(name: str, value: Any) -> str:
    """A configuration value as a coordinator reads it in the history."""
    if name == "rules":
        return "; ".join(f"{r['outcome']} when {r['condition']}" for r in value) or "none"
    if name == "deadlines":
        return ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in sorted(value.items()))
    if name == "partner_service_ids":
        return f"{len(value)} service(s)" if value else "every service"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(str(v).replace("_", " ") for v in value) or "none"
    return str(value).replace("_", " ") if value else "none"


def current_config(program_id: Any, pathway: Pathway) -> PathwayConfig | None:
    pp = (
        ProgramPathway.objects.filter(program_id=program_id, pathway=pathway)
        .select_related("current_config")
        .first()
    )
    return pp.current_config if pp else None
