"""Reading an uploaded HSDS file: JSON (the Pathways directory, an HSDS API page of services, or
a list of services in the full view) or the zipped tabular data package. Nothing is written
here: the file becomes tables, or problems that say where it is wrong."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from dataclasses import dataclass, field

from pathways.directory.hsds.tables import Tables, flatten
from pathways.directory.hsds.validation import (
    TABLES,
    Problem,
    document_problems,
    row_problems,
    schema,
    typed_row,
    validator,
)

MAX_BYTES = 10 * 1024 * 1024
MAX_UNZIPPED = 50 * 1024 * 1024
MAX_MEMBERS = 50
MAX_ROWS = 50_000
PATHS = {schema(t)["x-hsds-path"]: t for t in TABLES} | {"addresss.csv": "address"}


@dataclass
class ParsedFile:
    kind: str
    tables: Tables = field(default_factory=Tables)
    problems: list[Problem] = field(default_factory=list)

    @property
    def fatal(self) -> bool:
        return any(p.fatal for p in self.problems)


def _refuse(kind: str, message: str) -> ParsedFile:
    return ParsedFile(kind, problems=[Problem("file", "", "", "", message)])


def read_file(name: str, data: bytes) -> ParsedFile:
    """The tables of an HSDS file, or why it cannot be read. `data` may be one byte longer
    than the limit (that is how an oversized upload is told)."""
    if len(data) > MAX_BYTES:
        return _refuse("file", f"The file is larger than {MAX_BYTES // (1024 * 1024)} MB.")
    if not data.strip():
        return _refuse("file", "The file is empty.")
    if data[:4] == b"PK\x03\x04":
        return _read_package(data)
    return _read_json(data)


def _read_json(data: bytes) -> ParsedFile:
    try:
        doc = json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError:
        return _refuse("json", "The file is neither JSON (UTF-8 text) nor a zipped data package.")
    except json.JSONDecodeError as exc:
        return _refuse(
            "json",
            f"The file is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}.",
        )
    if isinstance(doc, list):
        schema_name, checked = "service_list", {"contents": doc}
    elif isinstance(doc, dict) and "contents" in doc:
        schema_name, checked = "service_list", doc
    elif isinstance(doc, dict) and ({"organizations", "services", "hsds_version"} & set(doc)):
        schema_name, checked = "directory", doc
    else:
        return _refuse(
            "json",
            "This JSON is not an HSDS directory: expected an object with 'hsds_version', "
            "'organizations' and 'services', an HSDS API page with 'contents', or a list of "
            "services.",
        )
    problems = document_problems(checked, schema_name)
    if problems:
        return ParsedFile("json", problems=problems)
    return ParsedFile("json", tables=flatten(doc))


def _resources(archive: zipfile.ZipFile, parsed: ParsedFile) -> dict[str, str]:
    """table → member path, from datapackage.json."""
    try:
        descriptor = json.loads(archive.read("datapackage.json").decode("utf-8-sig"))
    except KeyError:
        parsed.problems.append(
            Problem(
                "file",
                "",
                "",
                "",
                "The zip has no datapackage.json: it is not an HSDS tabular data package.",
            )
        )
        return {}
    except (UnicodeDecodeError, json.JSONDecodeError):
        parsed.problems.append(Problem("datapackage", "", "", "", "datapackage.json is not JSON."))
        return {}
    errors = list(validator("datapackage").iter_errors(descriptor))
    if errors:
        parsed.problems.append(
            Problem("datapackage", "", "", "", f"datapackage.json: {errors[0].message}")
        )
        return {}
    found: dict[str, str] = {}
    for resource in descriptor["resources"]:
        table = resource["name"] if resource["name"] in TABLES else PATHS.get(resource["path"])
        if table is None:
            parsed.problems.append(
                Problem(
                    resource["name"],
                    "",
                    "",
                    "",
                    "Pathways does not keep this table; it was not read.",
                    fatal=False,
                )
            )
            continue
        found[table] = resource["path"]
    return found


def _read_package(data: bytes) -> ParsedFile:
    parsed = ParsedFile("package")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except zipfile.BadZipFile:
        return _refuse("package", "The zip file is damaged and cannot be read.")
    if len(members) > MAX_MEMBERS or sum(m.file_size for m in members) > MAX_UNZIPPED:
        return _refuse(
            "package",
            f"The zip holds more than {MAX_MEMBERS} files or more than "
            f"{MAX_UNZIPPED // (1024 * 1024)} MB unpacked.",
        )
    with archive:
        for table, path in _resources(archive, parsed).items():
            _read_table(archive, table, path, parsed)
    return parsed


def _read_table(archive: zipfile.ZipFile, table: str, path: str, parsed: ParsedFile) -> None:
    try:
        text = archive.read(path).decode("utf-8-sig")
    except KeyError:
        parsed.problems.append(Problem(table, path, "", "", f"{path} is not in the zip."))
        return
    except UnicodeDecodeError:
        parsed.problems.append(Problem(table, path, "", "", f"{path} is not UTF-8 text."))
        return
    reader = csv.DictReader(io.StringIO(text))
    if "id" not in (reader.fieldnames or []):
        parsed.problems.append(Problem(table, path, "", "id", f"{path} has no 'id' column."))
        return
    for number, raw in enumerate(reader, start=2):
        if number - 1 > MAX_ROWS:
            parsed.problems.append(
                Problem(table, path, "", "", f"{path} has more than {MAX_ROWS:,} rows.")
            )
            return
        label = f"{path} row {number}"
        values, not_numbers = typed_row(table, raw)
        parsed.problems.extend(
            Problem(table, label, str(values.get("id", "")), f, f"{values[f]!r} is not a number.")
            for f in not_numbers
        )
        if not not_numbers:
            parsed.problems.extend(row_problems(table, label, values))
        parsed.tables.add(table, label, values)
