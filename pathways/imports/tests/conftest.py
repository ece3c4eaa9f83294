from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture(autouse=True)
def _jobs_run_at_once(settings: Any, tmp_path: Any) -> None:
    """Each job runs when it is queued (django-tasks' immediate backend), its file kept in the
    test's own folder."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    settings.PATHWAYS_IMPORTS_DIR = str(tmp_path / "imports")
