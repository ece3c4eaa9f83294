from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from pathways.eligibility.facts import FACTS, FactType, fact_type_map
from pathways.eligibility.rules import (
    MAX_CONDITION,
    MAX_REASON,
    MAX_RULES,
    Decision,
    Outcome,
    RuleError,
    RuleSpec,
    evaluate,
    facts_used,
    validate_rules,
)


def rule(condition: str, outcome: str = "ineligible", reason: str = "A reason.") -> dict[str, Any]:
    return {"condition": condition, "outcome": outcome, "reason": reason}


GOOD = rule("drug_grams > 3")
LONG = "in_crisis or " * 50 + "in_crisis"


def refusal(raw: Any) -> RuleError:
    with pytest.raises(RuleError) as info:
        validate_rules(raw)
    return info.value


# --- the catalog ---------------------------------------------------------------------------------


def test_catalog_has_the_documented_facts_with_their_types() -> None:
    expected = {
        "age": FactType.NUMBER,
        "drug_grams": FactType.NUMBER,
        "drug_type": FactType.CHOICE,
        "dealing_above_subsistence": FactType.BOOLEAN,
        "exploits_minors": FactType.BOOLEAN,
        "promotes_prostitution": FactType.BOOLEAN,
        "outstanding_warrant": FactType.BOOLEAN,
        "officer_safety_risk": FactType.BOOLEAN,
        "parent_consent": FactType.BOOLEAN,
        "pending_drug_charges": FactType.BOOLEAN,
        "first_offence": FactType.BOOLEAN,
        "violent_history": FactType.BOOLEAN,
        "prior_diversions": FactType.NUMBER,
        "offence_level": FactType.CHOICE,
        "offence_type": FactType.CHOICE,
        "in_crisis": FactType.BOOLEAN,
        "drug_screen_score": FactType.NUMBER,
        "needs_emergency_medical_care": FactType.BOOLEAN,
        "weekday": FactType.CHOICE,
        "local_hour": FactType.NUMBER,
    }
    assert {code: FACTS[code].type for code in expected} == expected
    assert FACTS["age"].derived
    assert [code for code, fact in FACTS.items() if fact.derived] == [
        "age",
        "weekday",
        "local_hour",
    ]
    assert FACTS["drug_grams"].unit == "g"
    assert "prescription_opiate_pills" in FACTS["drug_type"].choice_values
    assert FACTS["offence_level"].choice_values == (
        "none",
        "civil_infraction",
        "misdemeanour",
        "felony",
    )
    assert set(fact_type_map()) == set(FACTS)


def test_every_fact_is_well_formed() -> None:
    for code, fact in FACTS.items():
        assert fact.code == code and code.isidentifier()
        assert fact.label and fact.question.endswith("?")
        assert bool(fact.choices) == (fact.type is FactType.CHOICE)
        assert len(set(fact.choice_values)) == len(fact.choices)


# --- validation ----------------------------------------------------------------------------------


def test_a_valid_rule_set_comes_back_as_rule_specs_with_trimmed_text() -> None:
    specs = validate_rules(
        [
            rule("  drug_grams > 3\r\n  and drug_type != 'cannabis'  ", reason="  Over 3 g.  "),
            {"condition": "in_crisis", "outcome": Outcome.SUPERVISOR, "reason": "In crisis."},
        ]
    )
    assert specs == [
        RuleSpec("drug_grams > 3\n  and drug_type != 'cannabis'", Outcome.INELIGIBLE, "Over 3 g."),
        RuleSpec("in_crisis", Outcome.SUPERVISOR, "In crisis."),
    ]
    assert validate_rules([]) == []
    assert validate_rules([s.as_dict() for s in specs]) == specs
    assert validate_rules(specs) == specs


@pytest.mark.parametrize(
    "raw, message",
    [
        ("drug_grams > 3", "The rules must be a list of rules."),
        ({"condition": "in_crisis"}, "The rules must be a list of rules."),
        (None, "The rules must be a list of rules."),
        ([GOOD] * (MAX_RULES + 1), f"There are 41 rules; a program can have at most {MAX_RULES}."),
    ],
)
def test_the_whole_set_is_refused_without_a_rule_number(raw: Any, message: str) -> None:
    error = refusal(raw)
    assert str(error) == message
    assert error.index is None and error.field is None


@pytest.mark.parametrize(
    "bad, field, expected",
    [
        ("not a rule", None, "Rule 2: a rule needs a condition, an outcome and a reason."),
        (
            {**GOOD, "note": "x"},
            None,
            "Rule 2: unexpected field “note”; a rule has only a condition, an outcome and a "
            "reason.",
        ),
        ({"outcome": "ineligible", "reason": "x"}, "condition", "Rule 2: the condition is empty."),
        (rule("   "), "condition", "Rule 2: the condition is empty."),
        (rule(3), "condition", "Rule 2: the condition must be text."),  # type: ignore[arg-type]
        (
            rule("drug_gram > 3"),
            "condition",
            "Rule 2: “drug_gram” is not a fact in the catalog. Did you mean drug_grams?",
        ),
        (rule("weight > 3"), "condition", "Rule 2: “weight” is not a fact in the catalog."),
        (rule("drug_grams >"), "condition", "Rule 2: the condition is incomplete"),
        (rule("drug_grams > 3 )"), "condition", "Rule 2: the condition could not be read"),
        (rule("drug_grams = 3"), "condition", "Rule 2: the condition can't contain “=”"),
        (rule("drug_grams @ 3"), "condition", "Rule 2: the condition can't contain “@”"),
        (
            rule("outstanding_warrant == 1"),
            "condition",
            "Rule 2: outstanding_warrant is a yes/no fact, so it can't be compared with "
            "the number 1",
        ),
        (
            rule("drug_grams == 'three'"),
            "condition",
            "Rule 2: drug_grams is a number fact, so it can't be compared with the text “three”",
        ),
        (
            rule("drug_type == true"),
            "condition",
            "Rule 2: drug_type is a choice fact, so it can't be compared with true",
        ),
        (
            rule("drug_type == 'heroine'"),
            "condition",
            "Rule 2: “heroine” is not one of the choices for drug_type. Did you mean “heroin”? "
            "The choices are: heroin, fentanyl,",
        ),
        (
            rule("offence_type in ['theft', 'shoplifting']"),
            "condition",
            "Rule 2: “shoplifting” is not one of the choices for offence_type.",
        ),
        (
            rule("drug_type > 'a'"),
            "condition",
            "Rule 2: <, <=, > and >= only work with numbers, and drug_type (a choice fact) is not",
        ),
        (
            rule("drug_grams"),
            "condition",
            "Rule 2: drug_grams is a number fact, not a yes/no one, so it can't be a condition on "
            "its own",
        ),
        (rule("'heroin'"), "condition", "Rule 2: the condition must be true or false"),
        (rule("1 == 1"), "condition", "Rule 2: the condition does not use any fact"),
        (rule("true"), "condition", "Rule 2: the condition does not use any fact"),
        (rule("age.to_str == '3'"), "condition", "Rule 2: the condition can't contain “.”"),
        (rule("$now == age"), "condition", "Rule 2: “$now” is a built-in value"),
        (rule("$abs(age) > 3"), "condition", "Rule 2: the condition calls a function"),
        (rule("drug_type =~ 'her.*'"), "condition", "Rule 2: the condition can't contain “=~”"),
        (rule("drug_grams * 2 > 3"), "condition", "Rule 2: the condition can't contain “*”"),
        (rule("(1 << 4000000) > age"), "condition", "Rule 2: the condition can't contain “<<”"),
        (rule("drug_grams - 1 > 3"), "condition", "Rule 2: the condition does arithmetic."),
        (rule("drug_type == null"), "condition", "Rule 2: the condition uses null."),
        (rule("age > nan"), "condition", "Rule 2: numbers in a condition must be ordinary"),
        (rule("'her' in drug_type"), "condition", "Rule 2: after in, list the values"),
        (rule("age in []"), "condition", "Rule 2: the list after in is empty."),
        (rule("age in [1, drug_grams]"), "condition", "Rule 2: the list after in can only hold"),
        (rule("(age > 3) == true"), "condition", "Rule 2: compare a fact with a value"),
        (rule("in_crisis\x07"), "condition", "Rule 2: the condition contains a hidden character"),
        (rule("in_crisis \u202e"), "condition", "Rule 2: the condition contains a hidden"),
        (
            rule(LONG),
            "condition",
            f"Rule 2: the condition is too long ({len(LONG)} characters; the limit is "
            f"{MAX_CONDITION}).",
        ),
        (rule("in_crisis", outcome=""), "outcome", "Rule 2: choose an outcome (eligible,"),
        ({"condition": "in_crisis", "reason": "x"}, "outcome", "Rule 2: choose an outcome"),
        (
            rule("in_crisis", outcome="maybe"),
            "outcome",
            "Rule 2: “maybe” is not an outcome. Choose one of: eligible, supervisor_review, "
            "prosecutor_review, ineligible.",
        ),
        (rule("in_crisis", reason="  "), "reason", "Rule 2: the reason is empty."),
        ({"condition": "in_crisis", "outcome": "ineligible"}, "reason", "Rule 2: the reason is"),
        (
            rule("in_crisis", reason="x" * (MAX_REASON + 1)),
            "reason",
            f"Rule 2: the reason is too long (301 characters; the limit is {MAX_REASON}).",
        ),
        (
            rule("in_crisis", reason="Line one.\nLine two."),
            "reason",
            "Rule 2: the reason contains a hidden character (U+000A); remove it.",
        ),
        (rule("in_crisis", reason=5), "reason", "Rule 2: the reason must be text."),  # type: ignore[arg-type]
    ],
)
def test_each_problem_is_refused_naming_the_rule_and_the_problem(
    bad: Any, field: str | None, expected: str
) -> None:
    error = refusal([GOOD, bad, GOOD])
    assert str(error).startswith(expected), str(error)
    assert error.index == 1
    assert error.field == field
    assert isinstance(error, ValueError)


def test_the_first_rule_at_fault_is_reported() -> None:
    error = refusal([GOOD, GOOD, rule("nope"), rule("nope either")])
    assert error.index == 2 and str(error).startswith("Rule 3: ")


def test_hidden_characters_in_quoted_text_are_not_echoed_raw() -> None:
    error = refusal([rule('drug_type == "\\x00"')])
    assert "\x00" not in str(error)
    assert "[U+0000]" in str(error)


@pytest.mark.parametrize(
    "condition",
    [
        "age < 18 and not parent_consent",
        'drug_grams > 6 and drug_type != "prescription_opiate_pills"',
        "offence_type not in ['dui', 'stalking']",
        "(in_crisis or violent_history) and prior_diversions >= 2",
        "age < -1 or 3.5 <= drug_grams",
        "outstanding_warrant == true",
        "age > 3 # a comment",
        "not not in_crisis",
    ],
)
def test_accepted_conditions(condition: str) -> None:
    assert validate_rules([rule(condition)])[0].condition == condition


def test_facts_used_are_in_first_use_order_including_derived_facts() -> None:
    specs = validate_rules(
        [
            rule("drug_grams > 6 and drug_type != 'prescription_opiate_pills'"),
            rule("age < 18 and not parent_consent"),
            rule("offence_type in ['dui'] or drug_grams > 100"),
            rule("'none' != offence_level"),
        ]
    )
    assert facts_used(specs) == [
        "drug_grams",
        "drug_type",
        "age",
        "parent_consent",
        "offence_type",
        "offence_level",
    ]
    assert facts_used([]) == []


# --- evaluation ----------------------------------------------------------------------------------

RULES = validate_rules(
    [
        rule("age < 18 and not parent_consent", "ineligible", "Under 18 without consent."),
        rule("drug_grams > 3", "prosecutor_review", "More than 3 g of drugs."),
        rule("in_crisis", "supervisor_review", "In crisis now."),
        rule("violent_history", "supervisor_review", "History of violence."),
    ]
)
ALL_NO = {
    "age": 30,
    "parent_consent": False,
    "drug_grams": 1,
    "in_crisis": False,
    "violent_history": False,
}


def test_no_rule_applies_so_eligible() -> None:
    decision = evaluate(RULES, ALL_NO)
    assert decision == Decision(
        Outcome.ELIGIBLE, ("None of the program's 4 exclusion rules apply.",), (), ()
    )
    assert evaluate([], {}).reasons == ("The program has no exclusion rules.",)
    one = validate_rules([rule("in_crisis")])
    assert evaluate(one, {"in_crisis": False}).reasons == (
        "The program's one exclusion rule does not apply.",
    )


@pytest.mark.parametrize(
    "changes, outcome, reasons, matched",
    [
        ({"in_crisis": True}, Outcome.SUPERVISOR, ("In crisis now.",), (2,)),
        ({"drug_grams": 3.5}, Outcome.PROSECUTOR, ("More than 3 g of drugs.",), (1,)),
        ({"age": 17}, Outcome.INELIGIBLE, ("Under 18 without consent.",), (0,)),
        ({"age": 17, "parent_consent": True}, Outcome.ELIGIBLE, None, ()),
    ],
)
def test_each_outcome(
    changes: dict[str, Any], outcome: Outcome, reasons: tuple[str, ...] | None, matched: tuple
) -> None:
    decision = evaluate(RULES, {**ALL_NO, **changes})
    assert decision.outcome is outcome
    assert decision.matched == matched
    if reasons is not None:
        assert decision.reasons == reasons
    assert decision.unanswered == ()


def test_the_strictest_outcome_wins_and_its_reasons_come_first() -> None:
    decision = evaluate(
        RULES,
        {**ALL_NO, "in_crisis": True, "violent_history": True, "drug_grams": 10, "age": 16},
    )
    assert decision.outcome is Outcome.INELIGIBLE
    assert decision.matched == (0, 1, 2, 3)
    assert decision.reasons == (
        "Under 18 without consent.",
        "More than 3 g of drugs.",
        "In crisis now.",
        "History of violence.",
    )
    decision = evaluate(RULES, {**ALL_NO, "violent_history": True, "drug_grams": 10})
    assert decision.outcome is Outcome.PROSECUTOR
    assert decision.reasons == ("More than 3 g of drugs.", "History of violence.")


def test_a_matched_eligible_rule_only_adds_its_reason() -> None:
    specs = validate_rules(
        [
            rule("prior_diversions == 0", "eligible", "First time in a diversion program."),
            rule("in_crisis", "supervisor_review", "In crisis now."),
        ]
    )
    decision = evaluate(specs, {"prior_diversions": 0, "in_crisis": False})
    assert decision.outcome is Outcome.ELIGIBLE
    assert decision.reasons == ("First time in a diversion program.",)
    assert decision.matched == (0,)
    decision = evaluate(specs, {"prior_diversions": 0, "in_crisis": True})
    assert decision.reasons == ("In crisis now.", "First time in a diversion program.")
    # An eligible rule that can't be decided changes nothing, so it does not escalate.
    assert evaluate(specs, {"in_crisis": False}).outcome is Outcome.ELIGIBLE


def test_a_missing_answer_sends_the_decision_to_a_supervisor_with_a_plain_reason() -> None:
    answers: dict[str, Any] = {**ALL_NO}
    del answers["drug_grams"]
    answers["in_crisis"] = None  # None means not answered
    decision = evaluate(RULES, answers)
    assert decision.outcome is Outcome.SUPERVISOR
    assert decision.unanswered == ("drug_grams", "in_crisis")
    assert decision.matched == ()
    assert decision.reasons == (
        f"Not answered: {FACTS['drug_grams'].question} — needed to check: More than 3 g of drugs.",
        f"Not answered: {FACTS['in_crisis'].question} — needed to check: In crisis now.",
    )


def test_a_missing_answer_does_not_lower_a_stricter_outcome() -> None:
    decision = evaluate(RULES, {**ALL_NO, "drug_grams": 10, "in_crisis": None})
    assert decision.outcome is Outcome.PROSECUTOR
    assert decision.reasons[0] == "More than 3 g of drugs."
    assert decision.reasons[1].startswith("Not answered: ")
    assert decision.unanswered == ("in_crisis",)


def test_missing_answers_that_cannot_change_the_result_are_not_needed() -> None:
    # An adult: parent_consent never asked, and "age < 18 and ..." is already false.
    adult = {k: v for k, v in ALL_NO.items() if k != "parent_consent"}
    assert evaluate(RULES, adult).outcome is Outcome.ELIGIBLE
    # A minor: now the consent question matters.
    decision = evaluate(RULES, {**adult, "age": 16})
    assert decision.outcome is Outcome.SUPERVISOR
    assert decision.unanswered == ("parent_consent",)
    # "or" is settled by a true side.
    specs = validate_rules([rule("in_crisis or violent_history", reason="Risk.")])
    assert evaluate(specs, {"violent_history": True}).outcome is Outcome.INELIGIBLE
    assert evaluate(specs, {"violent_history": False}).unanswered == ("in_crisis",)
    # Only the answers that could still change the result are listed.
    specs = validate_rules([rule("(drug_grams > 3 and in_crisis) or violent_history")])
    decision = evaluate(specs, {"drug_grams": 1})
    assert decision.unanswered == ("violent_history",)


def test_every_missing_fact_of_an_undecided_rule_is_listed_once() -> None:
    decision = evaluate(RULES, {})
    assert decision.outcome is Outcome.SUPERVISOR
    assert decision.unanswered == (
        "age",
        "parent_consent",
        "drug_grams",
        "in_crisis",
        "violent_history",
    )
    assert len(decision.reasons) == 5


def test_answers_are_coerced_and_unknown_keys_ignored() -> None:
    specs = validate_rules([rule("drug_grams > 3 and prior_diversions >= 1")])
    for grams in (4, 4.0, Decimal("4")):
        assert evaluate(specs, {"drug_grams": grams, "prior_diversions": 1}).matched == (0,)
    assert evaluate(specs, {"drug_grams": 3, "prior_diversions": 5, "csrfmiddlewaretoken": "x"})


@pytest.mark.parametrize(
    "answers, message",
    [
        ({"in_crisis": "yes"}, "The answer for in_crisis (In crisis now) must be True or False"),
        ({"in_crisis": 1}, "must be True or False, not int"),
        ({"drug_grams": "4"}, "The answer for drug_grams (Drugs in possession (grams)) must be a"),
        ({"drug_grams": True}, "must be a number, not bool"),
        ({"drug_grams": float("nan")}, "must be a finite number"),
        ({"drug_grams": float("inf")}, "must be a finite number"),
        ({"drug_grams": 10**400}, "must be a finite number"),
        ({"drug_type": "crack"}, "The answer for drug_type (Type of drug) must be one of: heroin"),
        ({"drug_type": 3}, "must be one of its choices"),
    ],
)
def test_wrongly_typed_answers_raise_value_error(answers: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError) as info:
        evaluate(RULES, answers)
    assert message in str(info.value)
    assert not isinstance(info.value, RuleError)


def test_answers_must_be_a_mapping() -> None:
    with pytest.raises(ValueError, match="The answers must be a mapping"):
        evaluate(RULES, [("age", 3)])  # type: ignore[arg-type]


def test_an_unvalidated_bad_rule_is_reported_as_a_rule_error() -> None:
    with pytest.raises(RuleError, match=r"^Rule 2: “nope” is not a fact") as info:
        evaluate([RULES[0], RuleSpec("nope", Outcome.INELIGIBLE, "x")], ALL_NO)
    assert info.value.index == 1 and info.value.field == "condition"


def test_decision_as_dict_is_json_ready_and_round_trips() -> None:
    import json

    decision = evaluate(RULES, {**ALL_NO, "drug_grams": 10, "in_crisis": None})
    data = json.loads(json.dumps(decision.as_dict()))
    assert data == {
        "outcome": "prosecutor_review",
        "outcome_label": "Needs the prosecutor's decision",
        "reasons": list(decision.reasons),
        "matched": [1],
        "unanswered": ["in_crisis"],
    }
    assert Decision.from_dict(data) == decision


def test_outcome_labels_and_severity() -> None:
    assert [o.severity for o in Outcome] == [0, 1, 2, 3]
    assert [o.label for o in Outcome] == [
        "Eligible",
        "Needs a supervisor's decision",
        "Needs the prosecutor's decision",
        "Not eligible",
    ]
    assert str(Outcome.INELIGIBLE) == "ineligible"
