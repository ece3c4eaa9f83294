"""The funnel per pathway: how many contacts reach each step from contact to completion, the
share that move on at each step, and the median time between steps.

Each stage includes only contacts that reached every stage before it, so the counts never rise
along a row. "In service at 30 (90) days" counts contacts whose person engaged with a service
and then completed it or had not dropped out 30 (90) days later; contacts engaged less than 30
(90) days before the figures were taken cannot be judged yet and are not counted there."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import duckdb

from pathways.outcomes.filters import ReportFilters
from pathways.outcomes.reports.common import (
    kept_by_day,
    minute_quantiles,
    publish,
    rate,
    share_note,
    statistic,
)
from pathways.outcomes.suppression import Line
from pathways.outcomes.tables import (
    Bar,
    BarChart,
    Column,
    Kind,
    Report,
    Row,
    Section,
    Table,
)
from pathways.programs.models import Pathway


@dataclass(frozen=True)
class Stage:
    code: str
    label: str
    condition: str  # on encounter_facts; cumulative (includes every earlier stage)
    parent: str  # the stage it narrows ("" for contacts)


_ENGAGED = (
    "eligible AND offered AND accepted AND provider_accepted_at IS NOT NULL "
    "AND engaged_at IS NOT NULL"
)
STAGES: tuple[Stage, ...] = (
    Stage("contacts", "Contacts", "TRUE", ""),
    Stage("eligible", "Eligible", "eligible", "contacts"),
    Stage("offered", "Offered services", "eligible AND offered", "eligible"),
    Stage("accepted", "Accepted the offer", "eligible AND offered AND accepted", "offered"),
    Stage(
        "provider",
        "Referral accepted by a provider",
        "eligible AND offered AND accepted AND provider_accepted_at IS NOT NULL",
        "accepted",
    ),
    Stage("engaged", "Intake: engaged in a service", _ENGAGED, "provider"),
    Stage(
        "retained_30",
        "In service at 30 days",
        f"{_ENGAGED} AND retained_30 AND engaged_at <= $as_of - INTERVAL 30 DAY",
        "engaged",
    ),
    Stage(
        "retained_90",
        "In service at 90 days",
        f"{_ENGAGED} AND retained_30 AND retained_90 AND engaged_at <= $as_of - INTERVAL 90 DAY",
        "retained_30",
    ),
    Stage("completed", "Completed", f"{_ENGAGED} AND completed_at IS NOT NULL", "engaged"),
)


@dataclass(frozen=True)
class Interval:
    code: str
    label: str
    start: str
    end: str
    stage: str  # the contacts it is measured on
    kind: Kind


INTERVALS: tuple[Interval, ...] = (
    Interval(
        "to_referral", "Contact to referral sent", "occurred_at", "first_sent_at", "accepted",
        Kind.HOURS,
    ),
    Interval(
        "to_provider", "Referral to provider's acceptance", "first_sent_at",
        "provider_accepted_at", "provider", Kind.HOURS,
    ),
    Interval(
        "to_intake", "Provider's acceptance to intake", "provider_accepted_at", "intake_at",
        "engaged", Kind.DAYS,
    ),
    Interval(
        "to_completion", "Intake to completion", "intake_at", "completed_at", "completed",
        Kind.DAYS,
    ),
)  # fmt: skip

ALL = "all"


@dataclass
class FunnelCounts:
    """The raw figures, before publishing: counts[(pathway or ALL, stage)] and medians."""

    pathways: list[str]
    counts: dict[tuple[str, str], int]
    medians: dict[tuple[str, str], float | None]


def funnel_counts(
    db: duckdb.DuckDBPyConnection,
    f: ReportFilters,
    as_of: dt.datetime,
    *,
    with_medians: bool = True,
) -> FunnelCounts:
    """The stage counts (and, unless `with_medians` is False, the medians, which cost more
    than the counts) per pathway and for all. Times between stages are counted in whole
    minutes (see `minute_quantiles`)."""
    where, params = f.where()
    present, counts = stage_counts_by_window(db, [f], as_of)[0]
    medians: dict[tuple[str, str], float | None] = {
        (code, i.code): None for code in [*present, ALL] for i in INTERVALS
    }
    if with_medians and present:
        # each contact stores its times between stages in whole minutes (extract.py)
        values = {
            i.code: f"SELECT pathway AS grp, minutes_{i.code} AS d "  # noqa: S608
            f"FROM encounter_facts WHERE {where} AND minutes_{i.code} IS NOT NULL"
            for i in INTERVALS
        }
        minutes = {i.code: 60 if i.kind is Kind.HOURS else 1440 for i in INTERVALS}
        for (code, group), (_, (median,)) in minute_quantiles(db, values, params, (0.5,)).items():
            medians[(group, code)] = None if median is None else median / minutes[code]
    return FunnelCounts(present, counts, medians)


def _by_day(db: duckdb.DuckDBPyConnection, f: ReportFilters, as_of: dt.datetime) -> bool:
    """Can the stage counts come from the per-day counts the refresh keeps (extract.py)? Yes
    when they were counted as of `as_of` and by the filter's time zone."""
    if not kept_by_day(db, f, "stage_days"):
        return False
    row = db.execute("SELECT value FROM meta WHERE key = 'stage_days_as_of'").fetchone()
    return row is not None and dt.datetime.fromisoformat(str(row[0])) == as_of


def stage_counts_by_window(
    db: duckdb.DuckDBPyConnection,
    windows: Sequence[ReportFilters],
    as_of: dt.datetime,
    *,
    from_contacts: bool = False,
) -> list[tuple[list[str], dict[tuple[str, str], int]]]:
    """The stage counts of each window (the same filters over other dates, such as the
    quarterly report's eight quarters) in one pass: per window, the pathways present (in
    display order) and {(pathway or ALL, stage): n}. They are sums of the per-day counts the
    refresh keeps when those are as of `as_of`, else counted from the contacts of the whole
    span (`from_contacts` forces that; tests compare the two)."""
    span = dataclasses.replace(
        windows[0], start=min(w.start for w in windows), end=max(w.end for w in windows)
    )
    cases = []
    if not from_contacts and _by_day(db, span, as_of):
        where, params = span.where(by_day=True)
        for n, w in enumerate(windows):
            params[f"w{n}_first"], params[f"w{n}_last"] = w.start, w.end
            cases.append(f"WHEN day >= $w{n}_first AND day <= $w{n}_last THEN {n}")
        counts_sql = ", ".join(f"sum({s.code})" for s in STAGES)
        table = "stage_days"
    else:
        where, params = span.where()
        params["as_of"] = as_of.astimezone(dt.UTC).replace(tzinfo=None)
        for n, w in enumerate(windows):
            params[f"w{n}_start"], params[f"w{n}_end"] = w.start_utc, w.end_utc
            cases.append(f"WHEN occurred_at >= $w{n}_start AND occurred_at < $w{n}_end THEN {n}")
        counts_sql = ", ".join(f"count(*) FILTER (WHERE {s.condition}) AS {s.code}" for s in STAGES)
        table = "encounter_facts"
    sql = (
        f"SELECT CASE {' '.join(cases)} END AS w, "  # noqa: S608
        f"coalesce(pathway, '{ALL}') AS pathway, {counts_sql} "
        f"FROM {table} WHERE {where} GROUP BY GROUPING SETS ((w, pathway), (w))"
    )
    order = {p.code: p.display_order for p in Pathway.objects.all()}
    results: list[tuple[list[str], dict[tuple[str, str], int]]] = [
        ([], {(ALL, stage.code): 0 for stage in STAGES}) for _ in windows
    ]
    for w, code, *numbers in db.execute(sql, params).fetchall():
        if w is None:  # between the windows
            continue
        present, counts = results[w]
        if code != ALL:
            present.append(code)
        for stage, n in zip(STAGES, numbers, strict=True):
            counts[(code, stage.code)] = int(n or 0)
    for present, _ in results:
        present.sort(key=lambda c: order.get(c, 99))
    return results


def _stage(code: str) -> Stage:
    return next(s for s in STAGES if s.code == code)


def build(
    db: duckdb.DuckDBPyConnection,
    f: ReportFilters,
    *,
    as_of: dt.datetime,
    suppress_small: bool,
) -> Report:
    raw = funnel_counts(db, f, as_of)
    rows = [*raw.pathways, ALL]
    stages = [s.code for s in STAGES]
    # Lines: each stage with the (unpublished) people lost since its parent, and each stage's
    # column over the pathways with the all-pathways total.
    values: dict[Any, int] = dict(raw.counts)
    lines: list[Line] = []
    for row in rows:
        for s in STAGES[1:]:
            cell = (row, f"lost:{s.code}")
            values[cell] = values[(row, s.parent)] - values[(row, s.code)]
            lines.append(Line(((row, s.code), cell), (row, s.parent)))
    for stage in stages:
        lines.append(Line(tuple((p, stage) for p in raw.pathways), (ALL, stage)))
    published = publish(values, lines, suppress_small=suppress_small)
    names = {p.code: p.short_name for p in Pathway.objects.all()}

    def label(code: str) -> str:
        return "All pathways" if code == ALL else names.get(code, code)

    counts = Table(
        "Contacts reaching each stage",
        [Column("Pathway", Kind.TEXT), *(Column(s.label) for s in STAGES)],
        [Row(label(code), [published[(code, s)] for s in stages], key=code) for code in rows],
    )
    steps = Table(
        "Share moving on at each step (% of the stage before)",
        [Column("Pathway", Kind.TEXT), *(Column(s.label, Kind.PERCENT) for s in STAGES[1:])],
        [
            Row(
                label(code),
                [rate(published[(code, s.code)], published[(code, s.parent)]) for s in STAGES[1:]],
                key=code,
            )
            for code in rows
        ],
    )
    timing = Table(
        "Median time between stages",
        [Column("Pathway", Kind.TEXT), *(Column(i.label, i.kind) for i in INTERVALS)],
        [
            Row(
                label(code),
                [
                    statistic(
                        raw.medians[(code, i.code)],
                        published[(code, i.stage)],
                        i.kind,
                        suppress_small=suppress_small,
                    )
                    for i in INTERVALS
                ],
                key=code,
            )
            for code in rows
        ],
        notes=["Medians over fewer than 11 contacts are not shown."] if suppress_small else [],
    )
    total = published[(ALL, "contacts")]
    chart = BarChart(
        "Contacts reaching each stage, all pathways in the filter (share of contacts)",
        [
            Bar(s.label, published[(ALL, s.code)], note=share_note(published[(ALL, s.code)], total))
            for s in STAGES
        ],
    )
    return Report(
        slug="funnel",
        title="Funnel per pathway",
        filters=f.described(),
        as_of=as_of,
        time_zone=f.time_zone,
        sections=[
            Section("Funnel", counts, chart),
            Section("Conversion at each step", steps),
            Section("Time between stages", timing),
        ],
        method=METHOD,
        suppressed=suppress_small,
    )


METHOD = [
    "Counted from the records: one contact is one encounter in the date range (by the time it "
    "happened, in the program's time zone). Each stage counts the contacts that reached it and "
    "every stage before it.",
    "Eligible: the pathway's rules found the person eligible, or a supervisor decided so; "
    "pathways without eligibility rules count every contact. Offered: the responder offered "
    "services (the person was referred or declined). Accepted: the person took a referral.",
    "Referral accepted by a provider, intake and completion follow the contact's referrals: "
    "the first of them to reach each status. In service at 30 (90) days: engaged, and completed "
    "or not disengaged 30 (90) days later; contacts engaged more recently are not counted there "
    "yet.",
    "Medians are over the contacts that reached the later stage, with each time counted in "
    "whole minutes.",
]
