"""The plain ORM path (the benchmark's baseline) and the DuckDB path give the same figures on
the same mixed county: each checks the other."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from pathways.outcomes import extract
from pathways.outcomes.reports import equity, funnel, orm, treatment
from pathways.outcomes.testing import T0, arrest, contact, person, report_filters, walk

AS_OF = T0 + dt.timedelta(days=120)


@pytest.fixture
def county(cast: Any) -> Any:
    day = dt.timedelta(days=1)
    for n in range(12):
        who = person(
            races=[["white"], ["black"], ["black", "white"], []][n % 4],
            ethnicity="hispanic" if n % 5 == 0 else "not_hispanic",
            sex=["male", "female"][n % 2],
            date_of_birth=dt.date(1960 + 3 * n, 5, 1),
        )
        pathway = ["officer_prevention", "self_referral", "officer_intervention"][n % 3]
        steps = [
            [("accepted", 2), ("engaged", 20 + n), ("completed", 500)],
            [("accepted", 3), ("engaged", 40 + n), ("disengaged", 900)],
            [("declined", 4)],
            [("accepted", 1)],
        ][n % 4]
        encounter = contact(
            cast,
            at=T0 + n * day,
            pathway=pathway,
            who=who,
            steps=steps,
            agency=cast.police_b if n % 3 == 0 else cast.police_a,
        )
        if n % 6 == 1:
            walk(cast, encounter, [("accepted", 1), ("engaged", 10)], service=cast.crisis_q)
    for n in range(4):
        contact(cast, at=T0 + n * day, pathway="officer_intervention", disposition="arrested")
        contact(cast, at=T0 + n * day, disposition="information", eligibility_outcome="ineligible")
    contact(cast, at=T0 - 400 * day)  # outside the window
    # imported arrests: linked (some the same arrest as one at a contact, or as another
    # record), not linked with the record's own groups, felonies, archived, by agency
    for n in range(6):
        who = person(
            races=[["white"], ["black"], []][n % 3],
            sex=["male", "female"][n % 2],
            date_of_birth=dt.date(1950 + 7 * n, 8, 1),
        )
        arrest(cast, who=who, at=T0 + n * day, agency=cast.police_b if n % 2 else None)
        if n % 3 == 0:  # the same arrest again, from another source an hour later
            arrest(cast, who=who, at=T0 + n * day + dt.timedelta(hours=1), source="RMS")
    for n in range(5):
        arrest(
            cast,
            at=T0 + n * day,
            race=["white", "black", "", "asian", "black"][n],
            ethnicity="hispanic" if n == 4 else "not_hispanic",
            sex=["male", "female", "unknown", "x", "male"][n],
            date_of_birth=None if n == 2 else dt.date(1990 - 9 * n, 1, 15),
            charge_level=["misdemeanor", "violation", "felony", "unknown", "misdemeanor"][n],
            agency=cast.police_b if n % 2 else cast.police_a,
        )
    booked = person(races=["black"])
    contact(cast, who=booked, at=T0, pathway="officer_intervention", disposition="arrested")
    arrest(cast, who=booked, at=T0 + dt.timedelta(hours=5))
    arrest(cast, who=person(), at=T0, archived_at=T0)
    return cast


@pytest.mark.parametrize("overrides", [{}, {"area": ""}, {"agency": "b"}])
def test_funnel_agrees(county: Any, overrides: dict[str, Any]) -> None:
    if overrides.get("agency"):
        overrides = {"agency": county.police_b}
    f = report_filters(county, **overrides)
    extract.refresh()
    with extract.connect() as db:
        columnar = funnel.funnel_counts(db, f, AS_OF)
    plain = orm.funnel_counts(f, AS_OF)
    assert plain.pathways == columnar.pathways
    assert plain.counts == columnar.counts
    assert plain.medians.keys() == columnar.medians.keys()
    for key, value in columnar.medians.items():
        assert plain.medians[key] == pytest.approx(value), key


@pytest.mark.parametrize(
    ("compare", "agency"),
    [("race_group", False), ("sex", False), ("age_band", False), ("race_group", True)],
)
def test_equity_agrees(county: Any, compare: str, agency: bool) -> None:
    f = report_filters(county, compare=compare, **({"agency": county.police_b} if agency else {}))
    extract.refresh()
    with extract.connect() as db:
        columnar = equity.group_counts(db, f, equity.DIMENSIONS[compare])
    plain = orm.equity_counts(f, AS_OF)
    assert {k: v for k, v in columnar.counts.items() if v} == plain
    if not agency:
        # 17 contacts offered services or arrested, 6 linked and 3 unlinked imported arrests
        assert plain[("diversion_base", "all")] == 26


def test_time_to_treatment_agrees(county: Any) -> None:
    f = report_filters(county)
    extract.refresh()
    with extract.connect() as db:
        columnar = treatment.treatment_times(db, f, treatment.targets(county.program.pk))
    plain = orm.treatment_figures(f)
    assert plain.keys() == columnar.rows.keys()
    for key, figures in columnar.rows.items():
        for name, value in figures.items():
            assert plain[key][name] == pytest.approx(value), (key, name)


def test_quantile_interpolates_like_duckdb() -> None:
    assert orm.quantile([2, 10, 30, 50, 80, 200], 0.5) == 40
    assert orm.quantile([2, 10, 30, 50, 80, 200], 0.9) == pytest.approx(140)
    assert orm.quantile([], 0.5) is None
    assert orm.quantile([7], 0.75) == 7
