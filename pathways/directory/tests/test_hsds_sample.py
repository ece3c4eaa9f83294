"""The demo county ships its directory as an HSDS file (pathways/demo/samples/hsds-directory.json)
so a newcomer can try the import. The file is the exporter's output for the demo's directory;
this test keeps it so. After a change to the demo's directory or the exporter, write it anew:

    PATHWAYS_WRITE_SAMPLES=1 .venv/bin/pytest -n 0 pathways/directory/tests/test_hsds_sample.py
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest

from pathways.demo.generator import load_demo
from pathways.directory.hsds.export import directory_json
from pathways.directory.hsds.importer import hsds_import
from pathways.directory.hsds.reader import read_file
from pathways.directory.models import Service
from pathways.programs.factories import ProgramFactory

SAMPLE = Path(__file__).resolve().parents[2] / "demo" / "samples" / "hsds-directory.json"


@pytest.mark.django_db
def test_the_demo_sample_is_the_demo_directory_and_imports_cleanly() -> None:
    program = load_demo(encounters=1, seed=7, end_date=dt.date(2025, 6, 30), quiet=True).program
    exported = directory_json(program)
    if os.environ.get("PATHWAYS_WRITE_SAMPLES"):
        SAMPLE.parent.mkdir(parents=True, exist_ok=True)
        SAMPLE.write_bytes(exported)
    assert SAMPLE.read_bytes() == exported, "re-create the sample (see the module docstring)"
    empty = ProgramFactory.create(name="Sample Import County")
    report = hsds_import(actor=None, program=empty, parsed=read_file(SAMPLE.name, exported))
    assert report.applied and report.problems == []
    assert Service.objects.filter(organization__program=empty).count() == (
        Service.objects.filter(organization__program=program).count()
    )
