"""Reading a file of arrest records: good CSV and XLSX files become typed rows in UTC with the
program's agencies; every bad file gives problems by line and column and no rows at all."""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from collections.abc import Iterator
from typing import Any

import openpyxl
import pytest

from pathways.accounts.factories import AgencyFactory
from pathways.core import clock
from pathways.linkage import imports
from pathways.linkage.imports import ArrestRow, ParsedFile, Problem, read_file, template_csv
from pathways.programs.factories import ProgramFactory

#: The tests' "now": 2026-03-10 06:00 in Chicago (CDT starts on 2026-03-08).
NOW = dt.datetime(2026, 3, 10, 11, 0, tzinfo=dt.UTC)
HEADER = [
    "record_number",
    "arrested_at",
    "id_system",
    "id_number",
    "agency",
    "area",
    "booked",
    "charge_level",
    "date_of_birth",
    "sex",
    "race",
    "ethnicity",
]
GOOD = {
    "record_number": "R-1",
    "arrested_at": "2026-03-04 14:30",
    "id_system": "booking",
    "id_number": "B-100",
    "agency": "Northside Police Department",
    "area": "Beat 4",
    "booked": "yes",
    "charge_level": "misdemeanor",
    "date_of_birth": "1985-07-14",
    "sex": "M",
    "race": "black",
    "ethnicity": "not_hispanic",
}
#: 2026-03-04 14:30 in Chicago (CST, UTC-6)
AT = dt.datetime(2026, 3, 4, 20, 30, tzinfo=dt.UTC)
#: the same moment in a spreadsheet's date cell, which has no time zone
CELL = dt.datetime(2026, 3, 4, 14, 30)  # noqa: DTZ001


@pytest.fixture(autouse=True)
def _frozen() -> Iterator[None]:
    with clock.frozen(NOW):
        yield


def csv_data(header: list[str], *rows: dict[str, str] | list[str]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    for row in rows:
        writer.writerow([row.get(c, "") for c in header] if isinstance(row, dict) else row)
    return out.getvalue().encode()


def line(**overrides: str) -> dict[str, str]:
    return {**GOOD, **overrides}


def read(cast: Any, data: bytes, name: str = "arrests.csv") -> ParsedFile:
    return read_file(name, data, program=cast.program)


def xlsx_data(rows: list[list[Any]]) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


# --- good files ----------------------------------------------------------------------------


def test_a_good_csv_with_every_column_becomes_typed_rows(cast: Any) -> None:
    assert cast.program.time_zone == "America/Chicago"  # the times below are worked out for it
    cast.police_b.short_name = "SSPD"
    cast.police_b.save()
    data = csv_data(
        HEADER,
        line(),
        line(
            record_number="R-2",
            arrested_at="2025-07-04 14:30",  # summer time: CDT, UTC-5
            id_system="RMS",
            id_number="RMS-77",
            agency="sspd",  # the short name, any case
            area="",
            booked="no",
            charge_level="F",
            date_of_birth="1990-01-02",
            sex="F",
            race="Asian",
            ethnicity="Hispanic",
        ),
        line(
            record_number="R-3",
            arrested_at="2026-03-01T09:15:00+01:00",
            id_system="state_id",
            id_number="S 12",
            agency="NORTHSIDE police department",
            area="",
            booked="",
            charge_level="ordinance",
            date_of_birth="",
            sex="",
            race="Black or African American",
            ethnicity="",
        ),
        line(record_number="R-4", arrested_at="2026-03-02T10:00:00Z", agency="", booked="Y"),
    )
    parsed = read(cast, data)
    assert parsed.ok and parsed.problems == [] and parsed.ignored_columns == []
    assert parsed.rows == [
        ArrestRow(
            line=2,
            record_number="R-1",
            arrested_at=AT,
            id_system="booking",
            id_number="B-100",
            agency_id=cast.police_a.id,
            area="Beat 4",
            booked=True,
            charge_level="misdemeanor",
            date_of_birth=dt.date(1985, 7, 14),
            sex="male",
            race="black",
            ethnicity="not_hispanic",
        ),
        ArrestRow(
            line=3,
            record_number="R-2",
            arrested_at=dt.datetime(2025, 7, 4, 19, 30, tzinfo=dt.UTC),
            id_system="rms",
            id_number="RMS-77",
            agency_id=cast.police_b.id,
            area="",
            booked=False,
            charge_level="felony",
            date_of_birth=dt.date(1990, 1, 2),
            sex="female",
            race="asian",
            ethnicity="hispanic",
        ),
        ArrestRow(
            line=4,
            record_number="R-3",
            arrested_at=dt.datetime(2026, 3, 1, 8, 15, tzinfo=dt.UTC),
            id_system="state_id",
            id_number="S 12",
            agency_id=cast.police_a.id,
            booked=False,
            charge_level="violation",
            date_of_birth=None,
            sex="unknown",
            race="black",
            ethnicity="unknown",
        ),
        ArrestRow(
            line=5,
            record_number="R-4",
            arrested_at=dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC),
            id_system="booking",
            id_number="B-100",
            agency_id=None,
            area="Beat 4",
            booked=True,
            charge_level="misdemeanor",
            date_of_birth=dt.date(1985, 7, 14),
            sex="male",
            race="black",
            ethnicity="not_hispanic",
        ),
    ]
    assert all(row.arrested_at.tzinfo == dt.UTC for row in parsed.rows)


def test_only_the_required_columns_are_needed(cast: Any) -> None:
    parsed = read(
        cast,
        csv_data(
            ["record_number", "arrested_at", "id_system", "id_number"],
            ["R-1", "2026-03-04 14:30", "booking", "B-100"],
        ),
    )
    assert parsed.ok
    assert parsed.rows == [
        ArrestRow(
            line=2, record_number="R-1", arrested_at=AT, id_system="booking", id_number="B-100"
        )
    ]


def test_the_header_may_be_in_any_order_and_case_and_blank_lines_are_skipped(cast: Any) -> None:
    header = ["ID Number", "Charge_Level", "ARRESTED_AT", "Record Number", "id_system"]
    data = (
        "\ufeff"  # Excel's "CSV UTF-8" starts with a byte-order mark
        + ",".join(header)
        + "\r\n"
        + "B-100,felony,2026-03-04 14:30,R-1,Booking\r\n"
        + "\r\n"
        + ",,,,\r\n"
        + "B-200,,2026-03-03 08:00,R-2,rms\r\n"
    ).encode()
    parsed = read(cast, data, name="ARRESTS.CSV")
    assert parsed.ok, parsed.problems
    assert [
        (r.line, r.record_number, r.id_number, r.id_system, r.charge_level) for r in parsed.rows
    ] == [
        (2, "R-1", "B-100", "booking", "felony"),
        (5, "R-2", "B-200", "rms", "unknown"),
    ]
    assert parsed.rows[0].arrested_at == AT


def test_other_columns_are_ignored_and_named_back(cast: Any) -> None:
    header = ["First Name", *HEADER, "last_name", "narrative"]
    data = csv_data(
        header,
        ["Jonathan", *(GOOD[c] for c in HEADER), "Quillfeather", "Was found sleeping in a car"],
    )
    parsed = read(cast, data)
    assert parsed.ok
    assert parsed.ignored_columns == ["first_name", "last_name", "narrative"]
    assert len(parsed.rows) == 1
    values = [str(getattr(parsed.rows[0], name)) for name in ArrestRow.__dataclass_fields__]
    for text in ("Jonathan", "Quillfeather", "sleeping"):
        assert not any(text in value for value in values)


def test_a_good_xlsx_is_read_like_a_csv(cast: Any) -> None:
    cast.police_a.short_name = "NPD"
    cast.police_a.save()
    data = xlsx_data(
        [
            ["Record Number", "Arrested At", "ID System", "ID Number", "Agency", "Booked", "DOB"],
            [
                "R-1",
                CELL,
                "booking",
                100234,
                "npd",
                True,
                "ignored column",
            ],
            ["R-2", "2026-03-03 08:00", "rms", 5512.0, None, "no", None],
            [None, None, None, None, None, None, None],
        ]
    )
    # "date_of_birth" is the column: "DOB" is not one of the columns
    parsed = read(cast, data, name="March.xlsx")
    assert parsed.ok, parsed.problems
    assert parsed.ignored_columns == ["dob"]
    assert parsed.rows == [
        ArrestRow(
            line=2,
            record_number="R-1",
            arrested_at=AT,
            id_system="booking",
            id_number="100234",
            agency_id=cast.police_a.id,
            booked=True,
        ),
        ArrestRow(
            line=3,
            record_number="R-2",
            arrested_at=dt.datetime(2026, 3, 3, 14, 0, tzinfo=dt.UTC),
            id_system="rms",
            id_number="5512",
        ),
    ]


def test_an_xlsx_with_dates_in_date_cells(cast: Any) -> None:
    data = xlsx_data(
        [
            ["record_number", "arrested_at", "id_system", "id_number", "date_of_birth"],
            ["R-1", CELL, "booking", "B-1", dt.date(1985, 7, 14)],
        ]
    )
    parsed = read(cast, data, name="a.xlsx")
    assert parsed.ok, parsed.problems
    assert parsed.rows[0].date_of_birth == dt.date(1985, 7, 14)


def test_the_template_is_the_header_line(cast: Any) -> None:
    assert template_csv() == ",".join(HEADER) + "\r\n"
    # and a template with one line filled in reads back
    parsed = read(cast, (template_csv() + "R-1,2026-03-04 14:30,booking,B-1\r\n").encode())
    assert parsed.ok and parsed.rows[0].record_number == "R-1"


# --- bad files -----------------------------------------------------------------------------


def test_a_missing_required_column(cast: Any) -> None:
    header = [c for c in HEADER if c not in ("id_number", "arrested_at")]
    parsed = read(cast, csv_data(header, line()))
    assert parsed.problems == [Problem(1, "", "Missing column(s): arrested_at, id_number.")]
    assert parsed.rows == [] and not parsed.ok


def test_a_column_named_twice(cast: Any) -> None:
    header = [*HEADER, "Record Number"]
    parsed = read(cast, csv_data(header, [*(GOOD[c] for c in HEADER), "R-9"]))
    assert parsed.problems == [Problem(1, "", "Column(s) named twice: record_number.")]
    assert parsed.rows == []


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "The file is empty: the first line must name the columns."),
        (b"\r\n\r\n", "The file is empty: the first line must name the columns."),
        (b",,,\r\n", "The file is empty: the first line must name the columns."),
        (
            ("\ufeff" + ",".join(HEADER) + "\r\n").encode(),
            "The file has no records under its header line.",
        ),
        (
            (",".join(HEADER) + "\r\n\r\n,,,,\r\n").encode(),
            "The file has no records under its header line.",
        ),
    ],
)
def test_an_empty_file_or_a_header_alone(cast: Any, data: bytes, message: str) -> None:
    parsed = read(cast, data)
    assert parsed.problems == [Problem(0, "", message)]
    assert parsed.rows == []


def test_a_file_not_in_utf8(cast: Any) -> None:
    data = csv_data(HEADER, line(area="Peñasco")).decode().encode("latin-1")
    parsed = read(cast, data)
    assert parsed.problems == [
        Problem(0, "", "The file is not UTF-8 text. Save it as 'CSV UTF-8' and import it again.")
    ]
    assert parsed.rows == []


@pytest.mark.parametrize("name", ["arrests.txt", "arrests.xls", "arrests", "arrests.csv.zip"])
def test_a_file_of_another_kind(cast: Any, name: str) -> None:
    parsed = read(cast, csv_data(HEADER, line()), name=name)
    assert parsed.problems == [Problem(0, "", "Import a .csv or .xlsx file.")]
    assert parsed.rows == []


def test_a_file_over_the_size_limit(cast: Any, monkeypatch: Any) -> None:
    monkeypatch.setattr(imports, "MAX_BYTES", 1024 * 1024)
    header = [*HEADER, "notes"]

    def data(last_notes: int) -> bytes:
        rows = [[*line(record_number=f"R-{n}").values(), "x" * 1000] for n in range(900)]
        return csv_data(header, *rows, [*line(record_number="R-last").values(), "x" * last_notes])

    padding = 1024 * 1024 - len(data(0))
    at_limit = data(padding)
    assert len(at_limit) == 1024 * 1024
    assert read(cast, at_limit).ok  # exactly at the limit: read
    parsed = read(cast, data(padding + 1))
    assert parsed.problems == [Problem(0, "", "The file is larger than 1 MB.")]
    assert parsed.rows == []


def test_more_records_than_allowed(cast: Any, monkeypatch: Any) -> None:
    monkeypatch.setattr(imports, "MAX_ROWS", 2)
    data = csv_data(HEADER, line(), line(record_number="R-2"), line(record_number="R-3"))
    parsed = read(cast, data)
    assert parsed.problems == [Problem(0, "", "The file has more than 2 records; split it.")]
    assert parsed.rows == []


def test_problems_beyond_the_limit_are_counted(cast: Any, monkeypatch: Any) -> None:
    monkeypatch.setattr(imports, "MAX_PROBLEMS", 3)
    data = csv_data(HEADER, *(line(record_number=f"R-{n}", booked="maybe") for n in range(5)))
    parsed = read(cast, data)
    assert parsed.problems == [Problem(n, "booked", "Write yes or no.") for n in (2, 3, 4)]
    assert parsed.more_problems == 2 and not parsed.ok and parsed.rows == []


def test_a_long_value_is_a_problem_at_its_field_not_a_malformed_file(cast: Any) -> None:
    # longer than the csv module's own default limit (131,072 characters)
    data = csv_data(HEADER, line(area="x" * 200_000))
    parsed = read(cast, data)
    assert parsed.problems == [
        Problem(2, "area", "The area can have at most 40 characters (it has 200000).")
    ]
    assert parsed.rows == []


def test_a_malformed_csv(cast: Any) -> None:
    import csv

    limit = csv.field_size_limit(10)  # what the csv module refuses is a problem, not a crash
    try:
        parsed = read(cast, csv_data(HEADER, line(area="x" * 20)))
    finally:
        csv.field_size_limit(limit)
    assert len(parsed.problems) == 1
    assert parsed.problems[0].line == 0
    assert parsed.problems[0].message.startswith("The CSV file is malformed (field larger than")
    assert parsed.rows == []


SYSTEMS = "rms, booking, ems, hmis, ehr, state_id, court, other"

BAD_VALUES: list[tuple[dict[str, str], str, str]] = [
    ({"record_number": ""}, "record_number", "Required: this line has no value."),
    ({"id_number": "  "}, "id_number", "Required: this line has no value."),
    ({"id_system": ""}, "id_system", "Required: this line has no value."),
    ({"arrested_at": ""}, "arrested_at", "Required: this line has no value."),
    (
        {"arrested_at": "04/03/2026 2:30 PM"},
        "arrested_at",
        "Not a date and time; write it as 2026-03-04 14:30.",
    ),
    (
        {"arrested_at": "yesterday"},
        "arrested_at",
        "Not a date and time; write it as 2026-03-04 14:30.",
    ),
    # 06:30 in Chicago on March 10 is 11:30 UTC, after the frozen now (11:00 UTC)
    ({"arrested_at": "2026-03-10 06:30"}, "arrested_at", "This time is in the future."),
    ({"arrested_at": "2027-01-01 00:00"}, "arrested_at", "This time is in the future."),
    ({"arrested_at": "1989-06-30 12:00"}, "arrested_at", "Arrests before 1990 are not imported."),
    ({"id_system": "fbi"}, "id_system", f"Not an identifier system: use one of {SYSTEMS}."),
    (
        {"agency": "Westside Police"},
        "agency",
        "No law-enforcement agency of the program is called 'Westside Police'.",
    ),
    (
        {"agency": "Harbor Test Recovery"},  # a treatment provider of the program
        "agency",
        "No law-enforcement agency of the program is called 'Harbor Test Recovery'.",
    ),
    ({"booked": "maybe"}, "booked", "Write yes or no."),
    ({"charge_level": "capital"}, "charge_level", "Use felony, misdemeanor, violation or unknown."),
    ({"date_of_birth": "14/07/1985"}, "date_of_birth", "Not a date; write it as 1985-07-14."),
    ({"date_of_birth": "1985-13-01"}, "date_of_birth", "Not a date; write it as 1985-07-14."),
    ({"date_of_birth": "2026-03-11"}, "date_of_birth", "This birth date is in the future."),
    ({"date_of_birth": "1899-12-31"}, "date_of_birth", "This birth date is before 1900."),
    ({"date_of_birth": "2026-03-05"}, "date_of_birth", "This birth date is after the arrest."),
    ({"sex": "Q"}, "sex", "Use female, male, x or unknown."),
    ({"race": "klingon"}, "race", "Not an OMB race code or label (white, black, asian, ...)."),
    ({"ethnicity": "martian"}, "ethnicity", "Use hispanic, not_hispanic or unknown."),
    (
        {"record_number": "R-\x01-9"},
        "record_number",
        "Remove the hidden control characters from this text.",
    ),
    (
        {"id_number": "B\u200b100"},
        "id_number",
        "Remove the hidden control characters from this text.",
    ),
    ({"id_number": "B\t100"}, "id_number", "The id number must be on one line."),
    (
        {"record_number": "R" * 101},
        "record_number",
        "The record number can have at most 100 characters (it has 101).",
    ),
    ({"area": "A" * 41}, "area", "The area can have at most 40 characters (it has 41)."),
]


@pytest.mark.parametrize(("overrides", "column", "message"), BAD_VALUES)
def test_a_bad_value_is_reported_at_its_line_and_column(
    cast: Any, overrides: dict[str, str], column: str, message: str
) -> None:
    bad = {**line(record_number="R-2"), **overrides}
    data = csv_data(HEADER, line(), bad, line(record_number="R-3"))
    parsed = read(cast, data)
    assert parsed.problems == [Problem(3, column, message)]
    assert parsed.rows == [] and not parsed.ok


def test_the_limits_themselves_are_accepted(cast: Any) -> None:
    data = csv_data(
        HEADER,
        line(
            record_number="R" * 100,
            id_number="B" * 100,
            area="A" * 40,
            arrested_at="1990-01-01 12:00",
            date_of_birth="1900-01-01",
        ),
        line(record_number="R-2", arrested_at="2026-03-10 05:59", date_of_birth="2026-03-10"),
    )
    parsed = read(cast, data)
    assert parsed.ok, parsed.problems
    assert [len(parsed.rows[0].record_number), len(parsed.rows[0].area)] == [100, 40]


def test_an_agency_of_another_program_or_archived_is_not_matched(cast: Any) -> None:
    other = ProgramFactory.create(name="Other County Program")
    AgencyFactory.create(program=other, name="Westside Police", kind="law_enforcement")
    cast.police_b.archived_at = NOW
    cast.police_b.save()
    parsed = read(
        cast,
        csv_data(
            HEADER,
            line(agency="Westside Police"),
            line(record_number="R-2", agency="Southside Police Department"),
        ),
    )
    assert parsed.problems == [
        Problem(
            2, "agency", "No law-enforcement agency of the program is called 'Westside Police'."
        ),
        Problem(
            3,
            "agency",
            "No law-enforcement agency of the program is called 'Southside Police Department'.",
        ),
    ]
    assert parsed.rows == []


def test_every_problem_of_a_line_is_reported(cast: Any) -> None:
    data = csv_data(HEADER, line(booked="maybe", sex="Q", id_system="fbi"))
    parsed = read(cast, data)
    assert parsed.problems == [
        Problem(2, "id_system", f"Not an identifier system: use one of {SYSTEMS}."),
        Problem(2, "booked", "Write yes or no."),
        Problem(2, "sex", "Use female, male, x or unknown."),
    ]
    assert [str(p) for p in parsed.problems][1] == "Line 2, booked: Write yes or no."


def test_a_record_number_on_two_lines_names_the_first(cast: Any) -> None:
    data = csv_data(
        HEADER,
        line(record_number="R-1"),
        line(record_number="R-2"),
        line(record_number="R-1", id_number="B-999"),
    )
    parsed = read(cast, data)
    assert parsed.problems == [
        Problem(4, "record_number", "The same record number is also on line 2.")
    ]
    assert parsed.rows == []


def test_a_damaged_xlsx(cast: Any) -> None:
    for data in (b"this is not a workbook", xlsx_data([["record_number"]])[:300]):
        parsed = read(cast, data, name="arrests.xlsx")
        assert parsed.problems == [
            Problem(0, "", "The file could not be read as an Excel workbook (.xlsx).")
        ]
        assert parsed.rows == []
    # a CSV named .xlsx
    parsed = read(cast, csv_data(HEADER, line()), name="arrests.xlsx")
    assert parsed.problems == [
        Problem(0, "", "The file could not be read as an Excel workbook (.xlsx).")
    ]


def test_an_xlsx_whose_sheet_is_damaged_is_a_problem_not_a_crash(cast: Any) -> None:
    good = xlsx_data([HEADER, [GOOD[c] for c in HEADER]])
    damaged = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(good)) as zin, zipfile.ZipFile(damaged, "w") as zout:
        for item in zin.infolist():
            content = zin.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                content = content[: len(content) // 2]  # the sheet's XML cut short
            zout.writestr(item, content)
    parsed = read(cast, damaged.getvalue(), name="arrests.xlsx")
    assert parsed.problems == [
        Problem(0, "", "The file could not be read as an Excel workbook (.xlsx).")
    ]
    assert parsed.rows == []


def test_a_birth_date_after_the_arrest_is_judged_by_the_local_date(cast: Any) -> None:
    # 20:00 on March 4 in Chicago is 02:00 on March 5 in UTC: born on March 5 is after the
    # arrest's (local) day
    data = csv_data(HEADER, line(arrested_at="2026-03-04 20:00", date_of_birth="2026-03-05"))
    parsed = read(cast, data)
    assert parsed.problems == [Problem(2, "date_of_birth", "This birth date is after the arrest.")]


def test_problems_print_with_their_place() -> None:
    assert str(Problem(0, "", "Import a .csv or .xlsx file.")) == (
        "The file: Import a .csv or .xlsx file."
    )
    assert str(Problem(7, "sex", "Use female, male, x or unknown.")) == (
        "Line 7, sex: Use female, male, x or unknown."
    )
    assert str(Problem(1, "", "Missing column(s): id_number.")) == (
        "Line 1: Missing column(s): id_number."
    )
