"""The referral loop's plain ORM path (the benchmark's baseline) and its DuckDB path give the same
raw figures on the same hand-built county, for every filter and moment tried; and a few of them
are worked out here, so neither can agree with the other by both being empty."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import pytest

from pathways.directory.factories import ServiceFactory
from pathways.directory.models import ServiceType
from pathways.outcomes import extract
from pathways.outcomes.reports import orm_referrals, referral_loop
from pathways.outcomes.testing import T0, contact, report_filters, walk
from pathways.programs.models import Pathway, ProgramPathway
from pathways.programs.services import pathway_config_save

#: The moment the figures are taken at: some open referrals are past their deadline, some not.
NOW = T0 + dt.timedelta(days=30)
HOUR, DAY = dt.timedelta(hours=1), dt.timedelta(days=1)


@pytest.fixture
def county(cast: Any) -> Any:
    """Two providers, four service types, two police agencies and areas, two pathways (one with
    a 48-hour response deadline); the comments give each referral's fate at NOW."""
    pp = ProgramPathway.objects.get(program=cast.program, pathway__code="self_referral")
    assert pp.current_config is not None
    deadlines = {**pp.current_config.deadlines, "referral_response_hours": 48}
    pathway_config_save(actor=None, program_pathway=pp, note="Slower", deadlines=deadlines)
    detox, full, crisis = cast.detox_p, cast.outpatient_p_full, cast.crisis_q
    housing = ServiceFactory.create(
        organization=cast.provider_q,
        name="Lakeside Shelter",
        service_type=ServiceType.HOUSING,
        capacity_total=4,
        capacity_open=1,
    )
    ServiceFactory.create(
        organization=cast.provider_q,
        name="Old crisis beds",
        service_type=ServiceType.MH_CRISIS,
        capacity_total=5,
        capacity_open=5,
        archived_at=T0,
    )  # archived: not listed
    b = cast.police_b
    sr = "self_referral"
    # P detox: answered at 2 h (then engaged), accepted at 4 h (stuck: 3 d - 4 h over)
    first = contact(cast, at=NOW - 20 * DAY, area="North", steps=[("accepted", 2), ("engaged", 30)])
    contact(
        cast,
        at=NOW - 10 * DAY,
        agency=b,
        area="South",
        pathway=sr,
        steps=[("received", 1), ("accepted", 4)],
    )
    # Q crisis, at the same contact: accepted at 3 h, stuck (13 d - 3 h over)
    walk(cast, first, [("accepted", 3)], service=crisis)
    # P detox: declined for no capacity at 6 h; declined not eligible at 10 h, from a contact
    # at 23:30 local time on 12 March (04:30 UTC on the 13th)
    contact(cast, at=NOW - 15 * DAY, area="North", steps=[("declined", 6)])
    late_evening = contact(cast, at=dt.datetime(2026, 3, 13, 4, 30, tzinfo=dt.UTC), agency=b)
    walk(cast, late_evening, [("declined", 10)], service=detox, decline_reason="not_eligible")
    # Q crisis: declined at 3 h for a code no longer in the list (counts as Other)
    walk(
        cast,
        contact(cast, at=NOW - 14 * DAY, area="South"),
        [("declined", 3)],
        service=crisis,
        decline_reason="retired_code",
    )
    # waiting: sent 30 h ago on a 24-hour pathway (6 h over), 23 h ago (inside); received on
    # the 48-hour pathway 60 h ago (12 h over); sent on it 30 h ago (inside)
    walk(cast, contact(cast, at=NOW - 30 * HOUR, area="North"), [], service=detox)
    walk(cast, contact(cast, at=NOW - 23 * HOUR, agency=b, area="North"), [], service=detox)
    contact(cast, at=NOW - 60 * HOUR, area="North", pathway=sr, steps=[("received", 1)])
    walk(
        cast,
        contact(cast, at=NOW - 30 * HOUR, agency=b, area="South", pathway=sr),
        [],
        service=crisis,
    )
    # Q crisis: intake scheduled 20 days ago (13 d - 2 h over) and 5 days ago (inside);
    # accepted 6 days ago at 8 h (inside)
    scheduled = [("accepted", 1.0), ("intake_scheduled", 2.0)]
    contact(cast, at=NOW - 20 * DAY, area="North", steps=scheduled, service=crisis)
    contact(cast, at=NOW - 5 * DAY, agency=b, area="South", steps=scheduled, service=crisis)
    contact(cast, at=NOW - 6 * DAY, area="North", steps=[("accepted", 8)], service=crisis)
    # Q housing: accepted at 90.6 minutes (90 whole minutes), then engaged
    contact(
        cast,
        at=NOW - 9 * DAY + dt.timedelta(microseconds=123_457),
        agency=b,
        area="North",
        pathway=sr,
        steps=[("accepted", 1.51), ("engaged", 20)],
        service=housing,
    )
    # P outpatient: two declined for no capacity at 1 h
    contact(cast, at=NOW - 8 * DAY, area="South", steps=[("declined", 1)], service=full)
    contact(cast, at=NOW - 8 * DAY, agency=b, area="South", steps=[("declined", 1)], service=full)
    # P detox in January: declined for no capacity at 2 h
    contact(
        cast,
        at=dt.datetime(2026, 1, 15, 12, tzinfo=dt.UTC),
        agency=b,
        area="North",
        steps=[("declined", 2)],
    )
    # never counted: an archived referral, a referral of an archived contact, a contact
    # outside the year
    gone = walk(cast, contact(cast, at=NOW - 7 * DAY), [("declined", 1)])
    gone.archived_at = NOW - DAY
    gone.save()
    archived = contact(cast, at=NOW - 7 * DAY, steps=[("accepted", 1)])
    archived.archived_at = NOW - DAY
    archived.save()
    contact(cast, at=dt.datetime(2025, 6, 1, 12, tzinfo=dt.UTC), steps=[("accepted", 1)])
    return cast


def _both(f: Any, as_of: dt.datetime) -> referral_loop.LoopCounts:
    """The ORM path's figures, checked equal to the columnar path's (per-day counts and
    counted from the referrals)."""
    plain = orm_referrals.loop_counts(f, as_of)
    with extract.connect() as db:
        assert plain == referral_loop.loop_counts(db, f, as_of)
        assert plain == referral_loop.loop_counts(db, f, as_of, from_facts=True)
    return plain


def test_both_paths_agree_for_every_filter_and_moment(county: Any) -> None:
    cast = county
    extract.refresh()
    filters: list[dict[str, Any]] = [
        {},
        {"agency": cast.police_a},
        {"agency": cast.police_b},
        {"area": "North"},
        {"area": "South"},
        {"pathway": Pathway.objects.get(code="self_referral")},
        {"pathway": Pathway.objects.get(code="officer_intervention")},  # nothing
        {"start": dt.date(2026, 3, 12), "end": dt.date(2026, 3, 12)},
        {"start": dt.date(2026, 1, 1), "end": dt.date(2026, 1, 31)},
        {"start": dt.date(2025, 1, 1), "end": dt.date(2025, 12, 31)},
        {"agency": cast.police_b, "area": "South", "start": dt.date(2026, 3, 20)},
    ]
    # the third moment puts every overdue time between two whole minutes
    odd = NOW + 12 * HOUR + dt.timedelta(seconds=89, microseconds=500_001)
    moments = [NOW, NOW + 12 * HOUR, odd, NOW + 200 * DAY, T0 - 30 * DAY]
    for overrides in filters:
        for as_of in moments:
            figures = _both(report_filters(cast, **overrides), as_of)
            assert figures.capacity["housing"] == (1, 4, 1), overrides
    # counted in another zone than the refresh's: the columnar path counts the referrals
    lisbon = dataclasses.replace(report_filters(cast), time_zone="Europe/Lisbon")
    _both(lisbon, NOW)


def test_hand_worked_figures(county: Any) -> None:
    cast = county
    extract.refresh()
    figures = _both(report_filters(cast), NOW)
    p, q = str(cast.provider_p.pk), str(cast.provider_q.pk)
    assert figures.providers == {p: "Harbor Test Recovery", q: "Lakeside Crisis Center"}
    assert figures.pairs == [(p, "detox"), (p, "outpatient"), (q, "mh_crisis"), (q, "housing")]
    assert figures.service_types == ["detox", "outpatient", "mh_crisis", "housing"]

    def row(pair: referral_loop.Pair, *measures: str) -> list[int]:
        return [figures.counts[pair][m] for m in measures]

    answers = ("received", "accepted", "declined", "waiting", "engaged")
    assert row((p, "detox"), *answers) == [8, 2, 3, 3, 1]
    assert row((p, "outpatient"), *answers) == [2, 0, 2, 0, 0]
    assert row((q, "mh_crisis"), *answers) == [6, 4, 1, 1, 0]
    assert row((q, "housing"), *answers) == [1, 1, 0, 0, 1]
    reasons = ("reason:no_capacity", "reason:not_eligible", "reason:other")
    assert row((p, "detox"), *reasons) == [2, 1, 0]
    assert row((q, "mh_crisis"), *reasons) == [0, 0, 1]
    stuck = tuple(f"stuck:{s}" for s in referral_loop.STUCK_STATUSES)
    assert row((p, "detox"), *stuck, "stuck", "waiting_in_time") == [1, 1, 1, 0, 3, 1]
    assert row((q, "mh_crisis"), *stuck, "stuck", "accepted_not_stuck") == [0, 0, 1, 1, 2, 2]
    # answered after (minutes) 120 240 360 600 120 | 60 60 | 180 180 60 60 480 | 90
    assert figures.response_hours == {
        (p, "detox"): 4.0,
        (p, "outpatient"): 1.0,
        (q, "mh_crisis"): 3.0,
        (q, "housing"): 1.5,
        referral_loop.ALL: 2.0,
    }
    # past the deadline (minutes): P 360, 720, 4080; Q 18540, 18600
    assert figures.overdue_days == {p: 0.5, q: 18570 / 1440, referral_loop.ALL: 4080 / 1440}
    assert figures.capacity == {
        "detox": (1, 10, 3),
        "outpatient": (1, 20, 0),
        "mh_crisis": (1, 8, 2),
        "housing": (1, 4, 1),
    }
    assert figures.deadlines["self_referral"] == 48
    assert figures.deadlines["officer_prevention"] == referral_loop.DEFAULT_RESPONSE_HOURS

    # 12 hours later the referral sent 23 hours before is past 24 hours too
    later = _both(report_filters(cast), NOW + 12 * HOUR)
    assert later.counts[(p, "detox")]["stuck:sent"] == 2
    # before any referral: nothing is stuck, and no median of days overdue
    early = _both(report_filters(cast), T0 - 30 * DAY)
    assert sum(c["stuck"] for c in early.counts.values()) == 0
    assert early.overdue_days == {referral_loop.ALL: None}
    # the local day of 12 March holds the contact at 23:30 that UTC puts on the 13th
    day = _both(report_filters(cast, start=dt.date(2026, 3, 12), end=dt.date(2026, 3, 12)), NOW)
    assert sum(c["received"] for c in day.counts.values()) == 4
    assert day.counts[(p, "detox")]["reason:not_eligible"] == 1
    # no referral at all: only the capacity
    none = _both(report_filters(cast, start=dt.date(2024, 1, 1), end=dt.date(2024, 1, 2)), NOW)
    assert none.pairs == [] and none.response_hours == {referral_loop.ALL: None}
    assert none.service_types == ["detox", "outpatient", "mh_crisis", "housing"]
