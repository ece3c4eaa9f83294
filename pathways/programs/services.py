"""Writes for programs and the pathway catalog."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Protocol

from django.core.exceptions import ValidationError

from pathways.accounts.models import Agency, AgencyKind, Role
from pathways.audit.services import audit_log, created, diff, snapshot
from pathways.core.services import service
from pathways.core.validators import clean_text_field, validate_clean_text
from pathways.directory.selectors import services_in_program
from pathways.eligibility.rules import RuleError, validate_rules
from pathways.programs import hooks
from pathways.programs.catalog import catalog_rows
from pathways.programs.deadlines import deadlines_for, default_deadlines
from pathways.programs.form_sections import checked_sections, default_sections
from pathways.programs.models import (
    ChargeMode,
    Pathway,
    PathwayCode,
    PathwayConfig,
    Program,
    ProgramPathway,
)
from pathways.programs.program_templates import ProgramTemplate

if TYPE_CHECKING:
    from pathways.accounts.models import User

PATHWAY_FIELDS = [
    "name",
    "short_name",
    "definition",
    "initiated_by",
    "starter_agency_kinds",
    "starter_roles",
    "holds_charges",
    "target_populations",
    "typical_needs",
    "questions",
    "default_call_source",
    "display_order",
]


@service
def catalog_sync(*, actor: User | None = None) -> list[Pathway]:
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
    actor: User | None,
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
    if unknown := set(pathway_codes) - set(PathwayCode.values):
        raise ValidationError(f"Not a pathway: {', '.join(sorted(unknown))}.")
    # every pathway gets its row (and first configuration) so the coordinator can turn the
    # others on later from Setup; only the ones named run from the start
    for pathway in Pathway.objects.order_by("display_order"):
        program_pathway_set_enabled(
            actor=actor, program=program, pathway=pathway, enabled=pathway.code in pathway_codes
        )
    return program


@service
def program_pathway_set_enabled(
    *, actor: User | None, program: Program, pathway: Pathway, enabled: bool, local_name: str = ""
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
        pathway_config_save(actor=actor, program_pathway=pp, note="First configuration.")
        pp.refresh_from_db()
        return pp
    old = snapshot(pp, ["is_enabled", "local_name"])
    pp.is_enabled = enabled
    pp.local_name = local_name or pp.local_name
    changes = diff(old, snapshot(pp, ["is_enabled", "local_name"]))
    if changes:
        pp.save()
        audit_log(actor=actor, event_type="program_pathway.update", obj=pp, changes=changes)
    return pp


CONFIG_FIELDS = [
    "starter_roles",
    "starter_agency_kinds",
    "charges",
    "prosecutor_review",
    "requires_clinician",
    "requires_peer",
    "followup_team_id",
    "deadlines",
    "partner_service_ids",
    "rules",
    "requirements",
    "sections",
    "rule_set_source",
]


def _initial_config_values(pathway: Pathway) -> dict[str, Any]:
    return {
        "starter_roles": list(pathway.starter_roles),
        "starter_agency_kinds": list(pathway.starter_agency_kinds),
        "charges": ChargeMode.ABEYANCE if pathway.holds_charges else ChargeMode.NONE,
        "prosecutor_review": False,
        "requires_clinician": False,
        "requires_peer": False,
        "followup_team_id": None,
        "deadlines": default_deadlines(pathway.code),
        "partner_service_ids": [],
        "rules": [],
        "requirements": [],
        "sections": default_sections(pathway.questions),
        "rule_set_source": "",
    }


class PathwayLike(Protocol):
    code: str
    name: str
    holds_charges: bool


def config_problems(
    pathway: PathwayLike, values: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """Check the parts of a configuration that do not depend on a program's agencies and
    services (program templates are checked with this when loaded). Returns the cleaned values
    and the problems by field."""

    errors: dict[str, list[str]] = {}
    code = pathway.code
    roles = list(dict.fromkeys(values["starter_roles"]))
    if not roles:
        errors.setdefault("starter_roles", []).append("Choose at least one role who may start it.")
    if unknown := set(roles) - set(Role.values):
        errors.setdefault("starter_roles", []).append(f"Unknown roles: {', '.join(unknown)}.")
    kinds = list(dict.fromkeys(values["starter_agency_kinds"]))
    if not kinds:
        errors.setdefault("starter_agency_kinds", []).append(
            "Choose at least one kind of agency that may start it."
        )
    if unknown := set(kinds) - set(AgencyKind.values):
        errors.setdefault("starter_agency_kinds", []).append(
            f"Unknown agency kinds: {', '.join(unknown)}."
        )
    if code == PathwayCode.OFFICER_INTERVENTION and "law_enforcement" in kinds and len(kinds) > 1:
        errors.setdefault("starter_agency_kinds", []).append(
            "Officer Intervention is started only by law enforcement."
        )
    charges = values["charges"]
    if charges not in ChargeMode.values:
        errors.setdefault("charges", []).append("Choose how charges are handled.")
    elif pathway.holds_charges and charges == ChargeMode.NONE:
        errors.setdefault("charges", []).append(
            "This pathway diverts a charge: choose held in abeyance or a civil citation."
        )
    elif not pathway.holds_charges and charges != ChargeMode.NONE:
        errors.setdefault("charges", []).append(
            f"{pathway.name} involves no charges: a person is never charged for coming "
            "forward or being referred."
        )
    deadlines: dict[str, int] = {}
    for kind in deadlines_for(code):
        raw = values["deadlines"].get(kind.code, kind.default)
        try:
            number = int(raw)
        except (TypeError, ValueError):
            number = kind.minimum - 1
        if not kind.minimum <= number <= kind.maximum:
            errors.setdefault("deadlines", []).append(
                f"{kind.label}: choose {kind.minimum}–{kind.maximum} {kind.unit}."
            )
        deadlines[kind.code] = number
    if extra := set(values["deadlines"]) - set(deadlines):
        errors.setdefault("deadlines", []).append(
            f"Not a deadline of this pathway: {', '.join(sorted(extra))}."
        )
    try:
        requirements = validated_requirements(values["requirements"])
    except ValidationError as exc:
        errors.setdefault("requirements", []).extend(exc.messages)
        requirements = []
    try:
        rules = [
            {"condition": r.condition, "outcome": str(r.outcome), "reason": r.reason}
            for r in validate_rules(values["rules"])
        ]
    except RuleError as exc:
        errors.setdefault("rules", []).append(str(exc))
        rules = []
    sections, problems = checked_sections(code, values["sections"])
    if problems:
        errors.setdefault("sections", []).extend(problems)
    clean = {
        **values,
        "starter_roles": roles,
        "starter_agency_kinds": kinds,
        "deadlines": deadlines,
        "rules": rules,
        "requirements": requirements,
        "sections": sections,
    }
    return clean, errors


def _validated_config(pp: ProgramPathway, values: dict[str, Any]) -> dict[str, Any]:
    """Check a whole configuration; raise ValidationError naming every field at fault."""
    from pathways.programs.selectors import followup_team_refusal

    clean, errors = config_problems(pp.pathway, values)
    team_id = values["followup_team_id"] or None
    if team_id is not None:
        team = Agency.objects.filter(
            pk=team_id, program=pp.program, archived_at__isnull=True
        ).first()
        if team is None:
            errors.setdefault("followup_team_id", []).append(
                "Choose an active agency of this program as the follow-up team."
            )
        elif refusal := followup_team_refusal(agency=team):
            errors.setdefault("followup_team_id", []).append(refusal)
        else:
            team_id = team.pk
    service_ids = [str(s) for s in dict.fromkeys(values["partner_service_ids"])]
    if service_ids:
        known = {
            str(pk)
            for pk in services_in_program(program=pp.program)
            .filter(pk__in=service_ids)
            .values_list("pk", flat=True)
        }
        if missing := [s for s in service_ids if s not in known]:
            errors.setdefault("partner_service_ids", []).append(
                f"{len(missing)} chosen service(s) are not active services of this program."
            )
    if errors:
        raise ValidationError(errors)
    return {**clean, "followup_team_id": team_id, "partner_service_ids": service_ids}


@service
def pathway_config_save(
    *, actor: User | None, program_pathway: ProgramPathway, note: str = "", **values: Any
) -> PathwayConfig:
    """Save a new configuration version and make it current. Unknown or invalid values are
    refused (ValidationError) and the version in force stays in force. Saving the same values
    again changes nothing and returns the current version."""
    pp = (
        ProgramPathway.objects.select_for_update(of=("self",))
        .select_related("pathway", "program")
        .get(pk=program_pathway.pk)
    )
    current = PathwayConfig.objects.get(pk=pp.current_config_id) if pp.current_config_id else None
    base = (
        {name: getattr(current, name) for name in CONFIG_FIELDS}
        if current
        else _initial_config_values(pp.pathway)
    )
    if unknown := set(values) - set(CONFIG_FIELDS):
        raise ValidationError(f"Unknown configuration fields: {', '.join(sorted(unknown))}.")
    merged = _validated_config(pp, {**base, **values})
    note = note.strip()
    if current is not None:
        changes = diff(base, {name: merged[name] for name in CONFIG_FIELDS})
        if not changes:
            return current
        if not note:
            raise ValidationError({"note": ["Say briefly why the configuration changes."]})
    else:
        changes = diff({}, {name: merged[name] for name in CONFIG_FIELDS})
    config = PathwayConfig(
        program_pathway=pp,
        version=(current.version + 1) if current else 1,
        note=note or "First configuration.",
        created_by=actor if getattr(actor, "pk", None) else None,
        **{name: merged[name] for name in CONFIG_FIELDS},
    )
    config.full_clean(exclude=["program_pathway", "created_by"])
    config.save()
    pp.current_config = config
    pp.save(update_fields=["current_config", "updated_at"])
    audit_log(
        actor=actor,
        event_type="pathway_config.create",
        obj=config,
        changes={**changes, "version": [current.version if current else None, config.version]},
    )
    return config


@service
def program_pathway_configure(
    *,
    actor: User,
    program_pathway: ProgramPathway,
    is_enabled: bool,
    local_name: str,
    note: str = "",
    **values: Any,
) -> PathwayConfig:
    """The coordinator's save: whether the program runs the pathway, its local name, and a new
    configuration version (when anything in it changed), all or nothing."""
    pp = program_pathway
    program_pathway_set_enabled(
        actor=actor, program=pp.program, pathway=pp.pathway, enabled=is_enabled
    )
    if local_name.strip() != pp.local_name:
        old = snapshot(pp, ["local_name"])
        pp.local_name = local_name.strip()
        pp.save(update_fields=["local_name", "updated_at"])
        audit_log(
            actor=actor,
            event_type="program_pathway.update",
            obj=pp,
            changes=diff(old, snapshot(pp, ["local_name"])),
        )
    return pathway_config_save(actor=actor, program_pathway=pp, note=note, **values)


MAX_REQUIREMENTS = 12
MAX_PLAN_HOURS = 1000
MAX_PLAN_AMOUNT = 100_000


def validated_requirements(raw: Any) -> list[dict[str, Any]]:
    """A service-plan template: up to 12 requirements, each {kind, description, hours or amount}.
    Refuses anything else with a message naming the requirement (1-based)."""
    from pathways.programs.vocabulary import PlanRequirementKind

    if not isinstance(raw, list):
        raise ValidationError("The service-plan requirements must be a list.")
    if len(raw) > MAX_REQUIREMENTS:
        raise ValidationError(f"A plan can have at most {MAX_REQUIREMENTS} requirements.")
    clean: list[dict[str, Any]] = []
    for number, entry in enumerate(raw, start=1):
        if not isinstance(entry, dict):
            raise ValidationError(f"Requirement {number}: not a requirement.")
        if unknown := set(entry) - {"kind", "description", "hours", "amount", "due_days", "note"}:
            raise ValidationError(
                f"Requirement {number}: unknown fields {', '.join(sorted(unknown))}."
            )
        kind = entry.get("kind")
        if kind not in PlanRequirementKind.values:
            raise ValidationError(f"Requirement {number}: choose what is required.")
        description = str(entry.get("description") or "").strip()
        if len(description) > 200:
            raise ValidationError(f"Requirement {number}: the description is over 200 characters.")
        try:
            validate_clean_text(description)
        except ValidationError as exc:
            raise ValidationError(f"Requirement {number}: {exc.messages[0]}") from exc
        item: dict[str, Any] = {
            "kind": kind,
            "description": description or PlanRequirementKind(kind).label,
        }
        hours, amount = entry.get("hours"), entry.get("amount")
        if hours is not None and amount is not None:
            raise ValidationError(
                f"Requirement {number}: set hours or an amount, not both (add two requirements)."
            )
        for key, value, limit in (
            ("hours", hours, MAX_PLAN_HOURS),
            ("amount", amount, MAX_PLAN_AMOUNT),
        ):
            if value is None:
                continue
            try:
                number_value = float(value)
            except (TypeError, ValueError):
                number_value = -1.0
            if isinstance(value, bool) or not 0 < number_value <= limit:
                raise ValidationError(
                    f"Requirement {number}: the {key} must be a number above 0 and at most {limit}."
                )
            item[key] = round(number_value, 2)
        clean.append(item)
    return clean


@service
def program_template_apply(
    *,
    actor: User | None,
    program: Program,
    template: ProgramTemplate,
    local_names: Mapping[str, str] | None = None,
    followup_teams: Mapping[str, Any] | None = None,
    note: str = "",
) -> list[ProgramPathway]:
    """Start a program from a template: enable each of the template's pathways under its local
    name and save the template's configuration as a new version, with the program's own follow-up
    team and partner services; the workflow then creates the template's outreach lists (the
    `template_applied` hook: they belong to followups, above programs). All or nothing: a
    problem with any pathway or list leaves the program exactly as it was.

    `followup_teams` maps a pathway code to an agency id of this program, or None for the
    responder's own agency; for a pathway it does not name, the first agency of the kind the
    template names follows up (none of that kind: the responder's agency).
    Partner services are the program's services of the template's types (none: every service)."""
    local_names = local_names or {}
    followup_teams = followup_teams or {}
    agencies = list(
        Agency.objects.filter(program=program, archived_at__isnull=True).order_by("name")
    )
    extra = clean_text_field(note, field="note", label="note", max_length=200, required=False)
    why = f"Started from the template “{template.name}”." + (f" {extra}" if extra else "")
    result: list[ProgramPathway] = []
    for part in template.pathways:
        local_name = clean_text_field(
            local_names.get(part.pathway, part.local_name),
            field=f"local_name_{part.pathway}",
            label="local name",
            max_length=100,
            required=True,
        )
        if part.pathway in followup_teams:  # the coordinator's choice; None: the responder's
            team_id = followup_teams[part.pathway]
        else:
            team_id = next((a.pk for a in agencies if a.kind == part.followup_team_kind), None)
        service_ids = (
            [
                str(pk)
                for pk in services_in_program(program=program)
                .filter(service_type__in=part.service_types)
                .order_by("name")
                .values_list("pk", flat=True)
            ]
            if part.service_types
            else []
        )
        pathway = Pathway.objects.get(code=part.pathway)
        pp = program_pathway_set_enabled(
            actor=actor, program=program, pathway=pathway, enabled=True
        )
        try:
            config = pathway_config_save(
                actor=actor,
                program_pathway=pp,
                note=why,
                **{
                    **{name: part.config[name] for name in CONFIG_FIELDS if name in part.config},
                    "followup_team_id": team_id,
                    "partner_service_ids": service_ids,
                },
            )
        except ValidationError as exc:
            by_field = exc.message_dict if hasattr(exc, "error_dict") else {}
            if team_problems := by_field.get("followup_team_id"):
                # shown at the pathway's own follow-up team choice of the template form
                raise ValidationError(
                    {f"followup_team_{part.pathway}": [f"{pathway.name}: {team_problems[0]}"]}
                ) from exc
            raise ValidationError(
                {f"{part.pathway}": [f"{pathway.name}: {m}" for m in exc.messages]}
            ) from exc
        pp.refresh_from_db()
        old = snapshot(pp, TEMPLATE_FIELDS)
        pp.local_name = local_name
        pp.template_code = template.code
        pp.template_name = template.name
        pp.template_version = config.version
        changes = diff(old, snapshot(pp, TEMPLATE_FIELDS))
        if changes:
            pp.save(update_fields=[*TEMPLATE_FIELDS, "updated_at"])
            audit_log(actor=actor, event_type="program_pathway.template", obj=pp, changes=changes)
        result.append(pp)
    # the outreach lists belong to followups, above programs: the workflow creates them
    hooks.template_applied.function(actor=actor, program=program, template=template, started=result)
    return result


TEMPLATE_FIELDS = ["local_name", "template_code", "template_name", "template_version"]
