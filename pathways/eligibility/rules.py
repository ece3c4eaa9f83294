"""Eligibility rules stored as data: checking a rule set, and deciding from the answers.

A rule is ``{"condition": ..., "outcome": ..., "reason": ...}``. The condition is an expression in
the rule-engine language over the facts in :data:`~pathways.eligibility.facts.FACTS`, for example
``drug_grams > 3 and drug_type != "prescription_opiate_pills"``. Only a small, safe part of the
language is accepted: facts, fixed values (numbers, text in quotes, true/false), the comparisons
``== != < <= > >=``, ``in [...]`` / ``not in [...]`` with a list of fixed values, and
``and`` / ``or`` / ``not`` with brackets. Everything else (arithmetic, attribute access, regular
expressions, ``$`` built-ins, null, dates...) is refused by :func:`validate_rules` with a message
a coordinator can act on.

People are presumptively eligible. :func:`evaluate` applies every rule; each rule whose condition
holds adds its outcome and reason, and the strictest outcome wins. A rule that needs an answer
that is missing cannot be decided, which sends the decision to at least a supervisor. Missing
answers follow three-valued logic: ``age < 18 and not parent_consent`` is decided (false) for an
adult even when ``parent_consent`` was never asked.
"""

from __future__ import annotations

import decimal
import difflib
import functools
import math
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import rule_engine  # type: ignore[import-untyped]

from pathways.eligibility.facts import FACTS, Fact, FactType, fact_type_map

MAX_RULES = 40
MAX_CONDITION = 500
MAX_REASON = 300

RULE_FIELDS = ("condition", "outcome", "reason")


class Outcome(StrEnum):
    """What a rule can decide, in increasing severity; the strictest matched outcome wins."""

    ELIGIBLE = "eligible"
    SUPERVISOR = "supervisor_review"
    PROSECUTOR = "prosecutor_review"
    INELIGIBLE = "ineligible"

    @property
    def label(self) -> str:
        return _OUTCOME_LABELS[self.value]

    @property
    def severity(self) -> int:
        return _SEVERITY[self.value]


_OUTCOME_LABELS = {
    "eligible": "Eligible",
    "supervisor_review": "Needs a supervisor's decision",
    "prosecutor_review": "Needs the prosecutor's decision",
    "ineligible": "Not eligible",
}
_SEVERITY = {value: rank for rank, value in enumerate(_OUTCOME_LABELS)}


@dataclass(frozen=True)
class RuleSpec:
    condition: str
    outcome: Outcome
    reason: str

    def as_dict(self) -> dict[str, str]:
        return {"condition": self.condition, "outcome": self.outcome.value, "reason": self.reason}


class RuleError(ValueError):
    """A rule set that cannot be used. ``str(error)`` is a plain message for a coordinator."""

    def __init__(self, message: str, *, index: int | None = None, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.index = index
        """0-based position of the rule at fault, or None for a problem with the whole set."""
        self.field = field
        """"condition", "outcome" or "reason", or None when no single field is at fault."""

    def __str__(self) -> str:
        return self.message


class _ConditionProblem(Exception):
    """A problem with one condition; validate_rules adds the rule number."""


# --- checking text -------------------------------------------------------------------------------

_HIDDEN_CATEGORIES = {"Cc", "Cf", "Cs", "Co", "Cn"}  # as pathways.core.validators


def _hidden_character(text: str, *, allow_newlines: bool) -> str | None:
    for char in text:
        if allow_newlines and char in "\t\n":
            continue
        if unicodedata.category(char) in _HIDDEN_CATEGORIES:
            return f"U+{ord(char):04X}"
    return None


def _quote(text: str, limit: int = 40) -> str:
    """Text quoted for a message, with hidden characters shown as their code."""
    text = text if len(text) <= limit else text[: limit - 1] + "…"
    shown = "".join(
        f"[U+{ord(char):04X}]" if unicodedata.category(char) in _HIDDEN_CATEGORIES else char
        for char in text
    )
    return f"“{shown}”"


# --- a first pass over the condition's text ------------------------------------------------------
# rule-engine folds constant parts of an expression while parsing, so "(1 << 99999999) > 1" would
# be computed before any check of ours could refuse it. Scanning the text first with an allow-list
# of tokens keeps parsing cheap and gives plain messages for operators rules may not use.

_TOKEN = re.compile(
    "|".join(
        (
            r"(?P<space>[ \t\n]+)",
            r"(?P<comment>\#[^\n]*)",
            f"(?P<string>{rule_engine.parser.Parser.get_token_regex('STRING')})",
            f"(?P<number>{rule_engine.parser.Parser.get_token_regex('FLOAT')})",
            r"(?P<prefixed>[bdt](?=[\"']))",
            r"(?P<special>(?:inf|nan)(?![a-zA-Z0-9_]))",
            f"(?P<word>{rule_engine.parser.Parser.get_token_regex('SYMBOL')})",
            r"(?P<refused><<|>>|\*\*|//|=~~?|!~~?|&\.|&\[|\?\?|&&|\|\||=(?!=))",
            r"(?P<operator>==|!=|<=|>=|<|>|\(|\)|\[|\]|,|-)",
        )
    )
)

_REFUSED_OPERATORS = {
    "<<": "arithmetic",
    ">>": "arithmetic",
    "**": "arithmetic",
    "//": "arithmetic",
    "=~": "pattern",
    "=~~": "pattern",
    "!~": "pattern",
    "!~~": "pattern",
    "&.": "attribute",
    "&[": "attribute",
    "??": "coalesce",
    "&&": "and",
    "||": "or",
    "=": "equals",
}
_OPERATOR_HELP = {
    "arithmetic": "Conditions can't do arithmetic; compare a fact with a fixed number instead.",
    "pattern": "Conditions can't use pattern matching; use == or list the allowed values with "
    'in, for example drug_type in ["heroin", "fentanyl"].',
    "attribute": "Conditions can only compare facts with values.",
    "coalesce": "Missing answers are handled automatically (the decision goes to a supervisor).",
    "and": "Write and instead.",
    "or": "Write or instead.",
    "equals": 'Use == to compare, for example offence_level == "misdemeanour".',
}
_SINGLE_CHARACTER_HELP = {
    "+": _OPERATOR_HELP["arithmetic"],
    "*": _OPERATOR_HELP["arithmetic"],
    "/": _OPERATOR_HELP["arithmetic"],
    "%": _OPERATOR_HELP["arithmetic"],
    "&": _OPERATOR_HELP["arithmetic"],
    "|": _OPERATOR_HELP["arithmetic"],
    "^": _OPERATOR_HELP["arithmetic"],
    ".": _OPERATOR_HELP["attribute"],
    "?": "Write a separate rule for each case instead of using ? and :.",
    ":": "Write a separate rule for each case instead of using ? and :.",
    "{": 'Use square brackets for a list, for example ["heroin", "fentanyl"].',
    "}": 'Use square brackets for a list, for example ["heroin", "fentanyl"].',
    "!": "Write not, or use != to mean “is not”.",
    "'": "A text value needs a quote at both ends.",
    '"': "A text value needs a quote at both ends.",
}


def _scan(condition: str) -> None:
    position = 0
    while position < len(condition):
        match = _TOKEN.match(condition, position)
        if match is None:
            char = condition[position]
            help_text = _SINGLE_CHARACTER_HELP.get(
                char,
                "Conditions can use fact names, numbers, text in quotes, true, false, the "
                "comparisons == != < <= > >=, in [...], and, or, not and brackets.",
            )
            raise _ConditionProblem(f"the condition can't contain {_quote(char)}. {help_text}")
        if match.lastgroup == "prefixed":
            raise _ConditionProblem(
                f"the condition can't contain {_quote(match.group())} before a quote: conditions "
                "can't use dates, times or bytes. Write text values as plain quotes, for example "
                '"heroin".'
            )
        if match.lastgroup == "special":
            raise _ConditionProblem(
                "numbers in a condition must be ordinary numbers, not inf or nan."
            )
        if match.lastgroup == "refused":
            operator = match.group()
            help_text = _OPERATOR_HELP[_REFUSED_OPERATORS[operator]]
            raise _ConditionProblem(f"the condition can't contain {_quote(operator)}. {help_text}")
        position = match.end()


# --- checking the parsed condition ---------------------------------------------------------------

_ast = rule_engine.ast
_BOOLEAN, _NUMBER, _CHOICE = FactType.BOOLEAN, FactType.NUMBER, FactType.CHOICE


@dataclass(frozen=True)
class _Operand:
    """One side of a comparison: a fact or a fixed value."""

    type: FactType
    fact: Fact | None = None
    value: Any = None

    def describe(self) -> str:
        if self.fact is not None:
            return f"{self.fact.code} (a {self.type.label} fact)"
        if self.type is _BOOLEAN:
            return "true" if self.value else "false"
        if self.type is _NUMBER:
            return f"the number {self.value}"
        return f"the text {_quote(str(self.value))}"


_FACT_HINT = {
    _BOOLEAN: "use it on its own (or with not), or compare it with true or false",
    _NUMBER: "compare it with a number, for example drug_grams > 3",
    _CHOICE: 'compare it with one of its choices in quotes, for example drug_type == "heroin"',
}

_COMPARISON_RESULT = (
    "compare a fact with a value, and join comparisons with and / or; the result of a "
    "comparison can't be compared again."
)

# Constructs the rule language has that eligibility rules do not use, checked in this order
# (subclasses before their parents).
_REFUSED_NODES: tuple[tuple[tuple[type, ...], str], ...] = (
    (
        (_ast.GetAttributeExpression, _ast.GetItemExpression, _ast.GetSliceExpression),
        "the condition looks inside a value (with . or [ ]); conditions can only compare facts "
        "with values.",
    ),
    (
        (_ast.FuzzyComparisonExpression,),
        "the condition uses pattern matching. " + _OPERATOR_HELP["pattern"],
    ),
    (
        (
            _ast.ArithmeticExpression,
            _ast.AddExpression,
            _ast.SubtractExpression,
            _ast.BitwiseExpression,
            _ast.BitwiseShiftExpression,
            _ast.UnaryExpression,
        ),
        "the condition does arithmetic. " + _OPERATOR_HELP["arithmetic"],
    ),
    ((_ast.CoalesceExpression,), "the condition uses ??. " + _OPERATOR_HELP["coalesce"]),
    ((_ast.TernaryExpression,), "the condition uses ? and :. " + _SINGLE_CHARACTER_HELP["?"]),
    (
        (_ast.ComprehensionExpression,),
        "the condition uses for; list the values with in [...] instead.",
    ),
    ((_ast.FunctionCallExpression,), "the condition calls a function; compare facts instead."),
    ((_ast.NullExpression,), "the condition uses null. " + _OPERATOR_HELP["coalesce"]),
    (
        (_ast.DatetimeExpression, _ast.TimedeltaExpression),
        "the condition uses a date or time; no fact holds one (use age for the person's age).",
    ),
    ((_ast.BytesExpression,), "the condition uses a bytes value; use text in quotes instead."),
    ((_ast.MappingExpression,), "the condition uses { }. " + _SINGLE_CHARACTER_HELP["{"]),
    (
        (_ast.ArrayExpression, _ast.SetExpression),
        'a list of values can only come after in, for example drug_type in ["heroin", "fentanyl"].',
    ),
    (
        (_ast.ComparisonExpression, _ast.ContainsExpression, _ast.LogicExpression),
        _COMPARISON_RESULT,
    ),
)


def _refuse(node: Any) -> _ConditionProblem:
    if type(node) is _ast.UnaryExpression and node.type == "not":
        return _ConditionProblem(_COMPARISON_RESULT)  # "not x" is a yes/no result, not arithmetic
    for classes, message in _REFUSED_NODES:
        if isinstance(node, classes):
            return _ConditionProblem(message)
    return _ConditionProblem(
        f"the condition uses something rules can't contain ({type(node).__name__})."
    )


def _fact(node: Any, seen: list[str]) -> Fact:
    name = node.name
    if node.scope is not None:
        raise _ConditionProblem(
            f"{_quote('$' + name)} is a built-in value; conditions can only use the facts in the "
            "catalog."
        )
    fact = FACTS.get(name)
    if fact is None:
        close = difflib.get_close_matches(name, FACTS, n=3, cutoff=0.6)
        if close:
            hint = f"Did you mean {' or '.join(close)}?"
        else:
            hint = "Use a fact name from the list of facts, for example drug_grams or age."
        raise _ConditionProblem(f"{_quote(name)} is not a fact in the catalog. {hint}")
    seen.append(fact.code)
    return fact


def _operand(node: Any, seen: list[str]) -> _Operand:
    kind = type(node)
    if kind is _ast.SymbolExpression:
        fact = _fact(node, seen)
        return _Operand(fact.type, fact)
    if kind is _ast.BooleanExpression:
        return _Operand(_BOOLEAN, value=node.value)
    if kind is _ast.FloatExpression:
        if not node.value.is_finite():
            raise _ConditionProblem(
                "numbers in a condition must be ordinary numbers, not inf or nan."
            )
        return _Operand(_NUMBER, value=node.value)
    if kind is _ast.StringExpression:
        return _Operand(_CHOICE, value=node.value)
    raise _refuse(node)


def _check_pair(left: _Operand, right: _Operand) -> None:
    fact, other = (left, right) if left.fact is not None else (right, left)
    if fact.fact is None:  # two fixed values; rule-engine folds these away, but be safe
        return
    if fact.type is not other.type:
        raise _ConditionProblem(
            f"{fact.fact.code} is a {fact.type.label} fact, so it can't be compared with "
            f"{other.describe()}; {_FACT_HINT[fact.type]}."
        )
    if fact.type is _CHOICE and other.fact is None and other.value not in fact.fact.choice_values:
        allowed = fact.fact.choice_values
        close = difflib.get_close_matches(str(other.value), allowed, n=1, cutoff=0.6)
        hint = f" Did you mean {_quote(close[0])}?" if close else ""
        raise _ConditionProblem(
            f"{_quote(str(other.value))} is not one of the choices for {fact.fact.code}.{hint} "
            f"The choices are: {', '.join(allowed)}."
        )


def _check_condition(node: Any, seen: list[str]) -> None:
    """Check a node that must be true or false; record the facts it uses, in order."""
    kind = type(node)
    if kind is _ast.LogicExpression:
        _check_condition(node.left, seen)
        _check_condition(node.right, seen)
    elif kind is _ast.UnaryExpression and node.type == "not":
        _check_condition(node.right, seen)
    elif kind is _ast.ComparisonExpression:
        _check_pair(_operand(node.left, seen), _operand(node.right, seen))
    elif kind is _ast.ArithmeticComparisonExpression:
        for operand in (_operand(node.left, seen), _operand(node.right, seen)):
            if operand.type is not _NUMBER:
                raise _ConditionProblem(
                    "<, <=, > and >= only work with numbers, and "
                    f"{operand.describe()} is not a number."
                )
    elif kind is _ast.ContainsExpression:
        member = _operand(node.member, seen)
        container = node.container
        if type(container) not in (_ast.ArrayExpression, _ast.SetExpression):
            raise _ConditionProblem(
                "after in, list the values in square brackets, for example "
                'drug_type in ["heroin", "fentanyl"].'
            )
        values = list(container.value)
        if not values:
            raise _ConditionProblem("the list after in is empty.")
        for value_node in values:
            if type(value_node) is _ast.SymbolExpression:
                raise _ConditionProblem("the list after in can only hold fixed values, not facts.")
            _check_pair(member, _operand(value_node, seen))
    elif kind is _ast.SymbolExpression:
        fact = _fact(node, seen)
        if fact.type is not _BOOLEAN:
            raise _ConditionProblem(
                f"{fact.code} is a {fact.type.label} fact, not a yes/no one, so it can't be a "
                f"condition on its own; {_FACT_HINT[fact.type]}."
            )
    elif kind is _ast.BooleanExpression:
        pass
    elif kind in (_ast.FloatExpression, _ast.StringExpression):
        raise _ConditionProblem(
            f"the condition must be true or false, and {_operand(node, seen).describe()} is "
            "neither; compare a fact with it, for example drug_grams > 3."
        )
    else:
        raise _refuse(node)


# --- compiling -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Leaf:
    """A comparison (or a yes/no fact) evaluated by rule-engine."""

    node: Any
    facts: frozenset[str]

    def decide(self, values: Mapping[str, Any]) -> tuple[bool | None, frozenset[str]]:
        missing = self.facts.difference(values)
        if missing:
            return None, missing
        return bool(self.node.evaluate(values)), frozenset()


@dataclass(frozen=True)
class _Not:
    operand: _Leaf | _Not | _Logic

    def decide(self, values: Mapping[str, Any]) -> tuple[bool | None, frozenset[str]]:
        result, missing = self.operand.decide(values)
        return (None if result is None else not result), missing


@dataclass(frozen=True)
class _Logic:
    is_and: bool
    left: _Leaf | _Not | _Logic
    right: _Leaf | _Not | _Logic

    def decide(self, values: Mapping[str, Any]) -> tuple[bool | None, frozenset[str]]:
        # Kleene's three-valued logic: false settles "and", true settles "or", whatever the
        # unanswered side would have been.
        settles = not self.is_and
        left, left_missing = self.left.decide(values)
        if left is settles:
            return settles, frozenset()
        right, right_missing = self.right.decide(values)
        if right is settles:
            return settles, frozenset()
        if left is None or right is None:
            return None, left_missing | right_missing
        return not settles, frozenset()


def _tree(node: Any) -> _Leaf | _Not | _Logic:
    kind = type(node)
    if kind is _ast.LogicExpression:
        return _Logic(node.type == "and", _tree(node.left), _tree(node.right))
    if kind is _ast.UnaryExpression and node.type == "not":
        return _Not(_tree(node.right))
    facts: list[str] = []
    _check_condition(node, facts)
    return _Leaf(node, frozenset(facts))


@dataclass(frozen=True)
class _Compiled:
    rule: Any  # rule_engine.Rule, parsed with the facts' types
    tree: _Leaf | _Not | _Logic
    facts: tuple[str, ...]  # in first-use order


def _parse(condition: str, context: Any) -> Any:
    try:
        return rule_engine.Rule(condition, context=context)
    except rule_engine.RuleSyntaxError as exc:
        token = exc.token
        if token is None:
            raise _ConditionProblem(
                "the condition is incomplete: something is missing at the end."
            ) from None
        near = _quote(condition[token.lexpos :].split("\n")[0], limit=20)
        raise _ConditionProblem(
            f"the condition could not be read: there is a mistake at {near}. Check the "
            "brackets, the quotes and the operators (==, !=, <, <=, >, >=, in, and, or, not)."
        ) from None
    except rule_engine.SymbolResolutionError as exc:
        # Only reached for unknown $built-ins: fact names are checked by _check_condition.
        raise _ConditionProblem(
            f"{_quote('$' + exc.symbol_name)} is not a fact; conditions can only use the facts "
            "in the catalog."
        ) from None
    except rule_engine.errors.StringSyntaxError:
        raise _ConditionProblem(
            "a text value in the condition could not be read; check its backslashes."
        ) from None
    except rule_engine.EngineError as exc:
        raise _ConditionProblem(f"the condition could not be checked ({exc.message}).") from None
    except Exception:  # the parser can also fail in other ways, e.g. with decimal errors
        raise _ConditionProblem(
            "the condition could not be read. Check the brackets, the quotes and the operators."
        ) from None


@functools.lru_cache(maxsize=1024)
def _compile(condition: str) -> _Compiled:
    """Check one condition and prepare it for evaluation. Raises _ConditionProblem."""
    if not condition.strip():
        raise _ConditionProblem(
            "the condition is empty. Write when the rule applies, for example drug_grams > 3."
        )
    if len(condition) > MAX_CONDITION:
        raise _ConditionProblem(
            f"the condition is too long ({len(condition)} characters; the limit is "
            f"{MAX_CONDITION})."
        )
    if hidden := _hidden_character(condition, allow_newlines=True):
        raise _ConditionProblem(f"the condition contains a hidden character ({hidden}); remove it.")
    _scan(condition)
    # Parse without types first, so the checks below explain type problems in plain words;
    # then parse with the facts' types, as a second check and for evaluation.
    untyped = _parse(condition, rule_engine.Context())
    seen: list[str] = []
    _check_condition(untyped.statement.expression, seen)
    if not seen:
        raise _ConditionProblem(
            "the condition does not use any fact, so it would always be true or always false."
        )
    typed = _parse(condition, rule_engine.Context(type_resolver=_TYPE_RESOLVER))
    return _Compiled(typed, _tree(typed.statement.expression), tuple(dict.fromkeys(seen)))


_TYPE_RESOLVER = rule_engine.type_resolver_from_dict(fact_type_map())


def _compiled(rule: RuleSpec, index: int) -> _Compiled:
    try:
        return _compile(rule.condition)
    except _ConditionProblem as exc:
        raise RuleError(f"Rule {index + 1}: {exc}", index=index, field="condition") from None


# --- validating a rule set -----------------------------------------------------------------------


def _validated_rule(raw: Any, index: int) -> RuleSpec:
    number = index + 1

    def error(message: str, field: str | None) -> RuleError:
        return RuleError(f"Rule {number}: {message}", index=index, field=field)

    if isinstance(raw, RuleSpec):
        raw = raw.as_dict()
    if not isinstance(raw, Mapping):
        raise error("a rule needs a condition, an outcome and a reason.", None)
    if unexpected := [str(key) for key in raw if key not in RULE_FIELDS]:
        raise error(
            f"unexpected field {_quote(unexpected[0])}; a rule has only a condition, an outcome "
            "and a reason.",
            None,
        )

    condition = raw.get("condition")
    if condition is None:
        condition = ""
    if not isinstance(condition, str):
        raise error("the condition must be text.", "condition")
    condition = condition.replace("\r\n", "\n").replace("\r", "\n").strip()
    spec_condition = condition

    outcome_raw = raw.get("outcome")
    choices = ", ".join(o.value for o in Outcome)
    if outcome_raw is None or outcome_raw == "":
        outcome_error = error(f"choose an outcome ({choices}).", "outcome")
        outcome = None
    elif isinstance(outcome_raw, str) and outcome_raw in {o.value for o in Outcome}:
        outcome_error = None
        outcome = Outcome(outcome_raw)
    else:
        shown = outcome_raw if isinstance(outcome_raw, str) else type(outcome_raw).__name__
        outcome_error = error(
            f"{_quote(str(shown))} is not an outcome. Choose one of: {choices}.", "outcome"
        )
        outcome = None

    reason = raw.get("reason")
    if reason is None:
        reason = ""
    if not isinstance(reason, str):
        raise error("the reason must be text.", "reason")
    reason = reason.strip()

    # Report the condition first, then the outcome, then the reason, as they appear on screen.
    try:
        _compile(spec_condition)
    except _ConditionProblem as exc:
        raise error(str(exc), "condition") from None
    if outcome_error is not None:
        raise outcome_error
    assert outcome is not None
    if not reason:
        raise error(
            "the reason is empty. Write a short sentence the officer will see, for example "
            "“More than 3 g of drugs.”",
            "reason",
        )
    if len(reason) > MAX_REASON:
        raise error(
            f"the reason is too long ({len(reason)} characters; the limit is {MAX_REASON}).",
            "reason",
        )
    if hidden := _hidden_character(reason, allow_newlines=False):
        raise error(f"the reason contains a hidden character ({hidden}); remove it.", "reason")
    return RuleSpec(spec_condition, outcome, reason)


def validate_rules(raw: Sequence[Mapping[str, Any] | RuleSpec]) -> list[RuleSpec]:
    """Check a rule set as a coordinator entered it (or as stored) and return it as RuleSpecs.

    Raises RuleError at the first problem; its message names the rule (1-based) and the problem,
    ``.index`` is the rule's 0-based position and ``.field`` the field at fault."""
    if not isinstance(raw, (list, tuple)):
        raise RuleError("The rules must be a list of rules.")
    if len(raw) > MAX_RULES:
        raise RuleError(f"There are {len(raw)} rules; a program can have at most {MAX_RULES}.")
    return [_validated_rule(item, index) for index, item in enumerate(raw)]


def facts_used(rules: Sequence[RuleSpec]) -> list[str]:
    """The fact codes the rules refer to, in order of first use (derived facts included)."""
    used: dict[str, None] = {}
    for index, rule in enumerate(rules):
        used.update(dict.fromkeys(_compiled(rule, index).facts))
    return list(used)


# --- deciding ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Decision:
    outcome: Outcome
    reasons: tuple[str, ...]
    """Plain sentences for the officer; those of the winning outcome first."""
    matched: tuple[int, ...]
    """0-based indexes of the rules whose condition held."""
    unanswered: tuple[str, ...]
    """Fact codes that were needed to decide a rule but were not answered."""

    def as_dict(self) -> dict[str, Any]:
        return {
            "outcome": self.outcome.value,
            "outcome_label": self.outcome.label,
            "reasons": list(self.reasons),
            "matched": list(self.matched),
            "unanswered": list(self.unanswered),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Decision:
        return cls(
            outcome=Outcome(data["outcome"]),
            reasons=tuple(data["reasons"]),
            matched=tuple(data["matched"]),
            unanswered=tuple(data["unanswered"]),
        )


def _answer(fact: Fact, value: Any) -> Any:
    if fact.type is _BOOLEAN:
        if not isinstance(value, bool):
            raise ValueError(
                f"The answer for {fact.code} ({fact.label}) must be True or False, "
                f"not {type(value).__name__}."
            )
        return value
    if fact.type is _NUMBER:
        if isinstance(value, bool) or not isinstance(value, (int, float, decimal.Decimal)):
            raise ValueError(
                f"The answer for {fact.code} ({fact.label}) must be a number, "
                f"not {type(value).__name__}."
            )
        try:
            number = float(value)
        except OverflowError:
            number = math.inf
        if not math.isfinite(number):
            raise ValueError(f"The answer for {fact.code} ({fact.label}) must be a finite number.")
        return number
    if not isinstance(value, str):
        raise ValueError(
            f"The answer for {fact.code} ({fact.label}) must be one of its choices "
            f"({', '.join(fact.choice_values)}), not {type(value).__name__}."
        )
    if value not in fact.choice_values:
        raise ValueError(
            f"The answer for {fact.code} ({fact.label}) must be one of: "
            f"{', '.join(fact.choice_values)}."
        )
    return value


def _answers(answers: Mapping[str, Any]) -> dict[str, Any]:
    """The catalog facts that were answered, checked and converted. Unknown keys are ignored
    (callers may pass a whole form); None means "not answered"."""
    if not isinstance(answers, Mapping):
        raise ValueError("The answers must be a mapping of fact code to answer.")
    return {
        code: _answer(FACTS[code], value)
        for code, value in answers.items()
        if code in FACTS and value is not None
    }


def evaluate(rules: Sequence[RuleSpec], answers: Mapping[str, Any]) -> Decision:
    """Decide eligibility from the answers.

    Every rule whose condition holds adds its outcome and reason; the strictest outcome wins.
    A rule that can't be decided because an answer is missing sends the decision to at least a
    supervisor (unless the rule's own outcome is "eligible", when the answer can't change
    anything). Raises ValueError for a wrongly typed answer, RuleError for an invalid rule."""
    compiled = [_compiled(rule, index) for index, rule in enumerate(rules)]
    values = _answers(answers)
    found: list[tuple[int, int, str]] = []  # (severity, rule index, reason)
    matched: list[int] = []
    unanswered: dict[str, None] = {}
    for index, (rule, prepared) in enumerate(zip(rules, compiled, strict=True)):
        outcome = Outcome(rule.outcome)  # tolerate a plain string in a hand-made RuleSpec
        with decimal.localcontext(prepared.rule.context.decimal_context):
            result, missing = prepared.tree.decide(values)
        if result:
            matched.append(index)
            found.append((outcome.severity, index, rule.reason))
        elif result is None and outcome is not Outcome.ELIGIBLE:
            for code in prepared.facts:  # in the order the rule uses them
                if code in missing:
                    unanswered[code] = None
                    found.append(
                        (
                            Outcome.SUPERVISOR.severity,
                            index,
                            f"Not answered: {FACTS[code].question} — needed to check: "
                            f"{rule.reason}",
                        )
                    )
    if not found:
        exclusions = sum(1 for rule in rules if Outcome(rule.outcome) is not Outcome.ELIGIBLE)
        if exclusions == 0:
            reason = "The program has no exclusion rules."
        elif exclusions == 1:
            reason = "The program's one exclusion rule does not apply."
        else:
            reason = f"None of the program's {exclusions} exclusion rules apply."
        return Decision(Outcome.ELIGIBLE, (reason,), (), ())
    severity = max(item[0] for item in found)
    winner = next(o for o in Outcome if o.severity == severity)
    found.sort(key=lambda item: (-item[0], item[1]))  # stable: a rule's own order is kept
    reasons = tuple(dict.fromkeys(reason for _, _, reason in found))
    return Decision(winner, reasons, tuple(matched), tuple(unanswered))
