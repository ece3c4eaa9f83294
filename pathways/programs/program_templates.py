"""Program templates: the programs the seeds describe (LEAD, the Angel Program, Safe Stations, the
Quick Response Team, ...) as ready configurations, one JSON file each in
``program_templates_data/``. A coordinator starts a program from one and then adapts it
(services.program_template_apply).

Templates are data, never code branches. Each file is checked in full when loaded: every
problem names the file and the field (``pathways[0].deadlines``), and a broken file is refused
as a whole. The configuration checks are the ones a coordinator's own change goes through
(services.config_problems), so a template can hold nothing a coordinator could not set."""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from importlib import resources
from types import SimpleNamespace
from typing import Any

from pathways.accounts.models import AgencyKind
from pathways.directory.models import ServiceType
from pathways.eligibility.examples import example_rule_sets
from pathways.programs.models import ChargeMode

DATA_PACKAGE = "pathways.programs"
DATA_DIRECTORY = "program_templates_data"

_CODE = re.compile(r"^[a-z][a-z0-9_]{1,59}$")
_TOP_FIELDS = {
    "code": str,
    "name": str,
    "summary": str,
    "source": str,
    "pathways": list,
    "partners": list,
    "outreach_lists": list,
    "adjust": list,
}
_PATHWAY_FIELDS = {
    "pathway": str,
    "local_name": str,
    "how_it_works": str,
    "starter_roles": list,
    "starter_agency_kinds": list,
    "charges": str,
    "prosecutor_review": bool,
    "requires_clinician": bool,
    "requires_peer": bool,
    "followup_team_kind": (str, type(None)),
    "deadlines": dict,
    "service_types": list,
    "rule_set": (str, type(None)),
    "rules": list,
    "requirements": list,
    "sections": list,
}
_TEXT_LIMITS = {"name": 200, "summary": 600, "source": 400, "local_name": 100, "how_it_works": 900}


class TemplateError(ValueError):
    """A template that cannot be used; the message names the file and the field."""


@dataclass(frozen=True)
class TemplatePartner:
    kind: str
    role: str
    required: bool


@dataclass(frozen=True)
class TemplateOutreachList:
    name: str
    description: str
    team_kind: str


@dataclass(frozen=True)
class TemplatePathway:
    pathway: str
    local_name: str
    how_it_works: str
    followup_team_kind: str | None
    service_types: tuple[str, ...]
    rule_set: str | None
    config: dict[str, Any]
    """Configuration values (services.CONFIG_FIELDS less the program's own agency and
    services), already checked."""


@dataclass(frozen=True)
class ProgramTemplate:
    code: str
    name: str
    summary: str
    source: str
    pathways: tuple[TemplatePathway, ...]
    partners: tuple[TemplatePartner, ...]
    outreach_lists: tuple[TemplateOutreachList, ...]
    adjust: tuple[str, ...]
    """What a program must set to its own circumstances (station hours, partners, ...)."""

    @property
    def pathway_codes(self) -> list[str]:
        return [p.pathway for p in self.pathways]


def _type_name(expected: Any) -> str:
    names = {str: "text", list: "a list", dict: "an object", bool: "true or false"}
    if isinstance(expected, tuple):
        return " or ".join("null" if t is type(None) else names[t] for t in expected)
    return names[expected]


def _checked_fields(data: Any, fields: dict[str, Any], where: str, fail: Any) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise fail(f"{where or 'the file'} must be a JSON object.")
    prefix = f"{where}." if where else ""
    if missing := [name for name in fields if name not in data]:
        raise fail(f"{prefix}{missing[0]} is missing.")
    if unexpected := sorted(set(data) - set(fields)):
        raise fail(f"{prefix}{unexpected[0]} is not a template field.")
    for name, expected in fields.items():
        value = data[name]
        if not isinstance(value, expected) or (expected is not bool and isinstance(value, bool)):
            raise fail(f"{prefix}{name} must be {_type_name(expected)}.")
        if isinstance(value, str) and name in _TEXT_LIMITS:
            if not value.strip():
                raise fail(f"{prefix}{name} must not be empty.")
            if len(value) > _TEXT_LIMITS[name]:
                raise fail(f"{prefix}{name} is over {_TEXT_LIMITS[name]} characters.")
    return data


def parse_template(file_name: str, data: Any) -> ProgramTemplate:
    """Check one template file's content; raise TemplateError naming the first problem."""
    from pathways.programs.catalog import catalog_rows
    from pathways.programs.services import config_problems

    def fail(problem: str) -> TemplateError:
        return TemplateError(f"Template {file_name}: {problem}")

    _checked_fields(data, _TOP_FIELDS, "", fail)
    code = data["code"]
    if not _CODE.match(code):
        raise fail("code must be lower-case letters, digits and underscores.")
    if f"{code}.json" != file_name:
        raise fail(f"code {code!r} does not match the file name.")
    if not data["pathways"]:
        raise fail("pathways must name at least one pathway.")
    catalog = {row["code"]: row for row in catalog_rows()}
    examples = example_rule_sets()
    pathways: list[TemplatePathway] = []
    for index, entry in enumerate(data["pathways"]):
        where = f"pathways[{index}]"
        _checked_fields(entry, _PATHWAY_FIELDS, where, fail)
        row = catalog.get(entry["pathway"])
        if row is None:
            raise fail(f"{where}.pathway {entry['pathway']!r} is not one of the six pathways.")
        if entry["pathway"] in [p.pathway for p in pathways]:
            raise fail(f"{where}.pathway {entry['pathway']!r} is configured twice.")
        kind = entry["followup_team_kind"]
        if kind is not None and kind not in AgencyKind.values:
            raise fail(f"{where}.followup_team_kind {kind!r} is not a kind of agency.")
        if unknown := [t for t in entry["service_types"] if t not in ServiceType.values]:
            raise fail(f"{where}.service_types: {unknown[0]!r} is not a service type.")
        if not isinstance(entry["deadlines"], dict) or not all(
            isinstance(v, int) and not isinstance(v, bool) for v in entry["deadlines"].values()
        ):
            raise fail(f"{where}.deadlines must map each deadline to a whole number.")
        rules = list(entry["rules"])
        requirements = list(entry["requirements"])
        rule_set = entry["rule_set"]
        if rule_set is not None:
            example = examples.get(rule_set)
            if example is None:
                raise fail(f"{where}.rule_set {rule_set!r} is not an example rule set.")
            if example.pathway != entry["pathway"]:
                raise fail(f"{where}.rule_set {rule_set!r} is written for another pathway.")
            rules = [
                {"condition": r.condition, "outcome": str(r.outcome), "reason": r.reason}
                for r in example.rules
            ] + rules
            requirements = requirements or [dict(r) for r in example.requirements]
        values = {
            "starter_roles": entry["starter_roles"],
            "starter_agency_kinds": entry["starter_agency_kinds"],
            "charges": entry["charges"],
            "prosecutor_review": entry["prosecutor_review"],
            "requires_clinician": entry["requires_clinician"],
            "requires_peer": entry["requires_peer"],
            "deadlines": entry["deadlines"],
            "rules": rules,
            "requirements": requirements,
            "sections": entry["sections"],
            "rule_set_source": rule_set or "",
        }
        clean, problems = config_problems(SimpleNamespace(**row), values)
        if problems:
            field, messages = next(iter(problems.items()))
            raise fail(f"{where}.{field}: {messages[0]}")
        if requirements and entry["charges"] == ChargeMode.NONE:
            raise fail(f"{where}.requirements: a service plan needs a charge held or cited.")
        if entry["prosecutor_review"] and entry["charges"] == ChargeMode.NONE:
            raise fail(f"{where}.prosecutor_review: only a held or cited charge goes for review.")
        pathways.append(
            TemplatePathway(
                pathway=entry["pathway"],
                local_name=entry["local_name"].strip(),
                how_it_works=entry["how_it_works"].strip(),
                followup_team_kind=kind,
                service_types=tuple(dict.fromkeys(entry["service_types"])),
                rule_set=rule_set,
                config=clean,
            )
        )
    partners: list[TemplatePartner] = []
    for index, entry in enumerate(data["partners"]):
        where = f"partners[{index}]"
        _checked_fields(entry, {"kind": str, "role": str, "required": bool}, where, fail)
        if entry["kind"] not in AgencyKind.values:
            raise fail(f"{where}.kind {entry['kind']!r} is not a kind of agency.")
        if not entry["role"].strip() or len(entry["role"]) > 300:
            raise fail(f"{where}.role must be text of 1–300 characters.")
        partners.append(TemplatePartner(entry["kind"], entry["role"].strip(), entry["required"]))
    lists: list[TemplateOutreachList] = []
    for index, entry in enumerate(data["outreach_lists"]):
        where = f"outreach_lists[{index}]"
        _checked_fields(entry, {"name": str, "description": str, "team_kind": str}, where, fail)
        if "active_outreach" not in [p.pathway for p in pathways]:
            raise fail(f"{where}: outreach lists need the Active Outreach pathway.")
        if entry["team_kind"] not in AgencyKind.values:
            raise fail(f"{where}.team_kind {entry['team_kind']!r} is not a kind of agency.")
        if not entry["name"].strip() or len(entry["name"]) > 80:
            raise fail(f"{where}.name must be text of 1–80 characters.")
        if len(entry["description"]) > 200:
            raise fail(f"{where}.description is over 200 characters.")
        lists.append(
            TemplateOutreachList(
                entry["name"].strip(), entry["description"].strip(), entry["team_kind"]
            )
        )
    if not all(isinstance(a, str) and a.strip() for a in data["adjust"]):
        raise fail("adjust must be a list of non-empty sentences.")
    return ProgramTemplate(
        code=code,
        name=data["name"].strip(),
        summary=data["summary"].strip(),
        source=data["source"].strip(),
        pathways=tuple(pathways),
        partners=tuple(partners),
        outreach_lists=tuple(lists),
        adjust=tuple(a.strip() for a in data["adjust"]),
    )


def load_template_file(file_name: str, text: str) -> ProgramTemplate:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise TemplateError(
            f"Template {file_name}: not valid JSON (line {exc.lineno}: {exc.msg})."
        ) from exc
    return parse_template(file_name, data)


@dataclass(frozen=True)
class TemplateCatalog:
    templates: tuple[ProgramTemplate, ...]
    problems: tuple[str, ...]
    """One message per file refused, naming the file and the field."""


def load_templates(directory: Any) -> TemplateCatalog:
    """Check every ``*.json`` file of a directory (a Traversable or pathlib.Path). A broken
    file is refused whole and reported; the others load."""
    templates: list[ProgramTemplate] = []
    problems: list[str] = []
    for entry in sorted(directory.iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".json"):
            continue
        try:
            templates.append(load_template_file(entry.name, entry.read_text("utf-8")))
        except TemplateError as exc:
            problems.append(str(exc))
    templates.sort(key=lambda t: t.name.lower())
    return TemplateCatalog(tuple(templates), tuple(problems))


@functools.cache
def template_catalog() -> TemplateCatalog:
    """The shipped templates, loaded and checked once per process."""
    return load_templates(resources.files(DATA_PACKAGE).joinpath(DATA_DIRECTORY))


def program_templates() -> dict[str, ProgramTemplate]:
    """Every template that loaded, by code, in name order."""
    return {t.code: t for t in template_catalog().templates}


def program_template(code: str) -> ProgramTemplate | None:
    return program_templates().get(code)
