from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from pathways.accounts.factories import AgencyFactory, member
from pathways.imports.models import ImportJob, ImportStatus
from pathways.imports.testing import nemsis_file, nemsis_report
from pathways.imports.tests.helpers import ems_agency, recent
from pathways.programs.factories import ProgramFactory
from pathways.surveillance.models import OverdoseEvent

pytestmark = pytest.mark.django_db


def upload(client: Any, agency: Any, data: bytes, capture: Any) -> Any:
    with capture(execute=True):
        return client.post(
            reverse("imports:upload", kwargs={"kind": "nemsis"}),
            {
                "nemsis-agency": agency.pk,
                "nemsis-file": SimpleUploadedFile("ems.xml", data, "application/xml"),
            },
        )


def test_coordinator_uploads_and_follows_the_job(
    cast: Any, django_capture_on_commit_callbacks: Any
) -> None:
    agency = ems_agency(cast)
    client = cast.client_for(cast.coordinator)
    page = client.get(reverse("imports:index"))
    assert page.status_code == 200 and b"County EMS" in page.content
    response = upload(
        client,
        agency,
        nemsis_file([nemsis_report("PCR-1", recent())]),
        django_capture_on_commit_callbacks,
    )
    job = ImportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("imports:job", kwargs={"job_id": job.pk})
    shown = client.get(response["Location"])
    assert shown.status_code == 200
    assert b'data-testid="job-done"' in shown.content
    partial = client.get(response["Location"], headers={"HX-Request": "true"})
    assert partial.content.strip().startswith(b'<div id="job-progress"')
    assert b"hx-trigger" not in partial.content  # finished: the page stops polling
    assert OverdoseEvent.objects.count() == 1


def test_a_queued_job_keeps_polling(cast: Any) -> None:
    job = ImportJob.objects.create(
        program=cast.program,
        kind="nemsis",
        agency=ems_agency(cast),
        file_name="x.xml",
        file_size=10,
        created_by=cast.coordinator,
    )
    client = cast.client_for(cast.coordinator)
    partial = client.get(
        reverse("imports:job", kwargs={"job_id": job.pk}), headers={"HX-Request": "true"}
    )
    assert b'hx-trigger="every 1s"' in partial.content
    assert job.status == ImportStatus.QUEUED


def test_a_refused_file_shows_its_problems(
    cast: Any, django_capture_on_commit_callbacks: Any
) -> None:
    agency = ems_agency(cast)
    client = cast.client_for(cast.coordinator)
    data = nemsis_file([nemsis_report("PCR-1", recent(), impression="bad code")])
    response = upload(client, agency, data, django_capture_on_commit_callbacks)
    shown = client.get(response["Location"])
    assert b"Nothing was imported" in shown.content
    assert b"eSituation.11" in shown.content
    assert not OverdoseEvent.objects.exists()


def test_a_bad_upload_is_shown_on_the_form(cast: Any) -> None:
    client = cast.client_for(cast.coordinator)
    response = client.post(reverse("imports:upload", kwargs={"kind": "nemsis"}), {})
    assert response.status_code == 400
    assert b"Choose the file to import." in response.content
    assert not ImportJob.objects.exists()


def test_officer_is_refused_and_other_program_sees_no_job(cast: Any) -> None:
    job = ImportJob.objects.create(
        program=cast.program,
        kind="nemsis",
        agency=ems_agency(cast),
        file_name="x.xml",
        created_by=cast.coordinator,
    )
    url = reverse("imports:job", kwargs={"job_id": job.pk})
    assert cast.client_for(cast.officer_a).get(url).status_code == 403
    assert cast.client_for(cast.officer_a).get(reverse("imports:index")).status_code == 403
    other = ProgramFactory.create(name="Other County Program")
    office = AgencyFactory.create(program=other, kind="program_office")
    stranger = member(office, "coordinator", "coordinator_other")
    assert cast.client_for(stranger).get(url).status_code == 404
