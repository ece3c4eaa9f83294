"""The de-identified research extract (HIPAA Safe Harbor, 45 CFR 164.514(b)(2)) and the checker
every extract passes before it is offered.

Three tables, with the columns of :data:`DATA_DICTIONARY` and nothing else:

* ``people``: a pseudonym, sex, one race/ethnicity group, birth year (or "90 or older"), the age
  band at first contact and the first three digits of the ZIP code ("000" for the 3-digit ZIPs
  of 20,000 people or fewer).
* ``encounters``: pseudonyms, the pathway, the kind of agency (never its name), call source,
  presenting needs, disposition, the eligibility outcome, and the contact date as a **year**
  (Safe Harbor; the default) or, with ``dates="shift"``, as a date moved by a per-person offset
  of 1-180 days either way. Shifted dates are *not* Safe Harbor: it removes every element of a
  date except the year, so a shifted-date extract needs an expert determination
  (164.514(b)(1)) before it may be treated as de-identified.
* ``referrals``: pseudonyms, the service type, warm hand-off, final status, decline reason and
  the whole days from the contact to acceptance, intake and the end of the referral (intervals
  are not dates).

Names, aliases, birth dates, identifiers from other systems, addresses, locations, coordinates,
agency and service names, user accounts and every free-text field (notes, location, hand-off
notes, reasons) are never read for the extract, let alone written.

Pseudonyms are HMAC-SHA256 of the record's random database key under a secret key the program
keeps (the code is derived from nothing about the person and the key is never disclosed,
164.514(c)). The first 48 bits of the digest are spelled with sixteen consonants instead of hex
digits, so a pseudonym can never look like an SSN, a phone number, a ZIP code or a name, and the
checker can scan every cell without exempting any.

:func:`check_extract` does not trust :func:`build_extract`: it looks at the tables as they are
and reports each column or cell that is not what the dictionary allows or that looks like a
Safe Harbor identifier. :func:`export_or_refuse` builds, checks and raises
:class:`ExtractRefused` rather than hand out an extract with any problem. Problem messages never
repeat the offending value, so they can be shown and logged."""

from __future__ import annotations

import csv
import datetime as dt
import functools
import hashlib
import hmac
import io
import ipaddress
import re
import uuid
import zipfile
import zoneinfo
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import TypeAlias

from django.db.models import Prefetch, Q

from pathways.accounts.models import AgencyKind
from pathways.core import clock
from pathways.core.exports import safe_cell
from pathways.directory.models import ServiceType
from pathways.directory.vocabulary import Need
from pathways.eligibility.rules import Outcome
from pathways.encounters.models import CallSource, Disposition, Encounter
from pathways.people.models import Ethnicity, ExternalIdentifier, Person, PersonAlias, Race, Sex
from pathways.programs.models import PathwayCode, Program
from pathways.referrals.models import (
    DeclineReason,
    Referral,
    ReferralStatus,
    ReferralStatusChange,
)

Cell: TypeAlias = str | int | None
Row: TypeAlias = dict[str, Cell]

YEAR = "year"
SHIFT = "shift"
DATES_MODES = (YEAR, SHIFT)

NINETY_OR_OLDER = "90 or older"
UNKNOWN = "Unknown"
HISPANIC = "Hispanic or Latino"
TWO_OR_MORE = "Two or more races"
MAX_SHIFT_DAYS = 180
MIN_KEY_BYTES = 16

#: 3-digit ZIP prefixes whose population is 20,000 or fewer (HHS de-identification guidance,
#: 2000 Census); Safe Harbor replaces them with "000".
# fmt: off
RESTRICTED_ZIP3 = frozenset({
    "036", "059", "063", "102", "203", "556", "692", "790", "821",
    "823", "830", "831", "878", "879", "884", "890", "893",
})
# fmt: on

#: (lowest age, label) of the age bands, youngest first.
AGE_BANDS: tuple[tuple[int, str], ...] = (
    (0, "Under 18"),
    (18, "18-25"),
    (26, "26-35"),
    (36, "36-45"),
    (46, "46-55"),
    (56, "56-65"),
    (66, "66-75"),
    (76, "76-85"),
    (86, "86-89"),
    (90, NINETY_OR_OLDER),
)

#: Sixteen consonants (no vowels, no digits): a pseudonym spells no word and no number.
PSEUDONYM_LETTERS = "bcdfghjkmnpqrstv"
PSEUDONYM_LENGTH = 12
PSEUDONYM_PREFIXES = {"people": "P", "encounters": "E", "referrals": "R"}

TERMINAL_STATUSES = frozenset(
    {ReferralStatus.DECLINED, ReferralStatus.COMPLETED, ReferralStatus.DISENGAGED}
)


# --- The data dictionary ----------------------------------------------------------------------


class ColumnType(StrEnum):
    PSEUDONYM = "pseudonym"
    CODE = "code"
    CODES = "code list"
    YEAR = "year"
    INTEGER = "integer"
    DATE = "date"
    ZIP3 = "zip3"


_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")
_YEAR_RE = re.compile(r"\d{4}")
_INTEGER_RE = re.compile(r"-?\d{1,5}")
_ZIP3_RE = re.compile(r"\d{3}")


@dataclass(frozen=True)
class Column:
    """One column of the data dictionary."""

    name: str
    type: ColumnType
    description: str
    choices: tuple[str, ...] = ()
    format: str = ""
    blank: bool = False
    modes: frozenset[str] = frozenset(DATES_MODES)
    prefix: str = ""

    @property
    def allowed(self) -> str:
        """The allowed values (or the format), as the data dictionary file states them."""
        parts = []
        if self.format:
            parts.append(self.format)
        if self.choices:
            parts.append("; ".join(self.choices))
        if self.blank:
            parts.append("blank when not known or not reached")
        return " | ".join(parts)

    def accepts(self, text: str) -> bool:
        """Whether `text` is a value the dictionary allows in this column."""
        if text == "":
            return self.blank
        if self.type is ColumnType.PSEUDONYM:
            return (
                len(text) == len(self.prefix) + PSEUDONYM_LENGTH
                and text.startswith(self.prefix)
                and all(c in PSEUDONYM_LETTERS for c in text[len(self.prefix) :])
            )
        if self.type is ColumnType.CODE:
            return text in self.choices
        if self.type is ColumnType.CODES:
            parts = text.split(";")
            return all(p in self.choices for p in parts) and len(set(parts)) == len(parts)
        if self.type is ColumnType.YEAR:
            return text in self.choices or (
                _YEAR_RE.fullmatch(text) is not None and 1850 <= int(text) <= 2200
            )
        if self.type is ColumnType.INTEGER:
            return _INTEGER_RE.fullmatch(text) is not None
        if self.type is ColumnType.ZIP3:
            return _ZIP3_RE.fullmatch(text) is not None
        if self.type is ColumnType.DATE:
            return _valid_iso_date(text)
        return False  # pragma: no cover - every type is handled above

    def explains(self, text: str) -> bool:
        """A value the dictionary fully accounts for (a code, a year, a count, a 3-digit ZIP):
        it can carry no name and no number from another system. Pseudonyms are never taken on
        trust: they are checked against the known identifiers like any other text."""
        return self.type is not ColumnType.PSEUDONYM and self.accepts(text)


def _valid_iso_date(text: str) -> bool:
    if _DATE_RE.fullmatch(text) is None:
        return False
    try:
        dt.date.fromisoformat(text)
    except ValueError:
        return False
    return True


def _pseudonym_column(name: str, table: str, what: str) -> Column:
    prefix = PSEUDONYM_PREFIXES[table]
    return Column(
        name,
        ColumnType.PSEUDONYM,
        f"Study pseudonym of the {what}: the same {what} has the same value in every table of "
        "this extract, and another value in every other extract (each is made under its own "
        "secret key, never kept), so two extracts cannot be joined by pseudonym. Not "
        "reversible.",
        format=f'"{prefix}" and {PSEUDONYM_LENGTH} letters from "{PSEUDONYM_LETTERS}"',
        prefix=prefix,
    )


_RACE_GROUPS = (
    HISPANIC,
    *(label for value, label in Race.choices if value != Race.DECLINED),
    TWO_OR_MORE,
    UNKNOWN,
)

#: Every table and column of the extract: its type, what it means, and the values it may hold.
DATA_DICTIONARY: dict[str, tuple[Column, ...]] = {
    "people": (
        _pseudonym_column("study_id", "people", "person"),
        Column(
            "sex",
            ColumnType.CODE,
            "Sex as recorded by the program.",
            choices=tuple(Sex.values),
        ),
        Column(
            "race_ethnicity",
            ColumnType.CODE,
            'One group: "Hispanic or Latino" when the person is Hispanic or Latino, otherwise '
            'the one race they identify with, "Two or more races" for several, "Unknown" when '
            "none was recorded or the person declined.",
            choices=_RACE_GROUPS,
        ),
        Column(
            "birth_year",
            ColumnType.YEAR,
            f'Year of birth; "{NINETY_OR_OLDER}" when the person is 90 or older, or turns 90, in '
            "the year of the extract (Safe Harbor groups every age, and every year of birth "
            "that could show an age, over 89).",
            choices=(NINETY_OR_OLDER,),
            format="YYYY",
            blank=True,
        ),
        Column(
            "age_band_first_contact",
            ColumnType.CODE,
            "Age at the person's first contact in the extract (program's local date).",
            choices=tuple(label for _, label in AGE_BANDS),
            blank=True,
        ),
        Column(
            "zip3",
            ColumnType.ZIP3,
            'First three digits of the home ZIP code; "000" for the 3-digit ZIP areas of 20,000 '
            "people or fewer (HHS list).",
            format="3 digits",
            blank=True,
        ),
    ),
    "encounters": (
        _pseudonym_column("study_encounter_id", "encounters", "contact"),
        _pseudonym_column("study_id", "people", "person"),
        Column(
            "pathway",
            ColumnType.CODE,
            "The deflection pathway the contact was made under.",
            choices=tuple(PathwayCode.values),
        ),
        Column(
            "agency_kind",
            ColumnType.CODE,
            "Kind of agency that made the contact (never its name).",
            choices=tuple(AgencyKind.values),
        ),
        Column(
            "call_source",
            ColumnType.CODE,
            "How the contact started.",
            choices=tuple(CallSource.values),
        ),
        Column(
            "presenting_needs",
            ColumnType.CODES,
            "Needs the responder recorded, as codes joined with ';' (sorted).",
            choices=tuple(Need.values),
            format="code;code;...",
            blank=True,
        ),
        Column(
            "disposition",
            ColumnType.CODE,
            "Outcome of the contact.",
            choices=tuple(Disposition.values),
        ),
        Column(
            "eligibility_outcome",
            ColumnType.CODE,
            "What the program's eligibility rules decided; blank when no rules applied.",
            choices=tuple(o.value for o in Outcome),
            blank=True,
        ),
        Column(
            "contact_year",
            ColumnType.YEAR,
            "Year of the contact (program's local time).",
            format="YYYY",
            modes=frozenset({YEAR}),
        ),
        Column(
            "contact_date_shifted",
            ColumnType.DATE,
            "Date of the contact (program's local time) moved by a secret per-person offset of "
            f"1 to {MAX_SHIFT_DAYS} days, earlier or later; the same offset for every date of a "
            "person, so intervals within a person are exact. NOT a real date. Not Safe Harbor: "
            "needs an expert determination before release.",
            format="YYYY-MM-DD",
            modes=frozenset({SHIFT}),
        ),
    ),
    "referrals": (
        _pseudonym_column("study_referral_id", "referrals", "referral"),
        _pseudonym_column("study_encounter_id", "encounters", "contact"),
        _pseudonym_column("study_id", "people", "person"),
        Column(
            "service_type",
            ColumnType.CODE,
            "Type of service the person was referred to (never the provider's name).",
            choices=tuple(ServiceType.values),
        ),
        Column(
            "warm_handoff",
            ColumnType.CODE,
            "The responder connected the person to the provider in person or by a live call.",
            choices=("true", "false"),
        ),
        Column(
            "final_status",
            ColumnType.CODE,
            "The referral's status when the extract was made.",
            choices=tuple(ReferralStatus.values),
        ),
        Column(
            "decline_reason",
            ColumnType.CODE,
            "Why the provider declined; blank unless the status is 'declined'.",
            choices=tuple(DeclineReason.values),
            blank=True,
        ),
        *(
            Column(
                f"days_contact_to_{step}",
                ColumnType.INTEGER,
                f"Whole days (program's local calendar dates) from the contact to {what}. "
                "A negative value is a data-entry error and is written with a leading "
                "apostrophe (spreadsheet safety).",
                format="integer",
                blank=True,
            )
            for step, what in (
                ("accept", "the provider accepting the referral"),
                ("intake", "the intake the person attended"),
                ("end", "the referral ending (declined, completed or disengaged)"),
            )
        ),
    ),
}


def columns_for(table: str, dates: str = YEAR) -> list[str]:
    """The dictionary's columns of `table` in an extract with this dates mode, in order."""
    return [c.name for c in DATA_DICTIONARY.get(table, ()) if dates in c.modes]


def _specs(table: str, dates: str) -> dict[str, Column]:
    return {c.name: c for c in DATA_DICTIONARY.get(table, ()) if dates in c.modes}


# --- The extract ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ResearchExtract:
    """The tables of one extract, how its dates were treated and when it was made."""

    tables: dict[str, list[Row]]
    dates: str
    created_at: dt.datetime
    time_zone: str = "UTC"

    @property
    def extract_date(self) -> dt.date:
        """The day the extract was made, in the program's time zone."""
        return self.created_at.astimezone(zoneinfo.ZoneInfo(self.time_zone)).date()

    def columns(self, table: str) -> list[str]:
        """The columns the table actually has (every key of every row, first seen first); the
        dictionary's columns when it has no rows."""
        rows = self.tables.get(table, [])
        if not rows:
            return columns_for(table, self.dates)
        seen: dict[str, None] = {}
        for row in rows:
            seen.update(dict.fromkeys(row))
        return list(seen)

    def table_csv(self, table: str) -> str:
        columns = self.columns(table)
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow([safe_cell(c) for c in columns])
        for row in self.tables.get(table, []):
            writer.writerow([safe_cell(row.get(c)) for c in columns])
        return out.getvalue()

    def dictionary_csv(self) -> str:
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(["table", "column", "type", "description", "allowed_values_or_format"])
        for table, columns in DATA_DICTIONARY.items():
            for column in columns:
                if self.dates in column.modes:
                    writer.writerow(
                        [
                            safe_cell(v)
                            for v in (
                                table,
                                column.name,
                                column.type.value,
                                column.description,
                                column.allowed,
                            )
                        ]
                    )
        return out.getvalue()

    def readme(self) -> str:
        counts = ", ".join(f"{t}: {len(rows)} rows" for t, rows in self.tables.items())
        method = (
            "METHOD: HIPAA Safe Harbor, 45 CFR 164.514(b)(2)"
            + (", except for the shifted dates (see DATES)" if self.dates == SHIFT else "")
            + ". The program's software checks every extract for the Safe Harbor identifiers "
            "and refuses to offer one in which it finds any."
        )
        if self.dates == SHIFT:
            dates_text = (
                "DATES: contact dates are SHIFTED. Each person's dates were moved by a secret "
                f"offset of 1 to {MAX_SHIFT_DAYS} days (earlier or later), the same for every "
                "date of that person, so intervals within a person are exact but no date is "
                "real. Shifted dates are NOT part of the Safe Harbor method, which allows no "
                "element of a date except the year: this variant must be covered by an expert "
                "determination (45 CFR 164.514(b)(1)) before it is released as de-identified."
            )
        else:
            dates_text = (
                "DATES: only the year of each contact is given (Safe Harbor). Intervals between "
                "a contact and later referral steps are given as whole days; they are not dates."
            )
        return "\n".join(
            [
                "Pathways research extract (de-identified)",
                "=========================================",
                "",
                f"Made: {self.created_at.astimezone(dt.UTC):%Y-%m-%d %H:%M} UTC. "
                f"Dates mode: {self.dates}. {counts}.",
                "",
                method,
                "",
                "REMOVED: names and aliases, dates of birth, street addresses, places and "
                "coordinates of contacts, phone numbers, e-mail addresses, numbers from other "
                "systems (police, jail, EMS, HMIS, health records, IDs and licences), database "
                "keys, agency, service and staff names, and every free-text field (notes, "
                "locations, hand-off notes, reasons).",
                "",
                "PSEUDONYMS: study_id, study_encounter_id and study_referral_id are keyed hashes "
                "(HMAC-SHA256) of the records' random database keys under a secret key the "
                "program keeps and never discloses; they are derived from nothing about the "
                "person (164.514(c)). Each extract is made under a key of its own, never kept: "
                "the same person has other pseudonyms in every other extract, of either kind, "
                "so extracts cannot be joined by them.",
                "",
                "AGES: birth_year and age_band_first_contact group every age over 89 (and every "
                'birth year that could show one) as "90 or older".',
                "",
                "ZIP CODES: only the first three digits of the home ZIP; the 3-digit areas of "
                f"20,000 people or fewer ({', '.join(sorted(RESTRICTED_ZIP3))}) are given as "
                '"000".',
                "",
                dates_text,
                "",
                "ROW ORDER: rows are sorted by pseudonym and carry no other information.",
                "",
                "SMALL CELLS: de-identified is not anonymous. Combinations of columns (for "
                "example one zip3, sex, birth year and pathway) can single a person out in a "
                "small community. Do not publish any count of 1 to 10, or a figure from which "
                "one can be worked out; combine categories instead. Do not try to identify or "
                "contact anyone, and do not link this file to other data without the program's "
                "written agreement.",
                "",
                "Columns, types and allowed values: data_dictionary.csv.",
                "",
            ]
        )

    def to_zip(self) -> bytes:
        """One CSV per table, data_dictionary.csv and README.txt, in one ZIP file."""
        stamp = self.created_at.astimezone(dt.UTC).timetuple()[:6]
        members = [(f"{table}.csv", self.table_csv(table)) for table in self.tables]
        members += [("data_dictionary.csv", self.dictionary_csv()), ("README.txt", self.readme())]
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            for name, text in members:
                info = zipfile.ZipInfo(name, date_time=stamp)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = 0o644 << 16
                archive.writestr(info, text.encode("utf-8"))
        return buffer.getvalue()


def _digest(key: bytes, kind: str, pk: uuid.UUID) -> bytes:
    return hmac.new(key, f"{kind}:{pk}".encode(), hashlib.sha256).digest()


def pseudonym(key: bytes, table: str, pk: uuid.UUID) -> str:
    """The study pseudonym of a record of `table` ("people", "encounters", "referrals"): its
    prefix and the first 12 hex digits of HMAC-SHA256(key, table:uuid), each spelled as one of
    sixteen consonants."""
    hexdigits = _digest(key, table, pk).hex()[:PSEUDONYM_LENGTH]
    return PSEUDONYM_PREFIXES[table] + "".join(PSEUDONYM_LETTERS[int(c, 16)] for c in hexdigits)


def shift_days(key: bytes, person_id: uuid.UUID) -> int:
    """The person's date offset: from -180 to +180 days, never 0, the same for every date of the
    person (deterministic from the key and the person's key)."""
    n = int.from_bytes(_digest(key, "date-shift", person_id)[:8], "big") % (2 * MAX_SHIFT_DAYS)
    return n - MAX_SHIFT_DAYS if n < MAX_SHIFT_DAYS else n - MAX_SHIFT_DAYS + 1


def _age(born: dt.date, on: dt.date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def age_band(age: int) -> str:
    label = AGE_BANDS[0][1]
    for lowest, band in AGE_BANDS:
        if age >= lowest:
            label = band
    return label


def birth_year_value(born: dt.date | None, extract_date: dt.date) -> Cell:
    """The birth year, or "90 or older" when the year could show an age over 89 in the extract's
    year (the person is 90 or older, or turns 90 this year)."""
    if born is None:
        return None
    if extract_date.year - born.year >= 90:
        return NINETY_OR_OLDER
    return born.year


def race_ethnicity(races: object, ethnicity: str) -> str:
    if ethnicity == Ethnicity.HISPANIC:
        return HISPANIC
    labels = dict(Race.choices)
    codes = (
        {r for r in races if isinstance(r, str) and r in labels and r != Race.DECLINED}
        if isinstance(races, list)
        else set()
    )
    if not codes:
        return UNKNOWN
    if len(codes) > 1:
        return TWO_OR_MORE
    return str(labels[codes.pop()])


_ZIP_RE = re.compile(r"(\d{5})(?:-?\d{4})?")


def zip3(postal_code: str) -> str:
    """First three digits of a US ZIP code ("000" for the restricted prefixes), "" when the
    postal code is not a 5-digit or ZIP+4 code."""
    match = _ZIP_RE.fullmatch(postal_code.strip())
    if match is None:
        return ""
    prefix = match.group(1)[:3]
    return "000" if prefix in RESTRICTED_ZIP3 else prefix


def _check_arguments(dates: str, key: bytes) -> None:
    if dates not in DATES_MODES:
        raise ValueError(f"dates must be one of {', '.join(DATES_MODES)}")
    if not isinstance(key, bytes) or len(key) < MIN_KEY_BYTES:
        raise ValueError(f"The pseudonym key must be at least {MIN_KEY_BYTES} random bytes.")


def build_extract(
    program: Program, *, dates: str = YEAR, key: bytes, shift_key: bytes | None = None
) -> ResearchExtract:
    """The de-identified extract of the program's non-archived people, contacts and referrals.

    `key` makes the pseudonyms (the export uses a new one for each extract, so two extracts
    never share them) and, unless `shift_key` is given, the per-person date shifts (the export
    keeps those the same from one extract to the next, so they cannot be averaged away).

    A person is in the extract when they (and at least one of their contacts in this program)
    are not archived; a referral when it, its contact and its person are not archived. Free-text
    and encrypted columns are never loaded."""
    _check_arguments(dates, key)
    if shift_key is not None:
        _check_arguments(dates, shift_key)
    tz = zoneinfo.ZoneInfo(program.time_zone)
    created_at = clock.now()
    today = created_at.astimezone(tz).date()

    included = Encounter.objects.filter(
        program=program, archived_at__isnull=True, person__archived_at__isnull=True
    )
    encounters = list(
        included.select_related("pathway", "agency")
        .only(
            "id",
            "person",
            "pathway__code",
            "agency__kind",
            "occurred_at",
            "call_source",
            "presenting_needs",
            "disposition",
            "eligibility_outcome",
        )
        .order_by("occurred_at", "id")
    )
    local_day = {e.pk: e.occurred_at.astimezone(tz).date() for e in encounters}
    person_of = {e.pk: e.person_id for e in encounters}
    first_contact: dict[uuid.UUID, dt.date] = {}
    for e in encounters:
        first_contact.setdefault(e.person_id, local_day[e.pk])

    people = Person.objects.filter(pk__in=included.values("person_id")).only(
        "id", "date_of_birth", "sex", "races", "ethnicity", "postal_code"
    )
    sid = {p: pseudonym(key, "people", p) for p in first_contact}
    people_rows: list[Row] = []
    for person in people:
        dob = person.date_of_birth
        people_rows.append(
            {
                "study_id": sid[person.pk],
                "sex": person.sex,
                "race_ethnicity": race_ethnicity(person.races, person.ethnicity),
                "birth_year": birth_year_value(dob, today),
                "age_band_first_contact": (
                    age_band(_age(dob, first_contact[person.pk])) if dob else ""
                ),
                "zip3": zip3(person.postal_code),
            }
        )
    people_rows.sort(key=lambda r: str(r["study_id"]))

    shift_by = key if shift_key is None else shift_key
    shifts = {p: shift_days(shift_by, p) for p in first_contact} if dates == SHIFT else {}
    eid = {e.pk: pseudonym(key, "encounters", e.pk) for e in encounters}
    encounter_rows: list[Row] = []
    for e in encounters:
        needs = e.presenting_needs if isinstance(e.presenting_needs, list) else []
        row: Row = {
            "study_encounter_id": eid[e.pk],
            "study_id": sid[e.person_id],
            "pathway": e.pathway.code,
            "agency_kind": e.agency.kind,
            "call_source": e.call_source,
            "presenting_needs": ";".join(sorted({str(n) for n in needs})),
            "disposition": e.disposition,
            "eligibility_outcome": e.eligibility_outcome,
        }
        day = local_day[e.pk]
        if dates == SHIFT:
            row["contact_date_shifted"] = (day + dt.timedelta(days=shifts[e.person_id])).isoformat()
        else:
            row["contact_year"] = day.year
        encounter_rows.append(row)
    encounter_order = {e.pk: n for n, e in enumerate(encounters)}
    encounter_rows.sort(key=lambda r: str(r["study_id"]))  # stable: by date within a person

    history = ReferralStatusChange.objects.only(
        "id", "referral", "to_status", "changed_at", "decline_reason"
    ).order_by("changed_at", "id")
    referrals = list(
        Referral.objects.filter(archived_at__isnull=True, encounter__in=included)
        .select_related("service")
        .only("id", "encounter", "status", "warm_handoff", "intake_at", "service__service_type")
        .prefetch_related(Prefetch("history", queryset=history))
    )

    def days(encounter_id: uuid.UUID, at: dt.datetime | None) -> int | None:
        if at is None:
            return None
        return (at.astimezone(tz).date() - local_day[encounter_id]).days

    referral_rows: list[tuple[tuple[str, int, str], Row]] = []
    for r in referrals:
        changes = list(r.history.all())
        accepted = next((c for c in changes if c.to_status == ReferralStatus.ACCEPTED), None)
        engaged = next((c for c in changes if c.to_status == ReferralStatus.ENGAGED), None)
        ended = next((c for c in changes if c.to_status in TERMINAL_STATUSES), None)
        declined = [c for c in changes if c.to_status == ReferralStatus.DECLINED]
        intake_at = r.intake_at or (engaged.changed_at if engaged else None)
        person_id = person_of[r.encounter_id]
        ref_id = pseudonym(key, "referrals", r.pk)
        referral_rows.append(
            (
                (sid[person_id], encounter_order[r.encounter_id], ref_id),
                {
                    "study_referral_id": ref_id,
                    "study_encounter_id": eid[r.encounter_id],
                    "study_id": sid[person_id],
                    "service_type": r.service.service_type,
                    "warm_handoff": "true" if r.warm_handoff else "false",
                    "final_status": r.status,
                    "decline_reason": (
                        declined[-1].decline_reason
                        if declined and r.status == ReferralStatus.DECLINED
                        else ""
                    ),
                    "days_contact_to_accept": days(
                        r.encounter_id, accepted.changed_at if accepted else None
                    ),
                    "days_contact_to_intake": days(r.encounter_id, intake_at),
                    "days_contact_to_end": days(
                        r.encounter_id, ended.changed_at if ended else None
                    ),
                },
            )
        )
    referral_rows.sort(key=lambda item: item[0])

    for name, values in (
        ("people", list(sid.values())),
        ("encounters", list(eid.values())),
        ("referrals", [row["study_referral_id"] for _, row in referral_rows]),
    ):
        if len(set(values)) != len(values):
            raise ValueError(f"Two {name} records share a pseudonym; make the extract again.")

    return ResearchExtract(
        tables={
            "people": people_rows,
            "encounters": encounter_rows,
            "referrals": [row for _, row in referral_rows],
        },
        dates=dates,
        created_at=created_at,
        time_zone=program.time_zone,
    )


# --- The checker ------------------------------------------------------------------------------


class ProblemKind(StrEnum):
    UNKNOWN_TABLE = "unknown_table"
    MISSING_TABLE = "missing_table"
    UNKNOWN_COLUMN = "unknown_column"
    IDENTIFIER_COLUMN = "identifier_column"
    MISSING_COLUMN = "missing_column"
    INVALID_MODE = "invalid_mode"
    INVALID_VALUE = "invalid_value"
    INVALID_DATE = "invalid_date"
    SSN = "ssn"
    PHONE = "phone"
    EMAIL = "email"
    URL = "url"
    IP_ADDRESS = "ip_address"
    FULL_DATE = "full_date"
    ZIP_CODE = "zip_code"
    RESTRICTED_ZIP3 = "restricted_zip3"
    AGE_OVER_89 = "age_over_89"
    DATABASE_KEY = "database_key"
    EXTERNAL_IDENTIFIER = "external_identifier"
    NAME = "name"


@dataclass(frozen=True)
class Problem:
    """One reason to refuse an extract. The message never repeats the value."""

    table: str
    column: str
    row: int | None
    kind: ProblemKind
    message: str

    def __str__(self) -> str:
        where = f"{self.table}.{self.column}" if self.column else self.table
        if self.row is not None:
            where += f" row {self.row + 1}"
        return f"{where}: {self.message} [{self.kind.value}]"


class ExtractRefused(Exception):
    """The extract failed the check and is not offered. Carries the problems (no values)."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        kinds = Counter(p.kind.value for p in self.problems)
        summary = ", ".join(f"{kind} ×{n}" for kind, n in sorted(kinds.items()))
        super().__init__(f"Research extract refused: {len(self.problems)} problem(s) ({summary}).")


def _tokens(text: str) -> list[str]:
    """Words and numbers of the text, case-folded; punctuation and spaces separate them."""
    return re.findall(r"[^\W_]+", text.casefold())


class _Phrases:
    """A set of phrases matched as whole words: "O'Brien" matches "o brien" and "obrien"."""

    def __init__(self, phrases: Iterable[str], min_length: int) -> None:
        self.spaced: set[str] = set()
        self.compact: set[str] = set()
        self.longest = 0
        for phrase in phrases:
            tokens = _tokens(phrase)
            compact = "".join(tokens)
            if len(compact) < min_length:
                continue
            self.spaced.add(" ".join(tokens))
            self.compact.add(compact)
            self.longest = max(self.longest, len(tokens))
        self.longest = min(self.longest, 8)

    def __len__(self) -> int:
        return len(self.compact)

    def found_in(self, text: str) -> bool:
        if not self.compact:
            return False
        tokens = _tokens(text)
        for size in range(1, min(self.longest, len(tokens)) + 1):
            for start in range(len(tokens) - size + 1):
                words = tokens[start : start + size]
                if " ".join(words) in self.spaced or "".join(words) in self.compact:
                    return True
        return False


_HEX_RUN = re.compile(r"[0-9a-f]{32,}")


def _hex_key(value: object) -> str:
    text = str(value).casefold().replace("-", "").strip("{} ")
    return text if re.fullmatch(r"[0-9a-f]{32}", text) else ""


class KnownIdentifiers:
    """What the checker looks for by value: the program's database keys, the identifiers
    people have in other systems and people's names (aliases too). Its repr shows counts only,
    so it can never leak into a log."""

    def __init__(
        self,
        *,
        database_keys: Iterable[uuid.UUID | str] = (),
        external_values: Iterable[str] = (),
        names: Iterable[str] = (),
    ) -> None:
        self.database_keys = frozenset(k for k in map(_hex_key, database_keys) if k)
        self.external_values = _Phrases(external_values, min_length=3)
        self.names = _Phrases(names, min_length=2)

    def __repr__(self) -> str:
        return (
            f"<KnownIdentifiers: {len(self.database_keys)} keys, "
            f"{len(self.external_values)} external values, {len(self.names)} names>"
        )

    def has_database_key(self, text: str) -> bool:
        if not self.database_keys:
            return False
        flat = text.casefold().replace("-", "")
        for match in _HEX_RUN.finditer(flat):
            run = match.group()
            if any(run[i : i + 32] in self.database_keys for i in range(len(run) - 31)):
                return True
        return False


def identifiers_for(program: Program) -> KnownIdentifiers:
    """Every database key, other-system identifier and name of the program's people, contacts
    and referrals, archived ones included."""
    encounters = Encounter.objects.filter(program=program)
    referrals = Referral.objects.filter(encounter__program=program)
    people = Person.objects.filter(
        Q(pk__in=encounters.values("person_id"))
        | Q(pk__in=referrals.values("person_id"))
        | Q(created_by_agency__program=program)
    )
    names: list[str] = []
    for first, middle, last in people.values_list("first_name", "middle_name", "last_name"):
        names += [first, middle, last]
    for first, last in PersonAlias.objects.filter(person__in=people).values_list(
        "first_name", "last_name"
    ):
        names += [first, last]
    return KnownIdentifiers(
        database_keys=[
            *people.values_list("id", flat=True),
            *encounters.values_list("id", flat=True),
            *referrals.values_list("id", flat=True),
        ],
        external_values=ExternalIdentifier.objects.filter(person__in=people).values_list(
            "value", flat=True
        ),
        names=[n for n in names if n],
    )


# Column names that suggest a direct identifier (Safe Harbor's eighteen kinds).
# fmt: off
_IDENTIFIER_WORDS = frozenset({
    "name", "names", "firstname", "lastname", "surname", "fullname", "middlename", "nickname",
    "alias", "aliases", "aka", "ssn", "social", "socialsecurity", "dob", "birthdate", "birthday",
    "phone", "telephone", "tel", "mobile", "cellphone", "fax", "email", "mail", "address", "addr",
    "street", "city", "town", "county", "zip", "zipcode", "postal", "postcode", "lat", "latitude",
    "lon", "lng", "long", "longitude", "gps", "geo", "coordinates", "location", "ip", "ipaddress",
    "url", "uri", "website", "mrn", "license", "licence", "plate", "vin", "vehicle", "device",
    "serial", "imei", "account", "acct", "certificate", "photo", "photograph", "picture", "image",
    "biometric", "biometrics", "fingerprint", "voiceprint", "retina", "face", "notes", "note",
    "comment", "comments", "narrative", "uuid", "guid", "pk",
})
# fmt: on
# fmt: off
_IDENTIFIER_COMPOUNDS = (
    "firstname", "lastname", "surname", "givenname", "familyname", "maidenname", "dateofbirth",
    "birthdate", "socialsecurity", "emailaddress", "ipaddress", "medicalrecord", "healthplan",
    "beneficiary", "accountnumber", "licenseplate", "serialnumber", "streetaddress", "phonenumber",
    "latitude", "longitude", "fingerprint",
)
# fmt: on
_DATE_WORDS = frozenset({"date", "dt", "datetime", "timestamp", "time", "day", "month"})


@functools.lru_cache(maxsize=1024)
def _column_words(name: str) -> tuple[str, ...]:
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", name)
    return tuple(re.findall(r"[a-z0-9]+", spaced.casefold()))


def identifier_column_reason(name: str) -> str:
    """Why a column's name suggests a direct identifier ("" when it does not)."""
    words = _column_words(name)
    compact = "".join(words)
    if any(w in _IDENTIFIER_WORDS for w in words) or any(
        c in compact for c in _IDENTIFIER_COMPOUNDS
    ):
        return "The column's name suggests a direct identifier (Safe Harbor)."
    if "id" in words and "study" not in words:
        return "The column's name suggests a record key; only study pseudonyms are allowed."
    if _DATE_WORDS & set(words) and not {"shifted", "year"} & set(words):
        return "The column's name suggests a date; Safe Harbor allows only years."
    return ""


_SSN = re.compile(r"(?<!\d)\d{3}([- ]?)\d{2}\1\d{4}(?!\d)")
_PHONE = re.compile(r"(?<!\d)(?:\+?1[\s.-]?)?(?:\(\d{3}\)\s?|\d{3}[\s.-]?)\d{3}[\s.-]?\d{4}(?!\d)")
_EMAIL = re.compile(r"[\w.%+-]+@[\w-]+(?:\.[\w-]+)+")
_URL = re.compile(r"(?i)\b(?:https?|ftp)://\S+|\bwww\.[\w-]+\.\S+")
_IPV4 = re.compile(r"(?<![\d.])(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(?![\d.])")
_YMD = re.compile(r"(?<![\d.])(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?![\d.])")
_MDY = re.compile(r"(?<![\d.])(\d{1,2})[-/.](\d{1,2})[-/.](\d{4}|\d{2})(?![\d.])")
_YM = re.compile(r"(?<![\d.\-/])(\d{4})[-/](\d{1,2})(?![\d\-/])")
_MONTHS = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?"
_WORDY_DATE = re.compile(
    rf"(?i)\b{_MONTHS}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}\b|\b\d{{1,2}}\s+{_MONTHS},?\s+\d{{4}}\b"
)
_ZIP = re.compile(r"(?<!\d)\d{5}(?:-\d{4})?(?!\d)")


def _month_day(month: str, day: str) -> bool:
    return 1 <= int(month) <= 12 and 1 <= int(day) <= 31


def _has_full_date(text: str) -> bool:
    if _WORDY_DATE.search(text):
        return True
    if any(_month_day(m.group(2), m.group(3)) for m in _YMD.finditer(text)):
        return True
    if any(_month_day(m.group(1), m.group(2)) for m in _MDY.finditer(text)):
        return True
    return any(
        1800 <= int(m.group(1)) <= 2200 and 1 <= int(m.group(2)) <= 12 for m in _YM.finditer(text)
    )


def _has_ip(text: str) -> bool:
    for m in _IPV4.finditer(text):
        if all(int(part) <= 255 for part in m.groups()):
            return True
    if text.count(":") >= 2:
        for token in re.split(r"[\s,;]+", text):
            try:
                ipaddress.IPv6Address(token.strip("[]"))
            except ValueError:
                continue
            return True
    return False


def _scan(text: str, *, dates_allowed: bool = False) -> list[tuple[ProblemKind, str]]:
    """The identifier shapes found in one cell's text."""
    found: list[tuple[ProblemKind, str]] = []
    lowered = text.casefold()
    if "@" in text and _EMAIL.search(text):
        found.append((ProblemKind.EMAIL, "Looks like an e-mail address."))
    if ("://" in text or "www." in lowered) and _URL.search(text):
        found.append((ProblemKind.URL, "Looks like a web address (URL)."))
    if (":" in text or "." in text) and _has_ip(text):
        found.append((ProblemKind.IP_ADDRESS, "Looks like an IP address."))
    if not any(c.isdigit() for c in text):
        return found  # every remaining shape has digits
    if not dates_allowed and _has_full_date(text):
        found.append(
            (ProblemKind.FULL_DATE, "Looks like a date (month or day); only years are allowed.")
        )
    if _SSN.search(text):
        found.append((ProblemKind.SSN, "Looks like a Social Security number."))
    if _PHONE.search(text):
        found.append((ProblemKind.PHONE, "Looks like a telephone or fax number."))
    if _ZIP.search(text):
        found.append((ProblemKind.ZIP_CODE, "Looks like a 5-digit or ZIP+4 code."))
    return found


def identifier_kinds_in(text: str) -> set[ProblemKind]:
    """The kinds of identifier the text looks like it holds (empty: none)."""
    return {kind for kind, _ in _scan(text)}


def _text(value: object) -> str:
    return "" if value is None else str(value)


def _numbers(text: str) -> list[int]:
    return [int(n) for n in re.findall(r"\d+", text)]


def check_extract(
    extract: ResearchExtract, *, known_identifiers: KnownIdentifiers
) -> list[Problem]:
    """Everything in the extract that is not what the data dictionary allows or that looks like
    a Safe Harbor identifier. An empty list is the only pass. The tables are inspected as they
    are; nothing the builder meant is assumed."""
    problems: list[Problem] = []
    mode = extract.dates
    if mode not in DATES_MODES:
        problems.append(
            Problem("", "", None, ProblemKind.INVALID_MODE, "The dates mode is not year or shift.")
        )
        mode = YEAR  # check as strictly as a year-only extract
    # a birth year is judged against the later of the extract's year and this year
    reference_year = max(extract.extract_date.year, clock.local_date(extract.time_zone).year)

    for table in DATA_DICTIONARY:
        if table not in extract.tables:
            problems.append(
                Problem(table, "", None, ProblemKind.MISSING_TABLE, "The table is missing.")
            )
    for table, rows in extract.tables.items():
        if table not in DATA_DICTIONARY:
            problems.append(
                Problem(
                    table,
                    "",
                    None,
                    ProblemKind.UNKNOWN_TABLE,
                    "The table is not in the dictionary.",
                )
            )
        specs = _specs(table, mode)
        present = extract.columns(table) if rows else []
        for column in present:
            reason = identifier_column_reason(column)
            if reason:
                problems.append(Problem(table, column, None, ProblemKind.IDENTIFIER_COLUMN, reason))
            elif column not in specs:
                problems.append(
                    Problem(
                        table,
                        column,
                        None,
                        ProblemKind.UNKNOWN_COLUMN,
                        "The column is not in the data dictionary for this dates mode.",
                    )
                )
        if rows:
            for column in specs:
                if column not in present:
                    problems.append(
                        Problem(
                            table,
                            column,
                            None,
                            ProblemKind.MISSING_COLUMN,
                            "The dictionary's column is missing.",
                        )
                    )
        for index, row in enumerate(rows):
            for column, value in row.items():
                problems += _check_cell(
                    table,
                    column,
                    index,
                    value,
                    specs.get(column),
                    mode=mode,
                    reference_year=reference_year,
                    known=known_identifiers,
                )
    return problems


def _check_cell(
    table: str,
    column: str,
    index: int,
    value: object,
    spec: Column | None,
    *,
    mode: str,
    reference_year: int,
    known: KnownIdentifiers,
) -> list[Problem]:
    def problem(kind: ProblemKind, message: str) -> Problem:
        return Problem(table, column, index, kind, message)

    found: list[Problem] = []
    text = _text(value)
    if (value is not None and not isinstance(value, str | int)) or isinstance(value, bool):
        found.append(problem(ProblemKind.INVALID_VALUE, "The cell is not text or a whole number."))
    elif spec is not None and not spec.accepts(text):
        if spec.type is ColumnType.DATE and _DATE_RE.fullmatch(text):
            found.append(problem(ProblemKind.INVALID_DATE, "The shifted date is not a real date."))
        elif spec.type is ColumnType.DATE:
            found.append(problem(ProblemKind.INVALID_DATE, "The shifted date is not YYYY-MM-DD."))
        else:
            found.append(
                problem(ProblemKind.INVALID_VALUE, "The value is not one the dictionary allows.")
            )
    if not text:
        return found

    dates_allowed = mode == SHIFT and spec is not None and spec.type is ColumnType.DATE
    found += [problem(kind, message) for kind, message in _scan(text, dates_allowed=dates_allowed)]

    words = set(_column_words(column))
    if words & {"zip", "zip3", "zipcode", "postal", "postcode"} and text in RESTRICTED_ZIP3:
        found.append(
            problem(
                ProblemKind.RESTRICTED_ZIP3,
                'A 3-digit ZIP area of 20,000 people or fewer must be given as "000".',
            )
        )
    if text != NINETY_OR_OLDER:
        if "birth" in words or "yob" in words:
            if any(1000 <= n <= reference_year - 90 for n in _numbers(text)):
                found.append(
                    problem(
                        ProblemKind.AGE_OVER_89,
                        f'A birth year that shows an age over 89 must be "{NINETY_OR_OLDER}".',
                    )
                )
        elif "age" in words and any(90 <= n <= 150 for n in _numbers(text)):
            found.append(
                problem(ProblemKind.AGE_OVER_89, f'Ages over 89 must be "{NINETY_OR_OLDER}".')
            )

    if known.has_database_key(text):
        found.append(problem(ProblemKind.DATABASE_KEY, "Holds a real database key of the program."))
    if spec is None or not spec.explains(text):
        if known.external_values.found_in(text):
            found.append(
                problem(
                    ProblemKind.EXTERNAL_IDENTIFIER,
                    "Holds a person's identifier from another system.",
                )
            )
        if known.names.found_in(text):
            found.append(problem(ProblemKind.NAME, "Holds a person's name."))
    return found


def export_or_refuse(
    program: Program, *, dates: str = YEAR, key: bytes, shift_key: bytes | None = None
) -> ResearchExtract:
    """Build the extract and check it; raise ExtractRefused instead of returning one that fails
    the check."""
    extract = build_extract(program, dates=dates, key=key, shift_key=shift_key)
    problems = check_extract(extract, known_identifiers=identifiers_for(program))
    if problems:
        raise ExtractRefused(problems)
    return extract


__all__ = [
    "DATA_DICTIONARY",
    "RESTRICTED_ZIP3",
    "Column",
    "ColumnType",
    "ExtractRefused",
    "KnownIdentifiers",
    "Problem",
    "ProblemKind",
    "ResearchExtract",
    "build_extract",
    "check_extract",
    "columns_for",
    "export_or_refuse",
    "identifier_column_reason",
    "identifier_kinds_in",
    "identifiers_for",
]
