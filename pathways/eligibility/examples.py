"""Example rule sets a coordinator can start from, one JSON file each in ``examples/``.

They paraphrase public program descriptions; a program adopting one should check it against its
own agreement with the prosecutor and partners. Every file is checked when loaded: its rules
with :func:`~pathways.eligibility.rules.validate_rules`, the rest for shape."""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from importlib import resources
from typing import Any

from pathways.eligibility.rules import RuleError, RuleSpec, validate_rules

EXAMPLES_PACKAGE = "pathways.eligibility"
EXAMPLES_DIRECTORY = "examples"

_TEXT_FIELDS = ("code", "name", "description", "source", "pathway", "charges")
_FIELDS = (
    *_TEXT_FIELDS,
    "prosecutor_final_say",
    "deadlines",
    "deadline_ranges",
    "requirements",
    "rules",
)


@dataclass(frozen=True)
class RuleSetExample:
    code: str
    name: str
    description: str
    source: str
    """Where the rules come from, in a short plain sentence."""
    pathway: str
    """The PTACC pathway code (pathways.programs.models.PathwayCode)."""
    charges: str
    """How charges are handled (pathways.programs.models.ChargeMode)."""
    prosecutor_final_say: bool
    deadlines: dict[str, int]
    deadline_ranges: dict[str, tuple[int, int]]
    """The range the program's model allows for each deadline, inclusive."""
    requirements: list[dict[str, Any]]
    """Service-plan requirement templates: ``kind``, ``description``, ``due_days``, ..."""
    rules: list[RuleSpec]


class ExampleError(ValueError):
    """An example file that is malformed (a developer's mistake, found by the tests)."""


def _example(name: str, data: Any) -> RuleSetExample:
    def fail(problem: str) -> ExampleError:
        return ExampleError(f"Example {name}: {problem}")

    if not isinstance(data, dict):
        raise fail("the file must hold a JSON object.")
    if missing := [field for field in _FIELDS if field not in data]:
        raise fail(f"missing {', '.join(missing)}.")
    if unexpected := sorted(set(data) - set(_FIELDS)):
        raise fail(f"unexpected {', '.join(unexpected)}.")
    for field in _TEXT_FIELDS:
        if not isinstance(data[field], str) or not data[field].strip():
            raise fail(f"{field} must be non-empty text.")
    if f"{data['code']}.json" != name:
        raise fail(f"code {data['code']!r} does not match the file name.")
    if not isinstance(data["prosecutor_final_say"], bool):
        raise fail("prosecutor_final_say must be true or false.")

    deadlines = data["deadlines"]
    if not isinstance(deadlines, dict) or not all(
        isinstance(v, int) and not isinstance(v, bool) for v in deadlines.values()
    ):
        raise fail("deadlines must map each deadline to a whole number.")
    ranges_raw = data["deadline_ranges"]
    if not isinstance(ranges_raw, dict):
        raise fail("deadline_ranges must map each deadline to [lowest, highest].")
    ranges: dict[str, tuple[int, int]] = {}
    for code, pair in ranges_raw.items():
        if not (
            isinstance(pair, list)
            and len(pair) == 2
            and all(isinstance(v, int) and not isinstance(v, bool) for v in pair)
            and pair[0] <= pair[1]
        ):
            raise fail(f"deadline_ranges[{code!r}] must be [lowest, highest].")
        ranges[code] = (pair[0], pair[1])
    for code, value in deadlines.items():
        if code in ranges and not ranges[code][0] <= value <= ranges[code][1]:
            raise fail(f"deadline {code} = {value} is outside its range {list(ranges[code])}.")

    requirements = data["requirements"]
    if not isinstance(requirements, list) or not all(
        isinstance(r, dict)
        and isinstance(r.get("kind"), str)
        and isinstance(r.get("description"), str)
        and r["description"].strip()
        for r in requirements
    ):
        raise fail("each requirement needs a kind and a description.")

    try:
        rules = validate_rules(data["rules"])
    except RuleError as exc:
        raise fail(str(exc)) from exc

    return RuleSetExample(
        code=data["code"],
        name=data["name"],
        description=data["description"],
        source=data["source"],
        pathway=data["pathway"],
        charges=data["charges"],
        prosecutor_final_say=data["prosecutor_final_say"],
        deadlines=dict(deadlines),
        deadline_ranges=ranges,
        requirements=[dict(r) for r in requirements],
        rules=rules,
    )


@functools.cache
def _load() -> tuple[RuleSetExample, ...]:
    directory = resources.files(EXAMPLES_PACKAGE).joinpath(EXAMPLES_DIRECTORY)
    files = sorted(
        (entry for entry in directory.iterdir() if entry.name.endswith(".json")),
        key=lambda entry: entry.name,
    )
    return tuple(_example(entry.name, json.loads(entry.read_text("utf-8"))) for entry in files)


def example_rule_sets() -> dict[str, RuleSetExample]:
    """Every example, by code, in code order. Loaded once; treat the examples as read-only."""
    return {example.code: example for example in _load()}


def examples_for_pathway(code: str) -> list[RuleSetExample]:
    """The examples written for one PTACC pathway, e.g. ``"officer_intervention"``."""
    return [example for example in _load() if example.pathway == code]
