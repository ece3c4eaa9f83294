"""The referral loop report on hand-built referrals whose right answer is worked out here."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import pytest

from pathways.directory.factories import ServiceFactory
from pathways.directory.models import ServiceType
from pathways.encounters.models import Encounter
from pathways.outcomes import extract
from pathways.outcomes.reports import referral_loop
from pathways.outcomes.reports.common import kept_by_day
from pathways.outcomes.tables import Report, Value
from pathways.outcomes.testing import (
    LOCAL_DAY_EDGES,
    T0,
    contact,
    contacts_at,
    local_day_windows,
    report_filters,
    walk,
)
from pathways.people.models import Person
from pathways.programs.models import ProgramPathway
from pathways.programs.services import pathway_config_save
from pathways.referrals.models import Referral

AS_OF = T0 + dt.timedelta(days=200)
RESPONSES, DECLINES, STUCK, CAPACITY = range(4)


def _report(
    cast: Any, *, as_of: dt.datetime = AS_OF, suppress_small: bool = False, **overrides: Any
) -> Report:
    extract.refresh()
    with extract.connect() as db:
        return referral_loop.build(
            db, report_filters(cast, **overrides), as_of=as_of, suppress_small=suppress_small
        )


def _grid(report: Report, section: int) -> dict[str, dict[str, Value]]:
    """A section's table as {row key: {column label: value}}."""
    table = report.sections[section].table
    return {
        row.key: {c.label: v for c, v in zip(table.columns[1:], row.values, strict=True)}
        for row in table.rows
    }


def _numbers(row: dict[str, Value]) -> dict[str, float | None]:
    return {label: v.shown for label, v in row.items()}


def _sent(cast: Any, *, service: Any = None, **kw: Any) -> Encounter:
    """A contact with a referral that was sent and never moved on."""
    encounter = contact(cast, **kw)
    walk(cast, encounter, [], service=service)
    return encounter


def _declined(cast: Any, hours: float, reason: str, *, service: Any = None) -> Referral:
    """A contact whose referral the provider declined `hours` later for `reason`."""
    return walk(cast, contact(cast), [("declined", hours)], service=service, decline_reason=reason)


@pytest.fixture
def loop(cast: Any) -> Any:
    detox, full, crisis = cast.detox_p, cast.outpatient_p_full, cast.crisis_q
    # Provider P, detox: 6 received, 2 accepted (2 h, 4 h), 2 declined (6 h, 10 h), 2 waiting
    contact(cast, steps=[("accepted", 2), ("engaged", 30)], service=detox)
    contact(cast, steps=[("received", 1), ("accepted", 4)], service=detox)
    contact(cast, steps=[("declined", 6)], service=detox)  # no capacity
    _declined(cast, 10, "not_eligible", service=detox)
    _sent(cast, service=detox)
    contact(cast, steps=[("received", 1)], service=detox)
    # Provider P, outpatient (no open places): 2 received, both declined for no capacity at 1 h
    contact(cast, steps=[("declined", 1)], service=full)
    contact(cast, steps=[("declined", 1)], service=full)
    # Provider Q, crisis: 3 received, 2 accepted (1 h, 8 h), 1 declined at 3 h
    contact(cast, steps=[("accepted", 1)], service=crisis)
    contact(cast, steps=[("accepted", 8)], service=crisis)
    _declined(cast, 3, "higher_care", service=crisis)
    return cast


def test_provider_responses_per_provider_and_service_type(loop: Any) -> None:
    cast = loop
    rows = _grid(_report(cast), RESPONSES)
    p, q = str(cast.provider_p.pk), str(cast.provider_q.pk)
    columns = ["Referrals received", "Accepted", "Declined", "Still waiting"]
    got = {key: [row[c].shown for c in columns] for key, row in rows.items()}
    assert got == {
        f"{p}:detox": [6, 2, 2, 2],
        f"{p}:outpatient": [2, 0, 2, 0],
        f"{q}:mh_crisis": [3, 2, 1, 0],
        "all": [11, 4, 5, 2],
    }
    # the order: providers by name (Harbor before Lakeside), then the catalogue's service order
    assert list(rows) == [f"{p}:detox", f"{p}:outpatient", f"{q}:mh_crisis", "all"]
    rate = "Acceptance rate (% of answered)"
    assert rows[f"{p}:detox"][rate].shown == pytest.approx(50)  # 2 of 4 answered
    assert rows[f"{q}:mh_crisis"][rate].shown == pytest.approx(200 / 3)
    assert rows["all"][rate].shown == pytest.approx(400 / 9)


def test_median_hours_from_sending_to_the_first_answer(loop: Any) -> None:
    rows = _grid(_report(loop), RESPONSES)
    median = "Median hours to answer"
    p = str(loop.provider_p.pk)
    assert rows[f"{p}:detox"][median].shown == pytest.approx(5)  # 2, 4, 6, 10 ("received" is not)
    assert rows[f"{p}:outpatient"][median].shown == pytest.approx(1)
    # all: 1, 1, 1, 2, 3, 4, 6, 8, 10
    assert rows["all"][median].shown == pytest.approx(3)


def test_decline_reasons_per_provider_with_totals_and_chart(loop: Any) -> None:
    report = _report(loop)
    rows = _grid(report, DECLINES)
    p, q = str(loop.provider_p.pk), str(loop.provider_q.pk)
    wanted = {
        p: {"No capacity": 3, "Does not meet the service's criteria": 1, "All declines": 4},
        q: {"Needs a higher level of care": 1, "All declines": 1},
        "all": {
            "No capacity": 3,
            "Does not meet the service's criteria": 1,
            "Needs a higher level of care": 1,
            "All declines": 5,
        },
    }
    for key, row in rows.items():
        assert {k: v for k, v in _numbers(row).items() if v} == wanted[key]
    chart = report.sections[DECLINES].chart
    assert chart is not None and chart.__class__.__name__ == "BarChart"
    bars = {bar.label: bar for bar in chart.bars}  # type: ignore[union-attr]
    assert bars["No capacity"].value.shown == 3
    assert bars["No capacity"].note == "60.0% of declines"
    assert bars["Insurance or payment"].value.shown == 0


def test_stuck_referrals_against_as_of_and_configured_deadlines(cast: Any) -> None:
    now = T0 + dt.timedelta(days=30)
    hour, day = dt.timedelta(hours=1), dt.timedelta(days=1)
    pp = ProgramPathway.objects.get(program=cast.program, pathway__code="self_referral")
    assert pp.current_config is not None
    deadlines = {**pp.current_config.deadlines, "referral_response_hours": 48}
    pathway_config_save(actor=None, program_pathway=pp, note="Slower", deadlines=deadlines)
    # officer prevention keeps the default 24 hours
    _sent(cast, at=now - 23 * hour)  # just inside
    _sent(cast, at=now - 30 * hour)  # 6 hours over: 0.25 days
    # self-referral: 48 hours
    _sent(cast, at=now - 30 * hour, pathway="self_referral")  # inside (stuck under 24 h)
    contact(cast, at=now - 60 * hour, pathway="self_referral", steps=[("received", 1)])  # 0.5 d
    # accepted: 7 days to schedule the intake
    contact(cast, at=now - 10 * day, steps=[("accepted", 1)])  # over by 3 d - 1 h
    contact(cast, at=now - 6 * day, steps=[("accepted", 1)])  # inside
    # intake scheduled (at Q): 7 days from scheduling
    crisis = cast.crisis_q
    steps = [("accepted", 1), ("intake_scheduled", 2)]
    contact(cast, at=now - 20 * day, steps=steps, service=crisis)  # over by 13 d - 2 h
    contact(cast, at=now - 5 * day, steps=steps, service=crisis)  # inside
    # closed or engaged: never stuck
    contact(cast, at=now - 20 * day, steps=[("accepted", 1), ("engaged", 5)])
    contact(cast, at=now - 20 * day, steps=[("declined", 1)])

    report = _report(cast, as_of=now)
    rows = _grid(report, STUCK)
    p, q = str(cast.provider_p.pk), str(cast.provider_q.pk)
    counts = ["Sent", "Received", "Accepted", "Intake scheduled", "All stuck referrals"]
    assert {k: [r[c].shown for c in counts] for k, r in rows.items()} == {
        p: [1, 1, 1, 0, 3],
        q: [0, 0, 0, 1, 1],
        "all": [1, 1, 1, 1, 4],
    }
    median = "Median days overdue"
    assert rows[p][median].shown == pytest.approx(0.5)  # 0.25, 0.5, 71/24
    assert rows[q][median].shown == pytest.approx(310 / 24)
    assert rows["all"][median].shown == pytest.approx((0.5 + 71 / 24) / 2)
    assert any("self_referral 48 h" in paragraph for paragraph in report.method)
    # 12 hours later the one sent 23 hours before is past 24 hours; the self-referral sent 30
    # hours before is still inside its 48
    later = _grid(_report(cast, as_of=now + 12 * hour), STUCK)
    assert later[p]["Sent"].shown == 2


def test_capacity_offered_and_used_per_service_type(loop: Any) -> None:
    cast = loop
    ServiceFactory.create(
        organization=cast.provider_q,
        name="Old crisis beds",
        service_type=ServiceType.MH_CRISIS,
        capacity_total=5,
        capacity_open=5,
        archived_at=T0,
    )  # archived: not listed
    ServiceFactory.create(
        organization=cast.provider_q,
        name="Lakeside Shelter",
        service_type=ServiceType.HOUSING,
        capacity_total=4,
        capacity_open=1,
    )  # listed, never referred to
    report = _report(cast)
    rows = _grid(report, CAPACITY)
    columns = [
        "Services listed",
        "Total capacity",
        "Open now",
        "Referrals sent",
        "Accepted",
        "Engaged",
        "Declined: no capacity",
    ]
    got = {key: [row[c].shown for c in columns] for key, row in rows.items()}
    assert got == {
        "detox": [1, 10, 3, 6, 2, 1, 1],
        "outpatient": [1, 20, 0, 2, 0, 0, 2],
        "mh_crisis": [1, 8, 2, 3, 2, 0, 0],
        "housing": [1, 4, 1, 0, 0, 0, 0],
        "all": [4, 42, 6, 11, 4, 1, 3],
    }
    share = "Declined for no capacity (% of sent)"
    assert rows["detox"][share].shown == pytest.approx(100 / 6)
    assert rows["outpatient"][share].shown == pytest.approx(100)
    assert rows["housing"][share].shown is None  # nothing sent
    chart = report.sections[CAPACITY].chart
    assert chart is not None
    bars = {bar.label: bar.value.shown for bar in chart.bars}  # type: ignore[union-attr]
    assert bars["Outpatient treatment"] == pytest.approx(100)
    assert bars["Mental-health crisis stabilisation"] == 0
    assert any("snapshot" in note for note in report.sections[CAPACITY].table.notes)


def test_filters_apply_to_the_referrals_contact(loop: Any) -> None:
    cast = loop
    contact(cast, agency=cast.police_b, steps=[("accepted", 1)])
    contact(cast, agency=cast.police_b, steps=[("accepted", 1)])
    contact(cast, at=dt.datetime(2026, 1, 15, 12, tzinfo=dt.UTC), steps=[("declined", 1)])

    def totals(**overrides: Any) -> list[float | None]:
        row = _grid(_report(cast, **overrides), RESPONSES)["all"]
        return [row[c].shown for c in ("Referrals received", "Accepted", "Declined")]

    assert totals() == [14, 6, 6]
    assert totals(agency=cast.police_b) == [2, 2, 0]
    assert totals(start=dt.date(2026, 2, 1)) == [13, 6, 5]
    assert totals(end=dt.date(2026, 1, 31)) == [1, 0, 1]
    # capacity is the directory's, whatever the filter
    capacity = _grid(_report(cast, agency=cast.police_b), CAPACITY)["all"]
    assert capacity["Total capacity"].shown == 38
    assert capacity["Referrals sent"].shown == 2


def test_suppression_hides_small_cells_and_their_complements(cast: Any) -> None:
    for _ in range(20):
        contact(cast, steps=[("accepted", 1)])
    for _ in range(3):
        contact(cast, steps=[("declined", 2)])  # no capacity
    hidden = _report(cast, suppress_small=True)
    exact = _report(cast, suppress_small=False)
    key = f"{cast.provider_p.pk}:detox"

    row = _grid(hidden, RESPONSES)[key]
    assert row["Referrals received"].display() == "20"  # 23, rounded to ten
    assert row["Declined"].hidden and row["Declined"].shown is None
    # 23 - 0 waiting - accepted would give the 3 away: accepted is hidden too
    assert row["Accepted"].hidden
    assert row["Acceptance rate (% of answered)"].hidden
    assert row["Median hours to answer"].shown == pytest.approx(1)  # over 23 answered
    assert _grid(hidden, DECLINES)["all"]["No capacity"].hidden
    assert _grid(hidden, CAPACITY)["detox"]["Declined: no capacity"].hidden
    assert _grid(hidden, CAPACITY)["detox"]["Declined for no capacity (% of sent)"].hidden
    chart = hidden.sections[DECLINES].chart
    assert chart is not None
    assert next(b for b in chart.bars if b.label == "No capacity").value.hidden  # type: ignore[union-attr]
    assert hidden.any_hidden and hidden.suppressed

    assert not exact.any_hidden
    row = _grid(exact, RESPONSES)[key]
    assert [row[c].shown for c in ("Referrals received", "Accepted", "Declined")] == [23, 20, 3]
    assert _grid(exact, DECLINES)["all"]["No capacity"].shown == 3


def test_small_groups_hide_their_medians_when_suppressed(loop: Any) -> None:
    rows = _grid(_report(loop, suppress_small=True), RESPONSES)
    for row in rows.values():
        assert row["Median hours to answer"].shown is None  # at most 9 answered per row
    # the total of small rows stays (11, shown rounded to ten)
    assert rows["all"]["Referrals received"].shown == 10
    exact = _grid(_report(loop, suppress_small=False), RESPONSES)
    assert exact["all"]["Median hours to answer"].shown == pytest.approx(3)


def test_no_person_level_value_in_the_report(loop: Any) -> None:
    report = _report(loop)
    text = repr(dataclasses.asdict(report))
    forbidden: set[str] = set()
    for person in Person.objects.all():
        # first names alone ("Path") are too short to look for: they sit inside other words
        name = f"{person.first_name} {person.last_name}"
        forbidden |= {name, person.last_name, str(person.pk), person.pk.hex}
    for model in (Encounter, Referral):
        for pk in model.objects.values_list("pk", flat=True):
            forbidden |= {str(pk), pk.hex}
    assert len(forbidden) > 30
    assert not [value for value in forbidden if value in text]


def test_no_referrals_gives_zero_totals_and_the_listed_capacity(cast: Any) -> None:
    report = _report(cast)
    assert report.slug == "referral-loop" and report.title == "Referral loop"
    assert [s.heading for s in report.sections] == [
        "Provider responses",
        "Decline reasons",
        "Stuck referrals",
        "Divert to where? Capacity used vs offered",
    ]
    assert [r.key for r in report.sections[RESPONSES].table.rows] == ["all"]
    assert _grid(report, RESPONSES)["all"]["Referrals received"].shown == 0
    assert _grid(report, STUCK)["all"]["All stuck referrals"].shown == 0
    capacity = _grid(report, CAPACITY)
    assert list(capacity) == ["detox", "outpatient", "mh_crisis", "all"]
    assert capacity["all"]["Total capacity"].shown == 38
    assert any("not in the analytics extract" in p for p in report.method)


def test_answers_kept_per_local_day_equal_counting_the_referrals(loop: Any) -> None:
    """The refresh keeps the answers counted per local day (`answer_days`); summing them gives
    what counting the referrals gives, for any window and filter, with contacts just before and
    after local midnight and on the night the clocks go forward."""
    cast = loop
    steps = [
        [("received", 1)],
        [("accepted", 1)],
        [("declined", 2)],
        [("accepted", 1), ("engaged", 5)],
    ]
    contacts_at(cast, LOCAL_DAY_EDGES, steps)
    extract.refresh()
    windows = local_day_windows(cast)
    with extract.connect() as db:
        assert kept_by_day(db, report_filters(cast), "answer_days")
        for window in windows:
            f = report_filters(cast, **window)
            kept = referral_loop.loop_counts(db, f, AS_OF)
            counted = referral_loop.loop_counts(db, f, AS_OF, from_facts=True)
            assert kept == counted, window
        # the contact at 23:30 on 1 March (local) counts on 1 March, though UTC says 2 March
        one_day = report_filters(cast, start=dt.date(2026, 3, 1), end=dt.date(2026, 3, 1))
        counts = referral_loop.loop_counts(db, one_day, AS_OF).counts
        assert sum(c["received"] for c in counts.values()) == 1
        # counted in another zone than the filter's: summed from the referrals instead
        elsewhere = dataclasses.replace(report_filters(cast), time_zone="Europe/Lisbon")
        assert not kept_by_day(db, elsewhere, "answer_days")
