from __future__ import annotations

from typing import Any

import pytest

from pathways.imports.tests.helpers import run_jobs_at_once


@pytest.fixture(autouse=True)
def _jobs_run_at_once(settings: Any, tmp_path: Any) -> None:
    run_jobs_at_once(settings, tmp_path)
