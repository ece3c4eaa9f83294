"""The referral loop: what happens to referrals once they reach a provider. How providers answer
(accept, decline or not yet), why they decline, which open referrals are past their deadline,
and how the capacity services offer compares with the referrals sent to them.

Every referral is counted through its contact: the filters (dates, agency, area, pathway) apply
to the contact the referral was made at. The report is aggregate only: counts, rates and
medians, never a list of people or referrals.

Suppression works on one set of cells for the whole report. The finest cells are per provider
and service type; the per-provider, per-service-type and all-referral figures are their sums,
tied to them by suppression lines, so a count hidden in one table cannot be worked out from
another table that groups the same referrals differently (a provider with a single service type
shows the same number in both)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any

import duckdb

from pathways.accounts.models import Agency
from pathways.directory.models import ServiceType
from pathways.outcomes.filters import ReportFilters
from pathways.outcomes.reports.common import (
    EVERY_GROUP,
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
    Value,
)
from pathways.programs.deadlines import DEADLINES
from pathways.programs.models import ProgramPathway
from pathways.referrals.models import OPEN_STATUSES, DeclineReason, ReferralStatus

ALL = "all"

#: The pathway deadline for a provider's answer, and its default when a pathway sets none.
RESPONSE_DEADLINE = "referral_response_hours"
DEFAULT_RESPONSE_HOURS = DEADLINES[RESPONSE_DEADLINE].default
#: Days a provider has, once it accepted, to schedule the intake.
SCHEDULE_DAYS = 7
#: Days after the intake was scheduled (standing in for the appointment) to record engagement.
ENGAGE_DAYS = 7

REASONS: tuple[str, ...] = tuple(DeclineReason.values)
NO_CAPACITY = f"reason:{DeclineReason.NO_CAPACITY}"

#: The open statuses a referral can be stuck in (engaged is open, but its clock is the
#: service's, not the loop's). The refresh keeps the referrals in one of them apart
#: (`open_referral_facts`), where the report looks for the ones past their deadline.
STUCK_STATUSES: tuple[str, ...] = (
    ReferralStatus.SENT,
    ReferralStatus.RECEIVED,
    ReferralStatus.ACCEPTED,
    ReferralStatus.INTAKE_SCHEDULED,
)
assert set(STUCK_STATUSES) <= OPEN_STATUSES

Pair = tuple[str, str]  # (provider id, service type): the finest cells
Cell = tuple[str, Hashable, str]  # (level, group, measure)


# --- the raw figures ---------------------------------------------------------------------


@dataclass
class LoopCounts:
    """The figures before publishing. `counts[pair][measure]` per provider and service type;
    measures: received, accepted, declined, waiting, engaged, reason:<code>, stuck:<status>
    (and the differences derived from them, see `_derive`)."""

    providers: dict[str, str]  # provider id -> agency name, in name order
    pairs: list[Pair]  # provider name, then service type order
    service_types: list[str]  # with referrals or listed services, in catalogue order
    counts: dict[Pair, dict[str, int]]
    response_hours: dict[Hashable, float | None]  # per pair and ALL
    overdue_days: dict[Hashable, float | None]  # per provider id and ALL
    capacity: dict[str, tuple[int, int, int]]  # service type -> (services, capacity, open now)
    deadlines: dict[str, int]  # pathway code -> response hours, where configured


def response_hours(program_id: Any) -> dict[str, int]:
    """The provider response deadline of each of the program's pathways, from its current
    configuration (the default where none is set)."""
    hours: dict[str, int] = {}
    pathways = ProgramPathway.objects.filter(program_id=program_id).select_related(
        "pathway", "current_config"
    )
    for pp in pathways:
        configured = pp.current_config.deadline(RESPONSE_DEADLINE) if pp.current_config else None
        hours[pp.pathway.code] = DEFAULT_RESPONSE_HOURS if configured is None else configured
    return hours


def _quoted(code: str) -> str:
    assert code.replace("_", "").isalnum(), code  # our own enum values, never user input
    return f"'{code}'"


#: A referral's answer as the counts group it: the flags and the decline reason (none depends on
#: when the report is built, so the refresh also keeps them counted per local day:
#: ANSWER_DAYS).
ANSWER_FLAGS = ("is_accepted", "is_declined", "is_waiting", "is_engaged", "reason")


def _answer_columns() -> str:
    reasons = ", ".join(_quoted(r) for r in REASONS)
    return f"""
        r.accepted_at IS NOT NULL AS is_accepted,
        r.accepted_at IS NULL AND r.declined_at IS NOT NULL AS is_declined,
        r.accepted_at IS NULL AND r.declined_at IS NULL AS is_waiting,
        r.accepted_at IS NOT NULL AND r.engaged_at IS NOT NULL AS is_engaged,
        CASE WHEN r.decline_reason IN ({reasons}) THEN r.decline_reason
             ELSE {_quoted(DeclineReason.OTHER)} END AS reason"""


def answer_days_sql() -> str:
    """The referrals counted per program, local day of their contact (`local_days`), pathway,
    agency, area, provider, service type and answer: what the report sums instead of counting
    millions of referrals (the refresh keeps it as the table `answer_days`, extract.py)."""
    return f"""
        SELECT r.program_id, d.day, r.pathway, r.agency_id, r.area, r.provider_id,
               r.service_type, {_answer_columns()}, count(*) AS n
        FROM referral_facts r ASOF JOIN local_days d
          ON r.program_id = d.program_id AND r.occurred_at >= d.utc_start
        GROUP BY ALL
    """  # noqa: S608


def _facts_sql(where: str, hours: dict[str, int], *, open_only: bool = False) -> str:
    """One row per referral in the filter with its answer flags, response time and overdue
    time (seconds past its deadline at $as_of; NULL when it has no open deadline). With
    `open_only`, only the referrals in a status with a deadline (the others' overdue time is
    NULL), from the table the refresh keeps of them."""
    # the deadlines as constants (our own pathway codes and whole hours): DuckDB folds them,
    # where parameters were evaluated row by row
    whens = [f"WHEN {_quoted(code)} THEN {int(h)}" for code, h in sorted(hours.items())]
    default = int(DEFAULT_RESPONSE_HOURS)
    deadline = f"CASE r.pathway {' '.join(whens)} ELSE {default} END" if whens else str(default)
    waiting = f"{_quoted(ReferralStatus.SENT)}, {_quoted(ReferralStatus.RECEIVED)}"
    accepted, scheduled = ReferralStatus.ACCEPTED, ReferralStatus.INTAKE_SCHEDULED
    return f"""
        SELECT r.provider_id, r.service_type, r.status, {_answer_columns()},
               r.response_minutes,
               CASE
                 WHEN r.accepted_at IS NULL AND r.declined_at IS NULL
                      AND r.status IN ({waiting})
                   THEN epoch($as_of) - epoch(r.sent_at) - 3600 * ({deadline})
                 WHEN r.accepted_at IS NOT NULL AND r.status = {_quoted(accepted)}
                   THEN epoch($as_of) - epoch(r.accepted_at) - 86400 * {SCHEDULE_DAYS}
                 WHEN r.accepted_at IS NOT NULL
                      AND r.status = {_quoted(scheduled)}
                   THEN epoch($as_of) - epoch(r.status_changed_at) - 86400 * {ENGAGE_DAYS}
               END AS overdue_s
        FROM {"open_referral_facts" if open_only else "referral_facts"} r
        WHERE {where}
    """  # noqa: S608


#: What is counted for each provider and service type.
MEASURES: tuple[str, ...] = (
    "received",
    "accepted",
    "declined",
    "waiting",
    "engaged",
    *(f"reason:{r}" for r in REASONS),
    *(f"stuck:{s}" for s in STUCK_STATUSES),
)


def loop_counts(
    db: duckdb.DuckDBPyConnection,
    f: ReportFilters,
    as_of: dt.datetime,
    *,
    from_facts: bool = False,
) -> LoopCounts:
    """The report's figures as of `as_of`. The answers are summed from the per-day counts the
    refresh keeps where they were counted in the filter's time zone, else counted from the
    referrals (`from_facts` forces that; tests compare the two)."""
    where, params = f.where("r")  # referral facts carry their contact's columns
    params["as_of"] = as_of.astimezone(dt.UTC).replace(tzinfo=None)
    hours = response_hours(f.program_id)
    open_facts = _facts_sql(where, hours, open_only=True)
    # the referrals counted by what the measures look at (a few hundred groups), then each
    # measure summed over its groups: one pass over the referrals (or a sum over their per-day
    # counts), not one per measure; the ones past a deadline in a second pass over the
    # referrals in a status with one
    flags = ", ".join(ANSWER_FLAGS)
    if not from_facts and kept_by_day(db, f, "answer_days"):
        day_where, day_params = f.where(by_day=True)
        grouped = (
            f"SELECT provider_id, service_type, {flags}, sum(n) "  # noqa: S608
            f"FROM answer_days WHERE {day_where} GROUP BY ALL"
        )
        grouped_params = day_params
    else:
        grouped = (
            f"WITH facts AS ({_facts_sql(where, hours)}) "  # noqa: S608
            f"SELECT provider_id, service_type, {flags}, count(*) FROM facts GROUP BY ALL"
        )
        grouped_params = params
    # the referrals past a deadline counted by status, and the median of their whole minutes
    # past it per provider and overall (a few hundred rows; quantile_cont over the few late
    # referrals)
    late = f"""
        WITH facts AS ({open_facts}),
        late AS (
            SELECT provider_id, service_type, status,
                   CAST(floor(overdue_s / 60) AS BIGINT) AS minutes
            FROM facts WHERE overdue_s > 0
        )
        SELECT grouping(provider_id), grouping(service_type), provider_id, service_type,
               status, count(*), quantile_cont(minutes, 0.5)
        FROM late
        GROUP BY GROUPING SETS ((provider_id, service_type, status), (provider_id), ())
    """  # noqa: S608
    counts: dict[Pair, dict[str, int]] = {}
    for provider, service_type, *answer, reason, n in db.execute(
        grouped, grouped_params
    ).fetchall():
        accepted, declined, waiting, engaged = answer
        pair = (str(provider), str(service_type))
        c = counts.setdefault(pair, dict.fromkeys(MEASURES, 0))
        for measure, reached in (
            ("received", True),
            ("accepted", accepted),
            ("declined", declined),
            ("waiting", waiting),
            ("engaged", engaged),
            (f"reason:{reason}", declined),
        ):
            if reached:
                c[measure] += int(n)
    overdue: dict[Hashable, float | None] = {}
    for every, all_types, provider, service_type, status, n, median in db.execute(
        late, params
    ).fetchall():
        if not all_types:  # by provider, service type and status
            if status in STUCK_STATUSES:  # every status with a deadline is one
                counts[(str(provider), str(service_type))][f"stuck:{status}"] += int(n)
        else:  # the median per provider, or over all of them
            overdue[ALL if every else str(provider)] = None if median is None else median / 1440
    # the median response time in whole minutes per provider and service type, and overall
    response: dict[Hashable, float | None] = {}
    answered = {  # a referral has a response time once accepted or declined
        "response": "SELECT provider_id, service_type, response_minutes AS d "  # noqa: S608
        f"FROM referral_facts r WHERE {where}"
    }
    by_pair = minute_quantiles(db, answered, params, (0.5,), by=("provider_id", "service_type"))
    for (_, group), (_, (median,)) in by_pair.items():
        key: Hashable = ALL if group == EVERY_GROUP else tuple(group.split("|", 1))
        response[key] = None if median is None else median / 60
    response.setdefault(ALL, None)
    overdue.setdefault(ALL, None)

    ids = sorted({p for p, _ in counts})
    names: dict[str, str] = {}
    if ids:
        rows = db.execute(
            "SELECT CAST(agency_id AS VARCHAR), name FROM agencies "
            "WHERE list_contains($ids, CAST(agency_id AS VARCHAR))",
            {"ids": ids},
        ).fetchall()
        names = {str(i): str(n) for i, n in rows}
    providers = {p: names.get(p, "Unknown provider") for p in ids}
    providers = dict(sorted(providers.items(), key=lambda item: (item[1], item[0])))
    order = {p: n for n, p in enumerate(providers)}
    pairs = sorted(counts, key=lambda pair: (order[pair[0]], _type_order(pair[1])))
    for pair in pairs:
        _derive(counts[pair])

    capacity = _capacity(db, f)
    types = sorted({st for _, st in pairs} | set(capacity), key=_type_order)
    return LoopCounts(providers, pairs, types, counts, response, overdue, capacity, hours)


def _capacity(db: duckdb.DuckDBPyConnection, f: ReportFilters) -> dict[str, tuple[int, int, int]]:
    """Listed services of the program's agencies per service type, as the extract holds them
    now: (services, total capacity, open capacity)."""
    agencies = [
        str(pk)
        for pk in Agency.objects.filter(program_id=f.program_id).values_list("pk", flat=True)
    ]
    if not agencies:
        return {}
    rows = db.execute(
        "SELECT service_type, count(*), coalesce(sum(capacity_total), 0), "
        "coalesce(sum(capacity_open), 0) FROM services "
        "WHERE archived_at IS NULL AND list_contains($agencies, CAST(agency_id AS VARCHAR)) "
        "GROUP BY service_type",
        {"agencies": agencies},
    ).fetchall()
    return {str(st): (int(n), int(total), int(open_)) for st, n, total, open_ in rows}


def _type_order(service_type: str) -> tuple[int, str]:
    values = list(ServiceType.values)
    return (values.index(service_type) if service_type in values else len(values), service_type)


def _type_label(service_type: str) -> str:
    return ServiceType(service_type).label if service_type in ServiceType.values else service_type


def _derive(c: dict[str, int]) -> None:
    """The differences the suppression lines need: counts a reader could take from two shown
    ones, so they are protected like any cell (they are never shown themselves)."""
    c["declined_other"] = c["declined"] - c[NO_CAPACITY]
    c["stuck"] = sum(c[f"stuck:{s}"] for s in STUCK_STATUSES)
    c["waiting_in_time"] = (
        c["waiting"] - c[f"stuck:{ReferralStatus.SENT}"] - c[f"stuck:{ReferralStatus.RECEIVED}"]
    )
    c["accepted_not_stuck"] = (
        c["accepted"]
        - c[f"stuck:{ReferralStatus.ACCEPTED}"]
        - c[f"stuck:{ReferralStatus.INTAKE_SCHEDULED}"]
    )
    c["not_accepted"] = c["received"] - c["accepted"]
    c["accepted_not_engaged"] = c["accepted"] - c["engaged"]
    c["not_accepted_other"] = c["not_accepted"] - c[NO_CAPACITY]


# --- suppression: one set of cells, three groupings and the total -------------------------

Parts = tuple[tuple[tuple[str, ...], str], ...]  # (inner measures, their total measure)

_STUCK = tuple(f"stuck:{s}" for s in STUCK_STATUSES)
_S, _R, _A, _I = _STUCK


@dataclass(frozen=True)
class _Level:
    name: str
    summed: tuple[str, ...]  # measures tied by a line to the provider-and-type cells they add
    parts: Parts  # how measures split within one group

    def measures(self) -> set[str]:
        found = set(self.summed)
        for inner, total in self.parts:
            found |= {*inner, total}
        return found


PAIR = _Level(
    "pair",
    (),
    (
        (("accepted", "declined", "waiting"), "received"),
        ((NO_CAPACITY, "declined_other"), "declined"),
    ),
)
PROVIDER = _Level(
    "provider",
    ("accepted", "declined", "waiting", NO_CAPACITY),
    (
        (tuple(f"reason:{r}" for r in REASONS), "declined"),
        (_STUCK, "stuck"),
        ((_S, _R, "waiting_in_time"), "waiting"),
        ((_A, _I, "accepted_not_stuck"), "accepted"),
    ),
)
TYPE = _Level(
    "type",
    ("received", "accepted", NO_CAPACITY),
    (
        (("accepted", "not_accepted"), "received"),
        (("engaged", "accepted_not_engaged"), "accepted"),
        ((NO_CAPACITY, "not_accepted_other"), "not_accepted"),
    ),
)


def _cells(raw: LoopCounts) -> tuple[dict[Hashable, int], list[Line]]:
    """Every cell of the report (and the unpublished differences) with the lines tying them:
    each group's split into parts, each grouping's sum over the provider-and-type cells, and
    each grouping's sum to the total."""
    groups: dict[str, dict[Hashable, list[Pair]]] = {
        PAIR.name: {pair: [pair] for pair in raw.pairs},
        PROVIDER.name: {p: [x for x in raw.pairs if x[0] == p] for p in raw.providers},
        TYPE.name: {t: [x for x in raw.pairs if x[1] == t] for t in raw.service_types},
    }
    values: dict[Hashable, int] = {}
    lines: list[Line] = []
    every: set[str] = set()
    parts: list[tuple[tuple[str, ...], str]] = []
    for level in (PAIR, PROVIDER, TYPE):
        measures = sorted(level.measures())
        every |= set(measures)
        parts += [p for p in level.parts if p not in parts]
        for group, members in groups[level.name].items():
            for m in measures:
                values[(level.name, group, m)] = sum(raw.counts[x][m] for x in members)
            for m in level.summed:
                summed: tuple[Cell, ...] = tuple((PAIR.name, x, m) for x in members)
                lines.append(Line(summed, (level.name, group, m)))
            for inner_measures, total in level.parts:
                inner = tuple((level.name, group, m) for m in inner_measures)
                lines.append(Line(inner, (level.name, group, total)))
        for m in measures:
            inner = tuple((level.name, group, m) for group in groups[level.name])
            lines.append(Line(inner, (ALL, ALL, m)))
    for m in every:
        values[(ALL, ALL, m)] = sum(raw.counts[x][m] for x in raw.pairs)
    for inner_measures, total in parts:
        lines.append(Line(tuple((ALL, ALL, m) for m in inner_measures), (ALL, ALL, total)))
    return values, lines


# --- the report ----------------------------------------------------------------------------


def build(
    db: duckdb.DuckDBPyConnection,
    f: ReportFilters,
    *,
    as_of: dt.datetime,
    suppress_small: bool,
) -> Report:
    raw = loop_counts(db, f, as_of)
    values, lines = _cells(raw)
    published = publish(values, lines, suppress_small=suppress_small)

    def cell(level: str, group: Hashable, measure: str) -> Value:
        key: Cell = (ALL, ALL, measure) if group == ALL else (level, group, measure)
        return published[key]

    notes = ["Medians over fewer than 11 referrals are not shown."] if suppress_small else []
    sections = [
        _responses(raw, cell, notes, suppress_small=suppress_small),
        _declines(raw, cell),
        _stuck(raw, cell, notes, suppress_small=suppress_small),
        _capacity_section(raw, cell),
    ]
    return Report(
        slug="referral-loop",
        title="Referral loop",
        filters=f.described(),
        as_of=as_of,
        time_zone=f.time_zone,
        sections=sections,
        method=_method(raw),
        suppressed=suppress_small,
    )


CellOf = Callable[[str, Hashable, str], Value]


def _responses(raw: LoopCounts, cell: CellOf, notes: list[str], *, suppress_small: bool) -> Section:
    def row(group: Hashable, label: str, key: str) -> Row:
        def c(m: str) -> Value:
            return cell(PAIR.name, group, m)

        accepted, declined = c("accepted"), c("declined")
        # answered = accepted + declined is not a cell of its own (received - waiting gives it):
        # the rate hides with either part; the median needs enough answers, not their count
        answered = Value(
            (accepted.number or 0) + (declined.number or 0),
            hidden=accepted.hidden or declined.hidden,
        )
        median = statistic(
            raw.response_hours.get(group),
            Value(answered.number),
            Kind.HOURS,
            suppress_small=suppress_small,
        )
        counts = [c(m) for m in ("received", "accepted", "declined", "waiting")]
        return Row(label, [*counts, rate(accepted, answered), median], key=key)

    rows = [
        row(pair, f"{raw.providers[pair[0]]}: {_type_label(pair[1])}", f"{pair[0]}:{pair[1]}")
        for pair in raw.pairs
    ]
    rows.append(row(ALL, "All providers", ALL))
    table = Table(
        "Referrals received and the provider's answer, by provider and service type",
        [
            Column("Provider and service type", Kind.TEXT),
            Column("Referrals received"),
            Column("Accepted"),
            Column("Declined"),
            Column("Still waiting"),
            Column("Acceptance rate (% of answered)", Kind.PERCENT),
            Column("Median hours to answer", Kind.HOURS),
        ],
        rows,
        notes=list(notes),
    )
    return Section("Provider responses", table)


def _declines(raw: LoopCounts, cell: CellOf) -> Section:
    labels = dict(DeclineReason.choices)
    reasons = [f"reason:{r}" for r in REASONS]

    def row(group: Hashable, label: str) -> Row:
        values = [cell(PROVIDER.name, group, m) for m in (*reasons, "declined")]
        return Row(label, values, key=str(group))

    rows = [row(p, name) for p, name in raw.providers.items()]
    rows.append(row(ALL, "All providers"))
    table = Table(
        "Declined referrals by the provider's reason",
        [
            Column("Provider", Kind.TEXT),
            *(Column(labels[r]) for r in REASONS),
            Column("All declines"),
        ],
        rows,
    )
    total = cell(PROVIDER.name, ALL, "declined")
    bars = [
        Bar(
            labels[r],
            cell(PROVIDER.name, ALL, m),
            note=share_note(cell(PROVIDER.name, ALL, m), total, "declines"),
        )
        for r, m in zip(REASONS, reasons, strict=True)
    ]
    return Section("Decline reasons", table, BarChart("Decline reasons, all providers", bars))


def _stuck(raw: LoopCounts, cell: CellOf, notes: list[str], *, suppress_small: bool) -> Section:
    labels = dict(ReferralStatus.choices)

    def row(group: Hashable, label: str) -> Row:
        counts = [cell(PROVIDER.name, group, m) for m in (*_STUCK, "stuck")]
        median = statistic(
            raw.overdue_days.get(group), counts[-1], Kind.DAYS, suppress_small=suppress_small
        )
        return Row(label, [*counts, median], key=str(group))

    rows = [row(p, name) for p, name in raw.providers.items()]
    rows.append(row(ALL, "All providers"))
    table = Table(
        "Open referrals past their deadline, by provider and current status",
        [
            Column("Provider", Kind.TEXT),
            *(Column(labels[s]) for s in STUCK_STATUSES),
            Column("All stuck referrals"),
            Column("Median days overdue", Kind.DAYS),
        ],
        rows,
        notes=list(notes),
    )
    intro = (
        "Referrals still sent or received after the response deadline, accepted for more than "
        f"{SCHEDULE_DAYS} days with no intake scheduled, or scheduled for intake more than "
        f"{ENGAGE_DAYS} days ago with no engagement recorded."
    )
    return Section("Stuck referrals", table, intro=intro)


def _capacity_section(raw: LoopCounts, cell: CellOf) -> Section:
    def snapshot(numbers: tuple[int, int, int]) -> list[Value]:
        return [Value(n, Kind.COUNT) for n in numbers]

    totals = tuple(sum(c[n] for c in raw.capacity.values()) for n in range(3))
    measures = ("received", "accepted", "engaged", NO_CAPACITY)

    def row(group: Hashable, label: str, listed: tuple[int, ...]) -> Row:
        counts = [cell(TYPE.name, group, m) for m in measures]
        share = rate(counts[-1], counts[0])
        return Row(
            label, [*snapshot((listed[0], listed[1], listed[2])), *counts, share], key=str(group)
        )

    rows = [row(t, _type_label(t), raw.capacity.get(t, (0, 0, 0))) for t in raw.service_types]
    rows.append(row(ALL, "All service types", totals))
    table = Table(
        "Capacity offered now and referrals sent in the window, by service type",
        [
            Column("Service type", Kind.TEXT),
            Column("Services listed"),
            Column("Total capacity"),
            Column("Open now"),
            Column("Referrals sent"),
            Column("Accepted"),
            Column("Engaged"),
            Column("Declined: no capacity"),
            Column("Declined for no capacity (% of sent)", Kind.PERCENT),
        ],
        rows,
        notes=[
            "Services, capacity and open places are a snapshot taken when the figures were "
            "extracted, not the capacity at the time of each referral."
        ],
    )
    chart = BarChart(
        "Share of referrals declined for lack of capacity",
        [
            Bar(
                _type_label(t),
                rate(cell(TYPE.name, t, NO_CAPACITY), cell(TYPE.name, t, "received")),
            )
            for t in raw.service_types
        ],
        unit="% of referrals sent",
    )
    return Section("Divert to where? Capacity used vs offered", table, chart)


def _method(raw: LoopCounts) -> list[str]:
    configured = sorted(
        f"{code} {h} h" for code, h in raw.deadlines.items() if h != DEFAULT_RESPONSE_HOURS
    )
    deadline = f"the default {DEFAULT_RESPONSE_HOURS} hours" + (
        f" (configured otherwise: {', '.join(configured)})" if configured else ""
    )
    return [
        "Counted from the records: each referral (not archived) made at a contact in the "
        "filter: the contact's date, the responder's agency, area and pathway. The provider is "
        "the agency the referral was sent to; the service type is the referred service's.",
        "Accepted: the provider accepted the referral at some point. Declined: it declined "
        "without accepting. Still waiting: neither yet when the figures were taken (opening "
        "a referral is not an answer). The acceptance rate is accepted over answered "
        "(accepted plus declined). The time to answer runs from sending the referral to the "
        "first acceptance or decline; its median is over answered referrals, and the median "
        "time overdue over the referrals past their deadline, each time counted in whole "
        "minutes.",
        "Decline reasons are the reason the provider recorded with the decline; a code outside "
        "the current list is counted as Other.",
        "Stuck referrals: referrals whose current status is open and past its deadline when "
        "the figures were taken. Sent or received: no answer within the pathway's provider "
        f"response deadline, from the pathway's current configuration, else {deadline}, "
        f"counted from sending. Accepted: no intake scheduled {SCHEDULE_DAYS} days after the "
        "acceptance. Intake scheduled: the appointment time is not in the analytics extract, "
        "so the time the intake was last scheduled stands in for it: stuck when no engagement "
        f"was recorded {ENGAGE_DAYS} days after scheduling, which flags a late appointment "
        "earlier than its own date would. Days overdue run from the deadline to the time the "
        "figures were taken. Only counts are published, never a list of referrals.",
        "Capacity: the services of the program's agencies that are not archived, per service "
        "type, with the capacity and open places recorded now (a snapshot, not filtered by "
        "the contact filters). Referrals sent, accepted, engaged (attended intake after the "
        "provider accepted) and declined for no capacity are those of the contacts in the "
        "filter.",
        "Small counts are suppressed across all tables together: each figure per provider, "
        "per service type and in total is tied to the provider-and-service-type counts it "
        "adds up, so a hidden count cannot be taken from another table. Medians over fewer "
        "than 11 referrals are not shown when counts are suppressed.",
    ]
