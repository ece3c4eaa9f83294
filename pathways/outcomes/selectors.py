"""Program-level counts for the program's home page. Read-only.

The program office (coordinator, admin) sees the pipeline live and exact. Everyone else sees it
as of the last refresh of the analytics extract, suppressed and rounded (decision 0016): a live
count lets a viewer watch one intake happen (200, then 201)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Max

from pathways.encounters.models import Encounter
from pathways.outcomes import extract
from pathways.outcomes.models import CostSettings, PopulationFigures
from pathways.outcomes.suppression import Line, rounded, suppress, table_lines
from pathways.programs.models import Pathway, PathwayConfig, Program, ProgramPathway
from pathways.referrals.models import Referral, ReferralStatus


@dataclass
class PathwayRow:
    pathway: Pathway
    enabled: bool
    encounters: int = 0
    referrals: int = 0
    by_status: dict[str, int] = field(default_factory=dict)

    @property
    def status_cells(self) -> list[int]:
        return [self.by_status.get(s, 0) for s in ReferralStatus.values]


@dataclass
class Pipeline:
    rows: list[PathwayRow]
    statuses: list[tuple[str, str]]

    @property
    def total_encounters(self) -> int:
        return sum(r.encounters for r in self.rows)

    @property
    def total_referrals(self) -> int:
        return sum(r.referrals for r in self.rows)

    @property
    def status_totals(self) -> list[int]:
        return [sum(r.by_status.get(s, 0) for r in self.rows) for s in ReferralStatus.values]

    @property
    def max_encounters(self) -> int:
        return max([r.encounters for r in self.rows] + [1])


def program_pipeline(*, program: Program) -> Pipeline:
    """Encounters and referrals by pathway, and referrals by current status."""
    enabled = set(
        program.program_pathways.filter(is_enabled=True).values_list("pathway_id", flat=True)
    )
    rows = {p.pk: PathwayRow(p, p.pk in enabled) for p in Pathway.objects.order_by("display_order")}
    active_encounters = Encounter.objects.filter(program=program, archived_at__isnull=True)
    for row in active_encounters.values("pathway_id").annotate(n=Count("id")).order_by():
        rows[row["pathway_id"]].encounters = row["n"]
    referral_counts = (
        Referral.objects.filter(encounter__program=program, archived_at__isnull=True)
        .values("encounter__pathway_id", "status")
        .annotate(n=Count("id"))
        .order_by()
    )
    for row in referral_counts:
        target = rows[row["encounter__pathway_id"]]
        target.by_status[row["status"]] = row["n"]
        target.referrals += row["n"]
    return Pipeline(list(rows.values()), list(ReferralStatus.choices))


def extract_pipeline(*, program: Program) -> Pipeline:
    """The same counts as `program_pipeline`, from the analytics extract as of its last refresh
    (for viewers outside the program office), not from the live records."""
    enabled = set(
        program.program_pathways.filter(is_enabled=True).values_list("pathway_id", flat=True)
    )
    rows = {p.pk: PathwayRow(p, p.pk in enabled) for p in Pathway.objects.order_by("display_order")}
    by_id = {str(pk): row for pk, row in rows.items()}

    def read(db: Any) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
        params = {"program": str(program.pk)}
        encounters = db.execute(
            "SELECT CAST(pathway_id AS VARCHAR), count(*) FROM encounters "
            "WHERE program_id = $program AND archived_at IS NULL GROUP BY ALL",
            params,
        ).fetchall()
        referrals = db.execute(
            "SELECT CAST(e.pathway_id AS VARCHAR), r.status, count(*) FROM referrals r "
            "JOIN encounters e USING (encounter_id) "
            "WHERE e.program_id = $program AND r.archived_at IS NULL GROUP BY ALL",
            params,
        ).fetchall()
        return encounters, referrals

    counted = extract.remembered(f"pipeline:{program.pk}", read) or ([], [])
    for pathway_id, n in counted[0]:
        if pathway_id in by_id:
            by_id[pathway_id].encounters = int(n)
    for pathway_id, status, n in counted[1]:
        if pathway_id in by_id:
            target = by_id[pathway_id]
            target.by_status[str(status)] = target.by_status.get(str(status), 0) + int(n)
            target.referrals += int(n)
    return Pipeline(list(rows.values()), list(ReferralStatus.choices))


@dataclass(frozen=True)
class Shown:
    """One published count: its value, or hidden (small-cell suppression)."""

    value: int
    hidden: bool = False


@dataclass
class PublishedRow:
    row: PathwayRow
    encounters: Shown
    referrals: Shown
    cells: list[Shown]


@dataclass
class PublishedPipeline:
    rows: list[PublishedRow]
    total_encounters: Shown
    total_referrals: Shown
    status_totals: list[Shown]
    suppressed: bool

    @property
    def max_encounters(self) -> int:
        """The longest bar's count, from the counts as published (a bar's length must not
        give a rounded or hidden count away)."""
        return max([r.encounters.value for r in self.rows if not r.encounters.hidden] + [1])

    @property
    def any_hidden(self) -> bool:
        return any(
            c.hidden
            for c in (
                self.total_encounters,
                self.total_referrals,
                *self.status_totals,
                *(x for r in self.rows for x in (r.encounters, r.referrals, *r.cells)),
            )
        )


def published_pipeline(*, pipeline: Pipeline, suppress_small: bool) -> PublishedPipeline:
    """The pipeline as a viewer may see it. Outside the program office (for researchers and
    prosecutors) counts of 1-10, and the cells that would reveal them, are hidden
    (outcomes.suppression): the referrals by status table with its margins, and the encounters
    by pathway with their total; and the counts shown are rounded to the nearest ten, so two
    views a refresh apart do not show one new contact."""
    statuses = list(ReferralStatus.values)
    values: dict[Any, int] = {}
    for row in pipeline.rows:
        code = row.pathway.code
        values[("enc", code)] = row.encounters
        values[(code, "total")] = row.referrals
        for status in statuses:
            values[(code, status)] = row.by_status.get(status, 0)
    values[("enc", "total")] = pipeline.total_encounters
    values[("total", "total")] = pipeline.total_referrals
    for status, total in zip(statuses, pipeline.status_totals, strict=True):
        values[("total", status)] = total
    codes = [row.pathway.code for row in pipeline.rows]
    lines = [
        *table_lines(codes, statuses),
        Line(tuple(("enc", c) for c in codes), ("enc", "total")),
    ]
    hidden = suppress(values, lines) if suppress_small else set()

    def shown(cell: Any) -> Shown:
        if cell in hidden:
            return Shown(values[cell], True)
        return Shown(rounded(values[cell]) if suppress_small else values[cell])

    return PublishedPipeline(
        rows=[
            PublishedRow(
                row,
                shown(("enc", row.pathway.code)),
                shown((row.pathway.code, "total")),
                [shown((row.pathway.code, s)) for s in statuses],
            )
            for row in pipeline.rows
        ],
        total_encounters=shown(("enc", "total")),
        total_referrals=shown(("total", "total")),
        status_totals=[shown(("total", s)) for s in statuses],
        suppressed=suppress_small,
    )


def report_areas(*, program: Program) -> list[str]:
    """The areas (beats, districts, ZIP codes) the program's contacts were recorded in, from the
    analytics extract (read once per refresh): the choices of the reports' area filter."""

    def read(db: Any) -> list[str]:
        rows = db.execute(
            "SELECT DISTINCT area FROM encounters WHERE program_id = $program AND area <> '' "
            "ORDER BY area",
            {"program": str(program.pk)},
        ).fetchall()
        return [str(r[0]) for r in rows]

    return extract.remembered(f"areas:{program.pk}", read) or []


#: The contact rows behind every report's figures: what each contact reached, so any count can
#: be traced to the contacts it counts (program office only; no names).
ROW_COLUMNS: tuple[tuple[str, str], ...] = (
    ("encounter_id", "Contact id"),
    ("occurred_at", "Contact time (UTC)"),
    ("pathway", "Pathway"),
    ("agency", "Agency"),
    ("area", "Area"),
    ("disposition", "Disposition"),
    ("race_group", "Race and ethnicity group"),
    ("sex", "Sex"),
    ("age_band", "Age band"),
    ("eligible", "Eligible"),
    ("offered", "Offered"),
    ("accepted", "Accepted"),
    ("first_sent_at", "First referral sent (UTC)"),
    ("provider_accepted_at", "Provider accepted (UTC)"),
    ("intake_at", "Intake (UTC)"),
    ("engaged_at", "Engaged (UTC)"),
    ("completed_at", "Completed (UTC)"),
    ("retained_30", "In service at 30 days"),
    ("retained_90", "In service at 90 days"),
)


def rows_behind(*, db: Any, filters: Any) -> tuple[list[str], list[tuple[Any, ...]]]:
    """The contacts in the report's filter, one row each, from the analytics extract."""
    where, params = filters.where("e")
    names = ", ".join(f"e.{c}" if c != "agency" else "a.name" for c, _ in ROW_COLUMNS)
    rows = db.execute(
        f"SELECT {names} FROM encounter_facts e JOIN agencies a USING (agency_id) "  # noqa: S608
        f"WHERE {where} ORDER BY e.occurred_at",
        params,
    ).fetchall()
    return [label for _, label in ROW_COLUMNS], rows


def population_figures(*, program_id: Any, dimension: str) -> PopulationFigures | None:
    """The program's residents by group for one grouping of the equity report, if entered."""
    return PopulationFigures.objects.filter(program_id=program_id, dimension=dimension).first()


def report_inputs_stamp(*, program_id: Any) -> str:
    """When the program last changed what its reports read besides the records: cost
    assumptions, population figures, its pathways' configuration (targets and deadlines).
    Part of a built report's cache key, so a change shows at once."""
    stamps = [
        CostSettings.objects.filter(program_id=program_id).aggregate(m=Max("updated_at"))["m"],
        PopulationFigures.objects.filter(program_id=program_id).aggregate(m=Max("updated_at"))["m"],
        ProgramPathway.objects.filter(program_id=program_id).aggregate(m=Max("updated_at"))["m"],
        PathwayConfig.objects.filter(program_pathway__program_id=program_id).aggregate(
            m=Max("created_at")
        )["m"],
    ]
    return "|".join("" if s is None else s.isoformat() for s in stamps)
