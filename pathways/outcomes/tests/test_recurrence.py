"""Outcomes over time on hand-built people whose histories, and so the right answers, are
worked out here."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from pathways.encounters.models import Encounter
from pathways.outcomes import extract
from pathways.outcomes.reports import recurrence
from pathways.outcomes.reports.recurrence import ARRESTED, DIVERTED
from pathways.outcomes.tables import Report, Row, StepChart
from pathways.outcomes.testing import T0, arrest, contact, person, report_filters
from pathways.programs.factories import ProgramFactory
from pathways.programs.models import Pathway

DAY = dt.timedelta(days=1)
AS_OF = T0 + 200 * DAY


def _rows(
    cast: Any, as_of: dt.datetime = AS_OF, **overrides: Any
) -> dict[tuple[str, str], list[tuple[float, int, int]]]:
    extract.refresh()
    with extract.connect() as db:
        return recurrence.recurrence_counts(db, report_filters(cast, **overrides), as_of).rows


def _report(cast: Any, *, as_of: dt.datetime, suppress_small: bool) -> Report:
    extract.refresh()
    with extract.connect() as db:
        return recurrence.build(
            db, report_filters(cast), as_of=as_of, suppress_small=suppress_small
        )


def _row(report: Report, section: int, key: str) -> dict[str, str]:
    table = report.sections[section].table
    row: Row = next(r for r in table.rows if r.key == key)
    return {c.label: v.display() for c, v in zip(table.columns[1:], row.values, strict=True)}


def _chart(report: Report, section: int) -> StepChart:
    chart = report.sections[section].chart
    assert isinstance(chart, StepChart)
    return chart


@pytest.fixture
def county(cast: Any) -> Any:
    # A: diverted at T0; a contact 30 days later (information only), arrested at 100 days
    a = person()
    contact(cast, who=a)
    contact(cast, who=a, at=T0 + 30 * DAY, disposition="information")
    contact(cast, who=a, at=T0 + 100 * DAY, disposition="arrested")
    # B: offered services and declined at T0; nothing since: followed 200 days to AS_OF
    contact(cast, who=person(), disposition="declined")
    # C: arrested at T0 (the comparison group); an overdose response 10 days later, where
    # C was referred: a later diversion is an event, not a second index contact
    c = person()
    contact(cast, who=c, disposition="arrested")
    contact(cast, who=c, at=T0 + 10 * DAY, pathway="naloxone_plus")
    # D: information only 5 days before T0 (not an index contact), diverted a day after T0 by
    # Southside in area B1, an overdose response 2 hours after that (day 1: days round up)
    d = person()
    contact(cast, who=d, at=T0 - 5 * DAY, disposition="information")
    contact(cast, who=d, at=T0 + DAY, agency=cast.police_b, area="B1")
    contact(
        cast, who=d, at=T0 + DAY + dt.timedelta(hours=2), pathway="naloxone_plus",
        disposition="transported",
    )  # fmt: skip
    # E: transported only: never an index contact
    contact(cast, who=person(), disposition="transported")
    return cast


def test_grouped_days_per_group_and_measure(county: Any) -> None:
    rows = _rows(county)
    assert rows == {
        # (day, events, censored): A's contact on day 30, D's on day 1, B followed 200 days
        (DIVERTED, "contact"): [(1, 1, 0), (30, 1, 0), (200, 0, 1)],
        (DIVERTED, "overdose"): [(1, 1, 0), (200, 0, 2)],
        # D's index contact was a day after T0: followed 199 days
        (DIVERTED, "arrest"): [(100, 1, 0), (199, 0, 1), (200, 0, 1)],
        (ARRESTED, "contact"): [(10, 1, 0)],
        (ARRESTED, "overdose"): [(10, 1, 0)],
        (ARRESTED, "arrest"): [(200, 0, 1)],
    }


def test_kaplan_meier_points_by_hand(county: Any) -> None:
    extract.refresh()
    with extract.connect() as db:
        raw = recurrence.recurrence_counts(db, report_filters(county), AS_OF)
    contact_curve = raw.summary(DIVERTED, "contact").curve
    # 3 at risk; day 1: 1 - 1/3 = 2/3; day 30: 2 at risk, 2/3 * (1 - 1/2) = 1/3
    assert [t for t, _ in contact_curve] == [1, 30]
    assert [s for _, s in contact_curve] == pytest.approx([2 / 3, 1 / 3])
    # re-arrest: 3 at risk on day 100, one arrest: 2/3
    assert list(raw.summary(DIVERTED, "arrest").curve) == [(100, pytest.approx(2 / 3))]
    assert raw.people(DIVERTED) == 3
    assert raw.people(ARRESTED) == 1


def test_report_counts_and_estimates_without_suppression(county: Any) -> None:
    report = _report(county, as_of=AS_OF, suppress_small=False)
    assert report.slug == "outcomes"
    assert report.title == "Outcomes over time"
    assert [s.heading for s in report.sections] == [
        "Repeat contact",
        "Repeat overdose",
        "Re-arrest",
    ]
    assert list(_row(report, 0, DIVERTED).values()) == ["3", "2", "2", "66.7%", "–"]
    # nobody was followed 12 months (200 days at most): no 12-month estimate
    assert list(_row(report, 2, DIVERTED).values()) == ["3", "1", "1", "33.3%", "–"]
    assert list(_row(report, 1, ARRESTED).values()) == ["1", "1", "1", "100.0%", "100.0%"]
    chart = _chart(report, 0)
    assert chart.x_max == 365
    assert [s.label for s in chart.series] == [
        "Offered services instead of arrest",
        "Arrested (comparison)",
    ]
    assert any("not randomized" in p for p in report.method)
    # without imported arrest records the page says what is missing
    assert any("arrests made elsewhere are missing" in n for n in report.sections[2].table.notes)


def test_six_and_twelve_month_counts(cast: Any) -> None:
    days = [20, 150, 183, 184, 300, 365, 366]  # the last is past the 12 months
    for n in days:
        who = person()
        contact(cast, who=who)
        contact(cast, who=who, at=T0 + n * DAY, disposition="information")
    contact(cast)  # no later contact
    as_of = T0 + 400 * DAY
    rows = _rows(cast, as_of=as_of)
    # the contact on day 366 and the person without one: followed the 365 days, no event
    assert rows[(DIVERTED, "contact")] == [
        (20, 1, 0), (150, 1, 0), (183, 1, 0), (184, 1, 0), (300, 1, 0), (365, 1, 2),
    ]  # fmt: skip
    report = _report(cast, as_of=as_of, suppress_small=False)
    # 8 people; 3 events by day 183, 6 by day 365; nobody censored before 365, so the estimates
    # are the plain shares: 3/8 and 6/8
    assert list(_row(report, 0, DIVERTED).values()) == ["8", "3", "6", "37.5%", "75.0%"]


def test_censoring_at_as_of_and_at_the_horizon(cast: Any) -> None:
    later = person()
    contact(cast, who=later)
    contact(cast, who=later, at=T0 + 250 * DAY, disposition="information")
    # figures taken at 200 days: the contact at 250 has not happened yet; censored at 200
    assert _rows(cast, as_of=T0 + 200 * DAY)[(DIVERTED, "contact")] == [(200, 0, 1)]
    # at 300 days it has
    assert _rows(cast, as_of=T0 + 300 * DAY)[(DIVERTED, "contact")] == [(250, 1, 0)]
    # a partial last day is not counted as followed: 200 days and 20 hours is 200 days
    as_of = T0 + 200 * DAY + dt.timedelta(hours=20)
    assert _rows(cast, as_of=as_of)[(DIVERTED, "contact")] == [(200, 0, 1)]
    # a contact 370 days later is past the 365-day horizon: followed 365 days, no event
    far = person()
    contact(cast, who=far, at=T0 + DAY)
    contact(cast, who=far, at=T0 + 371 * DAY, disposition="information")
    rows = _rows(cast, as_of=T0 + 500 * DAY)
    assert rows[(DIVERTED, "contact")] == [(250, 1, 0), (365, 0, 1)]
    # an index contact after the figures were taken is not counted at all
    assert _rows(cast, as_of=T0 - DAY)[(DIVERTED, "contact")] == []


def test_filters_apply_to_the_index_contact_only(county: Any) -> None:
    # Southside: only D's index contact (its overdose response was Northside's)
    rows = _rows(county, agency=county.police_b)
    assert rows[(DIVERTED, "overdose")] == [(1, 1, 0)]
    assert rows[(ARRESTED, "contact")] == []
    assert _rows(county, area="B1")[(DIVERTED, "contact")] == [(1, 1, 0)]
    # Naloxone Plus: C's referral 10 days after the arrest becomes C's index contact (a
    # diversion), followed 190 days, with nothing after it; D's overdose response was
    # "transported", not an index contact
    rows = _rows(county, pathway=Pathway.objects.get(code="naloxone_plus"))
    assert rows[(DIVERTED, "contact")] == [(190, 0, 1)]
    assert rows[(ARRESTED, "contact")] == []


def test_the_first_index_contact_in_the_window(county: Any) -> None:
    # from 10 March (local), the contacts of T0 and T0 + 1 day are out of the window; C's
    # referral on 12 March is now C's index contact (diverted, followed 190 days) and A's
    # arrest at 100 days A's (arrested, followed 100 days)
    rows = _rows(county, start=dt.date(2026, 3, 10))
    assert rows[(DIVERTED, "contact")] == [(190, 0, 1)]
    assert rows[(ARRESTED, "contact")] == [(100, 0, 1)]
    # to 1 March: nobody (D's contact on 25 February was information only)
    rows = _rows(county, end=dt.date(2026, 3, 1))
    assert all(not r for r in rows.values())


def test_archived_contacts_and_other_programs_do_not_count(county: Any) -> None:
    c_later = Encounter.objects.get(pathway__code="naloxone_plus", disposition="referred")
    Encounter.objects.filter(pk=c_later.pk).update(archived_at=T0 + 11 * DAY)
    b_index = Encounter.objects.get(disposition="declined")
    elsewhere = contact(county, who=b_index.person, at=T0 + 5 * DAY, disposition="information")
    Encounter.objects.filter(pk=elsewhere.pk).update(
        program=ProgramFactory.create(name="Other County")
    )
    rows = _rows(county)
    assert rows[(ARRESTED, "contact")] == [(200, 0, 1)]  # C: the archived contact is gone
    assert rows[(DIVERTED, "contact")] == [(1, 1, 0), (30, 1, 0), (200, 0, 1)]  # B unchanged


def test_suppression_hides_small_groups_and_their_curves(cast: Any) -> None:
    # 22 diverted, 11 of them with a later contact on day 10; 3 arrested, no later contact
    for n in range(22):
        who = person()
        contact(cast, who=who)
        if n < 11:
            contact(cast, who=who, at=T0 + 10 * DAY, disposition="information")
    for _ in range(3):
        contact(cast, disposition="arrested")
    report = _report(cast, as_of=T0 + 400 * DAY, suppress_small=True)
    assert report.suppressed
    # shown counts rounded to ten (22 and 11); the estimates are the curves'
    assert list(_row(report, 0, DIVERTED).values()) == ["20", "10", "10", "50.0%", "50.0%"]
    # 3 people: hidden, and so are their shares; the curve is not drawn
    arrested = _row(report, 0, ARRESTED)
    assert arrested["People"] == "*"
    assert arrested["Estimated share with the event by 6 months"] == "*"
    assert arrested["Estimated share with the event by 12 months"] == "*"
    chart = _chart(report, 0)
    assert [s.label for s in chart.series] == ["Offered services instead of arrest"]
    assert "Not drawn: Arrested (comparison)." in report.sections[0].table.notes
    assert list(chart.series[0].points) == [(10, pytest.approx(0.5))]
    # unsuppressed, everything is shown and both curves drawn
    exact = _report(cast, as_of=T0 + 400 * DAY, suppress_small=False)
    assert list(_row(exact, 0, ARRESTED).values()) == ["3", "0", "0", "0.0%", "0.0%"]
    assert len(_chart(exact, 0).series) == 2


def test_suppression_hides_a_small_event_count_and_its_estimate(cast: Any) -> None:
    # 15 diverted, 3 of them arrested later: 3 is small; the 12 without are a complement
    for n in range(15):
        who = person()
        contact(cast, who=who)
        if n < 3:
            contact(cast, who=who, at=T0 + 40 * DAY, disposition="arrested")
    report = _report(cast, as_of=T0 + 400 * DAY, suppress_small=True)
    row = _row(report, 2, DIVERTED)
    assert row["People"] == "20"  # 15, rounded to ten
    assert row["With the event within 6 months"] == "*"
    assert row["With the event within 12 months"] == "*"
    # 3/15 = 20%: shown, it would give the count away
    assert row["Estimated share with the event by 6 months"] == "*"
    assert row["Estimated share with the event by 12 months"] == "*"
    assert _chart(report, 2).series == []
    # the repeat contacts are the same 3 people: hidden too
    assert _row(report, 0, DIVERTED)["With the event within 6 months"] == "*"


def test_an_overdose_count_is_hidden_when_it_gives_a_small_difference_away(cast: Any) -> None:
    # 26 diverted: 12 with an overdose response on day 5, 3 with another contact on day 5,
    # 11 with nothing. Every overdose response is a repeat contact, so 15 - 12 = 3 people with
    # a repeat contact but no overdose response could be worked out: the 12 are hidden.
    for n in range(26):
        who = person()
        contact(cast, who=who)
        if n < 15:
            pathway = "naloxone_plus" if n < 12 else "officer_prevention"
            contact(cast, who=who, at=T0 + 5 * DAY, pathway=pathway, disposition="transported")
    report = _report(cast, as_of=T0 + 400 * DAY, suppress_small=True)
    assert list(_row(report, 0, DIVERTED).values()) == ["30", "20", "20", "57.7%", "57.7%"]
    assert list(_row(report, 1, DIVERTED).values()) == ["30", "*", "*", "*", "*"]
    assert _chart(report, 0).series[0].label == "Offered services instead of arrest"
    assert _chart(report, 1).series == []


def test_stored_earlier_contact_gives_the_per_person_answer(county: Any) -> None:
    """Without an agency or area filter the index contacts are found from the columns each
    contact stores (the person's last earlier possible index contact, and their last one on
    the same pathway); the per-person path gives the same rows for every window, with and
    without a pathway filter, ties at one moment included."""
    e = person()
    contact(county, who=e, at=T0 + 20 * DAY, disposition="arrested")
    contact(county, who=e, at=T0 + 20 * DAY, disposition="referred")  # the same moment
    contact(county, who=e, at=T0 + 60 * DAY, disposition="declined")
    # another person between pathways: an index contact on one, then on another, then on the
    # first again; a contact that is no index contact (transported) in between
    g = person()
    contact(county, who=g, at=T0 + 10 * DAY, pathway="naloxone_plus", disposition="referred")
    contact(county, who=g, at=T0 + 25 * DAY, disposition="referred")
    contact(county, who=g, at=T0 + 30 * DAY, pathway="naloxone_plus", disposition="transported")
    contact(county, who=g, at=T0 + 45 * DAY, pathway="naloxone_plus", disposition="arrested")
    extract.refresh()
    pathways = [None, *Pathway.objects.filter(code__in=["officer_prevention", "naloxone_plus"])]
    windows = [
        {},
        {"start": dt.date(2026, 3, 10)},
        {"start": dt.date(2026, 3, 23)},
        {"start": dt.date(2026, 4, 1), "end": dt.date(2026, 5, 31)},
        {"end": dt.date(2026, 3, 1)},
    ]
    with extract.connect() as db:
        for window in windows:
            for pathway in pathways:
                f = report_filters(county, pathway=pathway, **window)
                fast = recurrence.recurrence_counts(db, f, AS_OF).rows
                grouped = recurrence.recurrence_counts(db, f, AS_OF, force_grouped=True).rows
                assert fast == grouped, (window, pathway)
        # the tie counts once: E is one person in the window that starts with the tie
        only_e = report_filters(county, start=dt.date(2026, 3, 22), end=dt.date(2026, 3, 22))
        rows = recurrence.recurrence_counts(db, only_e, AS_OF).rows
        people = sum(e + c for g in recurrence.GROUPS for e, c in _counts(rows[(g, "contact")]))
        assert people == 1


def _counts(rows: list[tuple[float, int, int]]) -> list[tuple[int, int]]:
    return [(events, censored) for _, events, censored in rows]


def test_imported_arrests_are_re_arrests(cast: Any) -> None:
    # P1: diverted at T0; a felony arrest in the jail's records 20 days later (any level counts)
    p1 = person()
    contact(cast, who=p1)
    arrest(cast, who=p1, at=T0 + 20 * DAY, charge_level="felony")
    # P2: arrested at a contact at T0 and booked 3 hours later (the same arrest, not a
    # re-arrest); arrested again 80 days later
    p2 = person()
    contact(cast, who=p2, disposition="arrested")
    arrest(cast, who=p2, at=T0 + dt.timedelta(hours=3))
    arrest(cast, who=p2, at=T0 + 80 * DAY)
    # P3: diverted; a record not linked to anyone, and an archived one: no re-arrest
    p3 = person()
    contact(cast, who=p3)
    arrest(cast, at=T0 + 10 * DAY)
    arrest(cast, who=p3, at=T0 + 5 * DAY, archived_at=T0 + 6 * DAY)
    # P4: diverted; arrested 30 days later, in two sources two hours apart (one arrest)
    p4 = person()
    contact(cast, who=p4)
    arrest(cast, who=p4, at=T0 + 30 * DAY, source="Police RMS")
    arrest(cast, who=p4, at=T0 + 30 * DAY + dt.timedelta(hours=2))

    extract.refresh()
    with extract.connect() as db:
        raw = recurrence.recurrence_counts(db, report_filters(cast), AS_OF)
    assert raw.rows[(DIVERTED, "arrest")] == [(20, 1, 0), (30, 1, 0), (200, 0, 1)]
    assert raw.rows[(ARRESTED, "arrest")] == [(80, 1, 0)]
    # an imported arrest is not a contact with the program
    assert raw.rows[(DIVERTED, "contact")] == [(200, 0, 3)]
    assert raw.rows[(ARRESTED, "contact")] == [(200, 0, 1)]
    assert raw.arrests_imported
    # so a re-arrest is no longer a part of the repeat contacts
    assert raw.within_contacts("overdose") and not raw.within_contacts("arrest")

    report = _report(cast, as_of=AS_OF, suppress_small=False)
    assert list(_row(report, 2, DIVERTED).values()) == ["3", "2", "2", "66.7%", "–"]
    assert "Imported arrest records linked to people are counted." in (
        report.sections[2].table.notes
    )


def test_an_arrest_the_linkage_model_links_is_a_re_arrest(cast: Any) -> None:
    # P1: diverted; a jail record 40 days later that no number links, but the record linkage
    # model put in P1's cluster (model_person): a re-arrest
    p1 = person()
    contact(cast, who=p1)
    arrest(cast, at=T0 + 40 * DAY, model_person=p1)
    # P2: diverted; linked by number to P2 and by the model to P1: the number wins
    p2 = person()
    contact(cast, who=p2)
    arrest(cast, who=p2, at=T0 + 60 * DAY, model_person=p1)

    extract.refresh()
    with extract.connect() as db:
        raw = recurrence.recurrence_counts(db, report_filters(cast), AS_OF)
    assert raw.rows[(DIVERTED, "arrest")] == [(40, 1, 0), (60, 1, 0)]


def test_without_imported_arrests_a_re_arrest_is_a_repeat_contact(county: Any) -> None:
    extract.refresh()
    with extract.connect() as db:
        raw = recurrence.recurrence_counts(db, report_filters(county), AS_OF)
    assert not raw.arrests_imported
    assert raw.within_contacts("arrest")
