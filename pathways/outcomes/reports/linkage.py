"""The "Record linkage" section the outcomes and equity reports end with: how many records
each linkage route linked, how many people's records are of someone recorded more than once,
and the report's headline figures at the stricter and looser thresholds beside the main one
(pathways.linkage.thresholds; docs/decisions/0033-record-linkage.md).

The linkage counts come from the extract's `linkage_figures`, taken with the rest of the
extract, so a report's figures and its linkage counts are of the same moment."""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field

import duckdb

from pathways.linkage.selectors import LINKED, NEVER_RUN, NOT_REBUILT
from pathways.linkage.thresholds import LOOSE, MAIN, STRICT, THRESHOLDS, link_threshold
from pathways.outcomes.reports.common import publish
from pathways.outcomes.tables import Column, Kind, Row, Section, Table, Value

HEADING = "Record linkage"


@dataclass(frozen=True)
class Linked:
    """What record linkage links at one threshold, over all the program's records."""

    probability: float
    arrests: int
    by_number: int
    by_model: int
    recorded_more_than_once: int
    counted_as: int


@dataclass(frozen=True)
class LinkageState:
    #: NEVER_RUN, NOT_REBUILT or LINKED (pathways.linkage.selectors)
    state: str
    thresholds: dict[str, Linked] = field(default_factory=dict)

    @property
    def linked(self) -> bool:
        return self.state == LINKED


def linkage_state(db: duckdb.DuckDBPyConnection, program_id: object) -> LinkageState:
    """The program's record linkage as the extract has it."""
    try:
        rows = db.execute(
            "SELECT state, threshold, probability, arrests, by_number, by_model, "
            "recorded_more_than_once, counted_as FROM linkage_figures WHERE program_id = $p",
            {"p": str(program_id)},
        ).fetchall()
    except duckdb.CatalogException:  # an extract from before linkage was copied
        return LinkageState(NEVER_RUN)
    if not rows:
        return LinkageState(NEVER_RUN)
    if rows[0][0] != LINKED:
        return LinkageState(str(rows[0][0]))
    return LinkageState(
        LINKED,
        {
            str(threshold): Linked(float(p), *(int(n) for n in counts))
            for _, threshold, p, *counts in rows
        },
    )


@dataclass(frozen=True)
class Headline:
    """One of a report's headline figures, at each threshold."""

    key: str
    label: str
    values: Mapping[str, Value]


#: (key, label) of the linkage counts, in the order shown.
ROUTES: tuple[tuple[str, str], ...] = (
    ("by_number", "Imported arrest records linked by the number recorded in Pathways"),
    ("by_model", "Imported arrest records linked by the record linkage model only"),
    (
        "recorded_more_than_once",
        "Records in Pathways of people recorded more than once",
    ),
    ("counted_as", "People those records are counted as (each once)"),
)


def _column(threshold: str) -> str:
    name = {STRICT: "Stricter", MAIN: "As reported", LOOSE: "Looser"}[threshold]
    return f"{name} ({link_threshold(threshold):.2f})"


def linkage_method(state: LinkageState, counted: str) -> str:
    """The method paragraph on record linkage; `counted` says, in a sentence, what the report
    counts by cluster. Where the program's clusters are not there, it says so and the report
    is as it was without linkage."""
    if state.state == NOT_REBUILT:
        return (
            "Record linkage: the program's linkage clusters were built before figures at a "
            "stricter and a looser threshold were kept; they are rebuilt at the next linkage "
            "run or decision (Program office: Record linkage). Until then each person's "
            "record in Pathways is counted as a person, and imported arrests under the "
            "person their number, or the model, links them to."
        )
    if not state.linked:
        return (
            "Record linkage: this program has not run record linkage (Program office: Record "
            "linkage), so each person's record in Pathways is counted as a person, and an "
            "imported arrest counts under the person whose number it carries. A person "
            "recorded twice counts twice."
        )
    return (
        f"Record linkage: {counted} The section Record linkage says how many records each "
        "route linked and gives the headline figures at a stricter and a looser threshold."
    )


def linkage_section(
    state: LinkageState,
    headlines: Sequence[Headline],
    *,
    suppress_small: bool,
    counted: str,
) -> Section | None:
    """The section (none unless the program's clusters are built: linkage_method says so);
    `counted` says, in a sentence, what this report counts by cluster."""
    if not state.linked:
        return None
    values: dict[Hashable, int] = {
        (key, threshold): int(getattr(state.thresholds[threshold], key))
        for key, _ in ROUTES
        for threshold in THRESHOLDS
        if threshold in state.thresholds
    }
    published = publish(values, [], suppress_small=suppress_small)
    rows = [
        Row(
            label,
            [published.get((key, t), Value(None)) for t in THRESHOLDS],
            key=key,
        )
        for key, label in ROUTES
    ]
    rows += [
        Row(h.label, [h.values.get(t, Value(None)) for t in THRESHOLDS], key=h.key)
        for h in headlines
    ]
    main = link_threshold(MAIN)
    notes = [
        "The linkage counts are over all the program's records, whatever the filters; the "
        "figures below them are this report's, with its filters.",
        f"The other sections use the clusters at {main:.2f} (the middle column).",
    ]
    table = Table(
        "Records linked, and this report's figures at each threshold",
        [Column("Figure", Kind.TEXT), *(Column(_column(t)) for t in THRESHOLDS)],
        rows,
        notes,
    )
    intro = (
        "Record linkage puts the records of one person together: people in Pathways, and "
        "imported arrest records, linked by the number recorded in Pathways or by the "
        f"program's record linkage model when their match probability is {main:.2f} or more "
        f"(or a reviewer said they are the same person). {counted} Beside each figure, the "
        f"same at a stricter threshold (pairs at {link_threshold(STRICT):.2f} or more) and a "
        f"looser one ({link_threshold(LOOSE):.2f} or more, pairs still waiting for review "
        "included): how far the figures depend on where the line is drawn. Reviewers' "
        "decisions and number links hold at every threshold."
    )
    return Section(HEADING, table, intro=intro)
