"""Writes of imports: starting a job (the file waits on disk for the worker), running it, and
the records a job makes. docs/decisions/0032.

A job never half-applies a file. It reads the file twice, streaming: first every record is
checked (the NEMSIS XSD and our rules; the CAD mapping and each call), and a file with any
problem is refused with the problems by line and element or column, nothing written; then the
file is imported in one database transaction (chunks of `CHUNK` records, each chunk one
composite service whose audit events are inserted together), which commits whole or not at
all. Re-importing is harmless: a patient care report (eRecord.01, per EMS agency) and a call
(incident number, per program) are imported once; later copies are counted as repeated and
left as they are (the first import wins, amendments are not applied)."""

from __future__ import annotations

import datetime as dt
import logging
import os
import time
import uuid
import zoneinfo
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from pathways.accounts.models import Agency, AgencyKind, Role
from pathways.accounts.selectors import holds_role_in_program
from pathways.audit.services import audit_log, created
from pathways.core import clock
from pathways.core.deadlines import due_after_hours
from pathways.core.models import clean_fields_only
from pathways.core.services import service
from pathways.followups.models import WorkItem
from pathways.followups.services import work_item_open
from pathways.imports import cad, nemsis
from pathways.imports.models import (
    CadMapping,
    DispatchCall,
    EmsReport,
    ImportJob,
    ImportKind,
    ImportStatus,
)
from pathways.imports.problems import Problems
from pathways.linkage.models import RunReason
from pathways.linkage.services import linkage_run_queue
from pathways.programs.catalog import contact_deadline
from pathways.programs.models import PathwayCode, PathwayConfig, Program, ProgramPathway
from pathways.surveillance.models import AdministeredBy, OverdoseSource
from pathways.surveillance.services import OverdoseFacts, overdose_record

if TYPE_CHECKING:
    from pathways.accounts.models import User

logger = logging.getLogger(__name__)

IMPORT_ROLES = (Role.COORDINATOR, Role.ADMIN)
#: The agencies a file can come from (NEMSIS) or go to (CAD).
AGENCY_KINDS = {
    ImportKind.NEMSIS: (AgencyKind.EMS, AgencyKind.FIRE),
    ImportKind.CAD: (AgencyKind.COMMUNITY_RESPONSE,),
}
EXTENSIONS = {ImportKind.NEMSIS: (".xml",), ImportKind.CAD: (".csv", ".json")}
MAX_BYTES = 1024 * 1024 * 1024  # 1 GB: about 500,000 patient care reports
CHUNK = 500
#: How often a running job writes how far it has read (seconds).
PROGRESS_EVERY = 0.5

T = TypeVar("T")


def imports_dir() -> Path:
    path = Path(
        getattr(settings, "PATHWAYS_IMPORTS_DIR", "") or settings.BASE_DIR / "var" / "imports"
    )
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def may_import(actor: Any, program: Program) -> bool:
    """The program's coordinators and administrators import; nobody else, and nobody of
    another program."""
    return holds_role_in_program(user=actor, program=program, roles=IMPORT_ROLES)


def _require_importer(actor: Any, program: Program) -> None:
    if not may_import(actor, program):
        raise PermissionDenied("Only the program's coordinator or administrator imports files.")


def _agency(program: Program, kind: str, agency: Any) -> Agency:
    kinds = AGENCY_KINDS[ImportKind(kind)]
    found = (
        Agency.objects.active()
        .filter(program=program, kind__in=kinds, pk=getattr(agency, "pk", agency))
        .first()
        if agency is not None
        else None
    )
    if found is None:
        what = "EMS or fire agency" if kind == ImportKind.NEMSIS else "community response team"
        raise ValidationError({"agency": f"Choose the program's {what}."})
    return found


@service
def cad_mapping_save(*, actor: User, program: Program, text: str) -> CadMapping:
    """Set how the program's dispatch export names its columns (imports.cad has the format)."""
    _require_importer(actor, program)
    try:
        raw = cad.mapping_from_text(text)
    except ValueError as exc:
        raise ValidationError({"mapping": str(exc)}) from exc
    if errors := cad.mapping_problems(raw):
        raise ValidationError({"mapping": " ".join(errors.values())})
    current = CadMapping.objects.select_for_update().filter(program=program).first()
    old = current.mapping if current is not None else None
    if current is None:
        current = CadMapping(program=program, mapping=raw, updated_by=actor)
    else:
        current.mapping = raw
        current.updated_by = actor
    clean_fields_only(current)
    current.save()
    audit_log(
        actor=actor,
        event_type="cad_mapping.save",
        obj=current,
        changes={"mapping": [old, raw]},
    )
    return current


@service
def import_job_start(
    *,
    actor: User,
    program: Program,
    kind: str,
    agency: Any,
    file_name: str,
    chunks: Iterable[bytes],
) -> ImportJob:
    """Keep the uploaded file for the worker and queue the job (after the transaction
    commits). Nothing of the file is read here but its size."""
    _require_importer(actor, program)
    if kind not in ImportKind.values:
        raise ValidationError({"kind": "Choose what kind of file this is."})
    team = _agency(program, kind, agency)
    name = Path(file_name or "").name[:255]
    if not name.lower().endswith(EXTENSIONS[ImportKind(kind)]):
        allowed = " or ".join(EXTENSIONS[ImportKind(kind)])
        raise ValidationError({"file": f"Import a {allowed} file."})
    mapping: dict[str, Any] = {}
    if kind == ImportKind.CAD:
        saved = CadMapping.objects.filter(program=program).first()
        if saved is None:
            raise ValidationError({"file": "Set the dispatch export's mapping first."})
        mapping = dict(saved.mapping)
    job_id = uuid.uuid4()
    stored = imports_dir() / f"{job_id}{Path(name).suffix.lower()}"
    size = 0
    try:
        fd = os.open(stored, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as out:
            for chunk in chunks:
                size += len(chunk)
                if size > MAX_BYTES:
                    raise ValidationError({"file": "The file is larger than 1 GB: split it."})
                out.write(chunk)
        if size == 0:
            raise ValidationError({"file": "The file is empty."})
        job = ImportJob(
            id=job_id,
            program=program,
            kind=kind,
            agency=team,
            file_name=name,
            file_size=size,
            stored_path=str(stored),
            mapping=mapping,
            created_by=actor,
        )
        clean_fields_only(job)
        job.save()
        audit_log(
            actor=actor,
            event_type="import_job.start",
            obj=job,
            changes=created(job, ["program", "kind", "agency", "file_name", "file_size"]),
        )
    except BaseException:
        stored.unlink(missing_ok=True)
        raise
    transaction.on_commit(lambda: _enqueue(job_id))
    return job


def _enqueue(job_id: uuid.UUID) -> None:
    from pathways.imports.tasks import run_import_job

    result = run_import_job.enqueue(str(job_id))
    ImportJob.objects.filter(pk=job_id).exclude(task_id=str(result.id)).update(
        task_id=str(result.id)[:64]
    )


class _Progress:
    """Writes how far the job has read, at most every PROGRESS_EVERY seconds, outside any
    transaction (the page reads it while the job runs)."""

    def __init__(self, job: ImportJob) -> None:
        self.job = job
        self.last = 0.0

    def __call__(self, done: int) -> None:
        now = time.monotonic()
        if now - self.last < PROGRESS_EVERY or transaction.get_connection().in_atomic_block:
            return
        self.last = now
        ImportJob.objects.filter(pk=self.job.pk).update(bytes_read=done)


def import_job_run(*, job_id: Any) -> ImportJob | None:
    """Run a queued job (the worker calls this; tests too). A job already claimed is left
    alone, so a task delivered twice runs once. Not a @service: its phases are transactions
    of their own (the progress must be seen while it runs)."""
    claimed = ImportJob.objects.filter(pk=job_id, status=ImportStatus.QUEUED).update(
        status=ImportStatus.VALIDATING, started_at=clock.now(), updated_at=clock.now()
    )
    if not claimed:
        return None
    job = ImportJob.objects.select_related("program", "agency", "created_by").get(pk=job_id)
    path = Path(job.stored_path)
    try:
        if job.kind == ImportKind.NEMSIS:
            _run_nemsis(job, path)
        else:
            _run_cad(job, path)
    except Exception as exc:
        # the message may carry a value from the file: only its kind is logged
        logger.error("import job %s failed: %s", job.pk, type(exc).__name__)
        job.records = job.added = job.repeated = job.skipped = job.work_items = 0
        _finish(
            job,
            status=ImportStatus.FAILED,
            problems=[
                {
                    "line": 0,
                    "where": "",
                    "message": "An unexpected error stopped the import; nothing was "
                    "imported. Tell the system administrator the job's number.",
                }
            ],
        )
    finally:
        path.unlink(missing_ok=True)
    job.refresh_from_db()
    return job


@service
def _finish(
    job: ImportJob, *, status: str, problems: list[dict[str, Any]] | None = None, more: int = 0
) -> None:
    job.status = status
    job.finished_at = clock.now()
    job.stored_path = ""
    job.bytes_read = job.file_size
    if problems is not None:
        job.problems = problems
        job.more_problems = more
    job.save(
        update_fields=[
            "status",
            "finished_at",
            "stored_path",
            "bytes_read",
            "problems",
            "more_problems",
            "records",
            "added",
            "repeated",
            "skipped",
            "work_items",
        ]
    )
    audit_log(
        actor=job.created_by,
        event_type=f"import_job.{status}",
        obj=job,
        changes={
            "status": [None, status],
            "records": [None, job.records],
            "added": [None, job.added],
            "repeated": [None, job.repeated],
            "skipped": [None, job.skipped],
            "work_items": [None, job.work_items],
            "problems": [None, len(job.problems) + job.more_problems],
        },
    )


def _refuse(job: ImportJob, problems: Problems) -> None:
    _finish(
        job,
        status=ImportStatus.REFUSED,
        problems=[p.as_json() for p in problems.items],
        more=problems.more,
    )


def _chunked(items: Iterator[T], size: int = CHUNK) -> Iterator[list[T]]:
    chunk: list[T] = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _set_status(job: ImportJob, status: str) -> None:
    job.status = status
    ImportJob.objects.filter(pk=job.pk).update(status=status, bytes_read=0, updated_at=clock.now())


# --- NEMSIS -----------------------------------------------------------------------------------


def _run_nemsis(job: ImportJob, path: Path) -> None:
    problems = Problems()
    progress = _Progress(job)
    nemsis.validate(path, problems, progress)
    if problems:
        _refuse(job, problems)
        return
    _set_status(job, ImportStatus.APPLYING)
    tally = nemsis.Tally()
    with transaction.atomic():
        followup = _naloxone_plus(job.program)
        for chunk in _chunked(nemsis.reports(path, problems, tally=tally, on_read=progress)):
            added, repeated, items = ems_reports_record(
                actor=job.created_by, job=job, reports=chunk, followup=followup
            )
            job.added += added
            job.repeated += repeated
            job.work_items += items
        if problems:  # checked in the first pass: only a file changed under us gets here
            transaction.set_rollback(True)
            job.added = job.repeated = job.work_items = 0
    if problems:
        _refuse(job, problems)
        return
    job.records = tally.reports
    job.skipped = tally.reports - tally.overdoses
    with transaction.atomic():
        _finish(job, status=ImportStatus.DONE)
        if job.added:
            # the new reports' patients are linked to the people the program knows
            linkage_run_queue(actor=job.created_by, program=job.program, reason=RunReason.IMPORT)


def _naloxone_plus(program: Program) -> tuple[PathwayConfig, tuple[str, str, str]] | None:
    """The program's Naloxone Plus configuration and its follow-up (kind, deadline, title),
    when the pathway is enabled and sets a recovery window."""
    spec = contact_deadline(PathwayCode.NALOXONE_PLUS)
    pp = (
        ProgramPathway.objects.filter(
            program=program, pathway__code=PathwayCode.NALOXONE_PLUS, is_enabled=True
        )
        .select_related("current_config", "current_config__followup_team")
        .first()
    )
    config = pp.current_config if pp is not None else None
    if config is None or spec is None or config.deadline(spec[1]) is None:
        return None
    return config, (spec[0], spec[1], spec[2])


def _local_day(moment: dt.datetime, program: Program) -> str:
    local = moment.astimezone(zoneinfo.ZoneInfo(program.time_zone))
    return f"{local:%b} {local.day}"


@service
def ems_reports_record(
    *,
    actor: User,
    job: ImportJob,
    reports: list[nemsis.EmsFacts],
    followup: tuple[PathwayConfig, tuple[str, str, str]] | None,
) -> tuple[int, int, int]:
    """Record the reports not imported before for the job's agency: an overdose event each
    (source: import), and, for a non-fatal overdose still inside the recovery window, the
    Naloxone Plus follow-up on the pathway's follow-up team's worklist. Returns (added,
    repeated, work items)."""
    program, agency = job.program, job.agency
    seen = set(
        EmsReport.objects.filter(
            program=program, agency=agency, pcr_number__in=[r.pcr_number for r in reports]
        ).values_list("pcr_number", flat=True)
    )
    added = repeated = items = 0
    now = clock.now()
    for report in reports:
        if report.pcr_number in seen:
            repeated += 1
            continue
        seen.add(report.pcr_number)
        event = overdose_record(
            actor=actor,
            agency=agency,
            occurred_at=report.occurred_at,
            facts=OverdoseFacts(
                naloxone_given=report.naloxone_given,
                naloxone_doses=report.naloxone_doses,
                administered_by=(
                    AdministeredBy.UNKNOWN if report.naloxone_before_ems else AdministeredBy.EMS
                )
                if report.naloxone_given
                else AdministeredBy.NONE,
                fatal=report.fatal,
                transported=report.transported,
                destination=report.destination,
            ),
            location_text=report.location_text,
            area=report.area,
            source=OverdoseSource.IMPORT,
        )
        item: WorkItem | None = None
        if followup is not None and not report.fatal:
            config, (kind, deadline, title) = followup
            hours = config.deadline(deadline)
            due = due_after_hours(report.occurred_at, hours) if hours is not None else None
            if due is not None and due > now:  # the recovery window is still open
                item = work_item_open(
                    actor=actor,
                    program=program,
                    team=config.followup_team or agency,
                    kind=kind,
                    title=title.format(date=_local_day(report.occurred_at, program))
                    + " (EMS report)",
                    due_at=due,
                )
                items += 1
        patient = report.patient
        row = EmsReport(
            program=program,
            agency=agency,
            pcr_number=report.pcr_number,
            job=job,
            overdose=event,
            work_item=item,
            patient_first_name=patient.first_name,
            patient_middle_name=patient.middle_name,
            patient_last_name=patient.last_name,
            patient_date_of_birth=patient.date_of_birth,
            patient_sex=patient.sex,
            patient_postal_code=patient.postal_code,
            patient_phone=patient.phone,
            patient_race=patient.race,
            patient_ethnicity=patient.ethnicity,
        )
        clean_fields_only(row)
        row.save(force_insert=True)
        audit_log(
            actor=actor,
            event_type="ems_report.import",
            obj=row,
            changes=created(row, ["agency", "pcr_number", "job", "overdose", "work_item"]),
        )
        added += 1
    return added, repeated, items


# --- CAD --------------------------------------------------------------------------------------


def _run_cad(job: ImportJob, path: Path) -> None:
    problems = Problems()
    if errors := cad.mapping_problems(job.mapping):
        for message in errors.values():
            problems.add(0, "mapping", message)
        _refuse(job, problems)
        return
    mapping = cad.parse_mapping(job.mapping, default_zone=job.program.time_zone)
    progress = _Progress(job)
    now = clock.now()
    tally = cad.Tally()
    seen: dict[str, int] = {}
    for row in cad.rows(path, mapping, problems, now=now, tally=tally, on_read=progress):
        # a call twice in one file is a mistake in the export, not a repeat
        if (first := seen.setdefault(row.incident_number, row.line)) != row.line:
            problems.add(
                row.line,
                mapping.fields["incident_number"],
                f"The same incident number is also on line {first}.",
            )
    del seen
    if not problems and tally.records == 0:
        problems.add(0, "", "The file has no calls.")
    if problems:
        _refuse(job, problems)
        return
    _set_status(job, ImportStatus.APPLYING)
    tally = cad.Tally()
    with transaction.atomic():
        for chunk in _chunked(cad.rows(path, mapping, problems, now=now, tally=tally)):
            added, repeated = dispatch_calls_record(actor=job.created_by, job=job, calls=chunk)
            job.added += added
            job.repeated += repeated
        if problems:
            transaction.set_rollback(True)
            job.added = job.repeated = 0
    if problems:
        _refuse(job, problems)
        return
    job.records = tally.records
    job.skipped = tally.records - tally.community_response
    with transaction.atomic():
        _finish(job, status=ImportStatus.DONE)


CALL_FIELDS = [
    "team",
    "incident_number",
    "received_at",
    "dispatched_at",
    "on_scene_at",
    "cleared_at",
    "nature_code",
    "location_text",
    "disposition",
    "units",
]


@service
def dispatch_calls_record(
    *, actor: User, job: ImportJob, calls: list[cad.CallRow]
) -> tuple[int, int]:
    """Record the community response calls not imported before (by incident number, in the
    program). Returns (added, repeated)."""
    seen = set(
        DispatchCall.objects.filter(
            program=job.program, incident_number__in=[c.incident_number for c in calls]
        ).values_list("incident_number", flat=True)
    )
    added = repeated = 0
    for call in calls:
        if call.incident_number in seen:
            repeated += 1
            continue
        seen.add(call.incident_number)
        row = DispatchCall(
            program=job.program,
            team=job.agency,
            job=job,
            incident_number=call.incident_number,
            received_at=call.received_at,
            dispatched_at=call.dispatched_at,
            on_scene_at=call.on_scene_at,
            cleared_at=call.cleared_at,
            nature_code=call.nature_code,
            location_text=call.location,
            disposition=call.disposition,
            units=list(call.units),
        )
        clean_fields_only(row)
        row.save(force_insert=True)
        audit_log(
            actor=actor,
            event_type="dispatch_call.import",
            obj=row,
            changes=created(row, CALL_FIELDS),
        )
        added += 1
    return added, repeated


__all__ = [
    "cad_mapping_save",
    "dispatch_calls_record",
    "ems_reports_record",
    "import_job_run",
    "import_job_start",
    "may_import",
]
