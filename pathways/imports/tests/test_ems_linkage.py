"""EMS patient care reports as record linkage source records: an imported overdose's patient
links to the person the program knows (under a nickname and a swapped birth day), shows on
the program office's linked-records page, and a later import is linked incrementally."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.urls import reverse

from pathways.accounts.models import Agency
from pathways.accounts.testing import verified_client
from pathways.core import clock
from pathways.imports.models import EmsReport, ImportStatus
from pathways.imports.testing import nemsis_file, nemsis_report
from pathways.imports.tests.helpers import ems_agency, start
from pathways.linkage.models import ClusterMember, LinkageRun
from pathways.linkage.selectors import cluster_of, record_shown
from pathways.linkage.services import linkage_run_start
from pathways.linkage.sources import PERSON, program_frame, record_key
from pathways.linkage.tests.linkage_helpers import people_from_generator
from pathways.people.factories import PersonFactory
from pathways.programs.factories import ProgramFactory

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)


def _import(cast: Any, capture: Any, reports: list[str], name: str) -> Any:
    job = start(
        capture,
        actor=cast.coordinator,
        program=cast.program,
        kind="nemsis",
        agency=Agency.objects.filter(program=cast.program, kind="ems").first() or ems_agency(cast),
        name=name,
        data=nemsis_file(reports),
    )
    assert job.status == ImportStatus.DONE, job.problems
    return job


def test_an_ems_patient_links_to_the_person_and_shows_on_the_linked_records(
    cast: Any, django_capture_on_commit_callbacks: Any
) -> None:
    capture = django_capture_on_commit_callbacks
    with clock.frozen(T0 - dt.timedelta(days=2)):
        people_from_generator(cast.police_a, 200, seed=21)
        person = PersonFactory.create(
            created_by_agency=cast.police_a,
            first_name="Robert",
            last_name="Castellanos",
            date_of_birth=dt.date(1979, 4, 11),
            sex="male",
            postal_code="60612",
        )
        # EMS wrote the nickname and swapped the birth day and month
        job = _import(
            cast,
            capture,
            [
                nemsis_report(
                    "PCR-1",
                    T0 - dt.timedelta(days=2, hours=3),
                    patient=("Bob", "Castellanos"),
                    born="1979-11-04",
                    sex_code="9919003",
                    home_zip="60612",
                ),
                # an unnamed patient is no record to link
                nemsis_report("PCR-2", T0 - dt.timedelta(days=2, hours=2), patient=("", "")),
            ],
            "first.xml",
        )
    assert not LinkageRun.objects.exists()  # no model yet: nothing queued
    frame = program_frame(program=cast.program)
    ems_keys = [k for k in frame["unique_id"] if k.startswith("ems:")]
    one = EmsReport.objects.get(pcr_number="PCR-1")
    assert ems_keys == [f"ems:{one.pk}"]
    with clock.frozen(T0 - dt.timedelta(days=1)), capture(execute=True):
        run = linkage_run_start(actor=cast.coordinator, program=cast.program, retrain=False)
    run.refresh_from_db()
    assert run.status == "done", run.problem
    person_key = record_key(PERSON, person.pk)
    assert f"ems:{one.pk}" in cluster_of(program_id=cast.program.pk, key=person_key)
    shown = record_shown(program_id=cast.program.pk, key=f"ems:{one.pk}")
    assert shown.kind == "EMS patient care report"
    assert ("Name", "Bob Castellanos") in shown.fields
    assert ("Date of birth", "Nov 4, 1979") in shown.fields
    # another program's record key shows as removed (never the record)
    other = ProgramFactory.create(name="Elsewhere County Program")
    assert record_shown(program_id=other.pk, key=f"ems:{one.pk}").fields == []
    assert job.added == 2

    # a later file queues an incremental run that links its patient, reading only it
    with clock.frozen(T0):
        _import(
            cast,
            capture,
            [
                nemsis_report(
                    "PCR-3",
                    T0 - dt.timedelta(hours=5),
                    patient=("Robert", "Castellanos"),
                    born="1979-04-11",
                    sex_code="9919003",
                )
            ],
            "second.xml",
        )
    daily = LinkageRun.objects.get(incremental=True)
    assert (daily.status, daily.reason, daily.new_records) == ("done", "import", 1)
    three = EmsReport.objects.get(pcr_number="PCR-3")
    cluster = ClusterMember.objects.get(record_key=f"ems:{three.pk}").cluster_key
    assert ClusterMember.objects.filter(cluster_key=cluster, record_key=person_key).exists()


def test_the_cluster_page_shows_an_ems_record_to_the_coordinator_only(
    cast: Any, django_capture_on_commit_callbacks: Any
) -> None:
    _import(
        cast,
        django_capture_on_commit_callbacks,
        [nemsis_report("PCR-9", T0, patient=("Ada", "Quill"), born="1990-01-02")],
        "x.xml",
    )
    report = EmsReport.objects.get(pcr_number="PCR-9")
    url = reverse("linkage:cluster", kwargs={"key": f"ems:{report.pk}"})
    client = verified_client(cast.coordinator)
    page = client.get(url)
    assert page.status_code == 200
    text = page.content.decode()
    assert "EMS patient care report" in text and "Ada Quill" in text
    officer = verified_client(cast.officer_a)
    refused = officer.get(url)
    assert refused.status_code in (403, 404) and b"Quill" not in refused.content
    # a malformed key is a plain 404
    malformed = reverse("linkage:cluster", kwargs={"key": "ems:not-a-uuid"})
    assert client.get(malformed).status_code == 404
