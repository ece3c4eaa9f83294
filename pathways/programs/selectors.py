from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pathways.accounts.models import Agency, AgencyKind, Membership, Role
from pathways.accounts.selectors import _memberships

# the viewer's program is a question for accounts; re-exported for the layers above programs
from pathways.accounts.selectors import program_for_user as program_for_user
from pathways.directory.selectors import services_in_program
from pathways.eligibility.rules import Outcome
from pathways.programs.models import Pathway, PathwayConfig, Program, ProgramPathway


def enabled_pathways(*, program: Program) -> list[ProgramPathway]:
    return list(
        ProgramPathway.objects.filter(program=program, is_enabled=True)
        .select_related("pathway", "program", "current_config")
        .order_by("pathway__display_order")
    )


def _may_start(memberships: list[Any], config: PathwayConfig | None) -> bool:
    """May someone with these memberships start a pathway under this configuration: one of
    their roles at an agency of an allowed kind."""
    return config is not None and any(
        m.role in config.starter_roles and m.agency.kind in config.starter_agency_kinds
        for m in memberships
    )


def startable_pathways(*, user: Any) -> list[ProgramPathway]:
    """Enabled pathways this user may start: the current configuration must allow one of their
    roles at an agency of an allowed kind."""
    memberships = _memberships(user)
    if not memberships:
        return []
    program = memberships[0].agency.program
    return [
        pp for pp in enabled_pathways(program=program) if _may_start(memberships, pp.current_config)
    ]


def startable_pathway(*, user: Any, code: str) -> ProgramPathway | None:
    """The enabled pathway `code` when this user may start it (as startable_pathways), else
    None: one row read, where the field entry page needs only its own pathway."""
    memberships = _memberships(user)
    if not memberships:
        return None
    program = memberships[0].agency.program
    pp = (
        ProgramPathway.objects.filter(program=program, is_enabled=True, pathway__code=code)
        .select_related("pathway", "current_config")
        .first()
    )
    if pp is None or not _may_start(memberships, pp.current_config):
        return None
    pp.program = program  # the memberships' own, already read
    return pp


def starting_agency(*, user: Any, pp: ProgramPathway) -> Any:
    """The user's agency that may start this pathway under its current configuration (the
    first one, when they belong to several). Call only with a pathway from startable_pathways."""
    config = pp.current_config
    assert config is not None
    for m in _memberships(user):
        if m.role in config.starter_roles and m.agency.kind in config.starter_agency_kinds:
            return m.agency
    raise LookupError("The user may not start this pathway.")


def can_start(*, user: Any, pathway: Pathway, agency: Any) -> bool:
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


#: Kinds of agency whose staff never go on follow-up visits: none of them may be a pathway's
#: follow-up team (its visits, placements and follow-ups would land where nobody can act).
NO_VISIT_AGENCY_KINDS = frozenset({"prosecutor", "program_office", "research_partner"})
#: Roles that record follow-up and outreach visits for their own team (accounts.Role values).
#: A visit's authority is the team's: it is the program's follow-up team (docs/decisions/0017),
#: whatever roles the pathway lets start a contact.
VISIT_ROLES = ("officer", "supervisor", "outreach", "case_manager", "provider_intake")


def followup_team_refusal(*, agency: Any) -> str:
    """Why `agency` cannot be a follow-up team ("" when it can): its staff never go on visits."""
    if agency.kind in NO_VISIT_AGENCY_KINDS:
        return (
            f"{agency.name} is a {agency.get_kind_display().lower()}: its staff do not go on "
            "follow-up visits. Choose the agency whose staff visit (police, fire or EMS, an "
            "outreach, recovery-support, treatment or community response team)."
        )
    return ""


def followup_team_warning(*, agency: Any) -> str:
    """A warning for the coordinator ("" when none): nobody at the follow-up team can record a
    visit yet (no active member with a visit role), so its visits would wait on its worklist."""

    if agency is None:
        return ""
    has_staff = Membership.objects.filter(
        agency=agency, is_active=True, user__is_active=True, role__in=VISIT_ROLES
    ).exists()
    if has_staff:
        return ""
    roles = ", ".join(str(Role(r).label).lower() for r in VISIT_ROLES)
    return (
        f"Nobody at {agency.name} can record follow-up visits yet: give someone there one of "
        f"these roles: {roles}. Until then its follow-ups wait on its worklist."
    )


def program_pathways(*, program: Program) -> list[ProgramPathway]:
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
    "sections": "Sections of the field form",
    "rule_set_source": "Started from example",
}


def config_history_with_changes(*, program_pathway: ProgramPathway) -> list[ConfigVersion]:
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


def current_config(*, program_id: Any, pathway: Pathway) -> PathwayConfig | None:
    pp = (
        ProgramPathway.objects.filter(program_id=program_id, pathway=pathway)
        .select_related("current_config")
        .first()
    )
    return pp.current_config if pp else None


@dataclass(frozen=True)
class TemplatePathwayPreview:
    part: Any  # program_templates.TemplatePathway
    pathway: Pathway
    current: ProgramPathway | None
    replaces: bool
    """The program already runs this pathway under a configuration someone chose (another
    template, or a coordinator's change): starting the template saves over it (kept in history)."""
    services: list[Any]
    """The program's services the template's partner-service types match."""
    teams: list[Any]
    """Agencies of the kind the template wants as the follow-up team."""
    roles: list[str]
    kinds: list[str]
    deadlines: list[tuple[str, str]]
    rules: list[tuple[str, str, str]]  # (outcome label, reason, condition)
    sections: list[str]


@dataclass(frozen=True)
class TemplatePartnerPreview:
    kind_label: str
    role: str
    required: bool
    agencies: list[Any]


@dataclass(frozen=True)
class TemplatePreview:
    pathways: list[TemplatePathwayPreview]
    partners: list[TemplatePartnerPreview]
    agencies: list[Any]

    @property
    def replaces_any(self) -> bool:
        return any(p.replaces for p in self.pathways)

    @property
    def missing_partners(self) -> list[TemplatePartnerPreview]:
        return [p for p in self.partners if p.required and not p.agencies]


def template_preview(*, program: Program, template: Any) -> TemplatePreview:
    """What starting `template` would set up in `program`, against what it runs now."""
    from pathways.programs.deadlines import DEADLINES
    from pathways.programs.form_sections import FORM_SECTIONS

    agencies = list(
        Agency.objects.filter(program=program, archived_at__isnull=True).order_by("name")
    )
    current = {pp.pathway.code: pp for pp in program_pathways(program=program)}
    catalog = {p.code: p for p in Pathway.objects.all()}
    services = list(
        services_in_program(program=program).select_related("organization").order_by("name")
    )
    outcome_labels = {o.value: o.label for o in Outcome}
    previews = []
    for part in template.pathways:
        pp = current.get(part.pathway)
        config = pp.current_config if pp else None
        replaces = bool(
            pp
            and pp.is_enabled
            and config
            and (pp.template_code not in ("", template.code) or config.version > 1)
        )
        previews.append(
            TemplatePathwayPreview(
                part=part,
                pathway=catalog[part.pathway],
                current=pp,
                replaces=replaces,
                services=[s for s in services if s.service_type in part.service_types],
                teams=[a for a in agencies if a.kind == part.followup_team_kind],
                roles=[str(Role(r).label) for r in part.config["starter_roles"]],
                kinds=[str(AgencyKind(k).label) for k in part.config["starter_agency_kinds"]],
                deadlines=[
                    (DEADLINES[code].label, f"{value} {DEADLINES[code].unit}")
                    for code, value in part.config["deadlines"].items()
                ],
                rules=[
                    (outcome_labels.get(r["outcome"], r["outcome"]), r["reason"], r["condition"])
                    for r in part.config["rules"]
                ],
                sections=[FORM_SECTIONS[code].label for code in part.config["sections"]],
            )
        )
    partners = [
        TemplatePartnerPreview(
            kind_label=str(AgencyKind(p.kind).label),
            role=p.role,
            required=p.required,
            agencies=[a for a in agencies if a.kind == p.kind],
        )
        for p in template.partners
    ]
    return TemplatePreview(previews, partners, agencies)


def template_uses(*, program: Program) -> dict[str, list[ProgramPathway]]:
    """The program's enabled pathways started from each template, by template code."""
    uses: dict[str, list[ProgramPathway]] = {}
    for pp in program_pathways(program=program):
        if pp.is_enabled and pp.template_code:
            uses.setdefault(pp.template_code, []).append(pp)
    return uses
