"""One entry per pathway (decision 0028): every fact the code keys by pathway is in the pathway's
catalog entry, the entries are complete and agree with the vocabularies they name, and moving
the facts there changed nothing (catalog_pin.json was computed from the code before the move)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest

from pathways.accounts.models import AgencyKind, Role
from pathways.directory.models import ServiceType
from pathways.directory.vocabulary import Need
from pathways.encounters.models import CallSource
from pathways.followups.models import WorkKind
from pathways.programs.catalog import (
    CATALOG,
    DEFAULT_SERVICE_PRIORITY,
    EVERY_PATHWAY_DEADLINES,
    PATHWAYS,
    ContactDeadline,
    PathwaySpec,
    catalog_rows,
    contact_deadline,
    pathway_spec,
    service_priority_for,
)
from pathways.programs.deadlines import DEADLINES, deadlines_for, default_deadlines
from pathways.programs.form_sections import (
    COMMON_QUESTIONS,
    FORM_SECTIONS,
    checked_sections,
    default_sections,
    required_sections,
    sections_for,
)
from pathways.programs.models import PathwayCode

PIN = json.loads((Path(__file__).parent / "catalog_pin.json").read_text(encoding="utf-8"))


def _plain(value: Any) -> bool:
    """A value as a migration stores it: exactly str, bool, int, or a list of exactly str."""
    if isinstance(value, list):
        return all(type(item) is str for item in value)
    return type(value) in (str, bool, int)


def test_catalog_rows_are_exactly_the_rows_before_the_move() -> None:
    rows = catalog_rows()
    assert [list(row.items()) for row in rows] == [list(row.items()) for row in PIN["rows"]]
    assert all(_plain(value) for row in rows for value in row.values())


@pytest.mark.parametrize("code", PathwayCode.values)
def test_each_pathway_resolves_to_the_facts_it_had_before_the_move(code: str) -> None:
    pinned = PIN["pathways"][code]
    row = next(r for r in catalog_rows() if r["code"] == code)
    sections = [s.code for s in sections_for(code)]
    assert sections == pinned["sections"]
    assert checked_sections(code, []) == (pinned["required"], [])
    assert checked_sections(code, sections[::-1]) == (pinned["all_chosen"], [])
    assert default_sections(row["questions"]) == pinned["default_sections"]
    assert [d.code for d in deadlines_for(code)] == pinned["deadlines"]
    assert list(default_deadlines(code).items()) == [tuple(p) for p in pinned["default_deadlines"]]
    found = contact_deadline(code)
    assert (list(found) if found is not None else None) == pinned["contact_deadline"]
    assert list(service_priority_for(code)) == PIN["default_service_priority"]


def test_a_visit_without_a_pathway_gets_the_default_service_order() -> None:
    assert list(service_priority_for(None)) == PIN["default_service_priority"]
    assert service_priority_for("no_such_pathway") == DEFAULT_SERVICE_PRIORITY


def test_an_unknown_pathway_has_no_sections_deadlines_or_contact_deadline() -> None:
    assert pathway_spec("no_such_pathway") is None
    assert sections_for("no_such_pathway") == []
    assert required_sections("no_such_pathway") == []
    assert deadlines_for("no_such_pathway") == []
    assert default_deadlines("no_such_pathway") == {}
    assert contact_deadline("no_such_pathway") is None
    sections, problems = checked_sections("no_such_pathway", ["overdose"])
    assert sections == []
    assert problems == ["Not a section this pathway's form can have: overdose (choose from none)."]


def _duplicates(values: tuple[str, ...]) -> list[str]:
    return sorted({v for v in values if values.count(v) > 1})


def entry_problems(spec: PathwaySpec) -> list[str]:
    """What is wrong with one catalog entry (an empty list: complete and consistent)."""
    problems: list[str] = []
    for name in ("name", "short_name", "definition", "initiated_by", "target_populations"):
        if not getattr(spec, name).strip():
            problems.append(f"{name} is empty")
    if not spec.starter_agency_kinds or not set(spec.starter_agency_kinds) <= set(AgencyKind):
        problems.append(f"starter_agency_kinds: {spec.starter_agency_kinds}")
    if not spec.starter_roles or not set(spec.starter_roles) <= set(Role):
        problems.append(f"starter_roles: {spec.starter_roles}")
    if not spec.typical_needs or not set(spec.typical_needs) <= set(Need):
        problems.append(f"typical_needs: {spec.typical_needs}")
    if spec.default_call_source not in CallSource.values:
        problems.append(f"default_call_source: {spec.default_call_source}")
    if spec.questions[: len(COMMON_QUESTIONS)] != COMMON_QUESTIONS:
        problems.append("questions must start with the common questions")
    for field in ("questions", "sections", "required_sections", "deadlines", "service_priority"):
        if dupes := _duplicates(getattr(spec, field)):
            problems.append(f"{field} repeats {dupes}")
    if unknown := sorted(set(spec.sections) - set(FORM_SECTIONS)):
        problems.append(f"sections: no such form section {unknown}")
    if outside := sorted(set(spec.required_sections) - set(spec.sections)):
        problems.append(f"required_sections not among sections {outside}")
    asked = set(spec.questions) - set(COMMON_QUESTIONS)
    if not asked <= set(spec.sections):
        problems.append(f"questions name sections it may not show {sorted(asked)}")
    if unknown := sorted(set(spec.deadlines) - set(DEADLINES)):
        problems.append(f"deadlines: no such deadline kind {unknown}")
    if not set(EVERY_PATHWAY_DEADLINES) <= set(spec.deadlines):
        problems.append(f"deadlines must include {EVERY_PATHWAY_DEADLINES}")
    if (contact := spec.contact_deadline) is not None:
        if contact.work_kind not in WorkKind.values:
            problems.append(f"contact_deadline: no such work kind {contact.work_kind!r}")
        if contact.deadline not in spec.deadlines:
            problems.append(f"contact_deadline: {contact.deadline!r} is not one of its deadlines")
        elif DEADLINES[contact.deadline].unit != "hours":
            problems.append("contact_deadline: deadlines_open counts hours")
        if "{date}" not in contact.title:
            problems.append("contact_deadline: the title has no {date}")
    if not set(spec.service_priority) <= set(ServiceType.values):
        problems.append(f"service_priority: {spec.service_priority}")
    return problems


def test_every_pathway_code_has_exactly_one_entry() -> None:
    codes = [spec.code for spec in CATALOG]
    assert sorted(codes) == sorted(PathwayCode.values)
    assert len(set(codes)) == len(codes)
    assert all(PATHWAYS[code] is pathway_spec(code) for code in codes)


@pytest.mark.parametrize("spec", CATALOG, ids=lambda s: str(s.code))
def test_each_entry_is_complete_and_consistent(spec: PathwaySpec) -> None:
    assert entry_problems(spec) == []


def test_the_default_service_order_names_known_service_types() -> None:
    assert set(DEFAULT_SERVICE_PRIORITY) <= set(ServiceType.values)
    assert _duplicates(DEFAULT_SERVICE_PRIORITY) == []


def test_only_the_pathway_that_holds_a_charge_must_show_the_charge() -> None:
    for spec in CATALOG:
        assert ("charge" in spec.required_sections) == spec.holds_charges


def test_an_entry_cannot_be_changed_in_place() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        CATALOG[0].holds_charges = True  # type: ignore[misc]


BROKEN = PATHWAYS[PathwayCode.NALOXONE_PLUS]


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"sections": ("overdose", "tattoos")}, "sections: no such form section ['tattoos']"),
        ({"required_sections": ("overdose", "charge")}, "required_sections not among sections"),
        ({"deadlines": ("followup_hours", "nap_hours")}, "deadlines: no such deadline kind"),
        ({"deadlines": ("followup_hours",)}, "deadlines must include"),
        ({"questions": ("location_text",)}, "questions must start with the common questions"),
        ({"sections": ("companion",), "required_sections": ()}, "questions name sections"),
        (
            {"contact_deadline": ContactDeadline("nap", "followup_hours", "On {date}")},
            "contact_deadline: no such work kind 'nap'",
        ),
        (
            {"contact_deadline": ContactDeadline("placement", "placement_hours", "On {date}")},
            "contact_deadline: 'placement_hours' is not one of its deadlines",
        ),
        (
            {"contact_deadline": ContactDeadline("placement", "followup_hours", "Bob's visit")},
            "contact_deadline: the title has no {date}",
        ),
        ({"service_priority": ("moud", "spa")}, "service_priority"),
        ({"default_call_source": "carrier_pigeon"}, "default_call_source"),
        ({"starter_roles": ()}, "starter_roles"),
        ({"name": " "}, "name is empty"),
    ],
)
def test_the_check_finds_a_broken_entry(changes: dict[str, Any], problem: str) -> None:
    """The completeness check is not vacuous: each kind of mistake is named."""
    problems = entry_problems(dataclasses.replace(BROKEN, **changes))
    assert any(p.startswith(problem) for p in problems), problems
    assert entry_problems(BROKEN) == []  # the catalog itself is untouched
