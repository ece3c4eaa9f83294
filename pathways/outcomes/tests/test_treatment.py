"""Time to treatment on hand-built contacts; percentiles worked out here."""

from __future__ import annotations

from typing import Any

import pytest

from pathways.outcomes import extract
from pathways.outcomes.reports import orm, treatment
from pathways.outcomes.testing import T0, contact, report_filters, walk


@pytest.fixture
def county(cast: Any) -> Any:
    for hours in (2, 10, 30, 80, 200):  # Officer Prevention: target 72 h
        contact(cast, steps=[("accepted", 1), ("engaged", hours)])
    for hours in (20, 40):  # Self-referral: target 24 h (treatment placement)
        contact(cast, pathway="self_referral", steps=[("accepted", 1), ("engaged", hours)])
    contact(cast, steps=[("accepted", 1)])  # no intake yet: not counted
    contact(cast, steps=[("accepted", 1), ("engaged", 50)], service=cast.crisis_q)
    return cast


def _times(cast: Any) -> treatment.TreatmentTimes:
    extract.refresh()
    with extract.connect() as db:
        return treatment.treatment_times(
            db, report_filters(cast), treatment.targets(cast.program.pk)
        )


def test_percentiles_and_share_within_target_by_pathway(county: Any) -> None:
    rows = _times(county).rows
    op = rows[("pathway", "officer_prevention")]
    # 2, 10, 30, 50, 80, 200 hours; linear interpolation at (n-1)p
    assert op["n"] == 6
    assert op["p50"] == pytest.approx(40)  # between 30 and 50
    assert op["p75"] == pytest.approx(72.5)  # 50 + 0.75 * 30
    assert op["p90"] == pytest.approx(140)  # 80 + 0.5 * 120
    assert op["within"] == 4  # 2, 10, 30, 50 within 72 hours
    sr = rows[("pathway", "self_referral")]
    assert (sr["n"], sr["within"]) == (2, 1)  # 20 h within 24 h; 40 h not
    assert rows[("pathway", "all")]["n"] == 8


def test_by_provider_counts_the_provider_of_the_first_intake(county: Any) -> None:
    rows = _times(county).rows
    assert rows[("provider", "Harbor Test Recovery")]["n"] == 7
    assert rows[("provider", "Lakeside Crisis Center")]["n"] == 1


def test_distribution_bins(county: Any) -> None:
    # under 6 h: 2; 6-24 h: 10, 20; 1-3 d: 30, 40, 50; 3-7 d: 80; 1-2 wk: 200
    assert _times(county).bins == [1, 2, 3, 1, 1, 0, 0]


def test_a_contact_counts_once_at_its_first_intake(cast: Any) -> None:
    first = contact(cast, steps=[("accepted", 1), ("engaged", 5)])
    walk(cast, first, [("accepted", 1), ("engaged", 90)], service=cast.crisis_q)
    rows = _times(cast).rows
    assert rows[("pathway", "officer_prevention")]["n"] == 1
    assert rows[("pathway", "officer_prevention")]["p50"] == pytest.approx(5)


def test_configured_target_is_used(cast: Any) -> None:
    from pathways.programs.models import ProgramPathway
    from pathways.programs.services import pathway_config_save

    pp = ProgramPathway.objects.get(program=cast.program, pathway__code="self_referral")
    pathway_config_save(
        actor=cast.coordinator,
        program_pathway=pp,
        note="Two days to place someone is our target now.",
        deadlines={"referral_response_hours": 24, "placement_hours": 48},
    )
    goals = treatment.targets(cast.program.pk)
    assert goals["self_referral"].hours == 48
    assert goals["officer_intervention"].hours == 30 * 24  # intake assessment, in days
    assert goals["officer_prevention"].hours == treatment.DEFAULT_TARGET_HOURS


def test_published_report_hides_small_groups(county: Any) -> None:
    extract.refresh()
    with extract.connect() as db:
        report = treatment.build(db, report_filters(county), as_of=T0, suppress_small=True)
    by_pathway = next(s for s in report.sections if s.heading == "By pathway").table
    sr = next(r for r in by_pathway.rows if r.key == "self_referral")
    assert sr.values[0].hidden  # 2 contacts
    assert all(v.hidden or v.number is None for v in sr.values[1:4])  # no percentiles
    distribution = report.sections[0].table
    assert distribution.rows[-1].values[0].hidden  # 8 in all: small


def test_the_target_is_judged_in_whole_minutes_on_both_paths(cast: Any) -> None:
    # Self-referral, target 24 h: 24 h and 40 s is 1,440 whole minutes, within; 24 h and
    # 1 min is 1,441, outside
    for hours in (24 + 40 / 3600, 24 + 1 / 60):
        contact(cast, pathway="self_referral", steps=[("accepted", 1), ("engaged", hours)])
    rows = _times(cast).rows
    assert (
        rows[("pathway", "self_referral")]["n"],
        rows[("pathway", "self_referral")]["within"],
    ) == (2, 1)
    figures = orm.treatment_figures(report_filters(cast))
    assert figures[("pathway", "self_referral")]["within"] == 1
