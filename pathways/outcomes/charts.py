"""The report charts, drawn on the server as inline SVG.

`render_svg(chart, chart_id=...)` draws any of the four chart types in `tables` (bars, columns, a
forest plot, survival steps) as one `<svg>` element. There is no script and no CSS: only SVG
presentation attributes, so the page's Content-Security-Policy lets it through and fpdf2 can put
the same drawing in a PDF. A chart only repeats the figures of the table shown with it, so the
SVG is an image with a title and a one-sentence description pointing at that table.

Suppressed figures never reach the drawing: a chart reads `Value.shown` and `Value.display()`
only, so a hidden value draws nothing and prints "*" (a missing one prints "-").

fpdf2 draws SVG text with the PDF core font (Helvetica), which has Latin-1 glyphs only and fails
on anything else (an en dash, an ellipsis). So the text a chart draws is Latin-1: "–" becomes
"-", "…" becomes "...", other characters their unaccented letter or "?". Where that or the
ellipsis of a long label changes a text, the full text is kept in a `<title>` inside the `<text>`
(a tooltip in the browser; fpdf2 skips it), and the page's table has it anyway. Row labels
(bars, forest plot rows) are never cut: a label too long for its column wraps onto more lines
(`<tspan>`s, which fpdf2 draws too) and its row grows to hold them. fpdf2 logs a
warning for the chart's own `<title>` and `<desc>`, which it does not draw:
`render_svg(..., for_pdf=True)` leaves them out."""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from typing import assert_never

from django.utils.html import escape

from pathways.core.pdftext import Printable
from pathways.outcomes.tables import (
    Bar,
    BarChart,
    Chart,
    ColumnChart,
    ForestPlot,
    Interval,
    Kind,
    StepChart,
    StepSeries,
    Value,
)

WIDTH = 640  # the viewBox width of the wide layout (desktops, PDFs)
LABEL_WIDTH = 220  # the column of row labels in the bar chart and the forest plot
#: The narrow layout for phones: the same text size on fewer units, so text stays readable.
NARROW_WIDTH = 400
NARROW_LABEL_WIDTH = 140
FONT_FAMILY = "Source Sans Pro, Helvetica, Arial, sans-serif"
FONT_SIZE = 15
SMALL_FONT_SIZE = 13
CHAR_EM = 0.55  # a generous average glyph width, in em, to guess how much text fits
LINE_HEIGHT = 18  # between the lines of a wrapped label
ROW_HEIGHT = 28  # a row of the bar chart or forest plot with a one-line label

PRIMARY = "#005ea2"
ALERT = "#d54309"
SERIES_COLOURS = ("#005ea2", "#e5a000", "#00a398", "#8168b3")
# Each series also has its own dash pattern, so the lines differ without colour.
SERIES_DASHES = ("none", "9 4", "2 3", "10 3 2 3")
AXIS = "#71767a"
GRID = "#dfe1e2"
INK = "#1b1b1b"

TABLE_SENTENCE = "The same figures are in the table below."

_Attr = str | float | None
_Scale = Callable[[float], float]  # an axis: a value to its coordinate


def render_svg(chart: Chart, *, chart_id: str, for_pdf: bool = False, narrow: bool = False) -> str:
    """The chart as one `<svg>` element (callers mark it safe: every text in it is escaped).

    `chart_id` names the `<title>` and `<desc>` elements (`{chart_id}-title`, `{chart_id}-desc`)
    the SVG is labelled by; it must be unique on the page. The same SVG can go to fpdf2's
    `FPDF.image()`; with `for_pdf` it leaves out the `<title>`, `<desc>` and tooltips, which fpdf2
    does not draw (it logs a warning for the first two). `narrow` lays it out for a phone
    (NARROW_WIDTH units wide, shorter labels)."""
    d = _Drawing(for_pdf=for_pdf, narrow=narrow)
    if isinstance(chart, BarChart):
        kind, height = "bar", _draw_bar_chart(d, chart)
        marked = "Bars" if any(b.value.hidden for b in chart.bars) else ""
    elif isinstance(chart, ColumnChart):
        kind, height = "column", _draw_column_chart(d, chart)
        hidden = any(v.hidden for _, values in chart.series for v in values)
        marked = "Bars" if hidden else ""
    elif isinstance(chart, ForestPlot):
        kind, height = "forest", _draw_forest_plot(d, chart)
        marked = "Rows" if any(i.estimate.hidden for i in chart.intervals) else ""
    elif isinstance(chart, StepChart):
        kind, height = "step", _draw_step_chart(d, chart)
        marked = ""
    else:
        assert_never(chart)

    description = TABLE_SENTENCE
    if marked:
        description += f" {marked} marked * are suppressed."
    root: dict[str, _Attr] = {
        "xmlns": "http://www.w3.org/2000/svg",
        "role": "img",
        "aria-labelledby": None if for_pdf else f"{chart_id}-title {chart_id}-desc",
        "viewBox": f"0 0 {d.width} {_num(height)}",
        "width": "100%",
        "preserveAspectRatio": "xMinYMin meet",
        "data-testid": "chart",
        "data-chart": kind,
    }
    head = ""
    if not for_pdf:
        head = (
            f'<title id="{escape(chart_id)}-title">{escape(_clean(chart.title))}</title>'
            f'<desc id="{escape(chart_id)}-desc">{escape(description)}</desc>'
        )
    body = "".join(d.parts)
    return (
        f"<svg{_attrs(root)}>{head}"
        f'<g font-family="{FONT_FAMILY}" font-size="{FONT_SIZE}" fill="{INK}">{body}</g></svg>'
    )


def nice_ticks(high: float, *, integer: bool = False) -> list[float]:
    """Round axis ticks from 0 up to at least `high`: 3 to 5 of them (0 included), a step of
    1, 2, 2.5 or 5 times a power of ten. With `integer` (counts), the step is a whole number,
    and 2 ticks are possible (0 and 1 when the largest count is 1). Nothing to show gives 0, 1."""
    if not math.isfinite(high) or high <= 0:
        return [0.0, 1.0]
    if integer:
        high = max(high, 1.0)
    first = math.floor(math.log10(high)) - 1
    candidates = (
        _round(m * 10.0**k) for k in range(first, first + 4) for m in (1.0, 2.0, 2.5, 5.0)
    )
    step = next(
        (
            c
            for c in candidates
            if (not integer or (c >= 1 and c == round(c))) and math.ceil(high / c - 1e-9) <= 4
        ),
        10.0 ** (first + 3),  # never needed: one step of that size always covers `high`
    )
    count = max(1, math.ceil(high / step - 1e-9))
    return [_round(i * step) for i in range(count + 1)]


# ---------------------------------------------------------------------------------------------
# Drawing


class _Drawing:
    """The SVG elements of one chart, in order. Every text and attribute value is escaped."""

    def __init__(self, *, for_pdf: bool, narrow: bool = False) -> None:
        self.for_pdf = for_pdf
        self.parts: list[str] = []
        self.width = NARROW_WIDTH if narrow else WIDTH
        self.label_width = NARROW_LABEL_WIDTH if narrow else LABEL_WIDTH

    @staticmethod
    def visible(content: str, width: float | None = None, size: float = FONT_SIZE) -> str:
        """The text as drawn: one line of Latin-1, cut to about `width` units."""
        shown = _latin1(_clean(content))
        return shown if width is None else _fit(shown, width, size)

    def add(self, tag: str, attrs: Mapping[str, _Attr]) -> None:
        self.parts.append(f"<{tag}{_attrs(attrs)}/>")

    def open(self, tag: str, attrs: Mapping[str, _Attr]) -> None:
        self.parts.append(f"<{tag}{_attrs(attrs)}>")

    def close(self, tag: str) -> None:
        self.parts.append(f"</{tag}>")

    def line(self, x1: float, y1: float, x2: float, y2: float, **attrs: _Attr) -> None:
        self.add("line", {"x1": x1, "y1": y1, "x2": x2, "y2": y2, **_dashed(attrs)})

    def text(
        self,
        x: float,
        y: float,
        content: str,
        *,
        width: float | None = None,
        shown: str | None = None,
        size: int = FONT_SIZE,
        anchor: str = "start",
        fill: str = INK,
        bold: bool = False,
        **attrs: _Attr,
    ) -> None:
        """A line of text: `content` made Latin-1 and cut to `width` (or `shown`, the text as
        drawn if the caller made it); the full text in a `<title>` when they differ."""
        full = _clean(content)
        if shown is None:
            shown = self.visible(full, width, size)
        inner = str(escape(shown))
        if shown != full and not self.for_pdf:
            inner += f"<title>{escape(full)}</title>"
        props: dict[str, _Attr] = {
            "x": x,
            "y": y,
            "font-size": size,
            "fill": fill,
            "text-anchor": None if anchor == "start" else anchor,
            "font-weight": "bold" if bold else None,
            **_dashed(attrs),
        }
        self.parts.append(f"<text{_attrs(props)}>{inner}</text>")

    def label_lines(self, content: str, width: float, size: int = FONT_SIZE) -> list[str]:
        """A row label as drawn: Latin-1, wrapped to lines of about `width` units."""
        return _wrap(self.visible(content), width, size)

    def wrapped(
        self,
        x: float,
        mid: float,
        content: str,
        lines: Sequence[str],
        *,
        anchor: str = "start",
        fill: str = INK,
        bold: bool = False,
        size: int = FONT_SIZE,
    ) -> None:
        """A label on one line or several (`lines`, from `label_lines`), centred on `mid`; the
        full text in a `<title>` only when making it Latin-1 changed it."""
        if len(lines) <= 1:
            self.text(
                x,
                mid + 4.5,
                content,
                shown=lines[0] if lines else "",
                anchor=anchor,
                fill=fill,
                bold=bold,
                size=size,
            )
            return
        full = _clean(content)
        first = mid + 4.5 - (len(lines) - 1) * LINE_HEIGHT / 2
        inner = "".join(
            f"<tspan{_attrs({'x': x, 'dy': 0 if n == 0 else LINE_HEIGHT})}>{escape(line)}</tspan>"
            for n, line in enumerate(lines)
        )
        if " ".join(lines) != full and not self.for_pdf:
            inner += f"<title>{escape(full)}</title>"
        props: dict[str, _Attr] = {
            "x": x,
            "y": first,
            "font-size": size,
            "fill": fill,
            "text-anchor": None if anchor == "start" else anchor,
            "font-weight": "bold" if bold else None,
            "data-lines": len(lines),
        }
        self.parts.append(f"<text{_attrs(props)}>{inner}</text>")

    def legend(
        self, items: Sequence[tuple[str, str, str | None]], top: float, left: float
    ) -> float:
        """Legend entries (label, colour, dash pattern or None for a swatch) laid out in rows
        from (left, top); returns the y below the last row."""
        if not items:
            return top
        x, y = left, top
        row_height = 20
        for label, colour, dash in items:
            text = self.visible(label, self.width - left - 48, SMALL_FONT_SIZE)
            item_width = 30 + _text_width(text, SMALL_FONT_SIZE) + 18
            if x > left and x + item_width > self.width:
                x, y = left, y + row_height
            self.open("g", {"data-testid": "legend-item", "data-label": _clean(label)})
            if dash is None:
                self.add("rect", {"x": x, "y": y + 3, "width": 12, "height": 12, "fill": colour})
                text_x = x + 18
            else:
                self.line(
                    x, y + 9, x + 24, y + 9, stroke=colour, stroke_width=2.5, stroke_dasharray=dash
                )
                text_x = x + 30
            self.text(text_x, y + 13.5, label, shown=text, size=SMALL_FONT_SIZE)
            self.close("g")
            x = text_x + _text_width(text, SMALL_FONT_SIZE) + 18
        return y + row_height


def _dashed(attrs: Mapping[str, _Attr]) -> dict[str, _Attr]:
    """Keyword arguments to attribute names: stroke_width -> stroke-width, data_label -> ..."""
    return {name.replace("_", "-"): value for name, value in attrs.items()}


def _attrs(attrs: Mapping[str, _Attr]) -> str:
    out = []
    for name, value in attrs.items():
        if value is None:
            continue
        text = value if isinstance(value, str) else _num(value)
        out.append(f' {name}="{escape(_clean(text))}"')
    return "".join(out)


def _num(x: float) -> str:
    """A coordinate: at most two decimals, no trailing zeros."""
    s = f"{x:.2f}".rstrip("0").rstrip(".")
    return "0" if s == "-0" else s


def _round(x: float) -> float:
    """`x` without the float noise of a product (0.1 * 3 is 0.30000000000000004)."""
    return float(f"{x:.12g}")


def _clean(s: str) -> str:
    """One line of text: runs of white space made one space, control characters dropped (they
    are not allowed in XML)."""
    s = " ".join(s.split())
    return "".join(ch for ch in s if unicodedata.category(ch) not in ("Cc", "Cs"))


def _latin1(s: str) -> str:
    """Text the PDF core font can print (see core.pdftext)."""
    return Printable()(s)


def _text_width(s: str, size: float) -> float:
    return len(s) * size * CHAR_EM


def _wrap(s: str, width: float, size: float) -> list[str]:
    """`s` in lines of about `width` units at `size`, broken between words (a word longer than
    a line is broken inside it); nothing is left out."""
    limit = max(3, int(width / (size * CHAR_EM)))
    lines: list[str] = []
    current = ""
    for word in s.split():
        while len(word) > limit:
            if current:
                lines.append(current)
                current = ""
            lines.append(word[:limit])
            word = word[limit:]
        if not current:
            current = word
        elif len(current) + 1 + len(word) <= limit:
            current = f"{current} {word}"
        else:
            lines.append(current)
            current = word
    if current or not lines:
        lines.append(current)
    return lines


def _row_tops(heights: Sequence[float], top: float) -> list[float]:
    tops = []
    for h in heights:
        tops.append(top)
        top += h
    return tops


def _row_height(lines: int) -> float:
    return max(ROW_HEIGHT, lines * LINE_HEIGHT + 10)


def _fit(s: str, width: float, size: float) -> str:
    """`s` cut with "..." (about two characters wide) to fit about `width` units at `size`."""
    limit = max(3, int(width / (size * CHAR_EM)))
    if len(s) <= limit:
        return s
    return s[: limit - 2].rstrip() + "..."


def _format_number(x: float, kind: Kind) -> str:
    """An axis tick: a whole number with commas, or up to two decimals, with the unit."""
    text = f"{round(x):,}" if x == round(x) else f"{x:,.2f}".rstrip("0").rstrip(".")
    if kind is Kind.PERCENT:
        return f"{text}%"
    if kind is Kind.MONEY:
        return f"${text}"
    return text


def _format_ratio(x: float) -> str:
    """A ratio tick: 0.0625, 0.125, 0.25, 0.5, 1, 2, 4... 64."""
    return f"{x:,.0f}" if x >= 10 else f"{x:.3g}"


def _empty(d: _Drawing) -> float:
    d.text(0, 24, "No figures to chart.", fill=AXIS, data_testid="empty")
    return 40


def _finite(value: Value) -> float | None:
    """The number a chart may draw: shown and finite (an infinite bar has no length)."""
    shown = value.shown
    return shown if shown is not None and math.isfinite(shown) else None


def _kind_of(values: Sequence[Value]) -> Kind:
    return next((v.kind for v in values if v.shown is not None), Kind.COUNT)


# ---------------------------------------------------------------------------------------------
# Horizontal bars


def _draw_bar_chart(d: _Drawing, chart: BarChart) -> float:
    if not chart.bars:
        return _empty(d)
    top, bar_height = 8, 18
    x0 = d.label_width + 6
    plot_width = d.width - x0 - 170  # room after the bars for the value and its note
    largest = max((_finite(b.value) or 0 for b in chart.bars), default=0)
    labels = [d.label_lines(b.label, d.label_width - 4) for b in chart.bars]
    heights = [_row_height(len(lines)) for lines in labels]
    for bar, lines, row_top, height in zip(
        chart.bars, labels, _row_tops(heights, top), heights, strict=True
    ):
        _draw_bar(d, bar, row_top + height / 2, x0, plot_width, largest, bar_height, lines)
    bottom = top + sum(heights)
    d.line(x0, top, x0, bottom, stroke=AXIS, stroke_width=1)
    if chart.unit:
        d.text(x0, bottom + 16, chart.unit, size=SMALL_FONT_SIZE, fill=AXIS, width=d.width - x0)
        bottom += 22
    return bottom + 8


def _draw_bar(
    d: _Drawing,
    bar: Bar,
    mid: float,
    x0: float,
    plot_width: float,
    largest: float,
    height: float,
    lines: Sequence[str],
) -> None:
    colour = ALERT if bar.flagged else PRIMARY
    shown = _finite(bar.value)
    d.open(
        "g",
        {
            "data-testid": "bar",
            "data-label": bar.label,
            "data-flagged": "true" if bar.flagged else None,
        },
    )
    d.wrapped(x0 - 10, mid, bar.label, lines, anchor="end", bold=bar.flagged)
    width = 0.0
    if shown is not None:
        width = shown / largest * plot_width if shown > 0 and largest > 0 else 0.0
        d.add(
            "rect",
            {
                "x": x0,
                "y": mid - height / 2,
                "width": width,
                "height": height,
                "fill": colour,
                "data-testid": "bar-rect",
            },
        )
    figure = bar.value.display()
    drawn = d.visible(figure)
    value_x = x0 + width + 6
    room = d.width - value_x - 4
    # A note on a suppressed figure ("12% of contacts") could give it away: it is left out.
    if bar.note and shown is not None:
        note_room = room - _text_width(drawn + " ()", FONT_SIZE)
        drawn = f"{drawn} ({d.visible(bar.note, note_room)})"
        figure = f"{figure} ({bar.note})"
    d.text(value_x, mid + 4.5, figure, shown=drawn, bold=bar.flagged, data_testid="bar-value")
    d.close("g")


# ---------------------------------------------------------------------------------------------
# Vertical columns over time


def _draw_column_chart(d: _Drawing, chart: ColumnChart) -> float:
    periods = chart.periods
    series = chart.series
    if not periods or not series:
        return _empty(d)
    left, right = 56, d.width - 12
    legend = [(name, SERIES_COLOURS[i % 4], None) for i, (name, _) in enumerate(series)]
    plot_top = d.legend(legend, 4, left) + 14
    plot_height = 200
    plot_bottom = plot_top + plot_height
    plot_width = right - left

    values = [v for _, vs in series for v in vs]
    kind = _kind_of(values)
    largest = max((n for v in values if (n := _finite(v)) is not None), default=0.0)
    ticks = nice_ticks(largest, integer=kind is Kind.COUNT)
    top_value = ticks[-1]

    def y_of(v: float) -> float:
        return plot_bottom - max(v, 0) / top_value * plot_height

    for tick in ticks:
        y = y_of(tick)
        d.line(
            left,
            y,
            right,
            y,
            stroke=GRID if tick else AXIS,
            stroke_width=1,
            data_testid="grid",
            data_value=f"{tick:g}",
        )
        d.text(left - 6, y + 4, _format_number(tick, kind), size=SMALL_FONT_SIZE, anchor="end")

    group = plot_width / len(periods)
    column = min(36.0, group * 0.8 / len(series))
    label_room = max(_text_width(p, SMALL_FONT_SIZE) for p in periods) + 8
    label_every = max(1, math.ceil(label_room / group))
    for p, period in enumerate(periods):
        start = left + p * group + (group - column * len(series)) / 2
        for s, (name, vs) in enumerate(series):
            value = vs[p] if p < len(vs) else Value(None)
            x = start + s * column
            shown = _finite(value)
            if shown is None:
                d.text(
                    x + column / 2,
                    plot_bottom - 5,
                    value.display(),
                    size=SMALL_FONT_SIZE,
                    anchor="middle",
                    data_testid="column-mark",
                    data_series=name,
                    data_period=period,
                )
                continue
            y = y_of(shown)
            d.add(
                "rect",
                {
                    "x": x,
                    "y": y,
                    "width": column,
                    "height": plot_bottom - y,
                    "fill": SERIES_COLOURS[s % 4],
                    "data-testid": "column",
                    "data-series": name,
                    "data-period": period,
                },
            )
        if p % label_every == 0:
            d.text(
                left + (p + 0.5) * group,
                plot_bottom + 18,
                period,
                width=group * label_every - 4,
                size=SMALL_FONT_SIZE,
                anchor="middle",
                data_testid="period",
            )
    return plot_bottom + 30


# ---------------------------------------------------------------------------------------------
# Forest plot


def _positive(x: float | None) -> bool:
    """Whether `x` can go on a log scale."""
    return x is not None and math.isfinite(x) and x > 0


def _forest_exponents(chart: ForestPlot) -> tuple[int, int, int]:
    """The axis as powers of two (lowest, highest, step between ticks) covering the reference
    and every shown estimate and bound, within 1/64 to 64; at least 0.5 to 2. A hidden row's
    bounds play no part, so the axis cannot hint at them."""
    seen = [chart.reference] if _positive(chart.reference) else []
    for interval in chart.intervals:
        estimate = interval.estimate.shown
        if estimate is None or not _positive(estimate):
            continue
        seen.append(estimate)
        seen.extend(b for b in (interval.low, interval.high) if b is not None and _positive(b))
    if not seen:
        seen = [1.0]
    low = max(-6, min(-1, math.floor(math.log2(min(seen)) + 1e-9)))
    high = min(6, max(1, math.ceil(math.log2(max(seen)) - 1e-9)))
    step = 1 if high - low <= 6 else 2
    low = math.floor(low / step) * step
    high = math.ceil(high / step) * step
    return low, high, step


def _draw_forest_plot(d: _Drawing, chart: ForestPlot) -> float:
    if not chart.intervals:
        return _empty(d)
    left, right = d.label_width + 12, d.width - 170
    value_x = right + 10
    top = 26
    labels = [d.label_lines(i.label, d.label_width - 4) for i in chart.intervals]
    heights = [_row_height(len(lines)) for lines in labels]
    low_exp, high_exp, step = _forest_exponents(chart)
    axis_min, axis_max = 2.0**low_exp, 2.0**high_exp

    def x_of(v: float) -> float:
        v = min(max(v, axis_min), axis_max)
        return left + (math.log2(v) - low_exp) / (high_exp - low_exp) * (right - left)

    bottom = top + sum(heights)
    for exponent in range(low_exp, high_exp + 1, step):
        x = x_of(2.0**exponent)
        d.line(
            x,
            top,
            x,
            bottom,
            stroke=GRID,
            stroke_width=1,
            data_testid="grid",
            data_value=f"{2.0**exponent:g}",
        )
        d.line(x, bottom, x, bottom + 4, stroke=AXIS, stroke_width=1)
        d.text(
            x,
            bottom + 17,
            _format_ratio(2.0**exponent),
            size=SMALL_FONT_SIZE,
            anchor="middle",
            data_testid="tick",
        )
    d.line(left, bottom, right, bottom, stroke=AXIS, stroke_width=1)
    if _positive(chart.reference):
        x_ref = x_of(chart.reference)
        d.line(x_ref, top - 4, x_ref, bottom, stroke=INK, stroke_width=1.5, data_testid="reference")
        d.text(
            x_ref,
            top - 9,
            f"{_format_ratio(chart.reference)} = reference",
            size=SMALL_FONT_SIZE,
            anchor="middle",
        )
    for interval, lines, row_top, height in zip(
        chart.intervals, labels, _row_tops(heights, top), heights, strict=True
    ):
        mid = row_top + height / 2
        _draw_interval(d, interval, mid, x_of, (axis_min, axis_max), (left, right, value_x), lines)
    return bottom + 30


def _draw_interval(
    d: _Drawing,
    interval: Interval,
    mid: float,
    x_of: _Scale,
    axis: tuple[float, float],
    columns: tuple[float, float, float],
    lines: Sequence[str],
) -> None:
    axis_min, axis_max = axis
    left, right, value_x = columns
    colour = ALERT if interval.flagged else PRIMARY
    ink = ALERT if interval.flagged else INK
    d.open(
        "g",
        {
            "data-testid": "interval",
            "data-label": interval.label,
            "data-flagged": "true" if interval.flagged else None,
        },
    )
    d.wrapped(
        d.label_width - 4, mid, interval.label, lines, anchor="end", fill=ink, bold=interval.flagged
    )
    if interval.flagged:
        # A small triangle between the label and the plot: flagged without relying on colour.
        d.add(
            "path",
            {
                "d": f"M{_num(d.label_width)} {_num(mid + 4)}l4.5 -8l4.5 8z",
                "fill": ALERT,
                "data-testid": "flag-mark",
            },
        )
    estimate = interval.estimate.shown
    if estimate is None or not _positive(estimate):
        # Suppressed or missing: nothing drawn and the bounds are not printed either.
        d.text(value_x, mid + 4.5, interval.estimate.display(), data_testid="estimate-value")
        d.close("g")
        return
    low, high = interval.low, interval.high
    if low is not None or high is not None:
        # An unknown, infinite or off-axis bound stops at the edge of the axis with an arrow.
        open_low = low is None or not _positive(low) or low < axis_min * (1 - 1e-9)
        open_high = high is None or not _positive(high) or high > axis_max * (1 + 1e-9)
        x_low = left if open_low or low is None else x_of(low)
        x_high = right if open_high or high is None else x_of(high)
        d.line(x_low, mid, x_high, mid, stroke=colour, stroke_width=2, data_testid="interval-line")
        if open_low:
            d.add("path", {"d": _arrow(left, mid, -1), "fill": colour, "data-testid": "arrow-low"})
        if open_high:
            d.add("path", {"d": _arrow(right, mid, 1), "fill": colour, "data-testid": "arrow-high"})
    d.add(
        "circle",
        {
            "cx": x_of(estimate),
            "cy": mid,
            "r": 5,
            "fill": colour,
            "stroke": "#ffffff",
            "stroke-width": 1,
            "data-testid": "estimate",
        },
    )
    text = interval.estimate.display()
    if low is not None or high is not None:  # none for the reference group, say
        text += f" ({_bound_text(low)}, {_bound_text(high)})"
    d.text(
        value_x,
        mid + 4.5,
        text,
        width=d.width - value_x,
        fill=ink,
        bold=interval.flagged,
        data_testid="estimate-value",
    )
    d.close("g")


def _bound_text(bound: float | None) -> str:
    """A bound as printed after the estimate: "–" when there is none or it is infinite (it is
    drawn as "-", see `_latin1`)."""
    if bound is None or not math.isfinite(bound) or bound < 0:
        return "–"
    return f"{bound:,.2f}"


def _arrow(x: float, y: float, direction: int) -> str:
    """A small filled triangle with its tip at (x, y), pointing left (-1) or right (1)."""
    back = x - direction * 7
    return f"M{_num(x)} {_num(y)}L{_num(back)} {_num(y - 4.5)}L{_num(back)} {_num(y + 4.5)}Z"


# ---------------------------------------------------------------------------------------------
# Survival steps


def _draw_step_chart(d: _Drawing, chart: StepChart) -> float:
    if not chart.series:
        return _empty(d)
    left, right = 52, d.width - 16
    d.text(0, 14, chart.y_label, width=d.width, size=SMALL_FONT_SIZE, data_testid="y-label")
    plot_top, plot_height = 30, 220
    plot_bottom = plot_top + plot_height
    x_max = chart.x_max
    if not math.isfinite(x_max) or x_max <= 0:
        x_max = max((x for s in chart.series for x, _ in s.points if math.isfinite(x)), default=1)
        x_max = max(x_max, 1)

    def x_of(x: float) -> float:
        return left + min(max(x, 0), x_max) / x_max * (right - left)

    def y_of(y: float) -> float:
        return plot_bottom - min(max(y, 0), 1) * plot_height

    for share in (0, 0.25, 0.5, 0.75, 1):
        y = y_of(share)
        d.line(
            left,
            y,
            right,
            y,
            stroke=AXIS if share == 0 else GRID,
            stroke_width=1,
            data_testid="grid",
            data_value=f"{share:g}",
        )
        d.text(left - 6, y + 4, f"{round(share * 100)}%", size=SMALL_FONT_SIZE, anchor="end")
    d.line(left, plot_top, left, plot_bottom, stroke=AXIS, stroke_width=1)
    for tick in nice_ticks(x_max, integer=True):
        if tick > x_max + 1e-9:
            continue
        x = x_of(tick)
        d.line(x, plot_bottom, x, plot_bottom + 4, stroke=AXIS, stroke_width=1)
        d.text(
            x,
            plot_bottom + 17,
            _format_number(tick, Kind.COUNT),
            size=SMALL_FONT_SIZE,
            anchor="middle",
            data_testid="tick",
        )
    d.text(
        (left + right) / 2,
        plot_bottom + 36,
        chart.x_label,
        width=right - left,
        size=SMALL_FONT_SIZE,
        anchor="middle",
        data_testid="x-label",
    )
    legend = []
    for i, series in enumerate(chart.series):
        colour, dash = SERIES_COLOURS[i % 4], SERIES_DASHES[i % 4]
        d.add(
            "path",
            {
                "d": _step_path(series, x_of, y_of, x_max),
                "fill": "none",
                "stroke": colour,
                "stroke-width": 2.5,
                "stroke-dasharray": dash,
                "stroke-linejoin": "miter",
                "data-testid": "step",
                "data-label": series.label,
            },
        )
        legend.append((series.label, colour, dash))
    return d.legend(legend, plot_bottom + 48, left) + 6


def _step_path(series: StepSeries, x_of: _Scale, y_of: _Scale, x_max: float) -> str:
    """From (0, 100%) across to each point's day, down (or up) to its share, and on across to
    the series' end (or `x_max`): the share holds until the next step. Points past `x_max` are
    left out."""
    parts = [f"M{_num(x_of(0))} {_num(y_of(1))}"]
    steps = sorted(
        (x, y) for x, y in series.points if math.isfinite(x) and math.isfinite(y) and x <= x_max
    )
    for x, y in steps:
        parts.append(f"H{_num(x_of(x))}V{_num(y_of(y))}")
    last = (
        x_max if series.end is None else max(min(series.end, x_max), steps[-1][0] if steps else 0)
    )
    parts.append(f"H{_num(x_of(last))}")
    return "".join(parts)
