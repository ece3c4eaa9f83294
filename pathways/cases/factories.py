"""Test data for cases, made through the real services (so history, audit and work items exist)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from pathways.cases.models import Case
from pathways.cases.services import ChargeInput, case_open
from pathways.eligibility.examples import example_rule_sets
from pathways.encounters.factories import EncounterFactory
from pathways.encounters.models import Disposition, Encounter
from pathways.programs.models import PathwayConfig, Program, ProgramPathway
from pathways.programs.services import pathway_config_save


def leon_plan(*, hours: int = 20, fee: int = 50) -> list[dict[str, Any]]:
    """The Leon County civil citation example's requirements, with the counts a coordinator
    sets: the community-service hours and the program fee."""
    plan = []
    for requirement in example_rule_sets()["leon_civil_citation"].requirements:
        row = dict(requirement)
        if row["kind"] == "community_service":
            row["hours"] = hours
        if row["kind"] == "fee":
            row["amount"] = fee
        plan.append(row)
    return plan


#: fee ($50), community service (20 hours), course: the Leon example with counts.
LEON_PLAN: list[dict[str, Any]] = leon_plan()


def intervention_pathway(program: Program) -> ProgramPathway:
    return ProgramPathway.objects.select_related("current_config").get(
        program=program, pathway__code="officer_intervention"
    )


def intervention_config(
    program: Program,
    *,
    actor: Any = None,
    prosecutor_review: bool = False,
    charges: str = "abeyance",
    requirements: list[Any] | None = None,
    deadlines: dict[str, int] | None = None,
) -> PathwayConfig:
    """Make the program's Officer Intervention configuration current with these values."""
    values: dict[str, Any] = {
        "prosecutor_review": prosecutor_review,
        "charges": charges,
        "requirements": requirements if requirements is not None else [],
    }
    if deadlines is not None:
        values["deadlines"] = deadlines
    return pathway_config_save(
        actor=actor,
        program_pathway=intervention_pathway(program),
        note="Test configuration.",
        **values,
    )


def intervention_encounter(
    *,
    agency: Any,
    responder: Any,
    config: PathwayConfig | None = None,
    occurred_at: dt.datetime | None = None,
    **kwargs: Any,
) -> Encounter:
    """An index contact under Officer Intervention, decided under the current configuration."""
    pp = intervention_pathway(agency.program)
    extra: dict[str, Any] = {"occurred_at": occurred_at} if occurred_at else {}
    return EncounterFactory.create(
        agency=agency,
        responder=responder,
        pathway=pp.pathway,
        config=config or pp.current_config,
        disposition=Disposition.REFERRED,
        presenting_needs=["substance_use"],
        **extra,
        **kwargs,
    )


def abeyance_charge(**overrides: Any) -> ChargeInput:
    values: dict[str, Any] = {
        "mode": "abeyance",
        "offence_type": "drug_possession",
        "offence_level": "misdemeanour",
        "statute": "Fla. Stat. 893.13",
        "description": "Possession under the program's threshold.",
    }
    return ChargeInput(**{**values, **overrides})


def citation_charge(**overrides: Any) -> ChargeInput:
    values: dict[str, Any] = {
        "mode": "civil_citation",
        "offence_type": "theft",
        "offence_level": "misdemeanour",
        "statute": "Fla. Stat. 812.014",
        "citation_number": "CC-2026-0042",
        "fine_amount": Decimal("0.00"),
        "fee_amount": Decimal("50.00"),
    }
    return ChargeInput(**{**values, **overrides})


def open_case(
    *,
    actor: Any,
    agency: Any,
    case_agency: Any = None,
    charges: list[ChargeInput] | None = None,
    person: Any = None,
    config: PathwayConfig | None = None,
) -> Case:
    """An index contact and its case, opened by `actor` of `agency` through case_open."""
    kwargs: dict[str, Any] = {"person": person} if person is not None else {}
    encounter = intervention_encounter(agency=agency, responder=actor, config=config, **kwargs)
    if charges is None:
        used = config or encounter.config
        civil = used is not None and used.charges == "civil_citation"
        charges = [citation_charge() if civil else abeyance_charge()]
    return case_open(actor=actor, encounter=encounter, charges=charges, case_agency=case_agency)
