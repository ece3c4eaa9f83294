"""Equity: at each decision point, how often it happens to each group compared with a reference
group (the relative rate index, RRI) with its 95% interval, flagged where the interval
excludes 1.

Decision points follow the funnel: eligible (of contacts), offered services (of the eligible),
accepted the offer (of those offered), engaged in a service (of those who accepted), completed
(of those engaged); and diverted rather than arrested (of the contacts that ended in either).
Groups are by race and ethnicity, sex or age band at the contact. All sections are suppressed
together, since one section's events are the next one's base."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import duckdb

from pathways.linkage.thresholds import LOOSE, MAIN, STRICT
from pathways.outcomes.equity import RelativeRate, rate_ratio, relative_rate
from pathways.outcomes.extract import at_threshold
from pathways.outcomes.filters import ReportFilters
from pathways.outcomes.models import PopulationFigures
from pathways.outcomes.reports.common import publish, rate
from pathways.outcomes.reports.linkage import (
    Headline,
    LinkageState,
    linkage_method,
    linkage_section,
    linkage_state,
)
from pathways.outcomes.selectors import population_figures
from pathways.outcomes.suppression import Line
from pathways.outcomes.tables import (
    Column,
    ForestPlot,
    Interval,
    Kind,
    Report,
    Row,
    Section,
    Table,
    Value,
    text,
)
from pathways.people.models import Race, Sex

_ENGAGED = "provider_accepted_at IS NOT NULL AND engaged_at IS NOT NULL"


@dataclass(frozen=True)
class Decision:
    code: str
    label: str
    base: str  # the stage counted from
    event: str  # the stage reached


#: Stages as cumulative conditions on encounter_facts.
STAGES: dict[str, str] = {
    "contacts": "TRUE",
    "eligible": "eligible",
    "offered": "eligible AND offered",
    "accepted": "eligible AND offered AND accepted",
    "engaged": f"eligible AND offered AND accepted AND {_ENGAGED}",
    "completed": f"eligible AND offered AND accepted AND {_ENGAGED} AND completed_at IS NOT NULL",
    "diversion_base": "arrested OR offered",
    "diverted": "offered",
}


def linked_cells(groups: list[str]) -> list[tuple[tuple[str, str], ...]]:
    """Cells of different sections a reader can take one from the other, hidden together:
    "Diverted" (contacts offered services, eligible or not) and "Offered" (the eligible ones
    offered) are the same count wherever no ineligible person was offered services, so a
    diverted count shown beside a hidden offered count would give it away."""
    return [(("offered", g), ("diverted", g)) for g in [*groups, "all"]]


#: The stage imported arrests are counted in.
IMPORTED_BASE = "diversion_base"

DECISIONS: tuple[Decision, ...] = (
    Decision("eligible", "Found eligible", "contacts", "eligible"),
    Decision("offered", "Offered services", "eligible", "offered"),
    Decision("accepted", "Accepted the offer", "offered", "accepted"),
    Decision("engaged", "Engaged in a service", "accepted", "engaged"),
    Decision("completed", "Completed the service", "engaged", "completed"),
    Decision("diverted", "Diverted rather than arrested", "diversion_base", "diverted"),
)


AGE_BANDS = ("under 18", "18-25", "26-35", "36-45", "46-55", "56-65", "66+")


@dataclass(frozen=True)
class Dimension:
    code: str  # the encounter_facts column
    label: str
    groups: tuple[tuple[str, str], ...]  # (value, label) in display order
    default_reference: str


DIMENSIONS: dict[str, Dimension] = {
    d.code: d
    for d in (
        Dimension(
            "race_group",
            "Race and ethnicity",
            (
                ("white", "White (not Hispanic)"),
                ("black", "Black or African American (not Hispanic)"),
                ("hispanic", "Hispanic or Latino (any race)"),
                ("asian", "Asian (not Hispanic)"),
                ("american_indian", "American Indian or Alaska Native (not Hispanic)"),
                ("pacific_islander", "Native Hawaiian or Pacific Islander (not Hispanic)"),
                ("mena", "Middle Eastern or North African (not Hispanic)"),
                ("multiple", "Two or more races (not Hispanic)"),
                ("unknown", "Not recorded or declined"),
            ),
            Race.WHITE.value,
        ),
        Dimension(
            "sex",
            "Sex",
            tuple((value, str(label)) for value, label in Sex.choices),
            Sex.MALE.value,
        ),
        Dimension(
            "age_band",
            "Age at contact",
            (
                *((band, band) for band in AGE_BANDS),
                ("unknown", "Not recorded"),
            ),
            "26-35",
        ),
    )
}


@dataclass
class GroupCounts:
    groups: list[str]  # present, in display order
    counts: dict[tuple[str, str], int]  # (stage, group or "all") -> contacts


def group_counts(
    db: duckdb.DuckDBPyConnection,
    f: ReportFilters,
    dimension: Dimension,
    *,
    threshold: str = MAIN,
) -> GroupCounts:
    """Contacts and imported arrests at each stage, by group; the imported arrests counted
    and grouped as record linkage links them at `threshold` (pathways.linkage.thresholds)."""
    return with_imported_arrests(
        db, f, dimension, contact_counts(db, f, dimension), threshold=threshold
    )


def contact_counts(
    db: duckdb.DuckDBPyConnection, f: ReportFilters, dimension: Dimension
) -> GroupCounts:
    """The contacts at each stage, by group (no imported arrests)."""
    where, params = f.where()
    columns = ", ".join(
        f"count(*) FILTER (WHERE {condition}) AS {stage}" for stage, condition in STAGES.items()
    )
    sql = (
        f"SELECT coalesce({dimension.code}, 'all'), {columns} FROM encounter_facts "  # noqa: S608
        f"WHERE {where} GROUP BY GROUPING SETS (({dimension.code}), ())"
    )
    counts: dict[tuple[str, str], int] = {(stage, "all"): 0 for stage in STAGES}
    present = set()
    for row in db.execute(sql, params).fetchall():
        group = str(row[0])
        if group != "all":
            present.add(group)
        for n, stage in enumerate(STAGES):
            counts[(stage, group)] = int(row[1 + n])
    return GroupCounts(_in_order(dimension, present), counts)


def _in_order(dimension: Dimension, present: set[str]) -> list[str]:
    order = [value for value, _ in dimension.groups]
    return [g for g in order if g in present] + sorted(present - set(order))


def with_imported_arrests(
    db: duckdb.DuckDBPyConnection,
    f: ReportFilters,
    dimension: Dimension,
    contacts: GroupCounts,
    *,
    threshold: str = MAIN,
) -> GroupCounts:
    """The contacts' counts with the imported arrests joining the diversion base: counted
    (not the same arrest as one recorded before it, for the same cluster person) and grouped
    by the person linked at `threshold`, else by the record's own groups."""
    where, params = f.where()
    counts = dict(contacts.counts)
    present = set(contacts.groups)
    group_column = at_threshold(dimension.code, threshold)
    counted = at_threshold("counted", threshold)
    # imported arrests (misdemeanour or violation, not the same arrest as one at a contact)
    # join the contacts that ended in arrest; they have no pathway, so a pathway filter
    # leaves them out
    arrests = (
        f"SELECT coalesce({group_column}, 'all'), count(*) FROM arrest_facts "  # noqa: S608
        f"WHERE {where} AND {counted} AND divertible "
        f"GROUP BY GROUPING SETS (({group_column}), ())"
    )
    for group, number in db.execute(arrests, params).fetchall():
        if group != "all" and group not in present:
            present.add(group)
            counts.update({(stage, group): 0 for stage in STAGES})
        counts[(IMPORTED_BASE, group)] += int(number)
    return GroupCounts(_in_order(dimension, present), counts)


def build(
    db: duckdb.DuckDBPyConnection, f: ReportFilters, *, as_of: dt.datetime, suppress_small: bool
) -> Report:
    dimension = DIMENSIONS[f.compare]
    reference = f.reference or dimension.default_reference
    contacts = contact_counts(db, f, dimension)
    raw = with_imported_arrests(db, f, dimension, contacts)
    labels = dict(dimension.groups)
    groups = raw.groups
    published = _published(raw, suppress_small=suppress_small)

    sections = []
    flagged_any: list[str] = []
    figures = population_figures(program_id=f.program_id, dimension=dimension.code)
    sections.append(
        _contact_section(raw, published, dimension, labels, reference, figures, flagged_any)
    )
    for decision in DECISIONS:
        rows = []
        intervals = []
        ref_events = raw.counts.get((decision.event, reference), 0)
        ref_base = raw.counts.get((decision.base, reference), 0)
        for group in [*groups, "all"]:
            base = published[(decision.base, group)]
            events = published[(decision.event, group)]
            share = rate(events, base)
            label = "All groups" if group == "all" else labels.get(group, group)
            if group == "all":
                rows.append(Row(label, [base, events, share, *_blank(3)], key=group))
                continue
            if group == reference:
                rows.append(
                    Row(
                        f"{label} (reference)",
                        [base, events, share, Value(1.0, Kind.RATIO), *_blank(2)],
                        key=group,
                    )
                )
                intervals.append(
                    Interval(f"{label} (reference)", Value(1.0, Kind.RATIO), None, None)
                )
                continue
            result = relative_rate(
                raw.counts[(decision.event, group)],
                raw.counts[(decision.base, group)],
                ref_events,
                ref_base,
            )
            hidden = (
                base.hidden
                or events.hidden
                or published.get((decision.event, reference), Value(0)).hidden
                or published.get((decision.base, reference), Value(0)).hidden
            )
            rri, low, high = _ratio_values(result, hidden)
            flagged = result.flagged and not hidden
            if flagged:
                flagged_any.append(f"{decision.label}: {label}")
            rows.append(Row(label, [base, events, share, rri, low, high], flagged, key=group))
            intervals.append(Interval(label, rri, low.shown, high.shown, flagged=flagged))
        table = Table(
            f"{decision.label}, by {dimension.label.lower()}",
            [
                Column(dimension.label, Kind.TEXT),
                Column(_stage_label(decision.base)),
                Column(_stage_label(decision.event)),
                Column("Rate", Kind.PERCENT),
                Column("Relative rate (RRI)", Kind.RATIO),
                Column("95% low", Kind.RATIO),
                Column("95% high", Kind.RATIO),
            ],
            rows,
        )
        chart = ForestPlot(f"{decision.label}: relative rate with its 95% interval", intervals)
        sections.append(Section(decision.label, table, chart, intro=_intro(decision)))
    summary = Table(
        "Differences the data support",
        [Column("Decision point and group", Kind.TEXT)],
        [Row(item, [], flagged=True) for item in flagged_any]
        or [Row("No relative rate's interval excludes 1 in this selection.", [])],
    )
    sections.insert(
        0, Section("Flagged", summary, intro=_summary_intro(dimension, labels, reference))
    )
    state = linkage_state(db, f.program_id)
    linkage = _linkage(
        db, f, dimension, contacts, raw, published, state, suppress_small=suppress_small
    )
    if linkage is not None:
        sections.append(linkage)
    return Report(
        slug="equity",
        title="Equity",
        filters=[
            *f.described(),
            ("Compared by", dimension.label),
            ("Reference group", labels.get(reference, reference)),
        ],
        as_of=as_of,
        time_zone=f.time_zone,
        sections=sections,
        method=[*METHOD, linkage_method(state, COUNTED_BY_CLUSTER)],
        suppressed=suppress_small,
    )


def _published(raw: GroupCounts, *, suppress_small: bool) -> dict[Any, Value]:
    """The counts as published: one suppression over every section, since each decision's
    events are the next one's base."""
    groups = raw.groups
    values: dict[Any, int] = dict(raw.counts)
    lines: list[Line] = []
    for decision in DECISIONS:
        for group in [*groups, "all"]:
            lost = (f"lost:{decision.code}", group)
            values[lost] = values[(decision.base, group)] - values[(decision.event, group)]
            lines.append(Line(((decision.event, group), lost), (decision.base, group)))
    for stage in STAGES:
        lines.append(Line(tuple((stage, g) for g in groups), (stage, "all")))
    return publish(values, lines, suppress_small=suppress_small, linked=linked_cells(groups))


def _linkage(
    db: duckdb.DuckDBPyConnection,
    f: ReportFilters,
    dimension: Dimension,
    contacts: GroupCounts,
    raw: GroupCounts,
    published: dict[Any, Value],
    state: LinkageState,
    *,
    suppress_small: bool,
) -> Section | None:
    """The record linkage section: the diversion figures again with the imported arrests
    linked at the stricter and looser thresholds, each suppressed as the report's own are."""
    headlines: list[Headline] = []
    if state.linked:
        at = {MAIN: (raw, published)}
        for threshold in (STRICT, LOOSE):
            other = with_imported_arrests(db, f, dimension, contacts, threshold=threshold)
            at[threshold] = (other, _published(other, suppress_small=suppress_small))
        groups = list(raw.groups)
        groups += [g for t in (STRICT, LOOSE) for g in at[t][0].groups if g not in groups]
        labels = dict(dimension.groups)
        missing = Value(0)
        headlines.append(
            Headline(
                "diversion_base:all",
                "Diverted or arrested (contacts, and imported arrests): all groups",
                {t: p.get((IMPORTED_BASE, "all"), missing) for t, (_, p) in at.items()},
            )
        )
        for group in ["all", *groups]:
            label = "all groups" if group == "all" else labels.get(group, group)
            headlines.append(
                Headline(
                    f"diverted:{group}",
                    f"Diverted rather than arrested (rate): {label}",
                    {
                        t: rate(
                            p.get(("diverted", group), missing),
                            p.get((IMPORTED_BASE, group), missing),
                        )
                        for t, (_, p) in at.items()
                    },
                )
            )
    return linkage_section(
        state, headlines, suppress_small=suppress_small, counted=COUNTED_BY_CLUSTER
    )


COUNTED_BY_CLUSTER = (
    "An imported arrest counts for the person its number links it to, else the person the "
    "record linkage model puts it with (at the main threshold), and is grouped by that "
    "person's race, ethnicity, sex and age; it is the same arrest as one recorded within a "
    "day before it (at a contact or imported) of any record of the same person, so a person "
    "recorded more than once is not counted as two arrests."
)


def _ratio_values(result: RelativeRate, hidden: bool) -> tuple[Value, Value, Value]:
    """The index and its interval as Values, hidden with the counts behind them."""
    rri = Value(result.rri, Kind.RATIO, hidden=hidden and result.rri is not None)
    low = Value(result.low, Kind.RATIO, hidden=hidden and result.low is not None)
    high = Value(result.high, Kind.RATIO, hidden=hidden and result.high is not None)
    if result.rri is None and not hidden:
        rri = Value(None, Kind.RATIO, text="–")
    return rri, low, high


CONTACT_LABEL = "Contacts per 1,000 residents"


def _contact_section(
    raw: GroupCounts,
    published: dict[Any, Value],
    dimension: Dimension,
    labels: dict[str, str],
    reference: str,
    figures: PopulationFigures | None,
    flagged_any: list[str],
) -> Section:
    """The first decision point: who comes into contact at all, per resident of each group
    (from the coordinator's population figures), against the reference group."""
    columns = [
        Column(dimension.label, Kind.TEXT),
        Column("Residents"),
        Column("Contacts"),
        Column("Per 1,000 residents", Kind.RATIO),
        Column("Rate ratio", Kind.RATIO),
        Column("95% low", Kind.RATIO),
        Column("95% high", Kind.RATIO),
    ]
    title = f"{CONTACT_LABEL}, by {dimension.label.lower()}"
    if figures is None:
        message = (
            f"No population figures by {dimension.label.lower()} yet: the program office "
            "enters them (Reports, Population figures) to compare contact rates."
        )
        table = Table(title, [Column(dimension.label, Kind.TEXT)], [Row(message, [], key="none")])
        return Section(CONTACT_LABEL, table, intro=CONTACT_INTRO)
    residents: dict[str, int] = {g: int(n) for g, n in figures.residents.items()}
    groups = [g for g, _ in dimension.groups if g in residents or g in raw.groups]
    groups = [g for g in groups if g != "unknown"]
    ref_events = raw.counts.get(("contacts", reference), 0)
    ref_residents = residents.get(reference, 0)
    ref_hidden = published.get(("contacts", reference), Value(0)).hidden
    rows: list[Row] = []
    intervals: list[Interval] = []
    for group in groups:
        label = labels.get(group, group)
        people = residents.get(group)
        events = published.get(("contacts", group), Value(0))
        resident_value = Value(people, Kind.COUNT) if people is not None else text("–")
        per = _per_thousand(events, people)
        if group == reference:
            one = Value(1.0, Kind.RATIO) if people else Value(None, Kind.RATIO, text="–")
            rows.append(
                Row(
                    f"{label} (reference)",
                    [resident_value, events, per, one, *_blank(2)],
                    key=group,
                )
            )
            intervals.append(Interval(f"{label} (reference)", one, None, None))
            continue
        result = rate_ratio(
            raw.counts.get(("contacts", group), 0), people or 0, ref_events, ref_residents
        )
        ratio, low, high = _ratio_values(result, events.hidden or ref_hidden)
        flagged = result.flagged and not (events.hidden or ref_hidden)
        if flagged:
            flagged_any.append(f"{CONTACT_LABEL}: {label}")
        rows.append(Row(label, [resident_value, events, per, ratio, low, high], flagged, key=group))
        intervals.append(Interval(label, ratio, low.shown, high.shown, flagged=flagged))
    total = sum(residents.values())
    everyone = published[("contacts", "all")]
    rows.append(
        Row(
            "All groups",
            [Value(total, Kind.COUNT), everyone, _per_thousand(everyone, total), *_blank(3)],
            key="all",
        )
    )
    table = Table(
        title,
        columns,
        rows,
        notes=[f"Residents: {figures.source}, {figures.year}."],
    )
    chart = ForestPlot(f"{CONTACT_LABEL}: rate ratio with its 95% interval", intervals)
    return Section(CONTACT_LABEL, table, chart, intro=CONTACT_INTRO)


def _per_thousand(contacts: Value, residents: int | None) -> Value:
    if contacts.hidden:
        return Value(None, Kind.RATIO, hidden=True)
    if not residents:
        return Value(None, Kind.RATIO)
    return Value(1000 * (contacts.number or 0) / residents, Kind.RATIO)


CONTACT_INTRO = (
    "Who comes into contact with the program at all: contacts in the date range per 1,000 "
    "residents of each group, from the population figures the program office entered. A person "
    "with several contacts counts at each."
)


def _blank(n: int) -> list[Value]:
    return [text("") for _ in range(n)]


STAGE_LABELS = {
    "contacts": "Contacts",
    "eligible": "Eligible",
    "offered": "Offered",
    "accepted": "Accepted",
    "engaged": "Engaged",
    "completed": "Completed",
    "diversion_base": "Diverted or arrested",
    "diverted": "Diverted",
}


def _stage_label(stage: str) -> str:
    return STAGE_LABELS[stage]


def _intro(decision: Decision) -> str:
    return (
        f"Rate: of the contacts counted in the column {_stage_label(decision.base)!r}, the share "
        f"counted in {_stage_label(decision.event)!r}, in each group."
    )


def _summary_intro(dimension: Dimension, labels: dict[str, str], reference: str) -> str:
    return (
        f"Groups by {dimension.label.lower()} compared with "
        f"{labels.get(reference, reference)}: a relative rate below 1 means the decision "
        "happens less often to the group, above 1 more often. Flagged: the 95% interval "
        "excludes 1."
    )


METHOD = [
    "Counted from the records: contacts in the date range, grouped by the person's "
    "self-identified race and ethnicity (Hispanic or Latino of any race is one group; the "
    "others are not Hispanic), sex, or age band at the contact. A person with several contacts "
    "counts at each.",
    "At each decision point the rate is the number of contacts reaching it divided by the "
    "number at the step before. The relative rate index (RRI) is a group's rate divided by the "
    "reference group's; its 95% confidence interval uses Katz's log method: the standard error "
    "of ln(RRI) is the square root of 1/a - 1/n1 + 1/b - 1/n2. A flag means the interval "
    "excludes 1; it shows a difference the data support, not its cause.",
    "Diverted rather than arrested counts contacts that ended in an offer of services against "
    "arrests: contacts that ended in arrest, and the misdemeanour and violation arrests in the "
    "arrest records the program office imported (felony arrests are left out, as pre-arrest "
    "diversion does not stand in for them; so are records of an arrest already counted, within "
    "a day of it). An imported arrest is grouped by the linked person's race, ethnicity, sex and "
    "age, or by the record's own when it is not linked. Imported arrests have no pathway: with "
    "a pathway filter, only arrests at contacts count.",
    "Contacts per 1,000 residents: the contacts in the date range divided by the residents "
    "of each group in the population figures the program office entered (with their source "
    "and year, shown under the table). The rate ratio is a group's rate divided by the "
    "reference group's; as contacts are counted events, its 95% interval treats them as "
    "Poisson counts: the standard error of ln(ratio) is the square root of 1/a + 1/b. The "
    "length of the date range is the same for every group and cancels out.",
    "Where a group's counts are suppressed (1 to 10), its relative rate and interval are not "
    "shown either. Where everyone in a group reached the decision point, 0.5 is added to each "
    "count for the interval (Haldane-Anscombe), so it is not too narrow.",
]
