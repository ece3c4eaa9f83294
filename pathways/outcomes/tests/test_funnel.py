"""The funnel report on hand-built contacts whose right answer is worked out here."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from pathways.outcomes import extract
from pathways.outcomes.reports import funnel
from pathways.outcomes.testing import (
    LOCAL_DAY_EDGES,
    T0,
    contact,
    contacts_at,
    local_day_windows,
    report_filters,
)
from pathways.programs.models import Pathway

H = 1.0
DAY = 24.0
AS_OF = T0 + dt.timedelta(days=200)


def _counts(cast: Any, **overrides: Any) -> funnel.FunnelCounts:
    extract.refresh()
    with extract.connect() as db:
        return funnel.funnel_counts(db, report_filters(cast, **overrides), AS_OF)


@pytest.fixture
def county(cast: Any) -> Any:
    # Officer Prevention, eight contacts
    contact(cast, steps=[("accepted", 2 * H), ("engaged", 26 * H), ("completed", 266 * H)])
    contact(cast, steps=[("accepted", 4 * H), ("engaged", 52 * H), ("disengaged", 532 * H)])
    contact(cast, steps=[("accepted", 6 * H), ("engaged", 30 * H), ("disengaged", 1470 * H)])
    contact(cast, steps=[("declined", 5 * H)])  # the provider declined
    contact(cast)  # referred; no referral recorded
    contact(cast, disposition="declined")  # offered, the person said no
    contact(cast, disposition="information")  # not offered
    contact(cast, disposition="arrested", eligibility_outcome="ineligible")
    # Self-referral, one contact still engaged
    contact(cast, pathway="self_referral", steps=[("accepted", 1 * H), ("engaged", 3 * H)])
    return cast


def test_stage_counts_by_pathway_and_all(county: Any) -> None:
    raw = _counts(county)
    stages = [s.code for s in funnel.STAGES]
    got = {code: [raw.counts[(code, s)] for s in stages] for code in [*raw.pathways, "all"]}
    # contacts, eligible, offered, accepted, provider, engaged, 30 days, 90 days, completed
    assert got == {
        "self_referral": [1, 1, 1, 1, 1, 1, 1, 1, 0],
        "officer_prevention": [8, 7, 6, 5, 3, 3, 2, 1, 1],
        "all": [9, 8, 7, 6, 4, 4, 3, 2, 1],
    }
    assert raw.pathways == ["self_referral", "officer_prevention"]  # the catalog's order


def test_median_times_between_stages(county: Any) -> None:
    medians = _counts(county).medians
    assert medians[("officer_prevention", "to_referral")] == 0
    # provider acceptance 2, 4 and 6 hours after the referral
    assert medians[("officer_prevention", "to_provider")] == pytest.approx(4)
    # intake 24, 48 and 24 hours after the provider accepted: 1, 2, 1 days
    assert medians[("officer_prevention", "to_intake")] == pytest.approx(1)
    # one completion, 240 hours after intake
    assert medians[("officer_prevention", "to_completion")] == pytest.approx(10)
    assert medians[("all", "to_provider")] == pytest.approx(3)  # 1, 2, 4, 6 hours


def test_retention_waits_until_it_can_be_judged(county: Any) -> None:
    extract.refresh()
    soon = T0 + dt.timedelta(days=40)  # 30 days are up for all; 90 days for none
    with extract.connect() as db:
        raw = funnel.funnel_counts(db, report_filters(county), soon)
    assert raw.counts[("all", "retained_30")] == 3
    assert raw.counts[("all", "retained_90")] == 0


def test_filters_agency_pathway_and_local_dates(county: Any) -> None:
    cast = county
    contact(cast, agency=cast.police_b, area="B1")
    # 05:30 UTC on 2 March is 23:30 on 1 March in Chicago
    contact(cast, at=dt.datetime(2026, 3, 2, 5, 30, tzinfo=dt.UTC), area="A7")
    assert _counts(cast).counts[("all", "contacts")] == 11
    assert _counts(cast, agency=cast.police_b).counts[("all", "contacts")] == 1
    assert _counts(cast, area="A7").counts[("all", "contacts")] == 1
    op = Pathway.objects.get(code="self_referral")
    assert _counts(cast, pathway=op).counts[("all", "contacts")] == 1
    assert _counts(cast, start=dt.date(2026, 3, 2)).counts[("all", "contacts")] == 10
    assert _counts(cast, end=dt.date(2026, 3, 1)).counts[("all", "contacts")] == 1


def test_no_contacts_gives_zero_rows(cast: Any) -> None:
    raw = _counts(cast)
    assert raw.pathways == []
    assert raw.counts[("all", "contacts")] == 0


def test_published_report_hides_a_small_drop_between_stages(cast: Any) -> None:
    for _ in range(20):
        contact(cast, steps=[("accepted", 1), ("engaged", 5)])
    for _ in range(5):
        contact(cast, disposition="information")  # 5 not offered: a small count
    extract.refresh()
    with extract.connect() as db:
        report = funnel.build(db, report_filters(cast), as_of=AS_OF, suppress_small=True)
        exact = funnel.build(db, report_filters(cast), as_of=AS_OF, suppress_small=False)
    row = next(r for r in report.sections[0].table.rows if r.key == "all")
    shown = {
        c.label: v for c, v in zip(report.sections[0].table.columns[1:], row.values, strict=True)
    }
    # 25 contacts, 25 eligible, 20 offered: 25 - 20 = 5 would give the small count away
    assert shown["Contacts"].display() == "30"  # 25, rounded to ten
    assert sum(v.hidden for v in (shown["Eligible"], shown["Offered services"])) >= 1
    assert not any(v.hidden for r in exact.sections[0].table.rows for v in r.values)
    # and the step rate between them is hidden too
    rates = next(r for r in report.sections[1].table.rows if r.key == "all")
    assert rates.values[1].hidden


def test_per_day_counts_kept_by_the_refresh_equal_counting_the_contacts(cast: Any) -> None:
    """Built as of the refresh, the stage counts are sums of the per-day counts the refresh
    keeps; they equal counting the contacts for any window and filter, with contacts just
    before and after local midnight, on a DST change, and engaged long enough ago to count as
    retained."""
    moments = [*LOCAL_DAY_EDGES, T0 - dt.timedelta(days=200), T0 - dt.timedelta(days=120)]
    walked = [("accepted", 1), ("engaged", 5), ("completed", 24 * 100)]
    contacts_at(cast, moments, [walked[: n % 4] for n in range(len(moments))])
    extract.refresh()
    as_of = extract.refreshed_at()
    assert as_of is not None
    windows = [
        *local_day_windows(cast),
        {"start": dt.date(2025, 1, 1), "end": dt.date(2026, 12, 31)},
    ]
    with extract.connect() as db:
        assert funnel._by_day(db, report_filters(cast), as_of)
        for window in windows:
            f = report_filters(cast, **window)
            kept = funnel.stage_counts_by_window(db, [f], as_of)
            counted = funnel.stage_counts_by_window(db, [f], as_of, from_contacts=True)
            assert kept == counted, window
        # several windows at once, as the quarterly report asks
        many = [report_filters(cast, start=d, end=d) for d in (dt.date(2026, 3, 1),
                dt.date(2026, 3, 2), dt.date(2026, 3, 8))]  # fmt: skip
        assert funnel.stage_counts_by_window(db, many, as_of) == funnel.stage_counts_by_window(
            db, many, as_of, from_contacts=True
        )
        # another moment than the refresh's: counted from the contacts
        assert not funnel._by_day(db, report_filters(cast), as_of + dt.timedelta(days=1))
        # the contact at 23:30 on 1 March (local) counts on 1 March, though UTC says 2 March
        one_day = report_filters(cast, start=dt.date(2026, 3, 1), end=dt.date(2026, 3, 1))
        assert funnel.stage_counts_by_window(db, [one_day], as_of)[0][1][("all", "contacts")] == 1
