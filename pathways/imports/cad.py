"""Reading a dispatch (CAD) export of calls for service, through the mapping the program's
coordinator sets, in two streaming passes (`rows` is run once to check every call, then again
to import): memory stays flat for CSV and for JSON (ijson).

The mapping (JSON), our field ← their column:

    {
      "fields": {
        "incident_number": "IncidentNo",      required
        "received_at": "CallReceived",        required
        "nature_code": "NatureCode",          required
        "dispatched_at": "Dispatched",
        "on_scene_at": "OnScene",
        "cleared_at": "Cleared",
        "location": "Address",
        "disposition": "Dispo",
        "units": "Units"
      },
      "time_format": "%m/%d/%Y %H:%M:%S",     or "iso" (the default): ISO 8601
      "time_zone": "America/Chicago",         optional: times without an offset are in this
                                              zone (default: the program's)
      "community_response_codes": ["MH", "WELF"],   the nature codes routed to the team
      "units_separator": ";",                 optional, default ";"
      "records": "calls"                      JSON only: the key holding the list of calls
                                              (default: the file is the list)
    }

Only calls whose nature code is one of `community_response_codes` are imported; the others
are counted and left out."""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import json
import zoneinfo
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import ijson

from pathways.core.validators import text_problem
from pathways.imports.nemsis import counting
from pathways.imports.problems import Problems

REQUIRED = ("incident_number", "received_at", "nature_code")
OPTIONAL = ("dispatched_at", "on_scene_at", "cleared_at", "location", "disposition", "units")
FIELDS = (*REQUIRED, *OPTIONAL)
TIMES = ("received_at", "dispatched_at", "on_scene_at", "cleared_at")
MAPPING_KEYS = {
    "fields",
    "time_format",
    "time_zone",
    "community_response_codes",
    "units_separator",
    "records",
}
LIMITS = {"incident_number": 60, "nature_code": 30, "location": 200, "disposition": 60}
EARLIEST = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)


@dataclass(frozen=True)
class Mapping:
    fields: dict[str, str]
    time_format: str
    time_zone: str
    codes: frozenset[str]
    units_separator: str
    records: str


@dataclass(frozen=True)
class CallRow:
    line: int
    incident_number: str
    received_at: dt.datetime
    nature_code: str
    dispatched_at: dt.datetime | None
    on_scene_at: dt.datetime | None
    cleared_at: dt.datetime | None
    location: str
    disposition: str
    units: tuple[str, ...]


def mapping_problems(raw: Any) -> dict[str, str]:
    """What is wrong with a mapping (empty: nothing), by key."""
    if not isinstance(raw, dict):
        return {"mapping": 'The mapping must be a JSON object, e.g. {"fields": {...}}.'}
    errors: dict[str, str] = {}
    if unknown := sorted(set(raw) - MAPPING_KEYS):
        errors["mapping"] = f"Unknown key(s): {', '.join(unknown)}."
    fields = raw.get("fields")
    if not isinstance(fields, dict):
        errors["fields"] = 'Name the export\'s column for each field under "fields".'
    else:
        if unknown := sorted(set(fields) - set(FIELDS)):
            errors["fields"] = f"Not a field Pathways imports: {', '.join(unknown)}."
        elif missing := [f for f in REQUIRED if not str(fields.get(f) or "").strip()]:
            errors["fields"] = f"Name the column for: {', '.join(missing)}."
        elif any(not isinstance(v, str) for v in fields.values()):
            errors["fields"] = "Each column is named by a string."
    time_format = raw.get("time_format", "iso")
    if not isinstance(time_format, str) or not time_format.strip():
        errors["time_format"] = 'Write "iso" or a strftime format such as %m/%d/%Y %H:%M.'
    elif time_format != "iso" and "%" not in time_format:
        errors["time_format"] = 'Not a time format: use "iso" or codes such as %Y-%m-%d %H:%M.'
    zone = raw.get("time_zone", "")
    if zone:
        try:
            zoneinfo.ZoneInfo(str(zone))
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            errors["time_zone"] = "Not a time zone name such as America/Chicago."
    codes = raw.get("community_response_codes")
    if (
        not isinstance(codes, list)
        or not codes
        or any(not isinstance(c, str) or not c.strip() for c in codes)
    ):
        errors["community_response_codes"] = (
            'List the nature codes that are community response calls, e.g. ["MH", "WELF"].'
        )
    sep = raw.get("units_separator", ";")
    if not isinstance(sep, str) or len(sep) != 1:
        errors["units_separator"] = 'The units separator is one character, e.g. ";".'
    records = raw.get("records", "")
    if not isinstance(records, str):
        errors["records"] = "Name the key that holds the list of calls, or leave it out."
    return errors


def parse_mapping(raw: Any, *, default_zone: str) -> Mapping:
    """A checked mapping (call `mapping_problems` first)."""
    return Mapping(
        fields={k: v.strip() for k, v in raw["fields"].items() if v.strip()},
        time_format=raw.get("time_format", "iso"),
        time_zone=raw.get("time_zone") or default_zone,
        codes=frozenset(c.strip().upper() for c in raw["community_response_codes"]),
        units_separator=raw.get("units_separator", ";"),
        records=raw.get("records", ""),
    )


def mapping_from_text(text: str) -> Any:
    """The mapping's JSON, or a ValueError with a message for the coordinator."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"The mapping is not valid JSON (line {exc.lineno}).") from exc


def _records(
    path: Path, mapping: Mapping, problems: Problems, on_read: Callable[[int], None] | None
) -> Iterator[tuple[int, dict[str, str]]]:
    """(line or record number, {column: text}) for each record of the file."""
    with path.open("rb") as raw:
        counted: Any = counting(raw, on_read) if on_read is not None else raw
        if path.suffix.lower() == ".json":
            prefix = f"{mapping.records}.item" if mapping.records else "item"
            try:
                for number, record in enumerate(ijson.items(counted, prefix), start=1):
                    if not isinstance(record, dict):
                        problems.add(number, "", "A call is not a JSON object.")
                        continue
                    yield number, {str(k): "" if v is None else str(v) for k, v in record.items()}
            except ijson.JSONError:
                problems.add(0, "", "The file is not valid JSON.")
            return
        reader = codecs.getreader("utf-8-sig")(counted)
        try:
            lines = csv.reader(reader)
            header = next(lines, None)
            if header is None:
                problems.add(0, "", "The file is empty: the first line must name the columns.")
                return
            names = [h.strip() for h in header]
            missing = [
                f"{column} ({name})"
                for name, column in mapping.fields.items()
                if column not in names
            ]
            if missing:
                problems.add(1, "", f"Missing column(s) the mapping names: {', '.join(missing)}.")
                return
            for line, cells in enumerate(lines, start=2):
                if not any(c.strip() for c in cells):
                    continue
                yield line, {n: (cells[i] if i < len(cells) else "") for i, n in enumerate(names)}
        except UnicodeDecodeError:
            problems.add(0, "", "The file is not UTF-8 text. Save it as 'CSV UTF-8'.")
        except csv.Error as exc:
            problems.add(0, "", f"The CSV file is malformed ({type(exc).__name__}).")


def _time(text: str, mapping: Mapping) -> dt.datetime | None:
    text = text.strip()
    zone = zoneinfo.ZoneInfo(mapping.time_zone)
    try:
        if mapping.time_format == "iso":
            moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
        else:
            moment = dt.datetime.strptime(text, mapping.time_format)  # noqa: DTZ007
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    return moment.astimezone(dt.UTC)


@dataclass
class Tally:
    records: int = 0
    community_response: int = 0


def rows(
    path: Path,
    mapping: Mapping,
    problems: Problems,
    *,
    now: dt.datetime,
    tally: Tally | None = None,
    on_read: Callable[[int], None] | None = None,
) -> Iterator[CallRow]:
    """The file's community response calls, checked; every problem goes to `problems` (by
    line and column, never the value)."""
    counts = tally if tally is not None else Tally()
    columns = mapping.fields
    for line, record in _records(path, mapping, problems, on_read):
        counts.records += 1

        def value(name: str, record: dict[str, str] = record) -> str:
            column = columns.get(name)
            return " ".join(record.get(column, "").split()) if column else ""

        if value("nature_code").upper() not in mapping.codes:
            continue
        counts.community_response += 1
        ok = True

        def problem(name: str, message: str, line: int = line) -> None:
            nonlocal ok
            ok = False
            problems.add(line, columns.get(name, name), message)

        for name in REQUIRED:
            if not value(name):
                problem(name, "Required: this call has no value.")
        for name, limit in LIMITS.items():
            text = value(name)
            if text and (issue := text_problem(text, label=name, max_length=limit, one_line=True)):
                problem(name, issue.replace(text, "…"))
        times: dict[str, dt.datetime | None] = {}
        for name in TIMES:
            text = value(name)
            times[name] = _time(text, mapping) if text else None
            if text and times[name] is None:
                problem(name, f"Not a time in the mapping's format ({mapping.time_format}).")
        received = times["received_at"]
        if received is not None:
            if received > now + dt.timedelta(minutes=5):
                problem("received_at", "This time is in the future.")
            elif received < EARLIEST:
                problem("received_at", "Calls before 2000 are not imported.")
            for name in ("dispatched_at", "on_scene_at", "cleared_at"):
                later = times[name]
                if later is not None and later < received:
                    problem(name, "This time is before the call was received.")
        if not ok or received is None:
            continue
        units = tuple(
            u.strip()[:20] for u in value("units").split(mapping.units_separator) if u.strip()
        )
        yield CallRow(
            line=line,
            incident_number=value("incident_number"),
            received_at=received,
            nature_code=value("nature_code").upper(),
            dispatched_at=times["dispatched_at"],
            on_scene_at=times["on_scene_at"],
            cleared_at=times["cleared_at"],
            location=value("location"),
            disposition=value("disposition"),
            units=units[:20],
        )
