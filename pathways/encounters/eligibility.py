"""The eligibility questions a pathway's rules ask at the contact, and the decision."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from decimal import Decimal
from typing import Any

from django import forms

from pathways.eligibility.facts import FACTS, Fact, FactType
from pathways.eligibility.rules import Decision, RuleSpec, evaluate, facts_used, validate_rules
from pathways.programs.models import PathwayConfig, Program

#: rule-engine's value for each ``datetime.weekday()`` (the ``weekday`` fact's choices).
WEEKDAYS = FACTS["weekday"].choice_values

UNKNOWN = ""
YES_NO = [("yes", "Yes"), ("no", "No"), (UNKNOWN, "Don't know")]


def rules_of(config: PathwayConfig | None) -> list[RuleSpec]:
    """The configuration's rules (validated when the version was saved)."""
    return validate_rules(config.rules) if config is not None and config.rules else []


#: Facts the held-charge section of the form answers (the charge's own fields, prefix "charge"):
#: when the form has that section they are taken from the charge and never asked twice.
CHARGE_FACTS = ("offence_type", "offence_level")


def asked_facts(rules: list[RuleSpec], *, with_charge: bool = False) -> list[Fact]:
    """The questions the officer answers: the facts the rules use, less those computed and,
    when the form has the charge section, less those the charge answers."""
    skip = CHARGE_FACTS if with_charge else ()
    return [
        FACTS[code] for code in facts_used(rules) if not FACTS[code].derived and code not in skip
    ]


def charge_answers(data: Any, prefix: str = "charge") -> dict[str, Any]:
    """The offence facts as the charge section's raw fields give them (None when not chosen or
    not a known value), for the live check."""
    answers: dict[str, Any] = {}
    for code in CHARGE_FACTS:
        value = data.get(f"{prefix}-{code}") if data is not None else None
        answers[code] = value if value in FACTS[code].choice_values else None
    return answers


class YesNoField(forms.TypedChoiceField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(
            choices=YES_NO,
            coerce=lambda v: {"yes": True, "no": False}.get(v),
            empty_value=None,
            required=False,
            widget=forms.RadioSelect,
            **kwargs,
        )


def fact_field(fact: Fact) -> forms.Field:
    """A form field for one question. Every question may be left as "don't know": an unknown
    answer that a rule needs sends the decision to a supervisor."""
    if fact.type == FactType.BOOLEAN:
        return YesNoField(label=fact.question)
    if fact.type == FactType.NUMBER:
        return forms.DecimalField(
            label=fact.question,
            required=False,
            min_value=Decimal(0),
            max_value=Decimal(100000),
            max_digits=9,
            decimal_places=2,
            help_text=f"In {fact.unit}. Leave empty if not known." if fact.unit else "",
            widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}),
            error_messages={
                "invalid": "Enter a number, or leave it empty if not known.",
                "min_value": "Enter zero or more.",
                "max_value": "That number is too large.",
            },
        )
    return forms.TypedChoiceField(
        label=fact.question,
        required=False,
        choices=[(UNKNOWN, "Don't know"), *fact.choices],
        empty_value=None,
    )


def age_on(born: dt.date | None, on: dt.date) -> int | None:
    if born is None:
        return None
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def decide(
    rules: list[RuleSpec],
    answers: dict[str, Any],
    born: dt.date | None,
    occurred_at: dt.datetime,
    program: Program,
) -> Decision:
    """Evaluate the rules with the officer's answers and the computed facts."""
    local = occurred_at.astimezone(zoneinfo.ZoneInfo(program.time_zone))
    facts: dict[str, Any] = {
        code: (float(value) if isinstance(value, Decimal) else value)
        for code, value in answers.items()
    }
    facts["age"] = age_on(born, local.date())
    facts["weekday"] = WEEKDAYS[local.weekday()]
    facts["local_hour"] = float(local.hour)
    return evaluate(rules, facts)


def stored_answers(answers: dict[str, Any]) -> dict[str, Any]:
    """Answers as JSON (numbers as numbers, unknown as null)."""
    return {k: (float(v) if isinstance(v, Decimal) else v) for k, v in answers.items()}


class EligibilityCheckForm(forms.Form):
    """The questions alone, for the live check while the officer answers."""

    date_of_birth = forms.DateField(required=False)

    def __init__(
        self, *args: Any, rules: list[RuleSpec], with_charge: bool = False, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.rules = rules
        self.with_charge = with_charge
        for fact in asked_facts(rules, with_charge=with_charge):
            self.fields[f"fact_{fact.code}"] = fact_field(fact)

    def decision(self, program: Program, now: dt.datetime) -> Decision | None:
        if not self.rules or not self.is_valid():
            return None
        answers = {
            name.removeprefix("fact_"): value
            for name, value in self.cleaned_data.items()
            if name.startswith("fact_")
        }
        if self.with_charge:
            answers.update(charge_answers(self.data))
        return decide(self.rules, answers, self.cleaned_data["date_of_birth"], now, program)
