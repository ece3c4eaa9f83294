"""The report charts: the SVG is parsed back and its geometry checked (bar lengths, log scale,
steps), suppressed figures leave no trace, text is escaped, and fpdf2 draws every chart."""

from __future__ import annotations

import io
import itertools
import logging
import math
import re
import xml.etree.ElementTree as ET

import pytest
from fpdf import FPDF

from pathways.outcomes.charts import (
    ALERT,
    AXIS,
    FONT_FAMILY,
    FONT_SIZE,
    PRIMARY,
    SERIES_COLOURS,
    SMALL_FONT_SIZE,
    TABLE_SENTENCE,
    nice_ticks,
    render_svg,
)
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

SVG = "{http://www.w3.org/2000/svg}"
HOSTILE = "<script>alert('x')</script> & \"Co\""


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)  # noqa: S314 - our own output, parsed to check it


def by_testid(root: ET.Element, testid: str, **data: str) -> list[ET.Element]:
    return [
        el
        for el in root.iter()
        if el.get("data-testid") == testid
        and all(el.get(f"data-{name}") == value for name, value in data.items())
    ]


def one(root: ET.Element, testid: str, **data: str) -> ET.Element:
    found = by_testid(root, testid, **data)
    assert len(found) == 1, (testid, data, len(found))
    return found[0]


def children(el: ET.Element, tag: str) -> list[ET.Element]:
    return list(el.iter(SVG + tag))


def shown_text(el: ET.Element) -> str:
    """The text a reader sees in a <text>: its own text, not the <title> tooltip inside it."""
    return el.text or ""


def all_text(root: ET.Element) -> str:
    return " ".join(root.itertext())


def f(el: ET.Element, name: str) -> float:
    value = el.get(name)
    assert value is not None, (el.tag, name)
    return float(value)


def grid_y(root: ET.Element, value: str) -> float:
    return f(one(root, "grid", value=value), "y1")


def bar_chart(**overrides: Value) -> BarChart:
    values = {"Small": Value(7, hidden=True), **overrides}
    return BarChart(
        "Referrals by source",
        [
            Bar("Half", Value(50)),
            Bar("Full", Value(100), note="all of them"),
            Bar("Small", values["Small"], note="2% of contacts"),
            Bar("Unknown", Value(None)),
            Bar("Alert", Value(25), flagged=True),
        ],
        unit="people",
    )


def column_chart(hidden: float = 7) -> ColumnChart:
    return ColumnChart(
        "By quarter",
        ["2025 Q1", "2025 Q2", "2025 Q3"],
        [
            ("Referred", [Value(40), Value(80), Value(hidden, hidden=True)]),
            ("Engaged", [Value(20), Value(None), Value(60)]),
        ],
    )


def forest_plot(hidden: float = 7, low: float = 5, high: float = 30) -> ForestPlot:
    return ForestPlot(
        "Relative rate of engagement",
        [
            Interval("Reference group", Value(1.0, Kind.RATIO), None, None),
            Interval("Twice", Value(2.0, Kind.RATIO), 1.5, 2.6, flagged=True),
            Interval("Half", Value(0.5, Kind.RATIO), 0.3, 0.8),
            Interval("Open", Value(1.2, Kind.RATIO), 0.9, math.inf),
            Interval("Small", Value(hidden, Kind.RATIO, hidden=True), low, high),
            Interval("No data", Value(None, Kind.RATIO), None, None),
        ],
    )


def step_chart() -> StepChart:
    return StepChart(
        "Return to care",
        [
            StepSeries("Group A", [(30, 0.7), (10, 0.9), (60, 0.55)]),
            StepSeries("Group B", [(20, 0.8)]),
            StepSeries("Group C", []),
            StepSeries("Group D", [(45, 0.5), (120, 0.1)]),
        ],
        x_label="Days since referral",
        y_label="Not yet returned",
        x_max=90,
    )


ALL_CHARTS: list[Chart] = [bar_chart(), column_chart(), forest_plot(), step_chart()]
CHART_IDS = ["bar", "column", "forest", "step"]


# ---------------------------------------------------------------------------------------------
# Every chart


@pytest.mark.parametrize("chart", ALL_CHARTS, ids=CHART_IDS)
def test_the_svg_is_a_labelled_image(chart: Chart) -> None:
    root = parse(render_svg(chart, chart_id="c1"))

    assert root.tag == SVG + "svg"
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == "c1-title c1-desc"
    assert root.get("width") == "100%"
    assert root.get("preserveAspectRatio") == "xMinYMin meet"
    view_box = [float(n) for n in (root.get("viewBox") or "").split()]
    assert view_box[:3] == [0, 0, 640]
    assert 40 <= view_box[3] <= 600
    title, desc = root.find(SVG + "title"), root.find(SVG + "desc")
    assert title is not None and desc is not None
    assert (title.get("id"), title.text) == ("c1-title", chart.title)
    assert desc.get("id") == "c1-desc"
    assert (desc.text or "").startswith(TABLE_SENTENCE)
    group = root.find(SVG + "g")
    assert group is not None and group.get("font-family") == FONT_FAMILY


@pytest.mark.parametrize("for_pdf", [False, True])
@pytest.mark.parametrize("chart", ALL_CHARTS, ids=CHART_IDS)
def test_no_style_and_no_script_anywhere(chart: Chart, for_pdf: bool) -> None:
    svg = render_svg(chart, chart_id="c1", for_pdf=for_pdf)
    root = parse(svg)

    assert all("style" not in el.attrib for el in root.iter())
    assert not any(el.tag in (SVG + "style", SVG + "script") for el in root.iter())
    assert not any(name.startswith("on") for el in root.iter() for name in el.attrib)
    assert "<script" not in svg and "<style" not in svg


@pytest.mark.parametrize("chart", ALL_CHARTS, ids=CHART_IDS)
def test_text_sizes_and_colours_are_presentation_attributes(chart: Chart) -> None:
    root = parse(render_svg(chart, chart_id="c1"))

    for text in children(root, "text"):
        assert SMALL_FONT_SIZE <= f(text, "font-size") <= FONT_SIZE
        assert re.fullmatch(r"#[0-9a-f]{6}", text.get("fill") or "")


def test_the_description_says_when_bars_are_suppressed() -> None:
    def desc(chart: Chart) -> str:
        found = parse(render_svg(chart, chart_id="x")).find(SVG + "desc")
        assert found is not None
        return found.text or ""

    assert desc(bar_chart()) == f"{TABLE_SENTENCE} Bars marked * are suppressed."
    assert desc(bar_chart(Small=Value(7))) == TABLE_SENTENCE
    assert desc(column_chart()).endswith("Bars marked * are suppressed.")
    assert desc(forest_plot()).endswith("Rows marked * are suppressed.")
    assert desc(step_chart()) == TABLE_SENTENCE


def test_the_chart_id_is_escaped() -> None:
    root = parse(render_svg(bar_chart(), chart_id='a"b'))

    title = root.find(SVG + "title")
    assert title is not None and title.get("id") == 'a"b-title'


# ---------------------------------------------------------------------------------------------
# Horizontal bars


def test_bar_lengths_are_proportional_to_the_values() -> None:
    root = parse(render_svg(bar_chart(), chart_id="c"))

    half = one(one(root, "bar", label="Half"), "bar-rect")
    full = one(one(root, "bar", label="Full"), "bar-rect")
    alert = one(one(root, "bar", label="Alert"), "bar-rect")
    assert f(half, "x") == f(full, "x") >= 170
    assert f(full, "width") == pytest.approx(2 * f(half, "width"))
    assert f(full, "width") == pytest.approx(4 * f(alert, "width"))
    assert f(full, "x") + f(full, "width") <= 640
    assert half.get("fill") == full.get("fill") == PRIMARY


def test_the_value_and_note_follow_the_bar() -> None:
    root = parse(render_svg(bar_chart(), chart_id="c"))

    full = one(root, "bar", label="Full")
    bar, value = one(full, "bar-rect"), one(full, "bar-value")
    assert shown_text(value) == "100 (all of them)"
    assert f(value, "x") > f(bar, "x") + f(bar, "width")
    assert shown_text(one(one(root, "bar", label="Half"), "bar-value")) == "50"


def test_a_suppressed_bar_draws_nothing_and_prints_a_star() -> None:
    svg = render_svg(bar_chart(), chart_id="c")
    root = parse(svg)

    small = one(root, "bar", label="Small")
    assert by_testid(small, "bar-rect") == []
    assert children(small, "rect") == []
    # The star alone: not the number, and not the note that could give it away.
    assert shown_text(one(small, "bar-value")) == "*"
    assert "7" not in all_text(root)
    assert "2%" not in svg
    # Whatever the hidden number, the drawing is the same.
    assert render_svg(bar_chart(Small=Value(9, hidden=True)), chart_id="c") == svg


def test_a_missing_value_prints_a_dash_and_no_bar() -> None:
    root = parse(render_svg(bar_chart(), chart_id="c"))

    unknown = one(root, "bar", label="Unknown")
    assert by_testid(unknown, "bar-rect") == []
    # "–" as the table prints it, in the core font's hyphen for the PDF.
    assert shown_text(one(unknown, "bar-value")) == "-"


def test_a_flagged_bar_is_in_the_alert_colour() -> None:
    root = parse(render_svg(bar_chart(), chart_id="c"))

    alert = one(root, "bar", label="Alert")
    assert alert.get("data-flagged") == "true"
    assert one(alert, "bar-rect").get("fill") == ALERT
    assert one(root, "bar", label="Half").get("data-flagged") is None


def test_the_unit_is_printed_under_the_bars() -> None:
    root = parse(render_svg(bar_chart(), chart_id="c"))

    assert "people" in [shown_text(t) for t in children(root, "text")]


def test_labels_are_escaped_and_the_svg_still_parses() -> None:
    chart = BarChart(HOSTILE, [Bar(HOSTILE, Value(3), note="a < b & c"), Bar("x'y", Value(4))])
    svg = render_svg(chart, chart_id="c")
    root = parse(svg)

    assert "<script" not in svg
    assert "&lt;script&gt;" in svg
    title = root.find(SVG + "title")
    assert title is not None and title.text == HOSTILE
    bar = one(root, "bar", label=HOSTILE)
    label = children(bar, "text")[0]
    assert HOSTILE in all_text(label)
    assert shown_text(one(bar, "bar-value")) == "3 (a < b & c)"
    one(root, "bar", label="x'y")


def test_a_long_label_wraps_whole_inside_the_view_box() -> None:
    """A label too long for the label column is never cut: it wraps onto more lines, each
    inside the column (none starting left of the viewBox), its row grows, and the drawing
    is tall enough for every line; in the bar chart and the forest plot, wide and narrow."""
    long = "Medication for opioid use disorder started within seven days of referral"
    charts: list[tuple[Chart, str]] = [
        (BarChart("t", [Bar(long, Value(10)), Bar("Short", Value(4))]), "bar"),
        (
            ForestPlot(
                "t",
                [
                    Interval(long, Value(2.0, Kind.RATIO), 1.5, 3.0),
                    Interval("Short", Value(1.0, Kind.RATIO), None, None),
                ],
            ),
            "interval",
        ),
    ]
    for chart, testid in charts:
        for narrow in (False, True):
            root = parse(render_svg(chart, chart_id="c", narrow=narrow))
            _, _, width, height = (float(x) for x in root.get("viewBox", "").split())
            label = children(one(root, testid, label=long), "text")[0]
            lines = [t.text or "" for t in label.iter(SVG + "tspan")]
            assert len(lines) >= 2
            assert " ".join(lines) == long  # every word, none cut
            assert "..." not in all_text(root)
            x = f(label, "x")  # anchored at the end of the label column
            for line in lines:
                assert x - len(line) * FONT_SIZE * 0.55 >= 0, line
                assert x <= width
            last = f(label, "y") + (len(lines) - 1) * 18
            assert last + 4 <= height
            short = children(one(root, testid, label="Short"), "text")[0]
            assert f(short, "y") > last  # the next row starts below the wrapped one


def test_a_long_legend_label_is_not_cut_at_a_fixed_width() -> None:
    name = "Referred and engaged within the pathway's target"
    chart = ColumnChart("t", ["Q1", "Q2"], [(name, [Value(3), Value(4)])])
    root = parse(render_svg(chart, chart_id="c"))
    assert name in all_text(one(root, "legend-item"))


def test_an_empty_chart_says_so() -> None:
    for chart in (
        BarChart("t", []),
        ColumnChart("t", [], []),
        ForestPlot("t", []),
        StepChart("t", [], "x", "y", 30),
    ):
        root = parse(render_svg(chart, chart_id="c"))
        assert shown_text(one(root, "empty")) == "No figures to chart."


# ---------------------------------------------------------------------------------------------
# Nice ticks


@pytest.mark.parametrize(
    ("high", "integer", "expected"),
    [
        (100, False, [0, 25, 50, 75, 100]),
        (7, False, [0, 2, 4, 6, 8]),
        (1, False, [0, 0.25, 0.5, 0.75, 1]),
        (0.3, False, [0, 0.1, 0.2, 0.3]),
        (101, False, [0, 50, 100, 150]),
        (1234, False, [0, 500, 1000, 1500]),
        (9, False, [0, 2.5, 5, 7.5, 10]),
        (9, True, [0, 5, 10]),
        (3, True, [0, 1, 2, 3]),
        (1, True, [0, 1]),
        (0.4, True, [0, 1]),
        (0, False, [0, 1]),
        (-5, False, [0, 1]),
        (math.nan, False, [0, 1]),
    ],
)
def test_nice_ticks(high: float, integer: bool, expected: list[float]) -> None:
    assert nice_ticks(high, integer=integer) == expected


@pytest.mark.parametrize("high", [0.013, 0.9, 1.1, 4.2, 17, 33.3, 64, 99.99, 250, 999, 10_001])
def test_nice_ticks_are_three_to_five_round_equal_steps_covering_the_top(high: float) -> None:
    ticks = nice_ticks(high)

    assert 3 <= len(ticks) <= 5
    assert ticks[0] == 0
    assert ticks[-2] < high <= ticks[-1]
    step = ticks[1]
    assert all(b - a == pytest.approx(step) for a, b in itertools.pairwise(ticks))
    mantissa = step / 10 ** math.floor(math.log10(step))
    assert round(mantissa, 6) in (1, 2, 2.5, 5)


# ---------------------------------------------------------------------------------------------
# Columns


def test_columns_stand_on_the_axis_with_heights_proportional_to_the_values() -> None:
    root = parse(render_svg(column_chart(), chart_id="c"))

    ticks = [g.get("data-value") for g in by_testid(root, "grid")]
    assert ticks == ["0", "20", "40", "60", "80"]
    zero, eighty = grid_y(root, "0"), grid_y(root, "80")
    first = one(root, "column", series="Referred", period="2025 Q1")
    second = one(root, "column", series="Referred", period="2025 Q2")
    assert f(first, "y") + f(first, "height") == pytest.approx(zero)
    assert f(second, "height") == pytest.approx(2 * f(first, "height"))
    assert f(second, "height") == pytest.approx(zero - eighty)
    labels = [shown_text(t) for t in children(root, "text")]
    assert {"0", "20", "40", "60", "80"} <= set(labels)


def test_series_stand_side_by_side_in_their_colours_with_a_legend() -> None:
    root = parse(render_svg(column_chart(), chart_id="c"))

    referred = one(root, "column", series="Referred", period="2025 Q1")
    engaged = one(root, "column", series="Engaged", period="2025 Q1")
    assert f(engaged, "x") == pytest.approx(f(referred, "x") + f(referred, "width"))
    assert referred.get("fill") == SERIES_COLOURS[0]
    assert engaged.get("fill") == SERIES_COLOURS[1]
    legend = by_testid(root, "legend-item")
    assert [item.get("data-label") for item in legend] == ["Referred", "Engaged"]
    assert [children(item, "rect")[0].get("fill") for item in legend] == list(SERIES_COLOURS[:2])
    periods = [shown_text(t) for t in by_testid(root, "period")]
    assert periods == ["2025 Q1", "2025 Q2", "2025 Q3"]


def test_a_suppressed_column_is_a_star_and_a_missing_one_a_dash() -> None:
    svg = render_svg(column_chart(), chart_id="c")
    root = parse(svg)

    assert by_testid(root, "column", series="Referred", period="2025 Q3") == []
    star = one(root, "column-mark", series="Referred", period="2025 Q3")
    assert shown_text(star) == "*"
    dash = one(root, "column-mark", series="Engaged", period="2025 Q2")
    assert shown_text(dash) == "-"
    assert "7" not in all_text(root)
    assert render_svg(column_chart(hidden=9), chart_id="c") == svg


def test_many_periods_label_every_other_one() -> None:
    periods = [f"2025-{m:02d}" for m in range(1, 13)]
    chart = ColumnChart("t", periods, [("Share", [Value(m, Kind.PERCENT) for m in range(12)])])
    root = parse(render_svg(chart, chart_id="c"))

    labels = [shown_text(t) for t in by_testid(root, "period")]
    assert labels == periods[::2]
    assert len(by_testid(root, "column")) == 12
    assert "10%" in [shown_text(t) for t in children(root, "text")]


# ---------------------------------------------------------------------------------------------
# Forest plot


def test_the_forest_plot_is_on_a_log_scale_around_the_reference() -> None:
    root = parse(render_svg(forest_plot(), chart_id="c"))

    reference = f(one(root, "reference"), "x1")
    twice = f(one(one(root, "interval", label="Twice"), "estimate"), "cx")
    half = f(one(one(root, "interval", label="Half"), "estimate"), "cx")
    assert twice - reference == pytest.approx(reference - half, abs=0.02)
    assert twice > reference
    # 1.5 to 2.6 around 2: the point sits inside its line, off centre as a log scale puts it.
    line = one(one(root, "interval", label="Twice"), "interval-line")
    start, end = f(line, "x1"), f(line, "x2")
    assert start < twice < end
    assert (twice - start) / (end - twice) == pytest.approx(
        math.log(2 / 1.5) / math.log(2.6 / 2), rel=0.01
    )
    ticks = [shown_text(t) for t in by_testid(root, "tick")]
    assert ticks == ["0.25", "0.5", "1", "2", "4"]
    grid = {g.get("data-value"): f(g, "x1") for g in by_testid(root, "grid")}
    assert grid["1"] == pytest.approx(reference)
    assert grid["2"] - grid["1"] == pytest.approx(grid["4"] - grid["2"])
    assert "1 = reference" in [shown_text(t) for t in children(root, "text")]


def test_the_axis_widens_to_cover_the_shown_intervals() -> None:
    chart = ForestPlot("t", [Interval("Big", Value(5, Kind.RATIO), 3, 14)])
    root = parse(render_svg(chart, chart_id="c"))

    ticks = [shown_text(t) for t in by_testid(root, "tick")]
    assert ticks == ["0.5", "1", "2", "4", "8", "16"]
    wide = ForestPlot("t", [Interval("Wide", Value(1, Kind.RATIO), 0.01, 100)])
    ticks = [shown_text(t) for t in by_testid(parse(render_svg(wide, chart_id="c")), "tick")]
    assert ticks == ["0.0156", "0.0625", "0.25", "1", "4", "16", "64"]


def test_a_flagged_interval_is_in_the_alert_colour_and_marked() -> None:
    root = parse(render_svg(forest_plot(), chart_id="c"))

    twice = one(root, "interval", label="Twice")
    assert twice.get("data-flagged") == "true"
    assert one(twice, "estimate").get("fill") == ALERT
    assert one(twice, "interval-line").get("stroke") == ALERT
    assert one(twice, "flag-mark").get("fill") == ALERT
    label = children(twice, "text")[0]
    assert label.get("font-weight") == "bold"
    assert shown_text(one(twice, "estimate-value")) == "2.00 (1.50, 2.60)"
    half = one(root, "interval", label="Half")
    assert one(half, "estimate").get("fill") == PRIMARY
    assert by_testid(half, "flag-mark") == []


def test_suppressed_and_missing_estimates_draw_nothing() -> None:
    svg = render_svg(forest_plot(), chart_id="c")
    root = parse(svg)

    small = one(root, "interval", label="Small")
    assert [el.tag for el in small] == [SVG + "text", SVG + "text"]
    assert shown_text(one(small, "estimate-value")) == "*"
    no_data = one(root, "interval", label="No data")
    assert shown_text(one(no_data, "estimate-value")) == "-"
    assert by_testid(no_data, "estimate") == []
    text = all_text(root)
    assert "7" not in text and "30.00" not in text and "5.00" not in text
    # Neither the hidden estimate nor its bounds change the drawing (the axis included).
    assert render_svg(forest_plot(hidden=9, low=0.01, high=60), chart_id="c") == svg


def test_open_bounds_run_to_the_edge_with_an_arrow() -> None:
    root = parse(render_svg(forest_plot(), chart_id="c"))

    grid = {g.get("data-value"): f(g, "x1") for g in by_testid(root, "grid")}
    open_row = one(root, "interval", label="Open")
    line = one(open_row, "interval-line")
    assert f(line, "x2") == pytest.approx(grid["4"])
    assert len(by_testid(open_row, "arrow-high")) == 1
    assert by_testid(open_row, "arrow-low") == []
    assert shown_text(one(open_row, "estimate-value")) == "1.20 (0.90, -)"
    reference = one(root, "interval", label="Reference group")
    assert by_testid(reference, "interval-line") == []
    assert len(by_testid(reference, "estimate")) == 1
    assert shown_text(one(reference, "estimate-value")) == "1.00"


# ---------------------------------------------------------------------------------------------
# Survival steps


def path_points(d: str) -> list[tuple[float, float]]:
    """The corners of a path made of M, H and V commands."""
    points: list[tuple[float, float]] = []
    x = y = 0.0
    for command, numbers in re.findall(r"([MHV])([^MHV]+)", d):
        values = [float(n) for n in numbers.split()]
        if command == "M":
            x, y = values
        elif command == "H":
            x = values[0]
        else:
            y = values[0]
        points.append((x, y))
    return points


def test_a_step_curve_starts_at_100_percent_and_steps_at_its_points() -> None:
    root = parse(render_svg(step_chart(), chart_id="c"))

    top, bottom = grid_y(root, "1"), grid_y(root, "0")
    axis = one(root, "grid", value="0")
    left, right = f(axis, "x1"), f(axis, "x2")

    def x_of(day: float) -> float:
        return left + day / 90 * (right - left)

    def y_of(share: float) -> float:
        return bottom - share * (bottom - top)

    path = one(root, "step", label="Group A")
    points = path_points(path.get("d") or "")
    assert points[0] == (left, top)
    expected = [(0, 1), (10, 1), (10, 0.9), (30, 0.9), (30, 0.7), (60, 0.7), (60, 0.55), (90, 0.55)]
    assert points == [
        (pytest.approx(x_of(day), abs=0.01), pytest.approx(y_of(share), abs=0.01))
        for day, share in expected
    ]
    # Horizontal then vertical: every segment keeps either x or y.
    assert all(a[0] == b[0] or a[1] == b[1] for a, b in itertools.pairwise(points))
    assert path.get("fill") == "none"


def test_a_curve_without_steps_is_flat_and_points_past_the_end_are_left_out() -> None:
    root = parse(render_svg(step_chart(), chart_id="c"))

    top = grid_y(root, "1")
    flat = path_points(one(root, "step", label="Group C").get("d") or "")
    assert {y for _, y in flat} == {top}
    late = path_points(one(root, "step", label="Group D").get("d") or "")
    right = f(one(root, "grid", value="0"), "x2")
    assert max(x for x, _ in late) == right
    assert late[-1][1] == late[-2][1]  # no drop to 10%: that step is at day 120, past 90


def test_step_series_differ_in_colour_and_dash_with_axes_and_a_legend() -> None:
    root = parse(render_svg(step_chart(), chart_id="c"))

    paths = by_testid(root, "step")
    assert [p.get("stroke") for p in paths] == list(SERIES_COLOURS)
    dashes = [p.get("stroke-dasharray") for p in paths]
    assert len(set(dashes)) == 4 and None not in dashes
    legend = by_testid(root, "legend-item")
    assert [item.get("data-label") for item in legend] == [
        "Group A",
        "Group B",
        "Group C",
        "Group D",
    ]
    assert [children(i, "line")[0].get("stroke-dasharray") for i in legend] == dashes
    assert [g.get("data-value") for g in by_testid(root, "grid")] == [
        "0",
        "0.25",
        "0.5",
        "0.75",
        "1",
    ]
    assert one(root, "grid", value="0").get("stroke") == AXIS
    texts = [shown_text(t) for t in children(root, "text")]
    assert {"0%", "25%", "50%", "75%", "100%"} <= set(texts)
    assert [shown_text(t) for t in by_testid(root, "tick")] == ["0", "25", "50", "75"]
    assert shown_text(one(root, "x-label")) == "Days since referral"
    assert shown_text(one(root, "y-label")) == "Not yet returned"


# ---------------------------------------------------------------------------------------------
# PDF


def to_pdf(svg: str) -> bytes:
    pdf = FPDF()
    pdf.add_page()
    pdf.image(io.BytesIO(svg.encode()), w=180)
    return bytes(pdf.output())


@pytest.mark.parametrize("chart", ALL_CHARTS, ids=CHART_IDS)
def test_each_chart_renders_into_a_pdf(chart: Chart) -> None:
    # The page's SVG itself, with its <title> and <desc> (fpdf2 skips them)...
    assert to_pdf(render_svg(chart, chart_id="c")).startswith(b"%PDF")


@pytest.mark.parametrize("chart", ALL_CHARTS, ids=CHART_IDS)
def test_the_pdf_flavour_renders_without_warnings(
    chart: Chart, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="fpdf"):
        assert to_pdf(render_svg(chart, chart_id="c", for_pdf=True)).startswith(b"%PDF")

    assert caplog.records == []


def test_the_pdf_flavour_prints_any_text_with_the_core_font() -> None:
    # The core font has Latin-1 only: an en dash ("–" for a missing value), an ellipsis, a
    # Vietnamese or Chinese name would make fpdf2 fail.
    label = "Người Việt 中文 — “quoted” " + "very long " * 10
    charts: list[Chart] = [
        BarChart("Título", [Bar(label, Value(None)), Bar("Año ñ", Value(3), note="≥ 2…")]),
        ColumnChart("t", ["2025 Q1"], [(label, [Value(None)])]),
        ForestPlot("t", [Interval(label, Value(1.5, Kind.RATIO), None, 2.0, flagged=True)]),
        StepChart("t", [StepSeries(label, [(3, 0.5)])], label, label, 10),
    ]
    for chart in charts:
        svg = render_svg(chart, chart_id="c", for_pdf=True)
        root = parse(svg)
        assert root.find(SVG + "title") is None and root.find(SVG + "desc") is None
        all_text(root).encode("latin-1")
        assert to_pdf(svg).startswith(b"%PDF")
    bar = parse(render_svg(charts[0], chart_id="c", for_pdf=True))
    texts = [shown_text(t) for t in children(bar, "text")]
    assert "Año ñ" in texts and "3 (>= 2...)" in texts and "-" in texts


def test_the_narrow_layout_is_narrower_with_the_same_text_size() -> None:
    wide = parse(render_svg(bar_chart(), chart_id="w"))
    narrow = parse(render_svg(bar_chart(), chart_id="n", narrow=True))
    assert wide.get("viewBox", "").split()[2] == "640"
    assert narrow.get("viewBox", "").split()[2] == "400"
    for text in children(narrow, "text"):
        assert SMALL_FONT_SIZE <= f(text, "font-size") <= FONT_SIZE


def test_a_curve_stops_where_its_data_end() -> None:
    chart = StepChart(
        "Return",
        [StepSeries("Followed 60 days", [(10, 0.9)], end=60)],
        x_label="Days",
        y_label="Share",
        x_max=90,
    )
    ended = render_svg(chart, chart_id="e")
    full = render_svg(
        StepChart("Return", [StepSeries("Followed", [(10, 0.9)])], "Days", "Share", 90),
        chart_id="f",
    )
    path_end = re.findall(r'd="M[^"]*H([0-9.]+)"', ended)
    path_full = re.findall(r'd="M[^"]*H([0-9.]+)"', full)
    assert path_end and path_full
    assert float(path_end[0]) < float(path_full[0])
