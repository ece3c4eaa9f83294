"""The catalog of facts an eligibility rule may use: what an officer or staff member can be
asked at a contact, and the few facts the system works out itself (age from date of birth).

A rule's condition refers to facts by ``code``; the question is what the person answering sees.
Questions use neutral, person-first language."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import rule_engine  # type: ignore[import-untyped]


class FactType(StrEnum):
    BOOLEAN = "boolean"
    NUMBER = "number"
    CHOICE = "choice"

    @property
    def label(self) -> str:
        """How the kind of answer is described to a coordinator."""
        return {"boolean": "yes/no", "number": "number", "choice": "choice"}[self.value]


@dataclass(frozen=True)
class Fact:
    code: str
    """Identifier used in rule conditions, e.g. ``drug_grams``."""
    label: str
    """Short label, e.g. "Drugs in possession (grams)"."""
    question: str
    """What the officer or staff member is asked, in plain English."""
    type: FactType
    choices: tuple[tuple[str, str], ...] = ()
    """(value, label) pairs for a CHOICE fact."""
    unit: str = ""
    derived: bool = False
    """True for facts the system computes (age from date of birth); they are never asked."""

    @property
    def choice_values(self) -> tuple[str, ...]:
        return tuple(value for value, _ in self.choices)

    def choice_label(self, value: str) -> str:
        return dict(self.choices).get(value, value)


_DRUG_TYPES = (
    ("heroin", "Heroin"),
    ("fentanyl", "Fentanyl"),
    ("methamphetamine", "Methamphetamine"),
    ("cocaine", "Cocaine (including crack)"),
    ("prescription_opiate_pills", "Prescription opioid pills"),
    ("cannabis", "Cannabis"),
    ("other", "Another drug"),
    ("none", "No drugs"),
)

_OFFENCE_LEVELS = (
    ("none", "No offense"),
    ("civil_infraction", "Civil infraction"),
    ("misdemeanour", "Misdemeanor"),
    ("felony", "Felony"),
)

_OFFENCE_TYPES = (
    ("none", "No offense"),
    ("drug_possession", "Drug possession"),
    ("prostitution", "Prostitution"),
    ("theft", "Theft, including retail theft"),
    ("trespass", "Trespass"),
    ("disorderly_conduct", "Disorderly conduct"),
    ("criminal_mischief", "Criminal mischief (damage to property)"),
    ("battery", "Battery or another violent offense"),
    ("injunction_violation", "Violation of an injunction"),
    ("stalking", "Stalking"),
    ("dui", "Driving under the influence (DUI)"),
    ("animal_cruelty", "Animal cruelty"),
    ("other", "Another offense"),
)

_WEEKDAYS = (
    ("monday", "Monday"),
    ("tuesday", "Tuesday"),
    ("wednesday", "Wednesday"),
    ("thursday", "Thursday"),
    ("friday", "Friday"),
    ("saturday", "Saturday"),
    ("sunday", "Sunday"),
)

_B, _N, _C = FactType.BOOLEAN, FactType.NUMBER, FactType.CHOICE

FACTS: dict[str, Fact] = {
    fact.code: fact
    for fact in (
        Fact(
            "age",
            "Age (from date of birth)",
            "How old is the person?",
            _N,
            unit="years",
            derived=True,
        ),
        Fact(
            "weekday",
            "Day of the week (of the contact, local time)",
            "What day of the week is it?",
            _C,
            choices=_WEEKDAYS,
            derived=True,
        ),
        Fact(
            "local_hour",
            "Hour of the day (of the contact, local time, 0–23)",
            "What hour of the day is it?",
            _N,
            unit="h",
            derived=True,
        ),
        Fact(
            "drug_grams",
            "Drugs in possession (grams)",
            "About how many grams of drugs does the person have with them?",
            _N,
            unit="g",
        ),
        Fact(
            "drug_type",
            "Type of drug",
            "What type of drug does the person have with them?",
            _C,
            choices=_DRUG_TYPES,
        ),
        Fact(
            "dealing_above_subsistence",
            "Selling beyond subsistence level",
            "Is there evidence the person sells drugs for profit, beyond small sales to meet "
            "their own basic needs?",
            _B,
        ),
        Fact(
            "exploits_minors",
            "Exploiting minors",
            "Is there evidence the person exploits minors (people under 18), for example by "
            "involving them in selling drugs?",
            _B,
        ),
        Fact(
            "promotes_prostitution",
            "Promoting prostitution",
            "Is there evidence the person promotes or profits from the prostitution of others?",
            _B,
        ),
        Fact(
            "outstanding_warrant",
            "Outstanding warrant",
            "Does the person have an outstanding warrant?",
            _B,
        ),
        Fact(
            "officer_safety_risk",
            "Safety risk",
            "Is there a current risk to the safety of officers or staff?",
            _B,
        ),
        Fact(
            "parent_consent",
            "Parent or guardian consent",
            "If the person is under 18: has a parent or legal guardian given consent?",
            _B,
        ),
        Fact(
            "pending_drug_charges",
            "Pending drug charges",
            "Does the person have drug charges pending in court?",
            _B,
        ),
        Fact(
            "first_offence",
            "First offense",
            "Is this the person's first offense, with no earlier arrests or convictions?",
            _B,
        ),
        Fact(
            "violent_history",
            "History of violent offenses",
            "Does the person have a record of violent offenses?",
            _B,
        ),
        Fact(
            "prior_diversions",
            "Earlier diversions",
            "How many times has the person taken part in a diversion program before?",
            _N,
        ),
        Fact(
            "offence_level",
            "Level of offense",
            "What level of offense could the person be charged with?",
            _C,
            choices=_OFFENCE_LEVELS,
        ),
        Fact(
            "offence_type",
            "Type of offense",
            "What is the main offense the person could be charged with?",
            _C,
            choices=_OFFENCE_TYPES,
        ),
        Fact(
            "drug_screen_score",
            "Drug screening score",
            "What is the person's score on the program's brief drug screening tool?",
            _N,
        ),
        Fact(
            "needs_emergency_medical_care",
            "Needs emergency medical care",
            "Does the medical assessment show the person needs emergency medical care now?",
            _B,
        ),
        Fact(
            "in_crisis",
            "In crisis now",
            "Is the person in a mental health or substance use crisis right now?",
            _B,
        ),
    )
}


def fact_type_map() -> dict[str, rule_engine.DataType]:
    """Each fact's rule-engine data type, for a typed ``rule_engine.Context``."""
    types = {
        FactType.BOOLEAN: rule_engine.DataType.BOOLEAN,
        FactType.NUMBER: rule_engine.DataType.FLOAT,
        FactType.CHOICE: rule_engine.DataType.STRING,
    }
    return {code: types[fact.type] for code, fact in FACTS.items()}
