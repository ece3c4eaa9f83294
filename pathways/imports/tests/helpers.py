from __future__ import annotations

import datetime as dt
from typing import Any

from pathways.accounts.factories import AgencyFactory
from pathways.core import clock
from pathways.imports.models import ImportJob
from pathways.imports.services import import_job_start


def run_jobs_at_once(settings: Any, folder: Any) -> None:
    """Each job runs when it is queued (django-tasks' immediate backend), its file kept in
    `folder`."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    settings.PATHWAYS_IMPORTS_DIR = str(folder / "imports")


def ems_agency(cast: Any) -> Any:
    return AgencyFactory.create(program=cast.program, name="County EMS", kind="ems")


def cr_team(cast: Any) -> Any:
    return AgencyFactory.create(
        program=cast.program, name="Mobile Crisis Team", kind="community_response"
    )


def recent(hours: float = 2) -> dt.datetime:
    return (clock.now() - dt.timedelta(hours=hours)).replace(microsecond=0)


def start(
    capture: Any, *, actor: Any, program: Any, kind: str, agency: Any, name: str, data: bytes
) -> ImportJob:
    """Start a job and let it run (on commit, immediate backend); the job as it ended."""
    with capture(execute=True):
        job = import_job_start(
            actor=actor,
            program=program,
            kind=kind,
            agency=agency,
            file_name=name,
            chunks=[data],
        )
    job.refresh_from_db()
    return job
