"""Reading a file of arrest records (CSV or XLSX) into typed rows, with every problem reported
by line and column so the office can fix the file and send it again. A file with any problem
imports nothing (see `services.arrest_records_import`).

The columns, by header (any order, any case; other columns are ignored and named back):

    record_number  required  the source system's number for this arrest
    arrested_at    required  date and time, local to the program (2026-03-04 14:30), or ISO 8601
                             with an offset
    id_system      required  whose number id_number is: rms, booking, state_id, court, ... (the
                             identifier systems of a person's record)
    id_number      required  the arrested person's number in that system
    agency         optional  the arresting agency, by its name or short name in Pathways
    area           optional  beat, district or ZIP (as contacts record it)
    booked         optional  yes / no (blank: no)
    charge_level   optional  felony, misdemeanor, violation (ordinance), unknown
    date_of_birth  optional  YYYY-MM-DD
    sex            optional  female, male, x, unknown (or F / M)
    race           optional  one OMB code or label (white, black, asian, ...)
    ethnicity      optional  hispanic, not_hispanic, unknown
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import uuid
import zoneinfo
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from pathways.accounts.models import Agency, AgencyKind
from pathways.core import clock
from pathways.core.validators import text_problem
from pathways.linkage.models import ChargeLevel
from pathways.people.models import Ethnicity, IdentifierSystem, Race, Sex
from pathways.programs.models import Program

MAX_BYTES = 20 * 1024 * 1024
MAX_ROWS = 100_000
#: Problems listed back at most; a file with more is usually the wrong file.
MAX_PROBLEMS = 200
REQUIRED = ("record_number", "arrested_at", "id_system", "id_number")
OPTIONAL = (
    "agency",
    "area",
    "booked",
    "charge_level",
    "date_of_birth",
    "sex",
    "race",
    "ethnicity",
)
COLUMNS = (*REQUIRED, *OPTIONAL)
EARLIEST_BIRTH = dt.date(1900, 1, 1)
EARLIEST_ARREST = dt.date(1990, 1, 1)  # in the program's zone
YES = {"yes", "y", "true", "1"}
NO = {"no", "n", "false", "0", ""}
SEX_SHORT = {"f": Sex.FEMALE.value, "m": Sex.MALE.value, "u": Sex.UNKNOWN.value}


@dataclass(frozen=True)
class ArrestRow:
    """One arrest as the import service takes it (already checked and typed)."""

    line: int  # in the file (the header is line 1)
    record_number: str
    arrested_at: dt.datetime  # UTC
    id_system: str
    id_number: str
    agency_id: uuid.UUID | None = None
    area: str = ""
    booked: bool = False
    charge_level: str = ChargeLevel.UNKNOWN.value
    date_of_birth: dt.date | None = None
    sex: str = Sex.UNKNOWN.value
    race: str = ""
    ethnicity: str = Ethnicity.UNKNOWN.value


@dataclass(frozen=True)
class Problem:
    line: int  # 0: the file as a whole
    column: str
    message: str

    def __str__(self) -> str:
        where = f"Line {self.line}" if self.line else "The file"
        column = f", {self.column}" if self.column else ""
        return f"{where}{column}: {self.message}"


@dataclass
class ParsedFile:
    rows: list[ArrestRow] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    more_problems: int = 0  # beyond MAX_PROBLEMS

    def add(self, problem: Problem) -> None:
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(problem)
        else:
            self.more_problems += 1

    @property
    def ok(self) -> bool:
        return not self.problems and not self.more_problems


def _lookup(choices: Iterable[tuple[str, Any]]) -> dict[str, str]:
    """Codes and labels, lower-cased, to codes."""
    table: dict[str, str] = {}
    for value, label in choices:
        table[str(value).lower()] = str(value)
        table[str(label).lower()] = str(value)
    return table


SYSTEMS = _lookup(IdentifierSystem.choices)
SYSTEM_CODES = ", ".join(code for code, _ in IdentifierSystem.choices)
LEVELS = {
    **_lookup(ChargeLevel.choices),
    "f": "felony",
    "m": "misdemeanor",
    "ordinance": "violation",
}
SEXES = {**_lookup(Sex.choices), **SEX_SHORT}
RACES = _lookup((v, label) for v, label in Race.choices if v != Race.DECLINED)
ETHNICITIES = _lookup(Ethnicity.choices)


def _agencies(program: Program) -> dict[str, uuid.UUID]:
    """The program's law-enforcement agencies by name and short name, lower-cased."""
    found: dict[str, uuid.UUID] = {}
    for agency in Agency.objects.active().filter(program=program, kind=AgencyKind.LAW_ENFORCEMENT):
        found[agency.name.strip().lower()] = agency.id
        if agency.short_name:
            found[agency.short_name.strip().lower()] = agency.id
    return found


def _time(value: str, zone: zoneinfo.ZoneInfo) -> dt.datetime | None:
    text = value.strip().replace("T", " ").removesuffix("Z")
    if not text:
        return None
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    if value.strip().endswith("Z"):
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


# a long narrative column is left out, not a reason to refuse the file
csv.field_size_limit(MAX_BYTES)


def _csv_lines(data: bytes) -> Iterator[list[str]] | str:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return "The file is not UTF-8 text. Save it as 'CSV UTF-8' and import it again."
    return csv.reader(io.StringIO(text, newline=""))


def _xlsx_lines(data: bytes) -> Iterator[list[str]] | str:
    import openpyxl  # only for spreadsheets

    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds for a damaged file
        return "The file could not be read as an Excel workbook (.xlsx)."
    try:  # a read-only workbook reads its sheet only now: damage shows here
        rows = [[_cell(v) for v in row] for row in book.worksheets[0].iter_rows(values_only=True)]
    except Exception:  # as above
        return "The file could not be read as an Excel workbook (.xlsx)."
    finally:
        book.close()
    return iter(rows)


def read_file(name: str, data: bytes, *, program: Program) -> ParsedFile:
    """Check every row of the file and return the typed rows (or the problems)."""
    parsed = ParsedFile()
    if len(data) > MAX_BYTES:
        parsed.add(Problem(0, "", f"The file is larger than {MAX_BYTES // (1024 * 1024)} MB."))
        return parsed
    lower = name.lower()
    if lower.endswith(".csv"):
        lines = _csv_lines(data)
    elif lower.endswith(".xlsx"):
        lines = _xlsx_lines(data)
    else:
        parsed.add(Problem(0, "", "Import a .csv or .xlsx file."))
        return parsed
    if isinstance(lines, str):
        parsed.add(Problem(0, "", lines))
        return parsed
    try:
        _read_lines(lines, parsed, program)
    except csv.Error as exc:
        parsed.add(Problem(0, "", f"The CSV file is malformed ({exc})."))
    if parsed.problems:
        parsed.rows = []
    return parsed


def _read_lines(lines: Iterator[list[str]], parsed: ParsedFile, program: Program) -> None:
    header = next(lines, None)
    if header is None or not any(cell.strip() for cell in header):
        parsed.add(Problem(0, "", "The file is empty: the first line must name the columns."))
        return
    names = [cell.strip().lower().replace(" ", "_") for cell in header]
    missing = [c for c in REQUIRED if c not in names]
    if missing:
        parsed.add(Problem(1, "", f"Missing column(s): {', '.join(missing)}."))
        return
    repeated = sorted({n for n in names if n in COLUMNS and names.count(n) > 1})
    if repeated:
        parsed.add(Problem(1, "", f"Column(s) named twice: {', '.join(repeated)}."))
        return
    parsed.ignored_columns = [n for n in names if n and n not in COLUMNS]
    index = {n: i for i, n in enumerate(names) if n in COLUMNS}
    zone = zoneinfo.ZoneInfo(program.time_zone)
    agencies = _agencies(program)
    seen: dict[str, int] = {}
    for line, cells in enumerate(lines, start=2):
        if not any(str(c).strip() for c in cells):
            continue  # blank lines (spreadsheets often end with some)
        if len(parsed.rows) >= MAX_ROWS:
            parsed.add(Problem(0, "", f"The file has more than {MAX_ROWS:,} records; split it."))
            return
        values = {n: (str(cells[i]).strip() if i < len(cells) else "") for n, i in index.items()}
        row = _row(line, values, parsed, zone, agencies)
        if row is None:
            continue
        if row.record_number in seen:
            parsed.add(
                Problem(
                    line,
                    "record_number",
                    f"The same record number is also on line {seen[row.record_number]}.",
                )
            )
            continue
        seen[row.record_number] = line
        parsed.rows.append(row)
    if not parsed.rows and not parsed.problems:
        parsed.add(Problem(0, "", "The file has no records under its header line."))


def _row(
    line: int,
    v: dict[str, str],
    parsed: ParsedFile,
    zone: zoneinfo.ZoneInfo,
    agencies: dict[str, uuid.UUID],
) -> ArrestRow | None:
    problems: list[Problem] = []

    def problem(column: str, message: str) -> None:
        problems.append(Problem(line, column, message))

    for column, limit in (("record_number", 100), ("id_number", 100), ("area", 40)):
        label = column.replace("_", " ")
        text = v.get(column, "")
        if text and (issue := text_problem(text, label=label, max_length=limit, one_line=True)):
            problem(column, issue)
    for column in REQUIRED:
        if not v.get(column):
            problem(column, "Required: this line has no value.")
    arrested_at = None
    if v.get("arrested_at"):
        arrested_at = _time(v["arrested_at"], zone)
        if arrested_at is None:
            problem("arrested_at", "Not a date and time; write it as 2026-03-04 14:30.")
        elif arrested_at > clock.now():
            problem("arrested_at", "This time is in the future.")
        elif arrested_at.astimezone(zone).date() < EARLIEST_ARREST:
            problem("arrested_at", "Arrests before 1990 are not imported.")
    system = ""
    if v.get("id_system"):
        system = SYSTEMS.get(v["id_system"].lower(), "")
        if not system:
            problem(
                "id_system",
                f"Not an identifier system: use one of {SYSTEM_CODES}.",
            )
    agency_id = None
    if v.get("agency"):
        agency_id = agencies.get(v["agency"].lower())
        if agency_id is None:
            problem(
                "agency", f"No law-enforcement agency of the program is called {v['agency']!r}."
            )
    booked = v.get("booked", "").lower()
    if booked not in YES | NO:
        problem("booked", "Write yes or no.")
    level = LEVELS.get(v.get("charge_level", "").lower() or "unknown", "")
    if not level:
        problem("charge_level", "Use felony, misdemeanor, violation or unknown.")
    born = None
    if v.get("date_of_birth"):
        try:
            born = dt.date.fromisoformat(v["date_of_birth"][:10])
        except ValueError:
            problem("date_of_birth", "Not a date; write it as 1985-07-14.")
        else:
            if born > clock.local_date(str(zone)):
                problem("date_of_birth", "This birth date is in the future.")
            elif born < EARLIEST_BIRTH:
                problem("date_of_birth", "This birth date is before 1900.")
            elif arrested_at is not None and born > arrested_at.astimezone(zone).date():
                problem("date_of_birth", "This birth date is after the arrest.")
    sex = SEXES.get(v.get("sex", "").lower() or "unknown", "")
    if not sex:
        problem("sex", "Use female, male, x or unknown.")
    race = ""
    if v.get("race"):
        race = RACES.get(v["race"].lower(), "")
        if not race:
            problem("race", "Not an OMB race code or label (white, black, asian, ...).")
    ethnicity = ETHNICITIES.get(v.get("ethnicity", "").lower() or "unknown", "")
    if not ethnicity:
        problem("ethnicity", "Use hispanic, not_hispanic or unknown.")
    for p in problems:
        parsed.add(p)
    if problems or arrested_at is None:
        return None
    return ArrestRow(
        line=line,
        record_number=v["record_number"],
        arrested_at=arrested_at,
        id_system=system,
        id_number=v["id_number"],
        agency_id=agency_id,
        area=v.get("area", ""),
        booked=booked in YES,
        charge_level=level,
        date_of_birth=born,
        sex=sex,
        race=race,
        ethnicity=ethnicity,
    )


def template_csv() -> str:
    """An empty file with the header line, for the office to fill in."""
    return ",".join(COLUMNS) + "\r\n"
