"""The quarterly funder report on hand-built contacts over several quarters, whose right
answers are worked out here. The report quarter is 2026 Q2 (April to June, Chicago time)."""

from __future__ import annotations

import datetime as dt
import io
import zoneinfo
from typing import Any

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from pathways.outcomes import extract
from pathways.outcomes.charts import render_svg
from pathways.outcomes.exports import report_pdf, report_xlsx
from pathways.outcomes.filters import ReportFilters
from pathways.outcomes.reports import funder
from pathways.outcomes.reports.funder import Quarter, quarter_bounds, quarters_before
from pathways.outcomes.tables import ColumnChart, Report, Section
from pathways.outcomes.testing import contact, person, report_filters
from pathways.programs.models import Pathway

CHICAGO = zoneinfo.ZoneInfo("America/Chicago")
Q2 = Quarter(2026, 2)
SUMMARY = "Summary for the quarter"


def local(y: int, m: int, d: int, hh: int = 12, mm: int = 0) -> dt.datetime:
    return dt.datetime(y, m, d, hh, mm, tzinfo=CHICAGO)


AS_OF = local(2026, 8, 1)


def _filters(cast: Any, quarter: Quarter = Q2) -> ReportFilters:
    return ReportFilters(
        program_id=cast.program.pk,
        time_zone=cast.program.time_zone,
        start=quarter.start,
        end=quarter.end,
    )


def _report(
    cast: Any, *, suppress_small: bool, as_of: dt.datetime = AS_OF, quarter: Quarter = Q2
) -> Report:
    extract.refresh()
    with extract.connect() as db:
        return funder.build(db, _filters(cast, quarter), as_of=as_of, suppress_small=suppress_small)


def _section(report: Report, heading: str) -> Section:
    return next(s for s in report.sections if s.heading == heading)


def _rows(report: Report, heading: str) -> dict[str, list[str]]:
    """Each row's figures as the page prints them, by row key."""
    table = _section(report, heading).table
    return {r.key: [v.display() for v in r.values] for r in table.rows}


@pytest.fixture
def county(cast: Any) -> Any:
    assert cast.program.time_zone == "America/Chicago"
    # A: first contact ever in 2025 Q2 (entered treatment); two contacts in 2026 Q2, the first
    # on Officer Prevention (entered treatment after 30 h and completed), then Naloxone Plus
    a = person()
    contact(cast, who=a, at=local(2025, 5, 10), steps=[("accepted", 1), ("engaged", 20)])
    contact(
        cast,
        who=a,
        at=local(2026, 4, 5),
        steps=[("accepted", 2), ("engaged", 30), ("completed", 300)],
    )
    contact(cast, who=a, at=local(2026, 5, 20), pathway="naloxone_plus")  # no referral
    # B: new in 2026 Q2, two self-referrals; the first reached intake after 40 h
    b = person()
    contact(
        cast, who=b, at=local(2026, 4, 10), pathway="self_referral",
        steps=[("accepted", 1), ("engaged", 40)],
    )  # fmt: skip
    contact(cast, who=b, at=local(2026, 6, 1), pathway="self_referral")
    # C: new, 23:30 on the quarter's last day in Chicago (04:30 on 1 July UTC)
    contact(
        cast, who=person(), at=local(2026, 6, 30, 23, 30), pathway="naloxone_plus",
        steps=[("accepted", 1)],
    )  # fmt: skip
    # D: first contact in 2026 Q1, again in Q2 (the provider declined the referral)
    d = person()
    contact(cast, who=d, at=local(2026, 2, 15))
    contact(cast, who=d, at=local(2026, 4, 20), steps=[("declined", 5)])
    # E and F in 2026 Q1: E entered treatment; F at 23:30 on 31 March Chicago time
    contact(cast, at=local(2026, 1, 10), steps=[("accepted", 1), ("engaged", 10)])
    contact(cast, at=local(2026, 3, 31, 23, 30), disposition="information")
    # G in the trend's first quarter (2024 Q3), H just before it
    contact(cast, at=local(2024, 8, 1), disposition="information")
    contact(cast, at=local(2024, 5, 1), disposition="information")
    return cast


def test_quarter_bounds_and_the_quarters_offered() -> None:
    assert quarter_bounds(2026, 1) == (dt.date(2026, 1, 1), dt.date(2026, 3, 31))
    assert quarter_bounds(2026, 4) == (dt.date(2026, 10, 1), dt.date(2026, 12, 31))
    assert quarter_bounds(2024, 1)[1] == dt.date(2024, 3, 31)
    with pytest.raises(ValueError, match="1 to 4"):
        quarter_bounds(2026, 5)
    # whole quarters before today's, newest first, across a year
    assert quarters_before(dt.date(2026, 11, 22), 4) == [
        ("2026 Q3", dt.date(2026, 7, 1), dt.date(2026, 9, 30)),
        ("2026 Q2", dt.date(2026, 4, 1), dt.date(2026, 6, 30)),
        ("2026 Q1", dt.date(2026, 1, 1), dt.date(2026, 3, 31)),
        ("2025 Q4", dt.date(2025, 10, 1), dt.date(2025, 12, 31)),
    ]
    assert quarters_before(dt.date(2026, 10, 1), 1)[0][0] == "2026 Q3"
    assert Q2.shift(-4).label == "2025 Q2" and Q2.shift(-6).label == "2024 Q4"


def test_build_refuses_a_range_that_is_not_one_quarter(cast: Any) -> None:
    extract.refresh()
    f = ReportFilters(
        program_id=cast.program.pk,
        time_zone=cast.program.time_zone,
        start=dt.date(2026, 4, 1),
        end=dt.date(2026, 5, 31),
    )
    with extract.connect() as db, pytest.raises(ValueError, match="one calendar quarter"):
        funder.build(db, f, as_of=AS_OF, suppress_small=False)


def test_summary_with_the_quarter_before_and_a_year_earlier(county: Any) -> None:
    report = _report(county, suppress_small=False)
    table = _section(report, SUMMARY).table
    assert [c.label for c in table.columns[1:4]] == [
        "2026 Q2",
        "2026 Q1 (quarter before)",
        "2025 Q2 (a year earlier)",
    ]
    # 2026 Q2: six contacts by four people (A and B twice); B and C are new (A first came in
    # 2025, D in 2026 Q1); referrals at A's, B's, C's and D's contacts; A and B entered
    # treatment, A completed. 2026 Q1: D, E, F, all new; E's referral and entry.
    # 2025 Q2: A alone.
    assert _rows(report, SUMMARY) == {
        "contacts": ["6", "3", "1", "100.0%", "500.0%"],
        "people": ["4", "3", "1", "33.3%", "300.0%"],
        "new": ["2", "3", "1", "-33.3%", "100.0%"],
        "referrals": ["4", "1", "1", "300.0%", "300.0%"],
        "entries": ["2", "1", "1", "100.0%", "100.0%"],
        "completions": ["1", "0", "0", "–", "–"],
    }
    assert ("Quarter", "2026 Q2 (2026-04-01 to 2026-06-30)") in report.filters
    assert not any("not over" in note for note in table.notes)


def test_people_served_count_each_person_once(county: Any) -> None:
    extract.refresh()
    with extract.connect() as db:
        served = funder.served_counts(db, _filters(county))
    # A's contacts on Officer Prevention and Naloxone Plus: A counts once, on Officer Prevention
    # (the first); B's two self-referrals: once
    assert served == {
        ("all", "people"): 4,
        ("all", "new"): 2,
        ("all", "referrals"): 4,
        ("self_referral", "people"): 1,
        ("self_referral", "new"): 1,
        ("self_referral", "referrals"): 1,
        ("naloxone_plus", "people"): 1,
        ("naloxone_plus", "new"): 1,
        ("naloxone_plus", "referrals"): 1,
        ("officer_prevention", "people"): 2,
        ("officer_prevention", "new"): 0,
        ("officer_prevention", "referrals"): 2,
    }


def test_stored_earlier_contact_gives_the_per_person_people_served(county: Any) -> None:
    """Without an agency or area filter a person's first contact in the window is found from the
    columns each contact stores (their last earlier contact, and their last one on the same
    pathway); the per-person path gives the same counts for every window, with and without a
    pathway filter, a tie at one moment included."""
    tied = person()
    contact(county, who=tied, at=local(2026, 4, 12), pathway="self_referral")
    contact(county, who=tied, at=local(2026, 4, 12))  # the same moment, another pathway
    between = person()  # from one pathway to another and back
    contact(county, who=between, at=local(2026, 3, 30), pathway="self_referral")
    contact(county, who=between, at=local(2026, 4, 8))
    contact(county, who=between, at=local(2026, 5, 2), pathway="self_referral")
    extract.refresh()
    pathways = [None, *Pathway.objects.filter(code__in=["officer_prevention", "self_referral"])]
    windows = [
        (dt.date(2026, 4, 1), dt.date(2026, 6, 30)),
        (dt.date(2026, 4, 6), dt.date(2026, 6, 30)),
        (dt.date(2026, 4, 12), dt.date(2026, 4, 12)),
        (dt.date(2025, 1, 1), dt.date(2026, 12, 31)),
        (dt.date(2026, 1, 1), dt.date(2026, 3, 31)),
    ]
    with extract.connect() as db:
        for start, end in windows:
            for pathway in pathways:
                f = report_filters(county, start=start, end=end, pathway=pathway)
                fast = funder.served_counts(db, f)
                grouped = funder.served_counts(db, f, force_grouped=True)
                assert fast == grouped, (start, end, pathway)
        one_day = report_filters(county, start=dt.date(2026, 4, 12), end=dt.date(2026, 4, 12))
        assert funder.served_counts(db, one_day)[("all", "people")] == 1


def test_by_pathway(county: Any) -> None:
    report = _report(county, suppress_small=False)
    # contacts, people served, referrals, treatment entries, completions; catalog order
    assert _rows(report, "By pathway") == {
        "self_referral": ["2", "1", "1", "1", "0"],
        "naloxone_plus": ["2", "1", "1", "0", "0"],
        "officer_prevention": ["2", "2", "2", "1", "1"],
        "all": ["6", "4", "4", "2", "1"],
    }
    # the same figure is the same cell in the summary, the pathway table and the trend
    summary = _section(report, SUMMARY).table.rows[0].values[0]
    pathways = _section(report, "By pathway").table.rows[-1].values[0]
    trend = _section(report, "Trend").table.rows[-1].values[0]
    assert summary is pathways is trend


def test_quarters_end_at_midnight_in_the_programs_time_zone(county: Any) -> None:
    # C's contact is on 1 July in UTC but 30 June in Chicago: in Q2; F's (31 March, 23:30
    # Chicago) is in Q1
    report = _report(county, suppress_small=False)
    assert _rows(report, "By pathway")["naloxone_plus"][0] == "2"
    assert _rows(report, SUMMARY)["contacts"][:2] == ["6", "3"]
    q3 = _report(county, suppress_small=False, quarter=Quarter(2026, 3))
    assert _rows(q3, SUMMARY)["contacts"][:2] == ["0", "6"]


def test_time_to_treatment_by_pathway(county: Any) -> None:
    report = _report(county, suppress_small=False)
    rows = _rows(report, "Time to treatment")
    # with an intake, median, target, within target: A 30 h (Officer Prevention, 72 h target),
    # B 40 h (self-referral, 24 h target)
    assert rows["officer_prevention"] == ["1", "30.0 h", "72.0 h", "100.0%"]
    assert rows["self_referral"] == ["1", "40.0 h", "24.0 h", "0.0%"]
    assert rows["naloxone_plus"][0] == "0"
    assert rows["all"] == ["2", "35.0 h", "Each pathway's", "50.0%"]


def test_outcomes_of_the_people_diverted_in_the_year_before(county: Any) -> None:
    report = _report(county, suppress_small=False)
    section = _section(report, "Outcomes")
    assert "2025-04-01 to 2026-03-31" in section.intro
    # Cohort A (2025-05-10), E (2026-01-10), D (2026-02-15); F was not offered services.
    # D's repeat contact on day 64 with all three at risk; A's on day 330 is past 6 months.
    assert _rows(report, "Outcomes") == {
        "contact": ["3", "33.3%"],
        "overdose": ["3", "0.0%"],  # A's Naloxone Plus contact came after a year
        "arrest": ["3", "0.0%"],
    }


def test_not_enough_follow_up_and_a_quarter_in_progress(cast: Any) -> None:
    contact(cast, at=local(2026, 3, 1))  # diverted, followed 106 days by 15 June
    report = _report(cast, suppress_small=False, as_of=local(2026, 6, 15))
    assert _rows(report, "Outcomes")["contact"] == ["1", funder.NOT_ENOUGH_FOLLOW_UP]
    assert "2026 Q2 was not over" in _section(report, SUMMARY).table.notes[0]


def test_trend_over_eight_quarters(county: Any) -> None:
    report = _report(county, suppress_small=False)
    section = _section(report, "Trend")
    labels = ["2024 Q3", "2024 Q4", "2025 Q1", "2025 Q2", "2025 Q3", "2025 Q4", "2026 Q1"]
    assert [r.label for r in section.table.rows] == [*labels, "2026 Q2"]
    # H (2024 Q2) is before the trend; G opens it
    assert [r.values[0].display() for r in section.table.rows] == list("10010036")
    assert [r.values[1].display() for r in section.table.rows] == list("00010012")
    chart = section.chart
    assert isinstance(chart, ColumnChart)
    assert chart.periods == [r.label for r in section.table.rows]
    assert [name for name, _ in chart.series] == ["Contacts", "Treatment entries"]
    assert chart.series[0][1] == [r.values[0] for r in section.table.rows]


def test_suppression_hides_small_counts_and_what_would_reveal_them(cast: Any) -> None:
    at = local(2026, 5, 1)
    for _ in range(22):
        contact(cast, at=at, disposition="information")
    regular = person()
    for days in range(4):  # one person, four contacts: 3 repeat contacts
        contact(cast, who=regular, at=at + dt.timedelta(days=days), disposition="information")
    for _ in range(4):
        contact(cast, at=at, pathway="self_referral", disposition="information")
    for _ in range(3):  # 2026 Q1: three contacts
        contact(cast, at=local(2026, 2, 1), disposition="information")
    exact = _report(cast, suppress_small=False)
    assert _rows(exact, SUMMARY)["contacts"][:2] == ["30", "3"]
    assert _rows(exact, SUMMARY)["people"][0] == "27"
    assert not exact.any_hidden

    report = _report(cast, suppress_small=True)
    summary = _rows(report, SUMMARY)
    # 30 contacts by 27 people: 30 - 27 would give the 3 repeat contacts away; and all 27 are
    # new, so new people would give people served away
    assert summary["contacts"][0] == "30"
    assert summary["people"][0] == "*"
    assert summary["new"][0] == "*"
    # 3 contacts in the quarter before: hidden, and so is the change
    assert summary["contacts"][1] == "*"
    assert summary["contacts"][3] == "*"
    # 4 self-referrals: hidden, and Officer Prevention's 26 with them (30 - 26 = 4)
    pathways = _rows(report, "By pathway")
    assert pathways["self_referral"][0] == "*"
    assert pathways["officer_prevention"][0] == "*"
    assert pathways["all"][:2] == ["30", "*"]
    # the trend shows the same cells
    trend = _rows(report, "Trend")
    assert (trend["2026 Q1"][0], trend["2026 Q2"][0]) == ("*", "30")
    assert report.any_hidden


def test_exports_to_xlsx_and_pdf(county: Any) -> None:
    report = _report(county, suppress_small=True)
    workbook = load_workbook(io.BytesIO(report_xlsx(report)))
    assert workbook.sheetnames == [
        "Summary",
        SUMMARY,
        "By pathway",
        "Time to treatment",
        "Outcomes",
        "Trend",
    ]
    pdf = report_pdf(report, svg_for=lambda chart: render_svg(chart, chart_id="c", for_pdf=True))
    assert pdf.startswith(b"%PDF")
    words = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert "Quarterly report" in words and "2026 Q2" in words
