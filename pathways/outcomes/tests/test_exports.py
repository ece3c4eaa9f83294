"""Reports as CSV, XLSX and PDF: the figures as the page prints them, hidden ones only as "*"
(their numbers nowhere in the file), spreadsheet formulas neutralised, percentages as fractions
in the workbook, long and wide tables in the PDF, names the core font cannot print, and the
download response (content type, file name, unknown formats refused)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zipfile
from typing import Any

import pytest
from openpyxl import load_workbook
from openpyxl.worksheet.worksheet import Worksheet
from pypdf import PdfReader

from pathways.outcomes.exports import (
    export_response,
    report_csv,
    report_pdf,
    report_xlsx,
    sheet_name,
)
from pathways.outcomes.tables import (
    SUPPRESSION_NOTE,
    Bar,
    BarChart,
    Chart,
    Column,
    Kind,
    Report,
    Row,
    Section,
    Table,
    Value,
    text,
)

# 15:30 UTC is 09:30 in Chicago (CST) on Nov 22, 2026; no digit 7 anywhere in the report text.
AS_OF = dt.datetime(2026, 11, 22, 15, 30, tzinfo=dt.UTC)
HIDDEN = 7
FORMULAS = ("=1+1", "@SUM(A1)", "+cmd")
SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 20" width="100" height="20">'
    '<rect x="0" y="0" width="50" height="20" fill="#005ea2"/></svg>'
)


def funnel_section() -> Section:
    return Section(
        heading="Referrals by pathway",
        intro="People referred in the period, by the pathway that referred them.",
        table=Table(
            title="Referrals by pathway",
            columns=[
                Column("Pathway", Kind.TEXT),
                Column("Referred"),
                Column("Engaged", Kind.PERCENT),
                Column("Days to intake", Kind.DAYS),
                Column("Cost", Kind.MONEY),
            ],
            rows=[
                Row(
                    "Self referral",
                    [
                        Value(1200),
                        Value(62.5, Kind.PERCENT),
                        Value(3.5, Kind.DAYS),
                        Value(4500, Kind.MONEY),
                    ],
                    key="self",
                ),
                Row(
                    "Officer referral",
                    [
                        Value(HIDDEN, hidden=True),
                        Value(HIDDEN * 10 + HIDDEN, Kind.PERCENT, hidden=True),
                        Value(None, Kind.DAYS, text="no data"),
                        Value(None, Kind.MONEY),
                    ],
                    key="officer",
                ),
            ],
            notes=["Engaged: at least two sessions within a month of intake."],
        ),
        chart=BarChart(
            title="Referred",
            bars=[
                Bar("Self referral", Value(1200)),
                Bar("Officer referral", Value(HIDDEN, hidden=True)),
            ],
        ),
    )


def equity_section() -> Section:
    return Section(
        heading="Relative rate index: diversion [by race]?",
        table=Table(
            title="Relative rates",
            columns=[Column("Group", Kind.TEXT), Column("Rate", Kind.RATIO)],
            rows=[
                Row("Group one", [Value(1.25, Kind.RATIO)], flagged=True),
                Row("Group two", [Value(0.95, Kind.RATIO)]),
                *(Row(label, [Value(1.5, Kind.RATIO)]) for label in FORMULAS),
            ],
        ),
    )


def make_report(*sections: Section, suppressed: bool = True) -> Report:
    return Report(
        slug="funnel",
        title="Referral funnel",
        filters=[("Program", "Riverside County"), ("Period", "Q3 2026")],
        as_of=AS_OF,
        time_zone="America/Chicago",
        sections=list(sections) or [funnel_section(), equity_section()],
        method=["Counts are people, not referrals.", "Rates use the census of 2020."],
        suppressed=suppressed,
    )


def csv_rows(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def pdf_text(data: bytes) -> tuple[PdfReader, str]:
    reader = PdfReader(io.BytesIO(data))
    return reader, "\n".join(page.extract_text() for page in reader.pages)


def sheet_cells(ws: Worksheet) -> list[Any]:
    return [cell for row in ws.iter_rows() for cell in row]


def svg_for(chart: Chart) -> str:
    return SVG


# --- CSV -----------------------------------------------------------------------------------


def test_csv_layout_and_values() -> None:
    rows = csv_rows(report_csv(make_report()))
    assert rows[0] == ["Referral funnel"]
    assert rows[1] == ["Program: Riverside County"]
    assert rows[2] == ["Period: Q3 2026"]
    assert rows[3] == ["Figures as of 2026-11-22 09:30 CST"]
    start = rows.index(["Referrals by pathway"])
    assert rows[start + 1] == ["Pathway", "Referred", "Engaged", "Days to intake", "Cost"]
    assert rows[start + 2] == ["Self referral", "1,200", "62.5%", "3.5 d", "$4,500"]
    assert rows[start + 3] == ["Officer referral", "*", "*", "no data", "–"]
    assert rows[start + 4] == ["Engaged: at least two sessions within a month of intake."]
    assert rows[start + 5] == []
    equity = rows.index(["Relative rate index: diversion [by race]?"])
    assert rows[equity + 1] == ["Group", "Rate", "Flagged"]
    assert rows[equity + 2] == ["Group one", "1.25", "Yes"]
    assert rows[equity + 3] == ["Group two", "0.95", ""]
    assert rows[-3] == [SUPPRESSION_NOTE]
    assert rows[-2:] == [["Counts are people, not referrals."], ["Rates use the census of 2020."]]


def test_csv_hidden_numbers_appear_nowhere() -> None:
    data = report_csv(make_report()).decode("utf-8-sig")
    assert "7" not in data
    assert "*" in data


def test_csv_neutralises_formulas() -> None:
    rows = csv_rows(report_csv(make_report()))
    labels = {r[0] for r in rows if r}
    for formula in FORMULAS:
        assert formula not in labels
        assert "'" + formula in labels


def test_csv_suppression_note_only_when_something_is_hidden() -> None:
    shown = Section(
        heading="All shown",
        table=Table("All shown", [Column("Pathway", Kind.TEXT), Column("N")], [Row("A", [])]),
    )
    assert SUPPRESSION_NOTE not in report_csv(make_report(shown)).decode("utf-8-sig")
    unsuppressed = report_csv(make_report(funnel_section(), suppressed=False))
    assert SUPPRESSION_NOTE not in unsuppressed.decode("utf-8-sig")


# --- XLSX ----------------------------------------------------------------------------------


def test_xlsx_summary_and_sheets() -> None:
    wb = load_workbook(io.BytesIO(report_xlsx(make_report())))
    assert wb.sheetnames == ["Summary", "Referrals by pathway", "Relative rate index diversion"]
    summary = [c.value for c in sheet_cells(wb["Summary"]) if c.value is not None]
    assert summary[0] == "Referral funnel"
    for expected in (
        "Program",
        "Riverside County",
        "Q3 2026",
        "Figures as of",
        "2026-11-22 09:30 CST",
        "Counts are people, not referrals.",
        SUPPRESSION_NOTE,
    ):
        assert expected in summary


def test_xlsx_numbers_formats_and_hidden_values() -> None:
    wb = load_workbook(io.BytesIO(report_xlsx(make_report())))
    ws = wb["Referrals by pathway"]
    assert ws["A1"].value == "Referrals by pathway"
    assert [c.value for c in ws[2]] == ["Pathway", "Referred", "Engaged", "Days to intake", "Cost"]
    assert all(c.font.bold for c in ws[2])
    assert ws.freeze_panes == "B3"
    referred, engaged, days, cost = ws["B3"], ws["C3"], ws["D3"], ws["E3"]
    assert (referred.value, referred.number_format) == (1200, "#,##0")
    assert (engaged.value, engaged.number_format) == (0.625, "0.0%")
    assert (days.value, days.number_format) == (3.5, "0.0")
    assert (cost.value, cost.number_format) == (4500, "$#,##0")
    assert [c.value for c in ws[4]] == ["Officer referral", "*", "*", "no data", None]
    assert ws["B4"].data_type == "s"
    assert ws.column_dimensions["A"].width >= len("Officer referral")
    ratios = wb["Relative rate index diversion"]
    assert (ratios["B3"].value, ratios["B3"].number_format) == (1.25, "0.00")


def test_xlsx_hidden_numbers_appear_nowhere() -> None:
    wb = load_workbook(io.BytesIO(report_xlsx(make_report())))
    for ws in wb.worksheets:
        for cell in sheet_cells(ws):
            assert cell.value not in (HIDDEN, HIDDEN / 100, 0.77, 77)
            assert "7" not in str(cell.value if cell.value is not None else "")


def test_xlsx_formulas_are_strings() -> None:
    data = report_xlsx(make_report())
    wb = load_workbook(io.BytesIO(data))
    ws = wb["Relative rate index diversion"]
    labels = {c.value: c for c in ws["A"] if c.value}
    for formula in FORMULAS:
        cell = labels["'" + formula]
        assert cell.data_type == "s"
    assert not any(c.data_type == "f" for w in wb.worksheets for c in sheet_cells(w))
    # nor a formula element in the file itself
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        sheets = [z.read(n) for n in z.namelist() if n.startswith("xl/worksheets/")]
    assert not any(b"<f>" in s or b"<f " in s for s in sheets)


def test_xlsx_marks_flagged_rows() -> None:
    wb = load_workbook(io.BytesIO(report_xlsx(make_report())))
    ws = wb["Relative rate index diversion"]
    assert [c.value for c in ws[2]] == ["Group", "Rate", "Flagged"]
    assert [c.value for c in ws[3]] == ["Group one", 1.25, "Yes"]
    assert ws["A3"].fill.fgColor.rgb != ws["A4"].fill.fgColor.rgb
    assert ws["C4"].value is None


def test_sheet_names_are_valid_and_unique() -> None:
    taken = {"summary"}
    names = [
        sheet_name(h, taken)
        for h in [
            "Summary",
            "A very long heading that is well over thirty-one characters",
            "A very long heading that is well over thirty-one characters",
            "a/b\\c:d*e?f[g]h",
            "",
            "'quoted'",
            "History",
        ]
    ]
    assert names[0] == "Summary (2)"
    assert len({n.lower() for n in names}) == len(names)
    for name in names:
        assert 0 < len(name) <= 31
        assert not re.search(r"[\[\]:*?/\\]", name)
        assert not name.startswith("'") and not name.endswith("'")
        assert name.lower() != "history"
    wb_names = load_workbook(
        io.BytesIO(
            report_xlsx(
                make_report(
                    *(
                        Section(heading=h, table=Table(h, [Column("X", Kind.TEXT)], []))
                        for h in ["Same", "same", "Same"]
                    )
                )
            )
        )
    ).sheetnames
    assert wb_names == ["Summary", "Same", "same (2)", "Same (3)"]


# --- PDF -----------------------------------------------------------------------------------


def test_pdf_values_and_hidden_numbers() -> None:
    reader, content = pdf_text(report_pdf(make_report()))
    assert reader.pages[0].mediabox.width == pytest.approx(612)
    assert reader.pages[0].mediabox.height == pytest.approx(792)
    for expected in (
        "Referral funnel",
        "Program: Riverside County",
        "Figures as of 2026-11-22 09:30 CST",
        "Referrals by pathway",
        "1,200",
        "62.5%",
        "3.5 d",
        "$4,500",
        "no data",
        "Engaged: at least two sessions",
        "Suppressed: counts of 1 to 10",
        "Method",
        "Rates use the census of 2020.",
        "Page 1 of 1",
        "=1+1",
    ):
        assert expected in content, expected
    assert "*" in content
    assert "7" not in content


def test_pdf_with_chart() -> None:
    drawn: list[Chart] = []

    def draw(chart: Chart) -> str:
        drawn.append(chart)
        return SVG

    data = report_pdf(make_report(), svg_for=draw)
    assert len(drawn) == 1 and isinstance(drawn[0], BarChart)
    _, content = pdf_text(data)
    assert "1,200" in content
    assert "7" not in content
    assert len(data) > len(report_pdf(make_report()))


def test_pdf_long_wide_table_spans_pages_with_header_repeated() -> None:
    columns = [Column("Pathway", Kind.TEXT)] + [Column(f"Measure {c}") for c in "ABCDEFGHI"]
    rows = [
        Row(f"Pathway number {n}", [Value(100 + n * 10 + c) for c in range(9)]) for n in range(30)
    ]
    wide = Section(heading="Everything", table=Table("Everything", columns, rows))
    reader, _ = pdf_text(report_pdf(make_report(funnel_section(), wide), svg_for=svg_for))
    pages = [page.extract_text() for page in reader.pages]
    assert len(pages) >= 3
    with_table = [p for p in pages if "Pathway number" in p]
    assert len(with_table) >= 2
    for page in with_table:
        assert "Measure A" in page and "Measure I" in page
    assert f"Page 1 of {len(pages)}" in pages[0]
    assert f"Page {len(pages)} of {len(pages)}" in pages[-1]
    # the wide section is on landscape pages, the report starts in portrait
    assert reader.pages[0].mediabox.width < reader.pages[0].mediabox.height
    landscape = [p for p in reader.pages if "Pathway number" in p.extract_text()]
    assert all(p.mediabox.width > p.mediabox.height for p in landscape)


def test_pdf_prints_what_helvetica_cannot_as_question_marks() -> None:
    section = Section(
        heading="By worker – “Nguyễn” 张",
        table=Table(
            "By worker",
            [Column("Worker", Kind.TEXT), Column("Cases")],
            [Row("Nguyễn Văn An", [Value(12)]), Row("Peña", [Value(30)])],
        ),
    )
    report = make_report(section)
    report.title = "Caseloads — Nguyễn"
    _, content = pdf_text(report_pdf(report))
    assert "Nguy?n V?n An" in content
    assert "Peña" in content
    assert 'By worker - "Nguy?n" ?' in content
    assert "cannot print are shown as ?" in content


# --- the download --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fmt", "content_type", "magic"),
    [
        ("csv", "text/csv; charset=utf-8", b"\xef\xbb\xbf"),
        ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", b"PK"),
        ("pdf", "application/pdf", b"%PDF"),
    ],
)
def test_export_response(fmt: str, content_type: str, magic: bytes) -> None:
    response = export_response(make_report(), fmt, svg_for=svg_for)
    assert response.status_code == 200
    assert response["Content-Type"] == content_type
    assert response["Content-Disposition"] == (
        f'attachment; filename="pathways-funnel-2026-11-22.{fmt}"'
    )
    assert response.content.startswith(magic)


def test_file_name_uses_the_local_date() -> None:
    report = make_report()
    report.as_of = dt.datetime(2026, 11, 23, 3, 0, tzinfo=dt.UTC)  # still the 22nd in Chicago
    assert (
        'filename="pathways-funnel-2026-11-22.csv"'
        in (export_response(report, "csv")["Content-Disposition"])
    )


@pytest.mark.parametrize("fmt", ["docx", "", "CSV", "pdf "])
def test_export_response_rejects_other_formats(fmt: str) -> None:
    with pytest.raises(ValueError):
        export_response(make_report(), fmt)


def test_time_zone_in_as_of_line() -> None:
    report = make_report()
    report.time_zone = "America/Los_Angeles"
    report.as_of = dt.datetime(2026, 6, 1, 16, 45, tzinfo=dt.UTC)
    line = "Figures as of 2026-06-01 09:45 PDT"
    assert [line] in csv_rows(report_csv(report))
    assert line in pdf_text(report_pdf(report))[1]
    wb = load_workbook(io.BytesIO(report_xlsx(report)))
    assert "2026-06-01 09:45 PDT" in [c.value for c in sheet_cells(wb["Summary"])]


def test_text_values() -> None:
    section = Section(
        heading="Notes",
        table=Table(
            "Notes",
            [Column("Pathway", Kind.TEXT), Column("Status", Kind.TEXT)],
            [Row("Self", [text("=open")])],
        ),
    )
    report = make_report(section)
    assert ["Self", "'=open"] in csv_rows(report_csv(report))
    ws = load_workbook(io.BytesIO(report_xlsx(report)))["Notes"]
    assert (ws["B3"].value, ws["B3"].data_type) == ("'=open", "s")


def test_empty_and_ragged_tables_build() -> None:
    sections = [
        Section("No rows", Table("No rows", [Column("Pathway", Kind.TEXT), Column("N")], [])),
        Section("No columns", Table("No columns", [], [])),
        Section(
            "Ragged",
            Table(
                "Ragged",
                [Column("Pathway", Kind.TEXT)],
                [Row("Self\x01 referral", [Value(None), Value(3, Kind.HOURS)])],
            ),
        ),
    ]
    report = make_report(*sections)
    report.title = "A long title " * 20
    assert ["Self\x01 referral", "–", "3.0 h"] in csv_rows(report_csv(report))
    ws = load_workbook(io.BytesIO(report_xlsx(report)))["Ragged"]
    assert [c.value for c in ws[3]] == ["Self referral", None, 3]
    assert "3.0 h" in pdf_text(report_pdf(report))[1]
    report.sections = []
    for build in (report_csv, report_xlsx, report_pdf):
        assert build(report)
