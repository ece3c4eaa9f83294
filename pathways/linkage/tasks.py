"""The background task behind a linkage run (django-tasks; `manage.py db_worker`)."""

from __future__ import annotations

from django_tasks import task

from pathways.linkage.services import linkage_run_execute


@task()
def run_linkage(run_id: str) -> None:
    linkage_run_execute(run_id=run_id)
