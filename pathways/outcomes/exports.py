"""A report as a file: CSV, XLSX or PDF bytes, and the download response.

All three are built from the same `Report` (see tables.py) and print what the page prints: a
hidden figure is only ever the text "*" (renderers never see its number), the title, the filters
and the time the figures were extracted, in the program's time zone, come first, and the
suppression note and the method last.

Every text cell of the CSV and the XLSX goes through `safe_cell`, so a label such as "=1+1"
cannot become a formula; the XLSX also stores its text cells as strings, never as formulas.
The PDF uses the core Helvetica font (no font file ships with the app), which prints Latin-1
only: other characters are printed as "?", and a line at the end says so."""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import re
import zoneinfo
from collections.abc import Callable, Iterable
from typing import Any

from django.http import HttpResponse
from fpdf import FPDF
from fpdf.enums import PageOrientation
from fpdf.fonts import FontFace
from fpdf.svg import SVGObject
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

from pathways.core.exports import safe_cell
from pathways.core.pdftext import Printable
from pathways.outcomes.tables import SUPPRESSION_NOTE, Chart, Kind, Report, Section, Table, Value

FORMATS: dict[str, tuple[str, str]] = {
    "csv": ("text/csv; charset=utf-8", "csv"),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
    "pdf": ("application/pdf", "pdf"),
}

FLAGGED = "Flagged"
FLAGGED_YES = "Yes"
METHOD = "Method"
REPLACED_NOTE = "Characters this document cannot print are shown as ?."
FLAGGED_NOTE = "Shaded rows are flagged."

# --- shared --------------------------------------------------------------------------------


def as_of_text(report: Report) -> str:
    """When the figures were extracted, in the report's time zone: "2026-11-22 09:30 CST"."""
    moment = report.as_of
    if moment.tzinfo is None:  # the model stores UTC
        moment = moment.replace(tzinfo=dt.UTC)
    local = moment.astimezone(zoneinfo.ZoneInfo(report.time_zone))
    return f"{local:%Y-%m-%d %H:%M} {local.tzname()}"


def as_of_line(report: Report) -> str:
    return f"Figures as of {as_of_text(report)}"


def _as_of_date(report: Report) -> dt.date:
    moment = report.as_of
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(zoneinfo.ZoneInfo(report.time_zone)).date()


def _shows_suppression_note(report: Report) -> bool:
    return report.suppressed and report.any_hidden


def _width(table: Table) -> int:
    """How many columns the table has: its column labels, or its longest row plus its label."""
    longest = max((len(r.values) for r in table.rows), default=0)
    return max(len(table.columns), longest + 1)


def _header(table: Table) -> list[str]:
    labels = [c.label for c in table.columns]
    return labels + [""] * (_width(table) - len(labels))


def _any_flagged(table: Table) -> bool:
    return any(r.flagged for r in table.rows)


def _kind(table: Table, index: int) -> Kind:
    """The kind of column `index` (0 is the row label)."""
    if index < len(table.columns):
        return table.columns[index].kind
    return Kind.COUNT


def filename(report: Report, fmt: str) -> str:
    """pathways-<slug>-<as-of date>.<ext>, the slug kept to letters, digits, - and _."""
    slug = re.sub(r"[^A-Za-z0-9_-]+", "-", report.slug).strip("-") or "report"
    return f"pathways-{slug}-{_as_of_date(report).isoformat()}.{FORMATS[fmt][1]}"


# --- CSV -----------------------------------------------------------------------------------


def report_csv(report: Report) -> bytes:
    """The report as CSV, UTF-8 with a byte-order mark so that Excel reads it right."""
    out = io.StringIO()
    writer = csv.writer(out)

    def line(*cells: Any) -> None:
        writer.writerow([safe_cell(c) for c in cells])

    line(report.title)
    for label, value in report.filters:
        line(f"{label}: {value}")
    line(as_of_line(report))
    line()
    for section in report.sections:
        table = section.table
        flagged = _any_flagged(table)
        line(section.heading)
        line(*_header(table), *([FLAGGED] if flagged else []))
        pad = _width(table) - 1
        for row in table.rows:
            cells = [v.display() for v in row.values]
            cells += [""] * (pad - len(cells))
            line(row.label, *cells, *([FLAGGED_YES if row.flagged else ""] if flagged else []))
        for note in table.notes:
            line(note)
        line()
    if _shows_suppression_note(report):
        line(SUPPRESSION_NOTE)
    for paragraph in report.method:
        line(paragraph)
    return out.getvalue().encode("utf-8-sig")


# --- XLSX ----------------------------------------------------------------------------------

NUMBER_FORMATS: dict[Kind, str] = {
    Kind.COUNT: "#,##0",
    Kind.PERCENT: "0.0%",
    Kind.HOURS: "0.0",
    Kind.DAYS: "0.0",
    Kind.RATIO: "0.00",
    Kind.MONEY: "$#,##0",
}
SHEET_NAME_MAX = 31
_SHEET_NAME_BAD = re.compile(r"[\[\]:*?/\\]")
_RESERVED_SHEET_NAMES = {"history"}
HEADER_FILL = PatternFill("solid", fgColor="DFE1E2")
FLAGGED_FILL = PatternFill("solid", fgColor="FFF1D0")
HEADER_BORDER = Border(bottom=Side(style="thin", color="71767A"))
BOLD = Font(bold=True)
TITLE_FONT = Font(bold=True, size=14)
HEADING_FONT = Font(bold=True, size=12)
WRAP = Alignment(wrap_text=True, vertical="top")
RIGHT = Alignment(horizontal="right")


def _xl_text(value: Any) -> str:
    """Text a workbook may hold: no control characters, and never read as a formula."""
    return safe_cell(ILLEGAL_CHARACTERS_RE.sub("", "" if value is None else str(value)))


def _put_text(ws: Any, row: int, column: int, value: Any) -> Any:
    """A string cell (openpyxl would otherwise take "=..." as a formula, "#N/A" as an error)."""
    cell = ws.cell(row=row, column=column)
    cell.value = _xl_text(value)
    cell.data_type = "s"
    return cell


def _put_value(ws: Any, row: int, column: int, value: Value) -> Any:
    """A figure: a number with its kind's format, "*" when hidden, empty (or its note) when
    there is none."""
    cell = ws.cell(row=row, column=column)
    if value.hidden:
        cell = _put_text(ws, row, column, "*")
        cell.alignment = RIGHT
        return cell
    number = value.shown
    if value.kind is Kind.TEXT or number is None or not math.isfinite(number):
        return _put_text(ws, row, column, value.text) if value.text else cell
    if value.kind is Kind.PERCENT:
        number = number / 100
    elif float(number).is_integer():
        number = int(number)
    cell.value = number
    cell.number_format = NUMBER_FORMATS[value.kind]
    return cell


def sheet_name(heading: str, taken: set[str]) -> str:
    """A worksheet name from a heading: at most 31 characters, none of []:*?/\\, not starting
    or ending with an apostrophe, and not already in `taken` (compared case-insensitively, as
    Excel does). The name is added to `taken`."""
    name = _SHEET_NAME_BAD.sub(" ", ILLEGAL_CHARACTERS_RE.sub("", heading))
    name = " ".join(name.split()).strip("'").strip()
    if len(name) > SHEET_NAME_MAX:  # cut at a word when one ends late enough
        cut = name[: SHEET_NAME_MAX + 1].rfind(" ")
        name = name[: cut if cut >= SHEET_NAME_MAX // 2 else SHEET_NAME_MAX]
    name = name.strip().strip("'").strip() or "Section"
    candidate, n = name, 1
    while candidate.lower() in taken or candidate.lower() in _RESERVED_SHEET_NAMES:
        n += 1
        suffix = f" ({n})"
        candidate = name[: SHEET_NAME_MAX - len(suffix)].rstrip().rstrip("'") + suffix
    taken.add(candidate.lower())
    return candidate


def _fit(texts: Iterable[str], *, low: float, high: float) -> float:
    longest = max((len(t) for t in texts), default=0)
    return max(low, min(high, longest + 2))


def _summary_sheet(ws: Any, report: Report) -> None:
    ws.title = "Summary"
    row = 1
    _put_text(ws, row, 1, report.title).font = TITLE_FONT
    row += 2
    for label, value in report.filters:
        _put_text(ws, row, 1, label).font = BOLD
        _put_text(ws, row, 2, value)
        row += 1
    _put_text(ws, row, 1, "Figures as of").font = BOLD
    _put_text(ws, row, 2, as_of_text(report))
    row += 2
    if report.method:
        _put_text(ws, row, 1, METHOD).font = BOLD
        for paragraph in report.method:
            _put_text(ws, row, 2, paragraph).alignment = WRAP
            row += 1
        row += 1
    if _shows_suppression_note(report):
        _put_text(ws, row, 2, SUPPRESSION_NOTE).alignment = WRAP
    labels = [label for label, _ in report.filters] + ["Figures as of", METHOD]
    ws.column_dimensions["A"].width = _fit(labels, low=14, high=40)
    ws.column_dimensions["B"].width = 100


def _section_sheet(ws: Any, section: Section, suppressed: bool) -> None:
    table = section.table
    width = _width(table)
    flagged = _any_flagged(table)
    _put_text(ws, 1, 1, section.heading).font = HEADING_FONT
    header = _header(table) + ([FLAGGED] if flagged else [])
    for col, label in enumerate(header, start=1):
        cell = _put_text(ws, 2, col, label)
        cell.font = BOLD
        cell.fill = HEADER_FILL
        cell.border = HEADER_BORDER
        cell.alignment = Alignment(
            wrap_text=True,
            vertical="bottom",
            horizontal="left" if col == 1 or _kind(table, col - 1) is Kind.TEXT else "right",
        )
    row = 3
    for data in table.rows:
        cells = [_put_text(ws, row, 1, data.label)]
        for col, value in enumerate(data.values, start=2):
            cells.append(_put_value(ws, row, col, value))
        if flagged:
            cells.append(_put_text(ws, row, width + 1, FLAGGED_YES if data.flagged else ""))
        if data.flagged:
            for col in range(1, len(header) + 1):
                ws.cell(row=row, column=col).fill = FLAGGED_FILL
        row += 1
    ws.freeze_panes = "B3"
    notes = list(table.notes)
    if suppressed and table.any_hidden:
        notes.append(SUPPRESSION_NOTE)
    row += 1 if notes else 0
    for note in notes:
        _put_text(ws, row, 1, note)
        row += 1
    ws.column_dimensions["A"].width = _fit(
        [header[0], *(r.label for r in table.rows)], low=14, high=50
    )
    for col in range(2, len(header) + 1):
        texts = [header[col - 1]]
        if col <= width:
            texts += [r.values[col - 2].display() for r in table.rows if len(r.values) > col - 2]
        ws.column_dimensions[get_column_letter(col)].width = _fit(texts, low=10, high=24)


def report_xlsx(report: Report) -> bytes:
    """The report as a workbook: a Summary sheet, then one sheet per section."""
    wb = Workbook()
    summary = wb.active
    assert summary is not None
    _summary_sheet(summary, report)
    taken = {"summary"}
    for section in report.sections:
        ws = wb.create_sheet(sheet_name(section.heading, taken))
        _section_sheet(ws, section, report.suppressed)
    wb.properties.title = _xl_text(report.title)
    wb.properties.creator = "Pathways"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


# --- PDF -----------------------------------------------------------------------------------

PAGE_MARGIN = 15.0  # mm
INK = (27, 27, 27)
MUTED = (86, 92, 101)
RULE = (169, 174, 177)
HEADER_SHADE = (223, 225, 226)
FLAGGED_SHADE = (255, 241, 208)
CHART_MAX_HEIGHT = 110.0  # mm
LANDSCAPE_FROM = 9  # columns, the row label included
SMALL_FONT_FROM = 6


class _ReportPdf(FPDF):
    def __init__(self, footer_left: str) -> None:
        super().__init__(orientation="P", unit="mm", format="letter")
        self.footer_left = footer_left

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font("helvetica", size=8)
        self.set_text_color(*MUTED)
        page = f"Page {self.page_no()} of {{nb}}"
        room = self.epw - self.get_string_width(page.replace("{nb}", "0000")) - 6
        left = self.footer_left
        if self.get_string_width(left) > room:
            while left and self.get_string_width(left + "...") > room:
                left = left[:-1]
            left = left.rstrip() + "..."
        self.cell(0, 4, left, align="L")
        self.set_x(self.l_margin)
        self.cell(0, 4, page, align="R")

    @property
    def landscape(self) -> bool:
        return bool(self.cur_orientation is PageOrientation.LANDSCAPE)


def _svg_ratio(svg: str) -> float:
    """The chart's height over its width, from its viewBox (or width and height)."""
    parsed = SVGObject(svg.encode())
    if parsed.viewbox:
        _, _, w, h = parsed.viewbox
        if w and h:
            return float(h) / float(w)
    if parsed.width and parsed.height:
        return float(parsed.height) / float(parsed.width)
    return 0.5


def report_pdf(report: Report, *, svg_for: Callable[[Chart], str] | None = None) -> bytes:
    """The report as a letter-size PDF: the title, filters and as-of time, then each section
    (its heading, its chart when `svg_for` draws it, its table and notes), then the suppression
    note and the method. Sections with many columns get landscape pages."""
    safe = Printable()
    pdf = _ReportPdf(safe(report.title))
    pdf.set_title(safe(report.title))
    pdf.set_creator("Pathways")
    pdf.set_lang("en")
    pdf.set_margins(PAGE_MARGIN, 15, PAGE_MARGIN)
    pdf.set_auto_page_break(auto=True, margin=18)
    pdf.add_page()

    def text(
        value: str, *, size: float = 10, style: str = "", color: Any = INK, h: float = 5
    ) -> None:
        pdf.set_font("helvetica", style=style, size=size)
        pdf.set_text_color(*color)
        pdf.multi_cell(pdf.epw, h, safe(value), align="L", new_x="LMARGIN", new_y="NEXT")

    text(report.title, size=16, style="B", h=8)
    for label, value in report.filters:
        text(f"{label}: {value}", size=10, color=MUTED)
    text(as_of_line(report), size=10, color=MUTED)
    pdf.ln(3)

    any_flagged = False
    for section in report.sections:
        any_flagged |= _pdf_section(pdf, section, safe, text, svg_for)

    closing: list[tuple[str, str]] = []
    if _shows_suppression_note(report):
        closing.append(("", SUPPRESSION_NOTE))
    if any_flagged:
        closing.append(("", FLAGGED_NOTE))
    if report.method:
        closing.append((METHOD, ""))
        closing += [("", p) for p in report.method]
    if safe.replaced:
        closing.append(("", REPLACED_NOTE))
    if closing:
        pdf.ln(2)
        for heading, paragraph in closing:
            if heading:
                if pdf.will_page_break(15):
                    pdf.add_page(same=True)
                pdf.ln(2)
                text(heading, size=12, style="B", h=6)
            else:
                text(paragraph, size=9, h=4.5)
                pdf.ln(1)
    return bytes(pdf.output())


def _pdf_section(
    pdf: _ReportPdf,
    section: Section,
    safe: Printable,
    text: Callable[..., None],
    svg_for: Callable[[Chart], str] | None,
) -> bool:
    """Draws one section; True when one of its rows is flagged."""
    table = section.table
    width = _width(table)
    wide = width >= LANDSCAPE_FROM
    if wide and not pdf.landscape:
        pdf.add_page(orientation="L")
    elif not wide and pdf.landscape:
        pdf.add_page(orientation="P")
    svg = svg_for(section.chart) if svg_for is not None and section.chart is not None else ""
    # the chart's labels are drawn with the same core font: the same replacements apply
    svg = safe(svg)
    chart_w = chart_h = 0.0
    if svg:
        chart_w = pdf.epw
        ratio = _svg_ratio(svg)
        chart_h = chart_w * ratio
        if chart_h > CHART_MAX_HEIGHT:
            chart_h, chart_w = CHART_MAX_HEIGHT, CHART_MAX_HEIGHT / ratio
    # keep the heading with what follows it
    if pdf.will_page_break(12 + (chart_h if svg else 25)):
        pdf.add_page(same=True)
    pdf.ln(2)
    text(section.heading, size=13, style="B", h=7)
    if section.table.title and section.table.title != section.heading:
        text(section.table.title, size=10, style="B", color=MUTED)
    if section.intro:
        text(section.intro, size=9.5, h=4.8)
    pdf.ln(1)
    if svg:
        pdf.image(
            io.BytesIO(svg.strip().encode()),
            x=pdf.l_margin + (pdf.epw - chart_w) / 2,
            w=chart_w,
            h=chart_h,
            alt_text=safe(section.chart.title if section.chart is not None else ""),
        )
        pdf.ln(3)
    flagged = _pdf_table(pdf, table, width, safe)
    if table.notes:
        pdf.ln(1)
        for note in table.notes:
            text(note, size=8.5, color=MUTED, h=4.2)
    pdf.ln(4)
    return flagged


def _pdf_table(pdf: _ReportPdf, table: Table, width: int, safe: Printable) -> bool:
    """The table with fpdf2's table(): numbers on the right, the header on every page."""
    if width == 0:
        return False
    size = 7.5 if width >= SMALL_FONT_FROM else 9
    aligns = tuple(
        "LEFT" if i == 0 or _kind(table, i) is Kind.TEXT else "RIGHT" for i in range(width)
    )
    label_weight = 2.4 if width > 2 else 1.5
    col_widths = (label_weight, *([1.0] * (width - 1)))
    flagged = False
    pdf.set_font("helvetica", size=size)
    pdf.set_text_color(*INK)
    pdf.set_draw_color(*RULE)
    pdf.set_line_width(0.2)
    with pdf.table(
        width=pdf.epw,
        col_widths=col_widths,
        text_align=aligns,
        borders_layout="HORIZONTAL_LINES",
        headings_style=FontFace(emphasis="BOLD", fill_color=HEADER_SHADE),
        line_height=size * 0.5,
        padding=(1, 1.5, 1, 1.5),
        v_align="MIDDLE",
        repeat_headings=1,
    ) as grid:
        heading = grid.row()
        for label in _header(table):
            heading.cell(safe(label))
        for row in table.rows:
            style = FontFace(emphasis="BOLD", fill_color=FLAGGED_SHADE) if row.flagged else None
            flagged |= row.flagged
            cells = [row.label, *(v.display() for v in row.values)]
            cells += [""] * (width - len(cells))
            line = grid.row(style=style)
            for cell in cells:
                line.cell(safe(cell))
    return flagged


# --- the download --------------------------------------------------------------------------


def export_response(
    report: Report, fmt: str, *, svg_for: Callable[[Chart], str] | None = None
) -> HttpResponse:
    """The report as a download in `fmt` ("csv", "xlsx" or "pdf"); ValueError for any other."""
    if fmt not in FORMATS:
        raise ValueError(f"No export in {fmt!r}.")
    if fmt == "csv":
        body = report_csv(report)
    elif fmt == "xlsx":
        body = report_xlsx(report)
    else:
        body = report_pdf(report, svg_for=svg_for)
    response = HttpResponse(body, content_type=FORMATS[fmt][0])
    response["Content-Disposition"] = f'attachment; filename="{filename(report, fmt)}"'
    return response
