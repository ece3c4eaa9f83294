from __future__ import annotations

from typing import Any

import pytest

from pathways.eligibility.examples import (
    RuleSetExample,
    example_rule_sets,
    examples_for_pathway,
)
from pathways.eligibility.rules import Outcome, RuleSpec, evaluate, facts_used

EXPECTED_CODES = [
    "angel_program",
    "lead_santa_fe",
    "lead_seattle",
    "leon_civil_citation",
    "mercy_project",
]


def example(code: str) -> RuleSetExample:
    return example_rule_sets()[code]


def decide(code: str, **answers: Any) -> Outcome:
    """The outcome for a person who answers "no"/0/"none" to everything the example asks,
    apart from the given answers."""
    found = example(code)
    base = {
        "age": 30,
        "drug_grams": 0,
        "drug_type": "none",
        "prior_diversions": 0,
        "offence_level": "misdemeanour",
        "offence_type": "theft",
        "first_offence": True,
    }
    full: dict[str, Any] = {}
    for fact in facts_used(found.rules):
        full[fact] = base.get(fact, False)
    full.update(answers)
    decision = evaluate(found.rules, full)
    assert decision.unanswered == ()
    return decision.outcome


def test_every_example_loads_and_validates() -> None:
    examples = example_rule_sets()
    assert list(examples) == EXPECTED_CODES
    for code, found in examples.items():
        assert found.code == code
        assert found.name and found.description and found.source
        assert found.rules and all(isinstance(r, RuleSpec) for r in found.rules)
        for deadline, value in found.deadlines.items():
            low, high = found.deadline_ranges[deadline]
            assert low <= value <= high
        # with every question answered "no", nobody is excluded
        assert decide(code) is Outcome.ELIGIBLE


def test_loading_is_cached_and_callers_get_their_own_dict() -> None:
    first = example_rule_sets()
    first.pop("lead_seattle")
    second = example_rule_sets()
    assert "lead_seattle" in second
    assert second["lead_santa_fe"] is first["lead_santa_fe"]


def test_examples_by_pathway() -> None:
    assert [e.code for e in examples_for_pathway("officer_intervention")] == [
        "lead_santa_fe",
        "lead_seattle",
        "leon_civil_citation",
    ]
    assert [e.code for e in examples_for_pathway("self_referral")] == [
        "angel_program",
        "mercy_project",
    ]
    assert examples_for_pathway("naloxone_plus") == []


def test_examples_agree_with_the_programs_vocabulary() -> None:
    """Pathway, charge mode and deadlines are those the programs app knows (no database)."""
    from pathways.programs.deadlines import DEADLINES, deadlines_for
    from pathways.programs.models import ChargeMode, PathwayCode

    for found in example_rule_sets().values():
        assert found.pathway in PathwayCode.values
        assert found.charges in ChargeMode.values
        for code, value in found.deadlines.items():
            kind = DEADLINES[code]
            assert kind in deadlines_for(found.pathway)
            assert kind.minimum <= value <= kind.maximum


def test_lead_santa_fe() -> None:
    found = example("lead_santa_fe")
    assert found.pathway == "officer_intervention"
    assert found.charges == "abeyance"
    assert found.prosecutor_final_say is True
    assert found.deadlines == {"intake_days": 30}
    assert found.deadline_ranges == {"intake_days": (7, 30)}
    assert all(r.outcome is Outcome.INELIGIBLE for r in found.rules)
    assert all("Presumptively" in r.reason and "prosecutor" in r.reason for r in found.rules)

    assert decide("lead_santa_fe", drug_grams=7, drug_type="heroin") is Outcome.INELIGIBLE
    assert (
        decide("lead_santa_fe", drug_grams=7, drug_type="prescription_opiate_pills")
        is Outcome.ELIGIBLE
    )
    assert decide("lead_santa_fe", drug_grams=6, drug_type="heroin") is Outcome.ELIGIBLE
    assert decide("lead_santa_fe", drug_grams=4, drug_type="heroin") is Outcome.ELIGIBLE
    assert decide("lead_santa_fe", age=17) is Outcome.INELIGIBLE
    assert decide("lead_santa_fe", age=18) is Outcome.ELIGIBLE
    assert decide("lead_santa_fe", dealing_above_subsistence=True) is Outcome.INELIGIBLE
    assert decide("lead_santa_fe", exploits_minors=True) is Outcome.INELIGIBLE
    assert decide("lead_santa_fe", promotes_prostitution=True) is Outcome.INELIGIBLE


def test_lead_seattle_has_a_3_gram_threshold() -> None:
    found = example("lead_seattle")
    assert found.pathway == "officer_intervention" and found.prosecutor_final_say
    assert decide("lead_seattle", drug_grams=4, drug_type="heroin") is Outcome.INELIGIBLE
    assert decide("lead_seattle", drug_grams=3, drug_type="heroin") is Outcome.ELIGIBLE
    assert (
        decide("lead_seattle", drug_grams=4, drug_type="prescription_opiate_pills")
        is Outcome.ELIGIBLE
    )
    assert decide("lead_seattle", age=17) is Outcome.INELIGIBLE


def test_lead_missing_drug_amount_goes_to_a_supervisor() -> None:
    found = example("lead_santa_fe")
    decision = evaluate(
        found.rules,
        {
            "drug_type": "heroin",
            "dealing_above_subsistence": False,
            "age": 40,
            "exploits_minors": False,
            "promotes_prostitution": False,
        },
    )
    assert decision.outcome is Outcome.SUPERVISOR
    assert decision.unanswered == ("drug_grams",)


def test_angel_program() -> None:
    found = example("angel_program")
    assert (found.pathway, found.charges, found.prosecutor_final_say) == (
        "self_referral",
        "none",
        False,
    )
    assert decide("angel_program", age=16, parent_consent=True) is Outcome.ELIGIBLE
    assert decide("angel_program", age=16, parent_consent=False) is Outcome.INELIGIBLE
    assert decide("angel_program", outstanding_warrant=True) is Outcome.INELIGIBLE
    assert decide("angel_program", officer_safety_risk=True) is Outcome.INELIGIBLE
    # An adult is never asked about a parent's consent.
    decision = evaluate(
        found.rules, {"age": 30, "outstanding_warrant": False, "officer_safety_risk": False}
    )
    assert decision.outcome is Outcome.ELIGIBLE


def test_leon_civil_citation() -> None:
    found = example("leon_civil_citation")
    assert found.pathway == "officer_intervention"
    assert found.charges == "civil_citation"
    assert found.deadlines == {"completion_days": 90}
    assert [r["kind"] for r in found.requirements] == ["fee", "community_service", "course"]
    for requirement in found.requirements:
        assert requirement["description"] and requirement["due_days"] == 90
    assert found.requirements[0]["amount"] is None
    assert found.requirements[1]["hours"] is None

    assert decide("leon_civil_citation") is Outcome.ELIGIBLE  # first-time misdemeanor theft
    for excluded in ("battery", "injunction_violation", "stalking", "dui", "animal_cruelty"):
        assert decide("leon_civil_citation", offence_type=excluded) is Outcome.INELIGIBLE
    assert decide("leon_civil_citation", offence_level="felony") is Outcome.INELIGIBLE
    assert decide("leon_civil_citation", offence_level="civil_infraction") is Outcome.INELIGIBLE
    assert decide("leon_civil_citation", first_offence=False) is Outcome.INELIGIBLE
    assert decide("leon_civil_citation", offence_type="trespass") is Outcome.ELIGIBLE


def test_mercy_project() -> None:
    found = example("mercy_project")
    assert found.pathway == "self_referral"
    assert decide("mercy_project", pending_drug_charges=True) is Outcome.INELIGIBLE
    assert decide("mercy_project", outstanding_warrant=True) is Outcome.INELIGIBLE
    assert decide("mercy_project") is Outcome.ELIGIBLE


@pytest.mark.parametrize("code", EXPECTED_CODES)
def test_each_example_round_trips_through_validation(code: str) -> None:
    from pathways.eligibility.rules import validate_rules

    found = example(code)
    assert validate_rules([r.as_dict() for r in found.rules]) == found.rules


@pytest.mark.parametrize(
    "change, problem",
    [
        ({"code": "other"}, "does not match the file name"),
        ({"pathway": ""}, "pathway must be non-empty text"),
        ({"prosecutor_final_say": "yes"}, "prosecutor_final_say must be true or false"),
        ({"deadlines": {"intake_days": 60}}, "outside its range"),
        ({"deadline_ranges": {"intake_days": [30, 7]}}, "must be [lowest, highest]"),
        ({"requirements": [{"kind": "fee"}]}, "each requirement needs a kind and a description"),
        ({"rules": [{"condition": "nope", "outcome": "ineligible", "reason": "x"}]}, "Rule 1: "),
        ({"extra": 1}, "unexpected extra"),
    ],
)
def test_a_malformed_example_file_is_refused(change: dict[str, Any], problem: str) -> None:
    import json
    from importlib import resources

    from pathways.eligibility.examples import ExampleError, _example

    name = "lead_santa_fe.json"
    text = resources.files("pathways.eligibility").joinpath("examples", name).read_text("utf-8")
    data = {**json.loads(text), **change}
    with pytest.raises(ExampleError, match=r"^Example lead_santa_fe\.json: ") as info:
        _example(name, data)
    assert problem in str(info.value)
