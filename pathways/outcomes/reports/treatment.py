"""Time to treatment: how long from the contact to the person's intake at a service, per
pathway and per provider, with the share inside the program's target.

A contact counts once, at its first intake (the first of its referrals to reach "engaged").
The target of each pathway comes from its configured deadlines where one measures the way to
treatment (self-referral: treatment placement; Naloxone Plus: the overdose follow-up; community
response: the crisis follow-up; Officer Intervention: the intake assessment); the others use
DEFAULT_TARGET_HOURS."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import duckdb

from pathways.outcomes.extract import sql_tuple
from pathways.outcomes.filters import ReportFilters
from pathways.outcomes.reports.common import (
    EVERY_GROUP,
    grouped_quantiles,
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
    Value,
    text,
)
from pathways.programs.deadlines import DEADLINES, default_deadlines
from pathways.programs.models import Pathway, ProgramPathway

DEFAULT_TARGET_HOURS = 72
#: The configured deadline that is each pathway's way-to-treatment target.
TARGET_DEADLINE: dict[str, str] = {
    "self_referral": "placement_hours",
    "naloxone_plus": "followup_hours",
    "community_response": "crisis_followup_hours",
    "officer_intervention": "intake_days",
}

#: The distribution's bins: (label, upper bound in hours, exclusive); the last is open.
BINS: tuple[tuple[str, float], ...] = (
    ("Under 6 hours", 6),
    ("6 to 24 hours", 24),
    ("1 to 3 days", 72),
    ("3 to 7 days", 168),
    ("1 to 2 weeks", 336),
    ("2 to 4 weeks", 672),
    ("4 weeks or more", float("inf")),
)


@dataclass(frozen=True)
class Target:
    hours: float
    source: str  # what it comes from, for the page


def targets(program_id: Any) -> dict[str, Target]:
    """Each pathway's target in hours, from the program's current configuration."""
    configs = {
        pp.pathway.code: pp.current_config
        for pp in ProgramPathway.objects.filter(program_id=program_id).select_related(
            "pathway", "current_config"
        )
    }
    out: dict[str, Target] = {}
    for pathway in Pathway.objects.all():
        code = TARGET_DEADLINE.get(pathway.code)
        if code is None:
            out[pathway.code] = Target(DEFAULT_TARGET_HOURS, "Program default")
            continue
        config = configs.get(pathway.code)
        value = config.deadline(code) if config is not None else None
        if value is None:
            value = default_deadlines(pathway.code)[code]
        kind = DEADLINES[code]
        hours = value * 24 if kind.unit == "days" else value
        out[pathway.code] = Target(hours, kind.label)
    return out


@dataclass
class TreatmentTimes:
    """Raw figures: per group (pathway code, provider name or "all"): n, within target,
    percentiles (hours), and the distribution bins of all contacts."""

    rows: dict[tuple[str, str], dict[str, Any]]  # (dimension, key) -> figures
    bins: list[int]


PERCENTILES = (0.25, 0.5, 0.75, 0.9)


def treatment_times(
    db: duckdb.DuckDBPyConnection, f: ReportFilters, goals: dict[str, Target]
) -> TreatmentTimes:
    """The contacts with an intake counted (within the target, by bin) and their percentiles
    per pathway and provider, in one pass over the stored whole minutes
    (`grouped_quantiles`)."""
    where, params = f.where()
    if not goals:
        return TreatmentTimes({}, [0] * len(BINS))
    target = " ".join(f"WHEN '{code}' THEN {t.hours * 60}" for code, t in goals.items())
    bounds = [b for _, b in BINS[:-1]]
    # the bins' bounds are whole hours: under one in whole minutes is under it in seconds
    cases = " ".join(
        f"WHEN minutes_to_treatment < {round(b * 60)} THEN {i}" for i, b in enumerate(bounds)
    )
    # contacts with an intake (each stores its first intake's time and provider, and the time
    # to it in whole minutes) on a pathway with a target; within the target in whole minutes
    timed = f"""
        SELECT pathway, intake_provider_id AS provider, minutes_to_treatment AS d,
               minutes_to_treatment <= CASE pathway {target} END AS within,
               CASE {cases} ELSE {len(bounds)} END AS bin
        FROM encounter_facts
        WHERE {where} AND minutes_to_treatment IS NOT NULL
          AND pathway IN {sql_tuple(list(goals))}
    """  # noqa: S608
    dimensions = {"pathway": ("pathway",), "provider": ("provider",)}
    found = grouped_quantiles(db, timed, params, PERCENTILES, dimensions, counted=("within", "bin"))
    names = {
        str(agency): str(name)
        for agency, name in db.execute(
            "SELECT CAST(agency_id AS VARCHAR), name FROM agencies"
        ).fetchall()
    }

    def provider_name(key: Any) -> str:
        return names.get(str(key), "Unknown provider")

    rows: dict[tuple[str, str], dict[str, Any]] = {}
    bins = [0] * len(BINS)
    for (pathway, provider, within, bin_), n in found.counts.items():
        for row in (
            ("pathway", str(pathway)),
            ("pathway", EVERY_GROUP),
            ("provider", provider_name(provider)),
            ("provider", EVERY_GROUP),
        ):
            figures = rows.setdefault(row, {"n": 0, "within": 0})
            figures["n"] += n
            figures["within"] += n if within else 0
        bins[int(bin_)] += n
    for (dimension, group), (_, picked) in found.values.items():
        key = provider_name(group) if dimension == "provider" and group != EVERY_GROUP else group
        hours = [None if v is None else v / 60 for v in picked]
        rows[(dimension, key)].update(
            {f"p{round(p * 100)}": h for p, h in zip(PERCENTILES, hours, strict=True)}
        )
    return TreatmentTimes(rows, bins)


def build(
    db: duckdb.DuckDBPyConnection, f: ReportFilters, *, as_of: dt.datetime, suppress_small: bool
) -> Report:
    goals = targets(f.program_id)
    raw = treatment_times(db, f, goals)
    names = {p.code: p.short_name for p in Pathway.objects.all()}
    order = {p.code: p.display_order for p in Pathway.objects.all()}
    sections = []
    for dimension, heading, label in (
        ("pathway", "By pathway", "Pathway"),
        ("provider", "By provider", "Provider"),
    ):
        keys = sorted(
            (k for d, k in raw.rows if d == dimension and k != "all"),
            key=lambda k: (order.get(k, 99), k),
        )
        sections.append(
            _section(raw, dimension, keys, heading, label, names, goals, suppress_small)
        )
    # the distribution of all contacts: bins with their total
    values: dict[Any, int] = {("bin", i): n for i, n in enumerate(raw.bins)}
    values[("bin", "total")] = sum(raw.bins)
    published = publish(
        values,
        [Line(tuple(("bin", i) for i in range(len(BINS))), ("bin", "total"))],
        suppress_small=suppress_small,
    )
    total = published[("bin", "total")]
    distribution = Table(
        "Contacts by time from contact to intake",
        [Column("Time to intake", Kind.TEXT), Column("Contacts"), Column("Share", Kind.PERCENT)],
        [
            Row(label, [published[("bin", i)], rate(published[("bin", i)], total)], key=str(i))
            for i, (label, _) in enumerate(BINS)
        ]
        + [Row("All contacts with an intake", [total, rate(total, total)], key="total")],
    )
    chart = BarChart(
        "Time from contact to intake",
        [
            Bar(label, published[("bin", i)], note=share_note(published[("bin", i)], total))
            for i, (label, _) in enumerate(BINS)
        ],
    )
    sections.insert(0, Section("Distribution", distribution, chart))
    return Report(
        slug="time-to-treatment",
        title="Time to treatment",
        filters=f.described(),
        as_of=as_of,
        time_zone=f.time_zone,
        sections=sections,
        method=METHOD,
        suppressed=suppress_small,
    )


def _section(
    raw: TreatmentTimes,
    dimension: str,
    keys: list[str],
    heading: str,
    label: str,
    names: dict[str, str],
    goals: dict[str, Target],
    suppress_small: bool,
) -> Section:
    values: dict[Any, int] = {}
    lines = []
    for key in [*keys, "all"]:
        figures = raw.rows.get((dimension, key), {"n": 0, "within": 0})
        values[(key, "n")] = figures["n"]
        values[(key, "within")] = figures["within"]
        values[(key, "outside")] = figures["n"] - figures["within"]
        lines.append(Line(((key, "within"), (key, "outside")), (key, "n")))
    for column in ("n", "within", "outside"):
        lines.append(Line(tuple((k, column) for k in keys), ("all", column)))
    published = publish(values, lines, suppress_small=suppress_small)
    rows = []
    for key in [*keys, "all"]:
        figures = raw.rows.get((dimension, key), {})
        n = published[(key, "n")]
        stats = [
            statistic(figures.get(p), n, Kind.HOURS, suppress_small=suppress_small)
            for p in ("p50", "p75", "p90")
        ]
        if dimension == "pathway" and key != "all":
            target: Value = Value(goals[key].hours, Kind.HOURS)
        else:
            target = text("Each pathway's")
        shown = names.get(key, key) if dimension == "pathway" else key
        rows.append(
            Row(
                "All" if key == "all" else shown,
                [n, *stats, target, rate(published[(key, "within")], n)],
                key=key,
            )
        )
    table = Table(
        f"Time from contact to intake, {heading.lower()}",
        [
            Column(label, Kind.TEXT),
            Column("Contacts with an intake"),
            Column("Median", Kind.HOURS),
            Column("75th percentile", Kind.HOURS),
            Column("90th percentile", Kind.HOURS),
            Column("Target", Kind.HOURS),
            Column("Within target", Kind.PERCENT),
        ],
        rows,
        notes=[
            "Targets: "
            + "; ".join(
                f"{names.get(code, code)} {t.hours:g} h ({t.source})"
                for code, t in goals.items()
                if code in keys
            )
        ]
        if dimension == "pathway" and keys
        else [],
    )
    chart = BarChart(
        f"Share within target, {heading.lower()}",
        [Bar(row.label, row.values[-1]) for row in rows if row.key != "all"],
    )
    return Section(heading, table, chart)


METHOD = [
    "Counted from the records: contacts in the date range (by when they happened, in the "
    "program's time zone) whose person reached intake at a service. Each contact counts once, "
    "at its first intake; the time is from the contact to that intake.",
    "Targets come from each pathway's configured deadlines: self-referral uses the treatment "
    "placement target, Naloxone Plus the overdose follow-up window, community response the "
    "crisis follow-up, Officer Intervention the intake assessment deadline; Outreach and "
    f"Officer Prevention use {DEFAULT_TARGET_HOURS} hours.",
    "Each time is counted in whole minutes (an intake 24 hours and 40 seconds after the "
    "contact is within a 24-hour target). Percentiles are interpolated between contacts; none "
    "are shown for fewer than 11 contacts. "
    "By provider, a contact counts for the provider of its first intake.",
]
