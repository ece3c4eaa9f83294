"""The background task behind every import (django-tasks; the database backend in
development and production, run by `manage.py db_worker`: docs/operations.md)."""

from __future__ import annotations

from django_tasks import task

from pathways.imports.services import import_job_run


@task()
def run_import_job(job_id: str) -> None:
    import_job_run(job_id=job_id)
