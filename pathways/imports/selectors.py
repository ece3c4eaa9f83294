"""Reads for the imports page: the program's jobs, one job for its progress, the agencies a
file can be imported for, the dispatch mapping."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import Http404

from pathways.accounts.models import Agency
from pathways.imports.models import CadMapping, DispatchCall, EmsReport, ImportJob, ImportKind
from pathways.imports.services import AGENCY_KINDS
from pathways.programs.models import Program


def recent_jobs(*, program_id: Any, limit: int = 20) -> list[ImportJob]:
    return list(
        ImportJob.objects.filter(program_id=program_id)
        .select_related("agency", "created_by")
        .order_by("-created_at")[:limit]
    )


def jobs_for_agency(*, agency_id: Any) -> QuerySet[ImportJob]:
    """The jobs of files imported for one agency (a partner system's own), newest first."""
    return ImportJob.objects.filter(agency_id=agency_id).order_by("-created_at", "-id")


def job_of_program(*, program: Program, job_id: Any) -> ImportJob:
    """The program's job, else 404 (another program's job is not found)."""
    job = (
        ImportJob.objects.filter(program=program, pk=job_id)
        .select_related("agency", "created_by")
        .first()
    )
    if job is None:
        raise Http404
    return job


def import_agencies(*, program: Program, kind: str) -> QuerySet[Agency]:
    """The agencies a file of `kind` can be imported for (NEMSIS: EMS and fire; CAD: the
    community response teams)."""
    return (
        Agency.objects.active()
        .filter(program=program, kind__in=AGENCY_KINDS[ImportKind(kind)])
        .order_by("name")
    )


def cad_mapping(*, program_id: Any) -> CadMapping | None:
    return CadMapping.objects.filter(program_id=program_id).first()


def totals(*, program_id: Any) -> dict[str, int]:
    return {
        "ems_reports": EmsReport.objects.filter(program_id=program_id).count(),
        "dispatch_calls": DispatchCall.objects.filter(program_id=program_id).count(),
    }
