"""The quarterly funder report: one calendar quarter at a glance, beside the quarter before and
the same quarter a year earlier, assembled from the other reports' computations.

- Contacts, treatment entries and completions come from the funnel's stage counts
  (`funnel.stage_counts_by_window`), every quarter of the trend in one pass; time to
  treatment from `treatment.treatment_times`; outcomes from `recurrence.recurrence_counts`.
  Only what no report computes is counted here
  (`served_counts`): people served, new people and referrals sent.
- Quarters are calendar quarters in the program's time zone: a contact at 23:30 local time on
  30 June belongs to the second quarter, whatever the UTC date.
- One suppression covers every section: a figure that appears in two tables (the quarter's
  contacts in the summary, the pathway table and the trend; the previous quarter's in the
  summary and the trend) is one cell, hidden alike in both, and the lines tie each figure to
  the ones it is a part of (pathways add up to all pathways; people served, treatment entries
  within contacts; completions within treatment entries; new people within people served)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Hashable
from dataclasses import dataclass

import duckdb

from pathways.outcomes.filters import ReportFilters
from pathways.outcomes.reports import funnel, recurrence, treatment
from pathways.outcomes.reports.common import MIN_FOR_STATISTIC, publish, rate, statistic
from pathways.outcomes.suppression import Line
from pathways.outcomes.survival import KMSummary
from pathways.outcomes.tables import (
    Column,
    ColumnChart,
    Kind,
    Report,
    Row,
    Section,
    Table,
    Value,
    text,
)
from pathways.programs.models import Pathway

SLUG = "funder"
TITLE = "Quarterly report"
TREND_QUARTERS = 8
ALL = funnel.ALL
NOT_ENOUGH_FOLLOW_UP = "Not enough follow-up yet"

# --- quarters ------------------------------------------------------------------------------


@dataclass(frozen=True, order=True)
class Quarter:
    """A calendar quarter: `number` 1 (January to March) to 4 (October to December)."""

    year: int
    number: int

    def __post_init__(self) -> None:
        if not 1 <= self.number <= 4:
            raise ValueError(f"a quarter is numbered 1 to 4, not {self.number}")

    @classmethod
    def containing(cls, day: dt.date) -> Quarter:
        return cls(day.year, (day.month - 1) // 3 + 1)

    @property
    def start(self) -> dt.date:
        """The first day (local)."""
        return dt.date(self.year, 3 * self.number - 2, 1)

    @property
    def end(self) -> dt.date:
        """The last day (local, inclusive)."""
        return self.shift(1).start - dt.timedelta(days=1)

    @property
    def label(self) -> str:
        return f"{self.year} Q{self.number}"

    def shift(self, quarters: int) -> Quarter:
        """The quarter `quarters` later (earlier when negative)."""
        index = self.year * 4 + self.number - 1 + quarters
        return Quarter(index // 4, index % 4 + 1)


def quarter_bounds(year: int, q: int) -> tuple[dt.date, dt.date]:
    """The first and last day of quarter `q` (1-4) of `year`, as local dates."""
    quarter = Quarter(year, q)
    return quarter.start, quarter.end


def quarters_before(today: dt.date, n: int) -> list[tuple[str, dt.date, dt.date]]:
    """The `n` whole quarters before the one `today` is in, newest first:
    [("2026 Q3", first day, last day), ...]."""
    current = Quarter.containing(today)
    return [(q.label, q.start, q.end) for q in (current.shift(-k) for k in range(1, n + 1))]


def quarter_of(f: ReportFilters) -> Quarter:
    """The quarter the filters cover; a range that is not one calendar quarter is refused."""
    quarter = Quarter.containing(f.start)
    if (f.start, f.end) != (quarter.start, quarter.end):
        raise ValueError(f"the funder report covers one calendar quarter, not {f.start} to {f.end}")
    return quarter


def trend_quarters(quarter: Quarter) -> list[Quarter]:
    """The last TREND_QUARTERS quarters, oldest first, ending with `quarter`."""
    return [quarter.shift(k) for k in range(1 - TREND_QUARTERS, 1)]


def _within(f: ReportFilters, first: Quarter, last: Quarter | None = None) -> ReportFilters:
    """The same filters over another quarter (or run of quarters)."""
    return dataclasses.replace(f, start=first.start, end=(last or first).end)


# --- the raw figures -----------------------------------------------------------------------

# Figures (measures) per quarter and pathway.
CONTACTS, PEOPLE, NEW, REFERRALS = "contacts", "people", "new", "referrals"
ENTRIES, COMPLETIONS = "entries", "completions"
TIMED, WITHIN = "timed", "within"  # contacts with an intake; of them, within the target
# Differences a reader could take from two shown figures: never shown, protected as cells.
REPEAT, RETURNING, NOT_ENTERED, NOT_COMPLETED = "repeat", "returning", "not_entered", "not_done"
OUTSIDE, UNSTEPPED = "outside", "unstepped"

#: The funnel stage each figure is.
FROM_FUNNEL: dict[str, str] = {CONTACTS: "contacts", ENTRIES: "engaged", COMPLETIONS: "completed"}

SUMMARY: tuple[tuple[str, str], ...] = (
    (CONTACTS, "Contacts"),
    (PEOPLE, "People served"),
    (NEW, "New people"),
    (REFERRALS, "Referrals sent"),
    (ENTRIES, "Treatment entries"),
    (COMPLETIONS, "Completions"),
)
BY_PATHWAY: tuple[tuple[str, str], ...] = (
    (CONTACTS, "Contacts"),
    (PEOPLE, "People served"),
    (REFERRALS, "Referrals sent"),
    (ENTRIES, "Treatment entries"),
    (COMPLETIONS, "Completions"),
)

#: (part, rest, whole): `part` is a subset of `whole`, `rest` the difference (never shown).
SPLITS: tuple[tuple[str, str, str], ...] = (
    (PEOPLE, REPEAT, CONTACTS),
    (ENTRIES, NOT_ENTERED, CONTACTS),
    (COMPLETIONS, NOT_COMPLETED, ENTRIES),
)
#: Time to treatment: within the target or not; every treatment entry has a timed intake.
TIMED_SPLITS: tuple[tuple[str, str, str], ...] = (
    (WITHIN, OUTSIDE, TIMED),
    (ENTRIES, UNSTEPPED, TIMED),
)

#: Every figure of the quarter kept per pathway: each one's pathways add up to ALL.
PER_PATHWAY: tuple[str, ...] = (
    CONTACTS, PEOPLE, REFERRALS, ENTRIES, COMPLETIONS, TIMED, WITHIN,
    REPEAT, NOT_ENTERED, NOT_COMPLETED, OUTSIDE, UNSTEPPED,
)  # fmt: skip

OUTCOMES = "outcomes"
SIX_MONTHS = recurrence.SIX_MONTHS


def served_counts(
    db: duckdb.DuckDBPyConnection, f: ReportFilters, *, force_grouped: bool = False
) -> dict[tuple[str, str], int]:
    """People served, new people and referrals sent in the filter, per pathway and ALL:
    {(pathway or ALL, "people" | "new" | "referrals"): n}.

    A person counts once, under the pathway of their first contact in the filter (so pathways
    add up to ALL). New: their first contact ever in the program (any agency, area or pathway)
    is in the filter's window. Referrals: every referral (not archived) made at a contact in
    the filter, as the referral loop counts them. `force_grouped` takes the per-person path
    even where the stored earlier-contact columns would do (tests compare the two)."""
    where, params = f.where("e")
    # each person's first contact in the program is stored in the facts (extract.py)
    if f.agency is None and not f.area and not force_grouped:
        # and their last earlier contact, and last one on the same pathway: their first one in
        # the window (on the pathway) has none since it began
        earlier = "e.prev_contact_at" if f.pathway is None else "e.prev_pathway_contact_at"
        served = f"""
            SELECT e.pathway, e.first_contact_at AS first_at
            FROM encounter_facts e
            WHERE {where} AND ({earlier} IS NULL OR {earlier} < $f_start)
        """  # noqa: S608
    else:  # the first contact matching the agency or area: found per person
        served = f"""
            SELECT arg_min(e.pathway, (e.occurred_at, e.encounter_id)) AS pathway,
                   min(e.first_contact_at) AS first_at
            FROM encounter_facts e
            WHERE {where}
            GROUP BY e.person_id
        """  # noqa: S608
    people_sql = f"""
        WITH served AS ({served})
        SELECT coalesce(pathway, '{ALL}'), count(*), count(*) FILTER (WHERE first_at >= $f_start)
        FROM served
        GROUP BY GROUPING SETS ((pathway), ())
    """  # noqa: S608 (only the filters' own SQL is spliced in)
    referrals_sql = f"""
        SELECT coalesce(e.pathway, '{ALL}'), count(*)
        FROM referral_facts e  -- a referral carries its contact's columns
        WHERE {where}
        GROUP BY GROUPING SETS ((e.pathway), ())
    """  # noqa: S608
    counts: dict[tuple[str, str], int] = {(ALL, m): 0 for m in (PEOPLE, NEW, REFERRALS)}
    for row, people, new in db.execute(people_sql, params).fetchall():
        counts[(str(row), PEOPLE)] = int(people)
        counts[(str(row), NEW)] = int(new)
    for row, referrals in db.execute(referrals_sql, params).fetchall():
        counts[(str(row), REFERRALS)] = int(referrals)
    return counts


@dataclass
class FunderFigures:
    """The raw figures, before publishing."""

    quarter: Quarter
    pathways: list[str]  # with contacts in the quarter, in the catalog's order
    counts: dict[tuple[Quarter, str, str], int]  # (quarter, pathway or ALL, measure)
    medians: dict[str, float | None]  # median hours from contact to intake, per pathway, ALL
    goals: dict[str, treatment.Target]
    outcomes: recurrence.Recurrence  # index contacts in the four quarters before
    complete: bool  # the quarter was over when the figures were taken

    @property
    def previous(self) -> Quarter:
        return self.quarter.shift(-1)

    @property
    def year_earlier(self) -> Quarter:
        return self.quarter.shift(-4)

    @property
    def trend(self) -> list[Quarter]:
        return trend_quarters(self.quarter)

    @property
    def cohort(self) -> tuple[Quarter, Quarter]:
        """The first and last quarter of the outcomes' cohort: the year before the quarter."""
        return self.quarter.shift(-4), self.quarter.shift(-1)

    def count(self, quarter: Quarter, row: str, measure: str) -> int:
        return self.counts.get((quarter, row, measure), 0)

    def outcome(self, measure: str) -> KMSummary:
        return self.outcomes.summary(recurrence.DIVERTED, measure)


def funder_figures(
    db: duckdb.DuckDBPyConnection, f: ReportFilters, as_of: dt.datetime
) -> FunderFigures:
    quarter = quarter_of(f)
    counts: dict[tuple[Quarter, str, str], int] = {}
    pathways: list[str] = []
    trend = trend_quarters(quarter)
    by_quarter = funnel.stage_counts_by_window(db, [_within(f, q) for q in trend], as_of)
    for q, (present, stages) in zip(trend, by_quarter, strict=True):
        for row in [*present, ALL]:
            for measure, stage in FROM_FUNNEL.items():
                counts[(q, row, measure)] = stages.get((row, stage), 0)
        if q == quarter:
            pathways = present
    for q in (quarter, quarter.shift(-1), quarter.shift(-4)):
        for (row, measure), n in served_counts(db, _within(f, q)).items():
            counts[(q, row, measure)] = n
    goals = treatment.targets(f.program_id)
    times = treatment.treatment_times(db, _within(f, quarter), goals)
    medians: dict[str, float | None] = {}
    for row in [*pathways, ALL]:
        figures = times.rows.get(("pathway", row), {})
        counts[(quarter, row, TIMED)] = int(figures.get("n", 0))
        counts[(quarter, row, WITHIN)] = int(figures.get("within", 0))
        p50 = figures.get("p50")
        medians[row] = None if p50 is None else float(p50)
    cohort = _within(f, quarter.shift(-4), quarter.shift(-1))
    outcomes = recurrence.recurrence_counts(db, cohort, as_of)
    taken = as_of.astimezone(dt.UTC).replace(tzinfo=None)
    complete = _within(f, quarter).end_utc <= taken
    return FunderFigures(quarter, pathways, counts, medians, goals, outcomes, complete)


# --- suppression: one set of cells for every section ---------------------------------------


def _cell(q: Quarter, row: str, measure: str) -> tuple[str, str, str]:
    return (q.label, row, measure)


def _outcome_cell(measure: str, what: str) -> tuple[str, str, str]:
    return (OUTCOMES, measure, what)


def _cells(raw: FunderFigures) -> tuple[dict[Hashable, int], list[Line]]:
    """Every figure the report shows or lets a reader work out, with the lines tying them."""
    values: dict[Hashable, int] = {}
    lines: list[Line] = []

    def put(q: Quarter, row: str, measure: str) -> None:
        values[_cell(q, row, measure)] = raw.count(q, row, measure)

    def split(q: Quarter, row: str, part: str, rest: str, whole: str) -> None:
        values[_cell(q, row, rest)] = values[_cell(q, row, whole)] - values[_cell(q, row, part)]
        lines.append(Line((_cell(q, row, part), _cell(q, row, rest)), _cell(q, row, whole)))

    quarter = raw.quarter
    # the quarter, per pathway and in all: each figure within the one it is part of, and each
    # figure's pathways adding up to all pathways
    for row in [*raw.pathways, ALL]:
        for measure in (CONTACTS, PEOPLE, REFERRALS, ENTRIES, COMPLETIONS, TIMED, WITHIN):
            put(quarter, row, measure)
        for part, rest, whole in (*SPLITS, *TIMED_SPLITS):
            split(quarter, row, part, rest, whole)
    if raw.pathways:
        for measure in PER_PATHWAY:
            inner = tuple(_cell(quarter, p, measure) for p in raw.pathways)
            lines.append(Line(inner, _cell(quarter, ALL, measure)))
    # the quarters compared with it, all pathways together
    for q in (raw.previous, raw.year_earlier):
        for measure in (CONTACTS, PEOPLE, REFERRALS, ENTRIES, COMPLETIONS):
            put(q, ALL, measure)
        for part, rest, whole in SPLITS:
            split(q, ALL, part, rest, whole)
    for q in (quarter, raw.previous, raw.year_earlier):
        put(q, ALL, NEW)
        split(q, ALL, NEW, RETURNING, PEOPLE)
    # the trend's other quarters (the three above are the same cells)
    for q in raw.trend:
        if _cell(q, ALL, CONTACTS) not in values:
            put(q, ALL, CONTACTS)
            put(q, ALL, ENTRIES)
            split(q, ALL, ENTRIES, NOT_ENTERED, CONTACTS)
    # outcomes: people in the cohort, and those with each event within six months
    people = _outcome_cell(recurrence.DIVERTED, PEOPLE)
    values[people] = raw.outcomes.people(recurrence.DIVERTED)
    contact_events = _outcome_cell(recurrence.CONTACT, "events")
    for m in recurrence.MEASURES:
        events = _outcome_cell(m.code, "events")
        values[events] = raw.outcome(m.code).events_by(SIX_MONTHS)
        none = _outcome_cell(m.code, "none")
        values[none] = values[people] - values[events]
        lines.append(Line((events, none), people))
        if raw.outcomes.within_contacts(m.code):
            # an overdose (an arrest at a contact) is also a repeat contact
            other = _outcome_cell(m.code, "other")
            values[other] = raw.outcome(recurrence.CONTACT).events_by(SIX_MONTHS) - values[events]
            lines.append(Line((events, other), contact_events))
    return values, lines


# --- the report ----------------------------------------------------------------------------


def build(
    db: duckdb.DuckDBPyConnection,
    f: ReportFilters,
    *,
    as_of: dt.datetime,
    suppress_small: bool,
) -> Report:
    raw = funder_figures(db, f, as_of)
    values, lines = _cells(raw)
    published = publish(values, lines, suppress_small=suppress_small)

    def shown(q: Quarter, row: str, measure: str) -> Value:
        return published[_cell(q, row, measure)]

    pathways = {p.code: p.short_name for p in Pathway.objects.all()}

    def label(code: str) -> str:
        return "All pathways" if code == ALL else pathways.get(code, code)

    quarter, first, last = raw.quarter, *raw.cohort
    sections = [
        _summary(raw, shown),
        _by_pathway(raw, shown, label),
        _time_to_treatment(raw, shown, label, suppress_small=suppress_small),
        _outcomes(raw, published, suppress_small=suppress_small),
        _trend(raw, shown),
    ]
    return Report(
        slug=SLUG,
        title=TITLE,
        filters=[
            ("Quarter", f"{quarter.label} ({quarter.start:%Y-%m-%d} to {quarter.end:%Y-%m-%d})"),
            (
                "Compared with",
                f"{raw.previous.label} (the quarter before) and {raw.year_earlier.label} "
                "(a year earlier)",
            ),
            ("Outcomes cohort", f"Diverted from {first.start:%Y-%m-%d} to {last.end:%Y-%m-%d}"),
            *f.described()[1:],
        ],
        as_of=as_of,
        time_zone=f.time_zone,
        sections=sections,
        method=METHOD,
        suppressed=suppress_small,
    )


Shown = dict[Hashable, Value]
#: A published figure by (quarter, pathway or ALL, measure).
ShownOf = Callable[[Quarter, str, str], Value]
#: A pathway's name by its code (or "All pathways").
LabelOf = Callable[[str], str]


def _change(now: Value, before: Value) -> Value:
    """The change from `before` to `now` as a percentage of `before`: hidden when either is,
    none when `before` is 0."""
    if now.hidden or before.hidden:
        return Value(None, Kind.PERCENT, hidden=True)
    if not before.number:
        return Value(None, Kind.PERCENT)
    return Value(100 * ((now.number or 0) - before.number) / before.number, Kind.PERCENT)


def _summary(raw: FunderFigures, shown: ShownOf) -> Section:
    q, previous, earlier = raw.quarter, raw.previous, raw.year_earlier
    rows = []
    for measure, name in SUMMARY:
        now, before, year = (shown(x, ALL, measure) for x in (q, previous, earlier))
        rows.append(
            Row(name, [now, before, year, _change(now, before), _change(now, year)], key=measure)
        )
    notes = [
        "Change: the difference as a share of the earlier quarter's figure; '–' where that "
        "figure is 0.",
        "Treatment entries and completions count the quarter's contacts that have reached intake "
        "(or completion) by the time the figures were taken, so a recent quarter's can still "
        "rise.",
    ]
    if not raw.complete:
        notes.insert(
            0,
            f"{q.label} was not over when the figures were taken: its figures cover the "
            "contacts until then.",
        )
    table = Table(
        f"{q.label} beside the quarter before and the same quarter a year earlier",
        [
            Column("Figure", Kind.TEXT),
            Column(q.label),
            Column(f"{previous.label} (quarter before)"),
            Column(f"{earlier.label} (a year earlier)"),
            Column(f"Change on {previous.label}", Kind.PERCENT),
            Column(f"Change on {earlier.label}", Kind.PERCENT),
        ],
        rows,
        notes,
    )
    return Section("Summary for the quarter", table)


def _by_pathway(raw: FunderFigures, shown: ShownOf, label: LabelOf) -> Section:
    q = raw.quarter
    table = Table(
        f"The quarter's figures by pathway, {q.label}",
        [Column("Pathway", Kind.TEXT), *(Column(name) for _, name in BY_PATHWAY)],
        [
            Row(label(row), [shown(q, row, m) for m, _ in BY_PATHWAY], key=row)
            for row in [*raw.pathways, ALL]
        ],
        notes=[
            "People served: each person counts once, on the pathway of their first contact in "
            "the quarter, so the pathways add up to all people served. Contacts, referrals, "
            "treatment entries and completions count on the pathway of the contact."
        ],
    )
    return Section("By pathway", table)


def _time_to_treatment(
    raw: FunderFigures, shown: ShownOf, label: LabelOf, *, suppress_small: bool
) -> Section:
    q = raw.quarter
    rows = []
    for row in [*raw.pathways, ALL]:
        timed = shown(q, row, TIMED)
        median = statistic(raw.medians.get(row), timed, Kind.HOURS, suppress_small=suppress_small)
        target = (
            Value(raw.goals[row].hours, Kind.HOURS) if row in raw.goals else text("Each pathway's")
        )
        within = rate(shown(q, row, WITHIN), timed)
        rows.append(Row(label(row), [timed, median, target, within], key=row))
    notes = [
        "Contacts with an intake: the quarter's contacts whose person reached intake at a "
        "service, each timed from the contact to its first intake. Treatment entries (in the "
        "other tables) also need the funnel's earlier steps recorded (eligible, referred, "
        "accepted by the provider), so they can be fewer.",
    ]
    if raw.pathways:
        notes.append(
            "Targets: "
            + "; ".join(
                f"{label(code)} {raw.goals[code].hours:g} h ({raw.goals[code].source})"
                for code in raw.pathways
                if code in raw.goals
            )
        )
    if suppress_small:
        notes.append(
            f"Medians over fewer than {MIN_FOR_STATISTIC} contacts are not shown, nor shares "
            "whose counts are suppressed."
        )
    table = Table(
        f"Time from contact to intake, {q.label}",
        [
            Column("Pathway", Kind.TEXT),
            Column("Contacts with an intake"),
            Column("Median", Kind.HOURS),
            Column("Target", Kind.HOURS),
            Column("Within target", Kind.PERCENT),
        ],
        rows,
        notes,
    )
    return Section("Time to treatment", table)


def _outcome_share(
    summary: KMSummary, people: Value, events: Value, *, suppress_small: bool
) -> Value:
    """The estimated share with the event within six months: hidden with its counts or for
    too few people; "not enough follow-up yet" when nobody was followed that long."""
    if events.hidden:
        return Value(None, Kind.PERCENT, hidden=True)
    survival = summary.survival(SIX_MONTHS) if summary.people else None
    value = None if survival is None else 100 * (1 - survival)
    share = statistic(value, people, Kind.PERCENT, suppress_small=suppress_small)
    if share.hidden or value is not None or not people.number:
        return share
    return Value(None, Kind.PERCENT, text=NOT_ENOUGH_FOLLOW_UP)


def _outcomes(raw: FunderFigures, published: Shown, *, suppress_small: bool) -> Section:
    first, last = raw.cohort
    people = published[_outcome_cell(recurrence.DIVERTED, PEOPLE)]
    rows = []
    for m in recurrence.MEASURES:
        events = published[_outcome_cell(m.code, "events")]
        share = _outcome_share(raw.outcome(m.code), people, events, suppress_small=suppress_small)
        rows.append(Row(m.label, [people, share], key=m.code))
    notes = [
        "Share: the Kaplan–Meier estimate of the share of the cohort with the event within 6 "
        f"months ({SIX_MONTHS} days) of the index contact, counting people followed for less "
        "time for as long as they were followed. "
        f"'{NOT_ENOUGH_FOLLOW_UP}': nobody in the cohort has been followed that long.",
        "Re-arrests count arrests at program contacts and the imported arrest records linked to "
        "people; overdoses without a Naloxone Plus response are missing. The Outcomes over time "
        "report compares these people with people arrested as usual.",
    ]
    if suppress_small:
        notes.append(
            f"Shares are not shown for a cohort of fewer than {MIN_FOR_STATISTIC} people, nor "
            "when the count of people with the event is suppressed."
        )
    intro = (
        f"Cohort: people diverted from {first.start:%Y-%m-%d} to {last.end:%Y-%m-%d} (the four "
        f"quarters before {raw.quarter.label}): their first contact in that year that ended in "
        "an offer of services or an arrest was an offer of services (referred, or declined by "
        "the person), with the report's agency, area and pathway filters applied to that "
        "contact. Each is followed from that contact for 6 months, or until the figures were "
        "taken."
    )
    table = Table(
        f"People diverted from {first.label} to {last.label} with each event within 6 months",
        [
            Column("Event", Kind.TEXT),
            Column("People in the cohort"),
            Column("Share with the event within 6 months", Kind.PERCENT),
        ],
        rows,
        notes,
    )
    return Section("Outcomes", table, intro=intro)


def _trend(raw: FunderFigures, shown: ShownOf) -> Section:
    trend = raw.trend
    contacts = [shown(q, ALL, CONTACTS) for q in trend]
    entries = [shown(q, ALL, ENTRIES) for q in trend]
    table = Table(
        f"Contacts and treatment entries, {trend[0].label} to {trend[-1].label}",
        [Column("Quarter", Kind.TEXT), Column("Contacts"), Column("Treatment entries")],
        [
            Row(q.label, [c, e], key=q.label)
            for q, c, e in zip(trend, contacts, entries, strict=True)
        ],
    )
    chart = ColumnChart(
        f"Contacts and treatment entries by quarter, last {TREND_QUARTERS} quarters",
        [q.label for q in trend],
        [("Contacts", contacts), ("Treatment entries", entries)],
    )
    return Section("Trend", table, chart)


METHOD = [
    "Counted from the records, by calendar quarter in the program's time zone: a contact "
    "belongs to the quarter of the moment it happened, local time (23:30 on 30 June is in the "
    "second quarter). The agency, area and pathway filters apply to every quarter alike. The "
    "quarter is compared with the quarter before and the same quarter a year earlier.",
    "Contacts: encounters (not archived) in the quarter. People served: distinct people with a "
    "contact in the quarter; by pathway each person counts once, on the pathway of their first "
    "contact in the quarter. New people: people served whose first contact ever with the "
    "program (any agency, area or pathway) was in the quarter. Referrals sent: referrals (not "
    "archived) made at the quarter's contacts.",
    "Treatment entries: the quarter's contacts that reached intake at a service after every "
    "earlier step of the funnel (eligible, referred, the referral accepted by a provider); "
    "completions: those whose service was then completed. Both are counted at the quarter of "
    "the contact, as recorded when the figures were taken, so a recent quarter's can still rise. "
    "They are the funnel report's 'Intake' and 'Completed' stages.",
    "Time to treatment: from the contact to its first intake, in hours, for the quarter's "
    "contacts with an intake, as in the Time to treatment report; each pathway's target comes "
    "from its configured deadlines.",
    "Outcomes: the people diverted in the four quarters before the quarter (their first contact "
    "in that year ending in an offer of services or an arrest was an offer of services), as in "
    "the Outcomes over time report. A repeat contact is any later contact with the program; a "
    "repeat overdose a later Naloxone Plus contact; a re-arrest a later contact ending in arrest "
    "or a later imported arrest record linked to the person. "
    "The share within 6 months is a Kaplan–Meier estimate, so people followed for less time "
    "count for as long as they were followed. The comparison is not randomized and only events "
    "recorded in Pathways or imported count.",
    "Small counts (1 to 10) are suppressed across all sections together: a figure shown in two "
    "tables is hidden in both; the pathways of each figure add up to all pathways; people "
    "served and treatment entries are tied to contacts, completions to treatment entries and new "
    "people to people served, so a hidden count cannot be worked out from the others. Changes, "
    "shares and medians built on a hidden count are hidden too; medians and outcome shares over "
    f"fewer than {MIN_FOR_STATISTIC} people or contacts are not shown.",
]
