"""Outcomes over time: after a person is offered services instead of arrest, how soon (if at
all) they have another contact, another overdose response or an arrest known to the program,
side by side with people who were arrested as usual.

Each person has one index contact: their first contact in the filter window that ended in a
diversion (referred or declined: offered services) or an arrest. The agency, area and pathway
filters apply to that contact; the later events are any of the person's contacts in the program,
whatever their agency, area or pathway, up to 365 days after it. People whose index contact is
less than 365 days before the figures were taken are followed for as long as there is, and the
Kaplan–Meier estimate accounts for the shorter follow-up.

Everything per person happens in DuckDB: SQL finds the index contacts, the first later event
of each kind and the follow-up, and hands over counts by day (group, measure, day, events,
censored): a few hundred rows whatever the number of contacts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import duckdb

from pathways.linkage.thresholds import LOOSE, MAIN, STRICT
from pathways.outcomes.extract import EVENT_HORIZON_DAYS, INDEX_CONTACT, at_threshold
from pathways.outcomes.filters import ReportFilters
from pathways.outcomes.reports.common import MIN_FOR_STATISTIC, publish, statistic
from pathways.outcomes.reports.linkage import (
    Headline,
    LinkageState,
    linkage_method,
    linkage_section,
    linkage_state,
)
from pathways.outcomes.suppression import SMALL_MAX, Line
from pathways.outcomes.survival import GroupedRow, KMSummary
from pathways.outcomes.tables import (
    Column,
    Kind,
    Report,
    Row,
    Section,
    StepChart,
    StepSeries,
    Table,
    Value,
)

HORIZON_DAYS = EVENT_HORIZON_DAYS
#: "Within 6 months" and "within 12 months", in days since the index contact.
SIX_MONTHS, TWELVE_MONTHS = 183, 365
#: With suppression, a drawn curve's every drop stands for at least this many events.
MIN_EVENTS_PER_STEP = SMALL_MAX + 1
PERIODS: tuple[tuple[str, int], ...] = (("6", SIX_MONTHS), ("12", TWELVE_MONTHS))

DIVERTED, ARRESTED = "diverted", "arrested"
GROUPS: tuple[str, ...] = (DIVERTED, ARRESTED)
GROUP_LABELS = {
    DIVERTED: "Offered services instead of arrest",
    ARRESTED: "Arrested (comparison)",
}


@dataclass(frozen=True)
class Measure:
    code: str
    label: str  # the section heading
    event: str  # "a repeat contact": the event, in a sentence
    intro: str


CONTACT, OVERDOSE, ARREST = "contact", "overdose", "arrest"
MEASURES: tuple[Measure, ...] = (
    Measure(
        CONTACT,
        "Repeat contact",
        "a repeat contact",
        "Any later contact of the same person with the program, on any pathway.",
    ),
    Measure(
        OVERDOSE,
        "Repeat overdose",
        "a repeat overdose response",
        "A later contact on the Naloxone Plus pathway (a response to an overdose), or a "
        "later overdose in the EMS reports imported from patient care records that record "
        "linkage puts with the person.",
    ),
    Measure(
        ARREST,
        "Re-arrest",
        "an arrest",
        "A later arrest: a contact that ended in an arrest, or an arrest in the imported "
        "arrest records linked to the person (Program office: Arrest records).",
    ),
)


@dataclass
class Recurrence:
    """The raw figures, before publishing: grouped rows (day, events, censored) per (group,
    measure), days since the index contact."""

    rows: dict[tuple[str, str], list[GroupedRow]]
    #: the program has imported arrests linked to people: a re-arrest need not be a contact
    arrests_imported: bool = False
    #: the program has EMS overdoses linked to people: a repeat overdose need not be a contact
    ems_overdoses: bool = False

    def within_contacts(self, measure: str) -> bool:
        """Is everyone with this event also someone with a repeat contact? An overdose
        response is a contact unless it came from the EMS reports; an arrest is one unless it
        came from the imported records."""
        if measure == OVERDOSE:
            return not self.ems_overdoses
        return measure == ARREST and not self.arrests_imported

    def summary(self, group: str, measure: str) -> KMSummary:
        return KMSummary.from_rows(self.rows[(group, measure)], horizon=HORIZON_DAYS)

    def people(self, group: str) -> int:
        return self.summary(group, CONTACT).people


def recurrence_counts(
    db: duckdb.DuckDBPyConnection,
    f: ReportFilters,
    as_of: dt.datetime,
    *,
    force_grouped: bool = False,
    threshold: str = MAIN,
    recompute: bool = False,
) -> Recurrence:
    """The grouped survival rows of every measure for the people whose index contact (their
    first contact offered services or arrested) is in the filter. A person is a *cluster
    person* (pathways.linkage.selectors.ClusterPerson): the records of one person that
    record linkage puts in one cluster at `threshold` are one person's history.
    `force_grouped` takes the per-person path even where the stored earlier-contact columns
    would do; `recompute` (and any threshold but the main one, whose events are stored)
    finds each person's later events from their contacts and arrests instead of the stored
    columns (tests compare the paths)."""
    where, params = f.where()
    params["as_of"] = as_of.astimezone(dt.UTC).replace(tzinfo=None)
    params["horizon"] = HORIZON_DAYS
    if recompute or threshold != MAIN:
        return _recomputed(db, f, where, params, threshold)
    # each contact's next contact, overdose and arrest are stored in the facts (extract.py),
    # so the index contacts carry everything the curves need
    # each contact stores the days to the person's next event within the horizon (extract.py):
    # an event counts if it had happened when the figures were taken, as every one has when
    # they are taken after the last one recorded (pages, built as of the refresh, always are)
    stored = [f"{m.code}_day" for m in MEASURES]
    if _all_happened(db, f.program_id, params["as_of"]):
        events = ", ".join(f"s.{m.code}_day" for m in MEASURES)
    else:
        stored += [f"next_{m.code}_at" for m in MEASURES]
        events = ", ".join(
            f"CASE WHEN s.next_{m.code}_at <= $as_of THEN s.{m.code}_day END AS {m.code}_day"
            for m in MEASURES
        )
    nexts = ", ".join(f"{c} := {c}" for c in stored)
    qualifying = f"{INDEX_CONTACT} AND occurred_at <= $as_of"
    columns = f"occurred_at, arrested, {', '.join(stored)}"
    if f.agency is None and not f.area and not force_grouped:
        # each contact stores the person's last earlier possible index contact, and their last
        # one on the same pathway (extract.py): their first one in the window (on the pathway)
        # is the one with none since the window began
        earlier = "prev_index_at" if f.pathway is None else "prev_pathway_index_at"
        index = f"""
            SELECT {columns}
            FROM encounter_facts
            WHERE {where} AND {qualifying}
              AND ({earlier} IS NULL OR {earlier} < $f_start)
        """  # noqa: S608
    else:  # the first contact matching the agency or area: found per person
        record = f"struct_pack(occurred_at := occurred_at, arrested := arrested, {nexts})"
        index = f"""
            SELECT first.* FROM (
                SELECT arg_min({record}, (occurred_at, encounter_id)) AS first
                FROM encounter_facts
                WHERE {where} AND {qualifying}
                GROUP BY cluster_person_id
            )
        """  # noqa: S608
    return _grouped(
        db,
        index,
        events,
        params,
        arrests_imported(db, f.program_id),
        ems=ems_overdoses_linked(db, f.program_id),
    )


def _recomputed(
    db: duckdb.DuckDBPyConnection,
    f: ReportFilters,
    where: str,
    params: dict[str, Any],
    threshold: str,
) -> Recurrence:
    """recurrence_counts from each cluster person's contacts and counted imported arrests at
    `threshold`: their index contact (the first in the filter, by time and id) and the first
    of their later events of each kind, strictly after it."""
    person = at_threshold("cluster_person_id", threshold)
    counted = at_threshold("counted", threshold)
    qualifying = f"{INDEX_CONTACT} AND occurred_at <= $as_of"
    record = (
        "struct_pack(person := person, occurred_at := occurred_at, "
        "encounter_id := encounter_id, arrested := arrested)"
    )
    nexts = ", ".join(
        f"min(ev.occurred_at) FILTER (WHERE ev.{m.code}) AS next_{m.code}_at" for m in MEASURES
    )
    days = ", ".join(
        f"CASE WHEN next_{m.code}_at <= occurred_at + INTERVAL {int(HORIZON_DAYS)} DAY "
        f"THEN CAST(ceil(epoch(next_{m.code}_at - occurred_at) / 86400) AS INTEGER) END "
        f"AS {m.code}_day"
        for m in MEASURES
    )
    index = f"""
        WITH index_contacts AS (
            SELECT first.* FROM (
                SELECT arg_min({record}, (occurred_at, encounter_id)) AS first
                FROM (SELECT *, {person} AS person FROM encounter_facts)
                WHERE {where} AND {qualifying}
                GROUP BY person
            )
        ),
        ev AS (
            SELECT {person} AS person, occurred_at, TRUE AS {CONTACT},
                   pathway = 'naloxone_plus' AS {OVERDOSE}, arrested AS {ARREST}
            FROM encounter_facts WHERE program_id = $f_program
            UNION ALL
            SELECT {person}, occurred_at, FALSE, FALSE, TRUE
            FROM arrest_facts
            WHERE program_id = $f_program AND {counted} AND {person} IS NOT NULL
            UNION ALL
            SELECT {person}, occurred_at, FALSE, TRUE, FALSE
            FROM ems_facts
            WHERE program_id = $f_program AND {counted} AND {person} IS NOT NULL
        ),
        later AS (
            SELECT i.encounter_id, any_value(i.occurred_at) AS occurred_at,
                   any_value(i.arrested) AS arrested, {nexts}
            FROM index_contacts i
            LEFT JOIN ev ON ev.person = i.person AND ev.occurred_at > i.occurred_at
            GROUP BY i.encounter_id
        )
        SELECT occurred_at, arrested, {", ".join(f"next_{m.code}_at" for m in MEASURES)},
               {days}
        FROM later
    """  # noqa: S608 (only the filters' own SQL and this module's constants are spliced in)
    events = ", ".join(
        f"CASE WHEN s.next_{m.code}_at <= $as_of THEN s.{m.code}_day END AS {m.code}_day"
        for m in MEASURES
    )
    imported = db.execute(
        f"SELECT count(*) FROM arrest_facts WHERE program_id = $p AND {counted} "  # noqa: S608
        f"AND {person} IS NOT NULL",
        {"p": str(f.program_id)},
    ).fetchone()
    ems = db.execute(
        f"SELECT count(*) FROM ems_facts WHERE program_id = $p AND {counted} "  # noqa: S608
        f"AND {person} IS NOT NULL",
        {"p": str(f.program_id)},
    ).fetchone()
    return _grouped(
        db, index, events, params, bool(imported and imported[0]), ems=bool(ems and ems[0])
    )


def _grouped(
    db: duckdb.DuckDBPyConnection,
    index: str,
    events: str,
    params: dict[str, Any],
    imported: bool,
    *,
    ems: bool = False,
) -> Recurrence:
    """The grouped survival rows from the index contacts `index` (occurred_at, arrested and
    what `events` reads: each measure's day of the first later event, <measure>_day)."""
    day_columns = ", ".join(f"{m.code}_day" for m in MEASURES)
    per_measure = " UNION ALL ".join(
        f"SELECT grp, '{m.code}' AS measure, {m.code}_day AS event_day, followed_days, n "  # noqa: S608
        "FROM followed"
        for m in MEASURES
    )
    sql = f"""
        WITH idx AS ({index}),
        -- the index contacts counted by group, follow-up and day of each event (a small
        -- domain: days 0 to 365), once for every measure
        followed AS MATERIALIZED (
            SELECT grp, followed_days, {day_columns}, count(*) AS n
            FROM (
                SELECT CASE WHEN s.arrested THEN '{ARRESTED}' ELSE '{DIVERTED}' END AS grp,
                       least($horizon, CAST(floor(epoch($as_of - s.occurred_at) / 86400)
                                            AS INTEGER)) AS followed_days,
                       {events}
                FROM idx s
            )
            GROUP BY ALL
        ),
        outcomes AS ({per_measure})
        SELECT grp, measure, coalesce(event_day, followed_days) AS day,
               coalesce(sum(n) FILTER (WHERE event_day IS NOT NULL), 0) AS events,
               coalesce(sum(n) FILTER (WHERE event_day IS NULL), 0) AS censored
        FROM outcomes
        GROUP BY ALL
        ORDER BY grp, measure, day
    """  # noqa: S608 (only the filters' own SQL and this module's constants are spliced in)
    rows: dict[tuple[str, str], list[GroupedRow]] = {
        (g, m.code): [] for g in GROUPS for m in MEASURES
    }
    for grp, measure, day, n_events, censored in db.execute(sql, params).fetchall():
        rows[(grp, measure)].append((float(day), int(n_events), int(censored)))
    return Recurrence(rows, arrests_imported=imported, ems_overdoses=ems)


def _all_happened(db: duckdb.DuckDBPyConnection, program_id: Any, as_of: dt.datetime) -> bool:
    """Had every contact, imported arrest and EMS overdose of the program happened by `as_of`
    (naive UTC)?"""
    row = db.execute(
        "SELECT greatest((SELECT max(occurred_at) FROM encounter_facts WHERE program_id = $p), "
        "(SELECT max(occurred_at) FROM arrest_facts WHERE program_id = $p), "
        "(SELECT max(occurred_at) FROM ems_facts WHERE program_id = $p))",
        {"p": str(program_id)},
    ).fetchone()
    return row is None or row[0] is None or row[0] <= as_of


def arrests_imported(db: duckdb.DuckDBPyConnection, program_id: Any) -> bool:
    """Does the program have imported arrests linked to people (re-arrest events)?"""
    row = db.execute(
        "SELECT count(*) FROM arrest_facts WHERE program_id = $p AND counted "
        "AND person_id IS NOT NULL",
        {"p": str(program_id)},
    ).fetchone()
    return bool(row and row[0])


def ems_overdoses_linked(db: duckdb.DuckDBPyConnection, program_id: Any) -> bool:
    """Does the program have EMS overdoses linked to people (repeat overdoses that need not
    be contacts)?"""
    row = db.execute(
        "SELECT count(*) FROM ems_facts WHERE program_id = $p AND counted "
        "AND person_id IS NOT NULL",
        {"p": str(program_id)},
    ).fetchone()
    return bool(row and row[0])


def _cells(raw: Recurrence) -> tuple[dict[Any, int], list[Line]]:
    """Every count a table shows or lets a reader work out, with the lines tying them."""
    values: dict[Any, int] = {}
    lines: list[Line] = []
    for g in GROUPS:
        people = (g, "people")
        values[people] = raw.people(g)
        summaries = {m.code: raw.summary(g, m.code) for m in MEASURES}
        for m in MEASURES:
            for period, days in PERIODS:
                events = (g, m.code, period)
                values[events] = summaries[m.code].events_by(days)
                # events and people without one add up to the group's people
                values[(g, m.code, period, "none")] = values[people] - values[events]
                lines.append(Line((events, (g, m.code, period, "none")), people))
                if raw.within_contacts(m.code):
                    # an overdose (an arrest at a contact) is also a repeat contact: these
                    # people are a part of those with a repeat contact, the rest the difference
                    contacts = (g, CONTACT, period)
                    rest = (g, m.code, period, "other")
                    values[rest] = summaries[CONTACT].events_by(days) - values[events]
                    lines.append(Line((events, rest), contacts))
            # the events of months 7 to 12 are the difference of the two periods
            later = (g, m.code, "7-12")
            values[later] = values[(g, m.code, "12")] - values[(g, m.code, "6")]
            lines.append(Line(((g, m.code, "6"), later), (g, m.code, "12")))
    return values, lines


def _share_with_event(
    summary: KMSummary, days: int, people: Value, events: Value, *, suppress_small: bool
) -> Value:
    """1 - S(days) as a percentage: hidden with its counts or for too few people; none when
    nobody was followed that long."""
    if events.hidden:
        return Value(None, Kind.PERCENT, hidden=True)
    survival = summary.survival(days) if summary.people else None
    value = None if survival is None else 100 * (1 - survival)
    return statistic(value, people, Kind.PERCENT, suppress_small=suppress_small)


def build(
    db: duckdb.DuckDBPyConnection,
    f: ReportFilters,
    *,
    as_of: dt.datetime,
    suppress_small: bool,
) -> Report:
    raw = recurrence_counts(db, f, as_of)
    values, lines = _cells(raw)
    published = publish(values, lines, suppress_small=suppress_small)
    columns = [
        Column("Group", Kind.TEXT),
        Column("People"),
        Column("With the event within 6 months"),
        Column("With the event within 12 months"),
        Column("Estimated share with the event by 6 months", Kind.PERCENT),
        Column("Estimated share with the event by 12 months", Kind.PERCENT),
    ]
    sections = []
    for m in MEASURES:
        rows: list[Row] = []
        series: list[StepSeries] = []
        not_drawn: list[str] = []
        for g in GROUPS:
            summary = raw.summary(g, m.code)
            people = published[(g, "people")]
            events = {period: published[(g, m.code, period)] for period, _ in PERIODS}
            shares = [
                _share_with_event(
                    summary, days, people, events[period], suppress_small=suppress_small
                )
                for period, days in PERIODS
            ]
            rows.append(Row(GROUP_LABELS[g], [people, *events.values(), *shares], key=g))
            if _drawable(people, events["12"], suppress_small=suppress_small):
                curve = (
                    summary.coarsened(MIN_EVENTS_PER_STEP)
                    if suppress_small
                    else list(summary.curve)
                )
                series.append(StepSeries(GROUP_LABELS[g], curve, end=summary.followed_to))
            elif summary.people:
                not_drawn.append(GROUP_LABELS[g])
        notes = [
            f"Estimated share: the Kaplan–Meier estimate of the share of people with {m.event} "
            "by 6 (183 days) and 12 months, counting people followed for less time for as long "
            "as they were followed; '–' when nobody in the group was followed that long.",
        ]
        if suppress_small:
            notes.append(
                f"Shares are not shown for groups of fewer than {MIN_FOR_STATISTIC} people, nor "
                "when the counts they come from are suppressed. A group's curve is not drawn "
                f"then either (fewer than {MIN_FOR_STATISTIC} people, or its counts "
                "suppressed)."
            )
        for label in not_drawn:
            notes.append(f"Not drawn: {label}.")
        if m.code == ARREST:
            notes.append(
                "Imported arrest records linked to people are counted."
                if raw.arrests_imported
                else "No imported arrest records are linked to people: only arrests at program "
                "contacts are counted, so arrests made elsewhere are missing."
            )
        table = Table(f"People with {m.event} after the index contact", columns, rows, notes)
        chart = StepChart(
            f"{m.label}: share of people without {m.event}",
            series,
            x_label="Days since the index contact",
            y_label=f"Share without {m.event}",
            x_max=HORIZON_DAYS,
        )
        sections.append(Section(m.label, table, chart, intro=m.intro))
    state = linkage_state(db, f.program_id)
    linkage = _linkage(db, f, as_of, state, raw, published, suppress_small=suppress_small)
    if linkage is not None:
        sections.append(linkage)
    return Report(
        slug="outcomes",
        title="Outcomes over time",
        filters=f.described(),
        as_of=as_of,
        time_zone=f.time_zone,
        sections=sections,
        method=[*METHOD, linkage_method(state, COUNTED_BY_CLUSTER)],
        suppressed=suppress_small,
    )


COUNTED_BY_CLUSTER = (
    "A person's index contact and later events are those of all their records that record "
    "linkage puts together (at the main threshold): a person recorded more than once in "
    "Pathways is counted once, and an imported arrest linked to any of their records is "
    "their arrest."
)


def _headline_values(
    raw: Recurrence, published: Mapping[Any, Value], *, suppress_small: bool
) -> dict[str, Value]:
    """The figures the record linkage section compares: each group's people and its
    estimated share with each event by 12 months."""
    out: dict[str, Value] = {}
    for g in GROUPS:
        people = published[(g, "people")]
        out[f"{g}:people"] = people
        for m in MEASURES:
            out[f"{g}:{m.code}"] = _share_with_event(
                raw.summary(g, m.code),
                TWELVE_MONTHS,
                people,
                published[(g, m.code, "12")],
                suppress_small=suppress_small,
            )
    return out


def _linkage(
    db: duckdb.DuckDBPyConnection,
    f: ReportFilters,
    as_of: dt.datetime,
    state: LinkageState,
    raw: Recurrence,
    published: Mapping[Any, Value],
    *,
    suppress_small: bool,
) -> Section | None:
    """The record linkage section: the headline figures again at the stricter and looser
    thresholds, each suppressed as the report's own are."""
    headlines: list[Headline] = []
    if state.linked:
        at: dict[str, dict[str, Value]] = {
            MAIN: _headline_values(raw, published, suppress_small=suppress_small)
        }
        for threshold in (STRICT, LOOSE):
            other = recurrence_counts(db, f, as_of, threshold=threshold)
            values, lines = _cells(other)
            at[threshold] = _headline_values(
                other,
                publish(values, lines, suppress_small=suppress_small),
                suppress_small=suppress_small,
            )
        for g in GROUPS:
            keys = [(f"{g}:people", f"{GROUP_LABELS[g]}: people")]
            keys += [
                (f"{g}:{m.code}", f"{GROUP_LABELS[g]}: {m.label.lower()} by 12 months "
                 "(estimated share)")
                for m in MEASURES
            ]  # fmt: skip
            headlines += [Headline(key, label, {t: at[t][key] for t in at}) for key, label in keys]
    return linkage_section(
        state, headlines, suppress_small=suppress_small, counted=COUNTED_BY_CLUSTER
    )


def _drawable(people: Value, events: Value, *, suppress_small: bool) -> bool:
    """A group's curve is drawn when it has people and, under suppression, 11 or more of them
    with the counts shown (a curve gives its event counts away)."""
    if not people.number:
        return False
    if not suppress_small:
        return True
    return not people.hidden and not events.hidden and people.number >= MIN_FOR_STATISTIC


METHOD = [
    "Who is counted: each person's index contact is their first contact in the date range (by "
    "the time it happened, in the program's time zone) that ended with services offered "
    "instead of arrest (referred or declined) or with an arrest. The agency, area and pathway "
    "filters apply to that contact only. A person is in one group only, the group of their "
    "index contact; later contacts in the range are events, not new index contacts.",
    "What is counted: the first later contact of the same person with the program, on any "
    "pathway and with any agency (repeat contact); the first later overdose (repeat overdose): "
    "a contact on the Naloxone Plus pathway, or an overdose in the EMS patient care reports "
    "the program imported that the record linkage model puts in one cluster with the person "
    "(an EMS report within an hour of a Naloxone Plus contact or of the index contact of the "
    "same person is that contact's overdose, counted once); the first later arrest "
    "(re-arrest): a contact ending in an arrest, or an arrest in the arrest records the program "
    "office imported from the police records system or the jail, linked to the person by "
    "their RMS, booking or state ID number. "
    "An imported arrest within a day after another arrest of the same person is taken as the "
    "same arrest (an arrest and its booking). Each event is counted in days since the index "
    "contact, rounded up, up to 365 days.",
    "Follow-up: people whose index contact was less than 365 days before the figures were "
    "taken are followed only until then (censored). The estimated shares and the curves use "
    "the Kaplan–Meier (product-limit) method, which counts each person for as long as they "
    "were followed; the counts 'within 6 (12) months' count only events seen so far, so they "
    "are lower than the estimate when follow-up is short. Where few people were followed long, "
    "the right part of a curve rests on few people.",
    "The comparison is not randomized: officers and responders chose whom to divert and whom "
    "to arrest, for reasons that also bear on what happens next. Differences between the "
    "groups are not effects of diversion.",
    "Only events recorded in Pathways or imported count: arrests of people whose number is not "
    "in Pathways, arrests missing from the imported files, and overdoses without a Naloxone Plus "
    "response or an imported EMS report linked to the person are missing. "
    "People who move away or die have no later events, which looks the same as doing well.",
]
