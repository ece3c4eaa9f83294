"""Writing an HSDS file into a program's directory: one service, one transaction. Nothing is
written when any problem is fatal; otherwise every organization, location and service of the
file is created or updated (found again by its HSDS id, so a re-import changes only what
changed), each write audited, and the warnings are reported row by row."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

from pathways.accounts.models import Agency
from pathways.accounts.services import agency_create
from pathways.audit.services import audit_log, created, save_and_audit, snapshot
from pathways.core import clock
from pathways.core.services import service
from pathways.directory.hsds.plan import LocationPlan, OrgPlan, Plan, ServicePlan, plan_import
from pathways.directory.hsds.reader import ParsedFile
from pathways.directory.hsds.validation import TABLES, Problem
from pathways.directory.models import HsdsId, Location, Service, ServiceHours
from pathways.directory.services import service_capacity_set

if TYPE_CHECKING:
    from pathways.accounts.models import User
    from pathways.programs.models import Program

AGENCY_FIELDS = ["name", "short_name", "kind", "description", "email", "website", "phone"]
LOCATION_FIELDS = [
    "organization",
    "name",
    "address_1",
    "city",
    "state_province",
    "postal_code",
    "latitude",
    "longitude",
    "archived_at",
]
SERVICE_FIELDS = [
    "organization",
    "name",
    "description",
    "service_type",
    "languages",
    "populations",
    "phone",
    "open_24_7",
    "accepts_walk_ins",
    "archived_at",
]


@dataclass
class ImportReport:
    file_kind: str
    applied: bool = False
    dry_run: bool = False
    problems: list[Problem] = field(default_factory=list)
    counts: dict[str, dict[str, int]] = field(default_factory=dict)

    @property
    def fatal(self) -> list[Problem]:
        return [p for p in self.problems if p.fatal]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if not p.fatal]

    def count(self, table: str, outcome: str) -> None:
        by_table = self.counts.setdefault(table, {})
        by_table[outcome] = by_table.get(outcome, 0) + 1

    def summary(self) -> str:
        parts = []
        for table in ("organization", "location", "service"):
            c = self.counts.get(table, {})
            if c:
                done = ", ".join(f"{n} {outcome}" for outcome, n in sorted(c.items()))
                parts.append(f"{table}s: {done}")
        return "; ".join(parts) or "nothing to import"


class _DryRun(Exception):
    pass


def _ordered(problems: list[Problem]) -> list[Problem]:
    order = {t: i for i, t in enumerate(TABLES)}
    return sorted(problems, key=lambda p: (not p.fatal, order.get(p.table, -1)))


def hsds_import(
    *, actor: User | None, program: Program, parsed: ParsedFile, dry_run: bool = False
) -> ImportReport:
    """Import a read HSDS file into `program` (see the module). With `dry_run`, everything is
    done and then rolled back: the report says what an import would do."""
    report = ImportReport(parsed.kind, dry_run=dry_run, problems=_ordered(parsed.problems))
    if parsed.fatal:
        return report
    plan = plan_import(parsed.tables)
    report.problems = _ordered([*parsed.problems, *plan.problems])
    if report.fatal:
        return report
    try:
        _apply(actor=actor, program=program, plan=plan, report=report, dry_run=dry_run)
    except _DryRun:
        return report
    report.applied = True
    return report


@service
def _apply(
    *, actor: User | None, program: Program, plan: Plan, report: ImportReport, dry_run: bool
) -> None:
    writer = _Writer(actor, program, report)
    for org in plan.organizations:
        writer.organization(org)
    for loc in plan.locations:
        writer.location(loc)
    for svc in plan.services:
        writer.service(svc)
    audit_log(
        actor=actor,
        event_type="directory.hsds_import",
        obj=program,
        changes={t: [None, c] for t, c in report.counts.items()},
    )
    if dry_run:
        raise _DryRun


class _Writer:
    def __init__(self, actor: User | None, program: Program, report: ImportReport) -> None:
        self.actor, self.program, self.report = actor, program, report
        self.known = {(m.table, m.hsds_id): m for m in HsdsId.objects.filter(program=program)}
        self.objects: dict[tuple[str, str], Any] = {}

    def _find(self, table: str, hsds_id: str, queryset: Any) -> Any:
        mapped = self.known.get((table, hsds_id))
        if mapped is not None:
            return queryset.filter(pk=mapped.object_id).first()
        try:
            own = uuid.UUID(hsds_id)
        except ValueError:
            return None  # an id that is no UUID names none of ours
        return queryset.filter(pk=own).first()  # a file this program exported

    def _remember(self, table: str, hsds_id: str, obj: Any) -> None:
        self.objects[table, hsds_id] = obj
        mapped = self.known.get((table, hsds_id))
        if mapped is not None and mapped.object_id == obj.pk:
            return
        HsdsId.objects.filter(table=table, object_id=obj.pk).delete()
        if mapped is not None:
            mapped.delete()
        row = HsdsId.objects.create(
            program=self.program, table=table, hsds_id=hsds_id, object_id=obj.pk
        )
        audit_log(
            actor=self.actor,
            event_type="directory.hsds_id_set",
            obj=row,
            changes=created(row, ["table", "hsds_id", "object_id"]),
        )

    def _save(self, table: str, obj: Any, old: dict[str, Any] | None, fields: list[str]) -> None:
        changed = save_and_audit(obj, actor=self.actor, old=old, fields=fields, event=table)
        self.report.count(
            table, "created" if old is None else "updated" if changed else "unchanged"
        )

    def organization(self, org: OrgPlan) -> None:
        agencies = Agency.objects.filter(program=self.program)
        agency = (
            self._find("organization", org.hsds_id, agencies)
            or agencies.filter(name__iexact=org.name).first()
        )
        new = agency is None
        if agency is None:
            agency = agency_create(
                actor=self.actor, program=self.program, name=org.name, kind=org.kind
            )
        old = snapshot(agency, AGENCY_FIELDS)
        agency.name, agency.kind = org.name, org.kind
        for name, value in org.fields.items():
            setattr(agency, name, value)
        changed = save_and_audit(
            agency, actor=self.actor, old=old, fields=AGENCY_FIELDS, event="agency"
        )
        outcome = "created" if new else "updated" if changed else "unchanged"
        self.report.count("organization", outcome)
        self._remember("organization", org.hsds_id, agency)

    def location(self, loc: LocationPlan) -> None:
        queryset = Location.objects.filter(organization__program=self.program)
        location = self._find("location", loc.hsds_id, queryset)
        old = None if location is None else snapshot(location, LOCATION_FIELDS)
        location = location or Location()
        location.organization = self.objects["organization", loc.org_id]
        location.archived_at = None
        for name, value in loc.fields.items():
            setattr(location, name, value)
        self._save("location", location, old, LOCATION_FIELDS)
        self._remember("location", loc.hsds_id, location)

    def service(self, svc: ServicePlan) -> None:
        queryset = Service.objects.filter(organization__program=self.program)
        found = self._find("service", svc.hsds_id, queryset)
        if not svc.active:
            if found is not None and found.archived_at is None:
                self._archive(found)
            return
        old = None if found is None else snapshot(found, SERVICE_FIELDS)
        item = found or Service()
        item.organization = self.objects["organization", svc.org_id]
        item.archived_at = None
        for name, value in svc.fields.items():
            setattr(item, name, value)
        self._save("service", item, old, SERVICE_FIELDS)
        self._remember("service", svc.hsds_id, item)
        self._links(item, svc)

    def _archive(self, item: Service) -> None:
        old = snapshot(item, ["archived_at", "archive_reason"])
        item.archived_at = clock.now()
        item.archived_by = self.actor if getattr(self.actor, "pk", None) else None
        item.archive_reason = "Not active in the imported HSDS file."
        save_and_audit(
            item,
            actor=self.actor,
            old=old,
            fields=["archived_at", "archive_reason"],
            event="service",
        )
        self.report.count("service", "archived")

    def _links(self, item: Service, svc: ServicePlan) -> None:
        wanted = {self.objects["location", lid].pk for lid in svc.location_ids}
        had = set(item.locations.values_list("pk", flat=True))
        if wanted != had:
            item.locations.set(wanted)
            audit_log(
                actor=self.actor,
                event_type="service.locations_set",
                obj=item,
                changes={"locations": [sorted(map(str, had)), sorted(map(str, wanted))]},
            )
        hours = sorted((h.weekday, h.opens_at, h.closes_at) for h in item.hours.all())
        if hours != svc.hours:
            item.hours.all().delete()
            ServiceHours.objects.bulk_create(
                ServiceHours(service=item, weekday=d, opens_at=o, closes_at=c)
                for d, o, c in svc.hours
            )
            audit_log(
                actor=self.actor,
                event_type="service.hours_set",
                obj=item,
                changes={"hours": [_hours_text(hours), _hours_text(svc.hours)]},
            )
        if svc.capacity and svc.capacity != (item.capacity_total, item.capacity_open):
            total, open_now = svc.capacity
            service_capacity_set(
                actor=cast("User", self.actor),  # None: a command on the server (audited so)
                service=item,
                capacity_open=open_now,
                capacity_total=total,
                reason="HSDS import",
            )


def _hours_text(hours: list[tuple[Any, Any, Any]]) -> list[str]:
    return [f"{d} {o:%H:%M}-{c:%H:%M}" for d, o, c in hours]
