"""The HSDS 3.0 JSON Schemas (pathways/directory/hsds/schema/, written from the specification:
no package ships them) and the checks of a document or of one tabular row against them."""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError as SchemaError
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

SCHEMA_DIR = Path(__file__).resolve().parent / "schema"
BASE = "https://pathways.invalid/schema/hsds/3.0/"

#: The HSDS tables Pathways reads and writes, in the order a tabular package lists them.
TABLES = (
    "organization",
    "location",
    "address",
    "service",
    "service_at_location",
    "schedule",
    "language",
    "phone",
    "taxonomy_term",
    "attribute",
    "contact",
)


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a file: where (table, row, record id, field) and what. A fatal
    problem stops the whole import; another is reported and the value is left out."""

    table: str
    row: str
    record_id: str
    field: str
    message: str
    fatal: bool = True

    @property
    def severity(self) -> str:
        return "error" if self.fatal else "warning"


@functools.cache
def schema(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((SCHEMA_DIR / f"{name}.json").read_text("utf-8"))
    return loaded


@functools.cache
def _registry() -> Registry[Any]:
    resources = [
        (
            BASE + path.name,
            Resource.from_contents(schema(path.stem), default_specification=DRAFT202012),
        )
        for path in SCHEMA_DIR.glob("*.json")
    ]
    return Registry().with_resources(resources)


@functools.cache
def validator(name: str) -> Draft202012Validator:
    return Draft202012Validator(schema(name), registry=_registry())


def table_columns(table: str) -> list[str]:
    """The scalar fields of a table (its CSV columns), in the schema's order."""
    props: dict[str, Any] = schema(table)["properties"]
    return [k for k, v in props.items() if "$ref" not in v and v.get("type") != "array"]


@functools.cache
def table_validator(table: str) -> Draft202012Validator:
    """The schema of one row of the tabular format: the scalar fields, with the references
    the tabular format requires (x-tabular-required) required too."""
    full = schema(table)
    columns = table_columns(table)
    flat = {
        "type": "object",
        "properties": {k: full["properties"][k] for k in columns},
        "required": [*full["required"], *full.get("x-tabular-required", [])],
    }
    return Draft202012Validator(flat)


def _where(doc: Any, path: Iterable[Any]) -> tuple[str, str, str, str]:
    """(table, row, id, field) of a JSON path such as services/3/schedules/0/opens_at."""
    table, row, record_id, field = "document", "", "", ""
    node = doc
    parts: list[str] = []
    for step in path:
        if isinstance(step, int) and isinstance(node, list):
            node = node[step] if step < len(node) else None
            parts[-1:] = [f"{parts[-1] if parts else ''}[{step}]"]
            if isinstance(node, dict):
                table = _table_of(parts[-1].split("[")[0]) or table
                row, record_id, field = ".".join(parts), str(node.get("id", "")), ""
        else:
            node = node.get(step) if isinstance(node, dict) else None
            parts.append(str(step))
            field = str(step)
    return table, row, record_id, field


def _table_of(key: str) -> str | None:
    plural = {
        "organizations": "organization",
        "services": "service",
        "contents": "service",
        "locations": "location",
        "addresses": "address",
        "phones": "phone",
        "schedules": "schedule",
        "languages": "language",
        "service_at_locations": "service_at_location",
        "attributes": "attribute",
        "contacts": "contact",
    }
    return plural.get(key)


def _message(error: SchemaError) -> str:
    if error.validator == "required":
        return str(error.message).replace("is a required property", "is required")
    if error.validator == "enum":
        values: list[Any] = list(error.validator_value or [])  # type: ignore[arg-type]
        allowed = ", ".join(repr(v) for v in values if v is not None)
        return f"{error.instance!r} is not one of {allowed}."
    if error.validator == "type":
        return f"{error.instance!r} is not of type {error.validator_value}."
    return str(error.message)


def document_problems(doc: Any, schema_name: str, *, limit: int = 200) -> list[Problem]:
    """Every way `doc` breaks the named schema (at most `limit`), each placed in its table and
    row."""
    problems: list[Problem] = []
    errors = sorted(validator(schema_name).iter_errors(doc), key=lambda e: list(e.absolute_path))
    for error in errors[:limit]:
        path = list(error.absolute_path)
        table, row, record_id, field = _where(doc, path)
        if error.validator == "required" and isinstance(error.instance, dict):
            field = str(error.message).split("'")[1] if "'" in error.message else field
        problems.append(Problem(table, row or "document", record_id, field, _message(error)))
    return problems


def row_problems(table: str, row_label: str, values: Mapping[str, Any]) -> list[Problem]:
    """Every way one tabular row (already typed) breaks its table's schema."""
    problems = []
    record_id = str(values.get("id") or "")
    for error in table_validator(table).iter_errors(dict(values)):
        field = error.path[0] if error.path else ""
        if error.validator == "required" and "'" in error.message:
            field = error.message.split("'")[1]
        problems.append(Problem(table, row_label, record_id, str(field), _message(error)))
    return problems


def typed_row(table: str, raw: Mapping[str, str]) -> tuple[dict[str, Any], list[str]]:
    """A CSV row's values typed by its table's schema: empty cells are absent (blank, for a
    required text column), numbers are numbers. Returns the values and the fields whose text
    is not a number."""
    props: dict[str, Any] = schema(table)["properties"]
    required = set(schema(table)["required"])
    values: dict[str, Any] = {}
    bad: list[str] = []
    for key, text in raw.items():
        if key is None or text is None:
            continue
        if str(text).strip() == "":
            if key in required and "string" in str(props.get(key, {}).get("type")):
                values[key] = ""  # a required text column left blank (it may be)
            continue
        text = str(text).strip()
        kinds = props.get(key, {}).get("type", "string")
        kinds = kinds if isinstance(kinds, list) else [kinds]
        if "number" in kinds or "integer" in kinds:
            try:
                number = float(text)
            except ValueError:
                bad.append(key)
                values[key] = text
                continue
            values[key] = int(number) if number.is_integer() and "." not in text else number
        else:
            values[key] = text
    return values, bad
