"""The plain ORM path of the outcomes, cost and quarterly reports (orm_outcomes.py) and the
DuckDB path give the same figures on the same hand-built county, under several filters: each
checks the other. A few figures are also worked out by hand, so that neither can pass by both
being empty."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import pytest

from pathways.encounters.models import Encounter
from pathways.outcomes import extract
from pathways.outcomes.filters import ReportFilters
from pathways.outcomes.reports import cost, funder, orm_outcomes, recurrence
from pathways.outcomes.reports.funder import Quarter
from pathways.outcomes.reports.recurrence import ARRESTED, DIVERTED
from pathways.outcomes.testing import T0, arrest, contact, person, report_filters, walk
from pathways.programs.models import Pathway
from pathways.referrals.models import Referral

DAY = dt.timedelta(days=1)
HOUR = dt.timedelta(hours=1)
#: Some events have not happened yet (E's contact at 200 days, J's index contact at 160).
AS_OF = T0 + 150 * DAY
#: After every contact and imported arrest (the columnar path takes its other branch).
LATER = T0 + 500 * DAY
Q2 = Quarter(2026, 2)


@pytest.fixture
def county(cast: Any) -> Any:
    # A: referred at T0 (intake after 30 h); referred again at 30 days (intake after 13.25 h);
    # an archived contact at 10 days (no event); an overdose response at 50 days (intake after
    # 7.5 h); arrested at 100 days
    a = person()
    contact(cast, who=a, steps=[("accepted", 2), ("engaged", 30), ("completed", 300)])
    contact(cast, who=a, at=T0 + 30 * DAY, steps=[("accepted", 1), ("engaged", 13.25)])
    gone = contact(cast, who=a, at=T0 + 10 * DAY, disposition="information")
    Encounter.objects.filter(pk=gone.pk).update(archived_at=T0 + 11 * DAY)
    contact(
        cast, who=a, at=T0 + 50 * DAY, pathway="naloxone_plus",
        steps=[("accepted", 1), ("engaged", 7.5)],
    )  # fmt: skip
    contact(cast, who=a, at=T0 + 100 * DAY, pathway="officer_intervention", disposition="arrested")
    # B: a Naloxone Plus referral by Southside in area B1 at 2 days; another overdose response
    # 3 hours later (day 1: days round up)
    b = person()
    contact(
        cast, who=b, at=T0 + 2 * DAY, pathway="naloxone_plus", agency=cast.police_b, area="B1",
        steps=[("accepted", 1), ("engaged", 20)],
    )  # fmt: skip
    contact(
        cast, who=b, at=T0 + 2 * DAY + 3 * HOUR, pathway="naloxone_plus",
        disposition="transported", agency=cast.police_b,
    )  # fmt: skip
    # C: arrested by Southside at 5 days; imported: the booking of that arrest 2 hours later
    # (the same arrest), an arrest at 40 days and the same one again from the RMS an hour later
    c = person()
    contact(
        cast, who=c, at=T0 + 5 * DAY, pathway="officer_intervention", disposition="arrested",
        agency=cast.police_b,
    )  # fmt: skip
    arrest(cast, who=c, at=T0 + 5 * DAY + 2 * HOUR)
    arrest(cast, who=c, at=T0 + 40 * DAY)
    arrest(cast, who=c, at=T0 + 40 * DAY + HOUR, source="RMS")
    # D: declined at 10 days; an archived imported arrest at 20 days; a felony at 60 days (any
    # charge is a re-arrest)
    d = person()
    contact(cast, who=d, at=T0 + 10 * DAY, disposition="declined")
    arrest(cast, who=d, at=T0 + 20 * DAY, archived_at=T0 + 21 * DAY)
    arrest(cast, who=d, at=T0 + 60 * DAY, charge_level="felony")
    # E: referred in June 2025 (before the window; the cohort of the Q2 report), information
    # at 3 days, arrested in area B1 at 7 days, referred at 200 days (after AS_OF)
    e = person()
    contact(cast, who=e, at=dt.datetime(2025, 6, 1, 15, tzinfo=dt.UTC), steps=[("accepted", 3)])
    contact(cast, who=e, at=T0 + 3 * DAY, disposition="information")
    contact(
        cast, who=e, at=T0 + 7 * DAY, pathway="officer_intervention", disposition="arrested",
        area="B1",
    )  # fmt: skip
    contact(cast, who=e, at=T0 + 200 * DAY)
    # F: arrested and referred at the same moment: the first by id is the index contact
    f = person()
    contact(cast, who=f, at=T0 + 20 * DAY, pathway="officer_intervention", disposition="arrested")
    contact(
        cast, who=f, at=T0 + 20 * DAY, pathway="self_referral",
        steps=[("accepted", 1), ("engaged", 50)],
    )  # fmt: skip
    # G: transported only (never an index contact), with an archived referral
    g = contact(cast, pathway="naloxone_plus", disposition="transported")
    archived = walk(cast, g, [("accepted", 1)])
    Referral.objects.filter(pk=archived.pk).update(archived_at=T0 + DAY)
    # H: referred in January 2027 (after the window); J: referred by Southside at 160 days
    contact(cast, at=dt.datetime(2027, 1, 10, 15, tzinfo=dt.UTC))
    contact(cast, at=T0 + 160 * DAY, agency=cast.police_b)
    # K: an imported arrest at 12 days, referred 2 hours later, the same arrest again from the
    # RMS an hour after that (the same arrest as the first record: no re-arrest)
    k = person()
    arrest(cast, who=k, at=T0 + 12 * DAY)
    contact(cast, who=k, at=T0 + 12 * DAY + 2 * HOUR)
    arrest(cast, who=k, at=T0 + 12 * DAY + 3 * HOUR, source="RMS")
    # L: referred at 14 days; an imported arrest a day later, and an arrest at a contact 5 hours
    # after it (the record is the same arrest: the re-arrest is the contact, on day 2)
    ell = person()
    contact(cast, who=ell, at=T0 + 14 * DAY)
    arrest(cast, who=ell, at=T0 + 15 * DAY)
    contact(
        cast, who=ell, at=T0 + 15 * DAY + 5 * HOUR, pathway="officer_intervention",
        disposition="arrested",
    )  # fmt: skip
    # imported arrests linked to nobody: never events
    arrest(cast, at=T0 + 5 * DAY)
    arrest(cast, at=T0 + 8 * DAY, agency=cast.police_b)
    return cast


def _filters(cast: Any, name: str) -> ReportFilters:
    pathways = {p.code: p for p in Pathway.objects.all()}
    overrides: dict[str, Any] = {
        "none": {},
        "agency": {"agency": cast.police_b},
        "area": {"area": "B1"},
        "overdose": {"pathway": pathways["naloxone_plus"]},
        "intervention": {"pathway": pathways["officer_intervention"]},
        "agency and pathway": {"agency": cast.police_a, "pathway": pathways["officer_prevention"]},
        "march": {"start": dt.date(2026, 3, 1), "end": dt.date(2026, 3, 31)},
        "narrow": {"start": dt.date(2026, 3, 10), "end": dt.date(2026, 4, 30)},
    }[name]
    return report_filters(cast, **overrides)


FILTERS = [
    "none", "agency", "area", "overdose", "intervention", "agency and pathway", "march", "narrow",
]  # fmt: skip


def _tied_group() -> str:
    """F's group: of their two contacts at the same moment, the first by id is the index."""
    first = min(Encounter.objects.filter(occurred_at=T0 + 20 * DAY), key=lambda e: e.pk)
    return ARRESTED if first.disposition == "arrested" else DIVERTED


@pytest.mark.parametrize("name", FILTERS)
def test_recurrence_diverted_and_served_agree(county: Any, name: str) -> None:
    f = _filters(county, name)
    extract.refresh()
    with extract.connect() as db:
        for as_of in (AS_OF, LATER, T0 + 6 * DAY):
            assert orm_outcomes.recurrence_counts(f, as_of) == recurrence.recurrence_counts(
                db, f, as_of
            ), as_of
        assert orm_outcomes.diverted_counts(f) == cost.diverted_counts(db, f)
        assert orm_outcomes.served_counts(f) == funder.served_counts(db, f)


def test_recurrence_by_hand(county: Any) -> None:
    raw = orm_outcomes.recurrence_counts(report_filters(county), AS_OF)
    expected: dict[tuple[str, str], list[tuple[float, int, int]]] = {
        # A: a contact on day 30, an overdose on day 50, arrested on day 100; B: an overdose
        # response 3 hours later (day 1), followed 148 days; D: followed 140 days, the felony
        # on day 50 (the archived record on day 10 does not count); K: followed 137 days (137
        # and 22 hours), no re-arrest; L: the arrest at a contact on day 2, followed 136 days
        (DIVERTED, "contact"): [(1, 1, 0), (2, 1, 0), (30, 1, 0), (137, 0, 1), (140, 0, 1)],
        (DIVERTED, "overdose"): [(1, 1, 0), (50, 1, 0), (136, 0, 1), (137, 0, 1), (140, 0, 1)],
        (DIVERTED, "arrest"): [(2, 1, 0), (50, 1, 0), (100, 1, 0), (137, 0, 1), (148, 0, 1)],
        # C: followed 145 days, re-arrested on day 35 (the booking 2 hours after the arrest is
        # the same arrest); E: followed 143 days (the contact at 200 days is after AS_OF)
        (ARRESTED, "contact"): [(143, 0, 1), (145, 0, 1)],
        (ARRESTED, "overdose"): [(143, 0, 1), (145, 0, 1)],
        (ARRESTED, "arrest"): [(35, 1, 0), (143, 0, 1)],
    }
    # F: no contact strictly later than the index contact: followed 130 days
    for m in recurrence.MEASURES:
        key = (_tied_group(), m.code)
        expected[key] = sorted([*expected[key], (130, 0, 1)])
    assert raw.rows == expected
    assert raw.arrests_imported
    # at LATER every event has happened: E's contact at 200 days is on day 193, and J (index
    # contact at 160 days) is followed 340 days
    later = orm_outcomes.recurrence_counts(report_filters(county), LATER)
    assert (193, 1, 0) in later.rows[(ARRESTED, "contact")]
    assert (340, 0, 1) in later.rows[(DIVERTED, "contact")]


def test_diverted_and_served_by_hand(county: Any) -> None:
    assert orm_outcomes.diverted_counts(report_filters(county)) == {
        "officer_prevention": 7,  # A twice, D, E at 200 days, J, K, L
        "naloxone_plus": 2,  # A, B (B's second and G were transported)
        "officer_intervention": 0,
        "self_referral": 1,  # F
    }
    march = orm_outcomes.served_counts(_filters(county, "march"))
    # A, B, C, D, E, F, G, K, L; E's first contact was in 2025; referrals of A, B and F (G's
    # is archived)
    assert [march[("all", m)] for m in ("people", "new", "referrals")] == [9, 8, 3]


def _funder_agree(f: ReportFilters, as_of: dt.datetime) -> funder.FunderFigures:
    extract.refresh()
    with extract.connect() as db:
        columnar = funder.funder_figures(db, f, as_of)
    plain = orm_outcomes.funder_figures(f, as_of)
    # medians are interpolated in hours here, in minutes there: equal up to rounding
    assert plain.medians.keys() == columnar.medians.keys()
    for key, value in columnar.medians.items():
        assert plain.medians[key] == pytest.approx(value), key
    assert dataclasses.replace(plain, medians={}) == dataclasses.replace(columnar, medians={})
    return plain


@pytest.mark.parametrize("name", ["none", "agency", "agency and pathway"])
def test_funder_figures_agree(county: Any, name: str) -> None:
    f = dataclasses.replace(_filters(county, name), start=Q2.start, end=Q2.end)
    _funder_agree(f, AS_OF)


def test_funder_figures_by_hand(county: Any) -> None:
    f = report_filters(county, start=Q2.start, end=Q2.end)
    plain = _funder_agree(f, AS_OF)
    # Q2 2026: A's contacts at 30, 50 and 100 days; two intakes (13.25 and 7.5 hours)
    assert plain.complete
    assert set(plain.pathways) == {"officer_prevention", "naloxone_plus", "officer_intervention"}
    figures = ("contacts", "people", "new", "referrals")
    assert [plain.count(Q2, "all", m) for m in figures] == [3, 1, 0, 2]
    assert plain.count(Q2, "all", "entries") == plain.count(Q2, "all", "timed") == 2
    assert plain.medians["all"] == pytest.approx((7.5 + 13.25) / 2)
    # the year earlier: E's referral in June 2025
    assert plain.count(Q2.shift(-4), "all", "contacts") == 1
    # the cohort (2025 Q2 to 2026 Q1): A, B, D, E, K and L diverted, C arrested, F either
    assert plain.outcomes.people(DIVERTED) == 6 + (_tied_group() == DIVERTED)
    # during the quarter, not over yet
    assert not _funder_agree(f, T0 + 100 * DAY).complete
