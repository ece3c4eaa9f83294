"""Cost avoided: what the jail bookings, jail days, emergency-department visits and ambulance
transports that diversion may have avoided would have cost, as a low and a high estimate.

The counts come from the records (the analytics extract); everything else is an assumption the
coordinator sets (`pathways.outcomes.costs`), each as a low and a high figure:

    bookings avoided   = diverted contacts × share that would have been booked
                         (Officer Intervention and the other pathways each with their share)
    jail days avoided  = bookings avoided × days per booking
    ED visits avoided  = Naloxone Plus contacts offered services × share that would have gone
    EMS transports     = ED visits avoided (each visit assumed to come by ambulance)
    dollars            = each of them × its unit cost

The low estimate uses every low figure, the high one every high figure. A figure worked out
from a suppressed count is hidden too, and so is every total that includes it."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import duckdb

from pathways.outcomes.costs import (
    BOOKING_COST,
    BOOKING_SHARE_INTERVENTION,
    BOOKING_SHARE_OTHER,
    DAYS,
    DAYS_PER_BOOKING,
    ED_SHARE_OVERDOSE,
    ED_VISIT_COST,
    EMS_TRANSPORT_COST,
    JAIL_DAY_COST,
    MONEY,
    PAIRS,
    Pair,
    cost_settings_for,
    source_text,
)
from pathways.outcomes.filters import ReportFilters
from pathways.outcomes.models import CostSettings
from pathways.outcomes.reports.common import publish
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
from pathways.programs.models import Pathway, PathwayCode, Program

ALL = "all"
OTHER = "other"  # every pathway but Officer Intervention together
INTERVENTION = str(PathwayCode.OFFICER_INTERVENTION)
OVERDOSE = str(PathwayCode.NALOXONE_PLUS)
LOW, HIGH = "low", "high"
BOUNDS = (LOW, HIGH)
#: Every emergency-department visit avoided is counted as an ambulance transport avoided.
EMS_PER_ED_VISIT = Decimal(1)

#: Diverted: offered services instead of arrest (the person was referred, or declined).
DIVERTED = "offered"


def diverted_counts(db: duckdb.DuckDBPyConnection, f: ReportFilters) -> dict[str, int]:
    """Diverted contacts in the filter by pathway code, for every pathway with a contact there
    (diverted or not)."""
    where, params = f.where()
    sql = (
        f"SELECT pathway, count(*) FILTER (WHERE {DIVERTED}) FROM encounter_facts "  # noqa: S608
        f"WHERE {where} GROUP BY pathway"
    )
    return {str(code): int(n) for code, n in db.execute(sql, params).fetchall()}


# --- the figures, hidden with the counts they come from -------------------------------------


@dataclass(frozen=True)
class Figure:
    """An estimate worked out from counts: its exact value, and whether a count it comes from
    is suppressed (then it is never shown, and neither is anything worked out from it)."""

    amount: Decimal
    hidden: bool

    def __add__(self, other: Figure) -> Figure:
        return Figure(self.amount + other.amount, self.hidden or other.hidden)

    def times(self, factor: Decimal) -> Figure:
        return Figure(self.amount * factor, self.hidden)

    def value(self, kind: Kind) -> Value:
        if self.hidden:
            return Value(None, kind, hidden=True)
        return Value(float(self.amount), kind)


@dataclass(frozen=True)
class Step:
    """One line of the calculation: based_on × rate = avoided; avoided × unit cost = dollars."""

    key: str
    label: str
    category: str
    based_on: Figure
    based_on_kind: Kind
    rate: Decimal
    rate_kind: Kind
    avoided: Figure
    avoided_kind: Kind
    unit_cost: Decimal
    dollars: Figure


def _share(value: Decimal) -> Value:
    return Value(float(value * 100), Kind.PERCENT)


def steps(settings: CostSettings, counts: dict[str, Figure], bound: str) -> list[Step]:
    """The calculation for the low or the high estimate, one Step a line."""

    def get(pair: Pair) -> Decimal:
        return Decimal(getattr(settings, f"{pair.stem}_{bound}"))

    def step(
        key: str,
        label: str,
        category: str,
        based_on: Figure,
        rate: Decimal,
        unit_cost: Decimal,
        *,
        based_on_kind: Kind = Kind.COUNT,
        rate_kind: Kind = Kind.PERCENT,
        avoided_kind: Kind = Kind.RATIO,
    ) -> Step:
        avoided = based_on.times(rate)
        return Step(
            key=key,
            label=label,
            category=category,
            based_on=based_on,
            based_on_kind=based_on_kind,
            rate=rate,
            rate_kind=rate_kind,
            avoided=avoided,
            avoided_kind=avoided_kind,
            unit_cost=unit_cost,
            dollars=avoided.times(unit_cost),
        )

    bookings_oi = step(
        "bookings_oi",
        "Jail bookings: Officer Intervention contacts",
        "bookings",
        counts[INTERVENTION],
        get(BOOKING_SHARE_INTERVENTION),
        get(BOOKING_COST),
    )
    bookings_other = step(
        "bookings_other",
        "Jail bookings: contacts on the other pathways",
        "bookings",
        counts[OTHER],
        get(BOOKING_SHARE_OTHER),
        get(BOOKING_COST),
    )
    jail_days = step(
        "jail_days",
        "Jail days: bookings avoided × days per booking",
        "jail_days",
        bookings_oi.avoided + bookings_other.avoided,
        get(DAYS_PER_BOOKING),
        get(JAIL_DAY_COST),
        based_on_kind=Kind.RATIO,
        rate_kind=Kind.DAYS,
        avoided_kind=Kind.DAYS,
    )
    ed_visits = step(
        "ed_visits",
        "Emergency-department visits: Naloxone Plus contacts",
        "ed_visits",
        counts[OVERDOSE],
        get(ED_SHARE_OVERDOSE),
        get(ED_VISIT_COST),
    )
    transports = step(
        "ems",
        "Ambulance transports: one per emergency-department visit avoided",
        "ems",
        ed_visits.avoided,
        EMS_PER_ED_VISIT,
        get(EMS_TRANSPORT_COST),
        based_on_kind=Kind.RATIO,
    )
    return [bookings_oi, bookings_other, jail_days, ed_visits, transports]


@dataclass(frozen=True)
class Category:
    code: str
    label: str
    short: str  # for the chart's bar labels, which have room for about 20 characters


CATEGORIES: tuple[Category, ...] = (
    Category("bookings", "Jail bookings", "Jail bookings"),
    Category("jail_days", "Jail days", "Jail days"),
    Category("ed_visits", "Emergency-department visits", "ED visits"),
    Category("ems", "Ambulance (EMS) transports", "EMS transports"),
)


def totals(calculation: Sequence[Step]) -> dict[str, Figure]:
    """Dollars by category, and ALL: each hidden when any step in it is."""
    zero = Figure(Decimal(0), hidden=False)
    out: dict[str, Figure] = {}
    for step in calculation:
        out[step.category] = out.get(step.category, zero) + step.dollars
    out[ALL] = sum(out.values(), zero)
    return out


# --- the report -----------------------------------------------------------------------------


def build(
    db: duckdb.DuckDBPyConnection,
    f: ReportFilters,
    *,
    as_of: dt.datetime,
    suppress_small: bool,
) -> Report:
    program = Program.objects.get(pk=f.program_id)
    settings = cost_settings_for(program)
    raw = diverted_counts(db, f)
    pathways = {p.code: p for p in Pathway.objects.all()}
    present = sorted(raw, key=lambda c: pathways[c].display_order if c in pathways else 99)

    # Cells: each pathway, Officer Intervention and Naloxone Plus even without contacts, the
    # other pathways together and all of them. Lines: the other pathways make up OTHER;
    # Officer Intervention and OTHER make up the total (so OTHER never gives a hidden Officer
    # Intervention count away, nor the reverse); the pathways make up the total. Suppression
    # takes the lines in this order: a small count on another pathway is covered there first,
    # without hiding Officer Intervention and with it every booking figure.
    cells = dict.fromkeys([*present, INTERVENTION, OVERDOSE])  # in order: ties break the same
    values: dict[Any, int] = {code: raw.get(code, 0) for code in cells}
    values[ALL] = sum(raw.values())
    values[OTHER] = values[ALL] - values[INTERVENTION]
    others = tuple(code for code in values if code not in (ALL, OTHER, INTERVENTION))
    lines = [
        Line(others, OTHER),
        Line((INTERVENTION, OTHER), ALL),
        Line(tuple(present), ALL),
    ]
    published = publish(values, lines, suppress_small=suppress_small)
    counts = {
        code: Figure(Decimal(int(v.number or 0)), v.hidden)
        for code, v in published.items()
        if isinstance(code, str)
    }
    calculation = {bound: steps(settings, counts, bound) for bound in BOUNDS}
    money = {bound: totals(calculation[bound]) for bound in BOUNDS}

    def label(code: str) -> str:
        return pathways[code].short_name if code in pathways else code

    count_table = Table(
        "Contacts offered services instead of arrest (referred, or declined the offer)",
        [Column("Pathway", Kind.TEXT), Column("Diverted contacts")],
        [Row(label(code), [published[code]], key=code) for code in present]
        + [Row("All pathways", [published[ALL]], key=ALL)],
    )
    total_table = Table(
        "Estimated cost avoided (US dollars)",
        [Column("Category", Kind.TEXT), Column("Low", Kind.MONEY), Column("High", Kind.MONEY)],
        [
            Row(c.label, [money[b][c.code].value(Kind.MONEY) for b in BOUNDS], key=c.code)
            for c in CATEGORIES
        ]
        + [Row("Total", [money[b][ALL].value(Kind.MONEY) for b in BOUNDS], key=ALL)],
        notes=[
            "Estimates under the assumptions below, not money saved in anyone's budget; "
            "the cost of the program and of treatment is not subtracted."
        ],
    )
    chart = BarChart(
        "Estimated cost avoided by category, low and high (US dollars)",
        [
            Bar(f"{c.short}, {bound}", money[bound][c.code].value(Kind.MONEY))
            for c in CATEGORIES
            for bound in BOUNDS
        ],
        unit="US dollars",
    )
    return Report(
        slug="cost",
        title="Cost avoided",
        filters=f.described(),
        as_of=as_of,
        time_zone=f.time_zone,
        sections=[
            Section(
                "Estimated cost avoided",
                total_table,
                chart,
                intro=_intro(settings),
            ),
            Section("Contacts diverted", count_table),
            Section(
                "The calculation, step by step",
                _calculation_table(calculation),
                intro="Each line: number × share (or days) = avoided; avoided × unit cost = "
                "dollars. The low estimate uses every low figure, the high one every high "
                "figure.",
            ),
            Section("Assumptions", _assumption_table(settings, f.time_zone)),
        ],
        method=method(settings),
        suppressed=suppress_small,
    )


def _intro(settings: CostSettings) -> str:
    if settings.is_placeholder:
        return (
            "These figures use placeholder assumptions, not this community's costs: until the "
            "coordinator sets the program's own, read them as an illustration only."
        )
    return f"Assumptions set by the program. Source: {settings.source_note}"


#: The columns of each estimate: number × share or days = avoided; avoided × unit cost =
#: dollars. (No label starts with "=": the exports would guard it as a formula.)
CALCULATION_COLUMNS = (
    ("Number", Kind.COUNT),
    ("Share or days", Kind.PERCENT),
    ("Avoided", Kind.RATIO),
    ("Unit cost", Kind.MONEY),
    ("Dollars", Kind.MONEY),
)


def _calculation_table(calculation: dict[str, list[Step]]) -> Table:
    columns = [Column("Step", Kind.TEXT)] + [
        Column(f"{name}, {bound}", kind) for bound in BOUNDS for name, kind in CALCULATION_COLUMNS
    ]
    rows: list[Row] = []
    for n, first in enumerate(calculation[LOW]):
        cells: list[Value] = []
        for bound in BOUNDS:
            step = calculation[bound][n]
            cells += [
                step.based_on.value(step.based_on_kind),
                _rate(step.rate, step.rate_kind),
                step.avoided.value(step.avoided_kind),
                Value(float(step.unit_cost), Kind.MONEY),
                step.dollars.value(Kind.MONEY),
            ]
        rows.append(Row(first.label, cells, key=first.key))
    total_cells: list[Value] = []
    for bound in BOUNDS:
        grand = totals(calculation[bound])[ALL]
        total_cells += [Value(None), Value(None), Value(None), Value(None)]
        total_cells.append(grand.value(Kind.MONEY))
    rows.append(Row("Total", total_cells, key=ALL))
    return Table(
        "Low and high estimate, each step shown",
        columns,
        rows,
        notes=[
            "Units avoided are estimates, not counts of people, and are shown with decimals.",
            "A figure worked out from a suppressed count is suppressed too, and so is every "
            "total that includes it.",
        ],
    )


def _rate(rate: Decimal, kind: Kind) -> Value:
    if kind is Kind.PERCENT:
        return _share(rate)
    return Value(float(rate), kind)


def _assumption_value(pair: Pair, value: Decimal) -> Value:
    if pair.measure == MONEY:
        return Value(float(value), Kind.MONEY)
    if pair.measure == DAYS:
        return Value(float(value), Kind.DAYS)
    return _share(value)


def _assumption_table(settings: CostSettings, time_zone: str) -> Table:
    rows = [
        Row(
            pair.label,
            [
                _assumption_value(pair, Decimal(getattr(settings, pair.low))),
                _assumption_value(pair, Decimal(getattr(settings, pair.high))),
            ],
            key=pair.stem,
        )
        for pair in PAIRS
    ]
    notes = [f"Source: {source_text(settings)}"]
    if not settings.is_placeholder:
        saved = settings.updated_at.astimezone(zoneinfo.ZoneInfo(time_zone))
        by = f" by {settings.updated_by}" if settings.updated_by else ""  # the name
        notes.append(f"Last changed {saved:%Y-%m-%d %H:%M %Z}{by}.")
    notes.append(
        "Shares are of the diverted contacts (percent); unit costs are in US dollars, rounded "
        "to the dollar here."
    )
    return Table(
        "The program's assumptions",
        [Column("Assumption", Kind.TEXT), Column("Low"), Column("High")],
        rows,
        notes=notes,
    )


def method(settings: CostSettings) -> list[str]:
    """How the estimate is made and what it cannot say, with the state of the assumptions."""
    if settings.is_placeholder:
        assumptions = (
            "The assumptions are still the placeholders built into Pathways, not figures for "
            "this community: until the coordinator sets the program's own unit costs and "
            "shares, every dollar amount here is an illustration, not an estimate."
        )
    else:
        assumptions = (
            "The assumptions (unit costs, shares and days per booking, each a low and a high "
            f"figure) are set by the program's coordinator. Source: {settings.source_note}"
        )
    return [
        "What this is: an estimate of what the jail bookings, jail days, emergency-department "
        "visits and ambulance transports that diversion may have avoided would have cost, under "
        "assumptions the program's coordinator sets. It is not money saved in anyone's budget: "
        "jails, hospitals and ambulance services have mostly fixed costs (staff, buildings), so "
        "fewer bookings or visits do not reduce what they spend by these amounts.",
        assumptions,
        "What is counted: contacts in the filter where the person was offered services instead "
        "of arrest (referred to a service, or offered and declined), from the records. "
        "Contacts, not people: a person diverted twice counts twice. For emergency care, the "
        "Naloxone Plus contacts offered services at the scene (contacts ending in a transport "
        "for medical care already went to the emergency department).",
        "The counterfactual is assumed, not observed: nobody knows which of these people would "
        "have been booked, or gone to an emergency department, without the program. The shares "
        "are the coordinator's judgement (Officer Intervention contacts involve a chargeable "
        "offense, so their share is higher than the other pathways').",
        "How it is worked out: bookings avoided = diverted contacts × the share that would have "
        "been booked; jail days avoided = bookings avoided × days per booking; "
        "emergency-department visits avoided = Naloxone Plus contacts offered services × the "
        "share that would have gone; each visit avoided is counted as an ambulance transport "
        "avoided too. Each is multiplied by its unit cost. The low estimate uses every low "
        "figure and the high one every high figure; the real figure may lie outside the range.",
        "Not subtracted, and not counted: the cost of the program itself and of the treatment "
        "and services people were referred to is not subtracted. Later effects (repeat "
        "arrests or overdoses, court and prosecution costs, lost work) are not counted.",
        "Where a count is suppressed, every figure worked out from it (units avoided, dollars "
        "and the totals that include them) is suppressed too.",
    ]
