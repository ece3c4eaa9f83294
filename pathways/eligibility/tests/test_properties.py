"""Properties of validation and evaluation, checked with generated rule sets and answers."""

from __future__ import annotations

import keyword
import re
from typing import Any

import rule_engine  # type: ignore[import-untyped]
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from pathways.eligibility.facts import FACTS, Fact, FactType, fact_type_map
from pathways.eligibility.rules import (
    MAX_CONDITION,
    Decision,
    Outcome,
    RuleError,
    RuleSpec,
    evaluate,
    facts_used,
    validate_rules,
)

SETTINGS = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
FACT_LIST = list(FACTS.values())
RESERVED = {
    "and", "or", "not", "in", "true", "false", "null", "inf", "nan", "for", "if", "elif", "else",
    "while",
}  # fmt: skip

# --- generated, valid conditions -----------------------------------------------------------------

number_literals = st.one_of(
    st.integers(-1000, 1000).map(str),
    st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False).map(repr),
)


@st.composite
def comparisons(draw: st.DrawFn) -> str:
    fact: Fact = draw(st.sampled_from(FACT_LIST))
    code = fact.code
    if fact.type is FactType.BOOLEAN:
        return draw(
            st.sampled_from(
                [code, f"not {code}", f"{code} == true", f"{code} != false", f"{code} == false"]
            )
        )
    if fact.type is FactType.NUMBER:
        op = draw(st.sampled_from(["<", "<=", ">", ">=", "==", "!="]))
        number = draw(number_literals)
        if draw(st.booleans()):
            return f"{code} {op} {number}"
        others = draw(st.lists(number_literals, min_size=1, max_size=3))
        return f"{code} {'in' if draw(st.booleans()) else 'not in'} [{', '.join(others)}]"
    values = draw(st.lists(st.sampled_from(fact.choice_values), min_size=1, max_size=3))
    quoted = [f'"{v}"' for v in values]
    form = draw(st.sampled_from(["==", "!=", "in", "not in", "reversed"]))
    if form in ("==", "!="):
        return f"{code} {form} {quoted[0]}"
    if form == "reversed":
        return f"{quoted[0]} == {code}"
    return f"{code} {form} [{', '.join(quoted)}]"


conditions = st.recursive(
    comparisons(),
    lambda inner: st.one_of(
        st.tuples(inner, st.sampled_from(["and", "or"]), inner).map(
            lambda t: f"({t[0]}) {t[1]} ({t[2]})"
        ),
        inner.map(lambda c: f"not ({c})"),
    ),
    max_leaves=5,
).filter(lambda c: len(c) <= MAX_CONDITION)

rule_sets = st.lists(
    st.builds(
        lambda condition, outcome, number: {
            "condition": condition,
            "outcome": outcome.value,
            "reason": f"Reason {number}.",
        },
        conditions,
        st.sampled_from(list(Outcome)),
        st.integers(1, 99),
    ),
    min_size=0,
    max_size=6,
).map(validate_rules)


def answer_for(fact: Fact) -> st.SearchStrategy[Any]:
    if fact.type is FactType.BOOLEAN:
        return st.booleans()
    if fact.type is FactType.NUMBER:
        return st.one_of(
            st.integers(-(10**6), 10**6),
            st.floats(allow_nan=False, allow_infinity=False),
            st.sampled_from([0, 3, 6, 6.0, 17, 18, 7.5]),
        )
    return st.sampled_from(fact.choice_values)


def full_answers(codes: list[str]) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries({code: answer_for(FACTS[code]) for code in codes})


def oracle_matches(rule: RuleSpec, answers: dict[str, Any]) -> bool:
    """rule-engine's own verdict on one rule, with every answer present."""
    context = rule_engine.Context(
        type_resolver=rule_engine.type_resolver_from_dict(fact_type_map())
    )
    values = {k: float(v) if FACTS[k].type is FactType.NUMBER else v for k, v in answers.items()}
    return bool(rule_engine.Rule(rule.condition, context=context).matches(values))


# --- properties ----------------------------------------------------------------------------------


@SETTINGS
@given(data=st.data(), rules=rule_sets)
def test_with_every_answer_the_outcome_is_the_strictest_matched_one(
    data: st.DataObject, rules: list[RuleSpec]
) -> None:
    answers = data.draw(full_answers(facts_used(rules)))
    decision = evaluate(rules, answers)
    expected_matched = tuple(i for i, r in enumerate(rules) if oracle_matches(r, answers))
    assert decision.matched == expected_matched
    assert decision.unanswered == ()
    severities = [rules[i].outcome.severity for i in decision.matched]
    assert decision.outcome.severity == max(severities, default=0)
    assert decision.reasons
    if decision.outcome is not Outcome.ELIGIBLE:
        assert decision.reasons[0] in {
            rules[i].reason for i in decision.matched if rules[i].outcome is decision.outcome
        }


@SETTINGS
@given(data=st.data(), rules=rule_sets)
def test_with_missing_answers_evaluation_is_safe_and_never_wrong(
    data: st.DataObject, rules: list[RuleSpec]
) -> None:
    codes = facts_used(rules)
    complete = data.draw(full_answers(codes))
    kept = data.draw(st.sets(st.sampled_from(codes)) if codes else st.just(set()))
    partial: dict[str, Any] = {
        code: complete[code] if code in kept else data.draw(st.sampled_from([None, "absent"]))
        for code in codes
    }
    partial = {k: v for k, v in partial.items() if v != "absent"}
    decision = evaluate(rules, partial)
    full = evaluate(rules, complete)

    # A rule decided without some answers is decided the same way once they are given.
    for index, rule in enumerate(rules):
        # As an exclusion, so that an undecided rule always reports what it needs.
        alone = evaluate([RuleSpec(rule.condition, Outcome.INELIGIBLE, rule.reason)], partial)
        undecided = bool(alone.unanswered)
        if not undecided:
            assert (index in decision.matched) == (index in full.matched)
        assert set(alone.unanswered) <= set(codes) - kept
    assert set(decision.matched) <= set(full.matched)
    assert set(decision.unanswered) <= set(codes) - kept
    if decision.unanswered:
        assert decision.outcome.severity >= Outcome.SUPERVISOR.severity
        assert any(reason.startswith("Not answered: ") for reason in decision.reasons)
    severities = [rules[i].outcome.severity for i in decision.matched]
    assert decision.outcome.severity >= max(severities, default=0)


@SETTINGS
@given(data=st.data(), rules=rule_sets)
def test_evaluation_is_deterministic_and_does_not_depend_on_extra_keys(
    data: st.DataObject, rules: list[RuleSpec]
) -> None:
    answers = data.draw(full_answers(facts_used(rules)))
    first = evaluate(rules, answers)
    assert evaluate(rules, dict(answers)) == first
    assert evaluate(rules, {**answers, "not_a_fact": object()}) == first
    assert Decision.from_dict(first.as_dict()) == first
    assert evaluate(list(reversed(rules)), answers).outcome is first.outcome


rule_language_tokens = st.sampled_from(
    [
        *FACTS,
        "and", "or", "not", "in", "true", "false", "null", "inf", "nan", "for", "if",
        "==", "!=", "<", "<=", ">", ">=", "=~", "+", "-", "*", "**", "/", "<<", "??", "?", ":",
        "(", ")", "[", "]", "{", "}", ",", ".", "$now", "$abs", "&.", "#",
        "0", "3", "-1", "1e999", "0x10", "'heroin'", '"misdemeanour"', "'x'", "d'2020-01-01'",
        "b'x'", "t'P1D'", "\"unterminated", "'\\x00'", "r'\\d'",
    ]
)  # fmt: skip
arbitrary_conditions = st.one_of(
    st.text(max_size=600),
    st.lists(rule_language_tokens, max_size=12).map(" ".join),
    st.lists(rule_language_tokens, max_size=12).map("".join),
)


@SETTINGS
@given(condition=arbitrary_conditions, outcome=st.sampled_from(list(Outcome)))
def test_any_text_as_a_condition_is_either_valid_or_a_rule_error(
    condition: str, outcome: Outcome
) -> None:
    raw = [{"condition": condition, "outcome": outcome.value, "reason": "A reason."}]
    try:
        rules = validate_rules(raw)
    except RuleError as exc:
        assert exc.index == 0
        assert exc.field == "condition"
        assert str(exc).startswith("Rule 1: ")
        return
    # Valid: it must then evaluate without error, answered or not.
    assert rules[0].condition == condition.replace("\r\n", "\n").replace("\r", "\n").strip()
    evaluate(rules, {})
    answers = {
        code: FACTS[code].choice_values[0]
        if FACTS[code].choices
        else {FactType.BOOLEAN: True, FactType.NUMBER: 1}[FACTS[code].type]
        for code in facts_used(rules)
    }
    evaluate(rules, answers)


@SETTINGS
@given(
    condition=conditions,
    data=st.data(),
    how=st.sampled_from(["append", "drop", "upper", "prefix"]),
    char=st.sampled_from("abcxyz_0123456789"),
)
def test_a_misspelt_fact_name_is_refused(
    condition: str, data: st.DataObject, how: str, char: str
) -> None:
    used = validate_rules([{"condition": condition, "outcome": "ineligible", "reason": "x"}])
    code = data.draw(st.sampled_from(facts_used(used)))
    mutated = {
        "append": code + char,
        "drop": code[:-1],
        "upper": code.upper(),
        "prefix": "x" + code,
    }[how]
    assume(mutated.isidentifier() and not keyword.iskeyword(mutated))
    assume(mutated not in FACTS and mutated.lower() not in RESERVED)
    broken = re.sub(rf"\b{code}\b", mutated, condition, count=1)
    try:
        validate_rules([{"condition": broken, "outcome": "ineligible", "reason": "x"}])
    except RuleError as exc:
        assert exc.index == 0 and exc.field == "condition"
        assert f"“{mutated}” is not a fact in the catalog." in str(exc)
    else:
        raise AssertionError(f"{broken!r} was accepted")
