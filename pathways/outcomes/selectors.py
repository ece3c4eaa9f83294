"""Program-level counts for the coordinator's home page. Read-only."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Count

from pathways.encounters.models import Encounter
from pathways.programs.models import Pathway, Program
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


def program_pipeline(program: Program) -> Pipeline:
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
