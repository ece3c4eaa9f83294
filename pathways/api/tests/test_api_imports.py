"""The import-jobs endpoints: a partner system follows the jobs of files imported for its own
agency, and nothing of another agency's."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from django.core.cache import cache
from django.core.exceptions import ValidationError

from pathways.accounts.factories import AgencyFactory
from pathways.api.tests.helpers import assert_problem, get, register
from pathways.imports.testing import nemsis_file, nemsis_report
from pathways.imports.tests.helpers import ems_agency, recent, run_jobs_at_once, start

pytestmark = pytest.mark.django_db

JOBS = "/api/v1/imports/"


@pytest.fixture(autouse=True)
def _jobs_run_at_once(settings: Any, tmp_path: Any) -> None:
    run_jobs_at_once(settings, tmp_path)


@pytest.fixture(autouse=True)
def _fresh_rate_counts() -> Any:
    cache.clear()
    yield
    cache.clear()


def imported(cast: Any, capture: Any, agency: Any, data: bytes, name: str = "ems.xml") -> Any:
    return start(
        capture,
        actor=cast.coordinator,
        program=cast.program,
        kind="nemsis",
        agency=agency,
        name=name,
        data=data,
    )


def test_the_agencys_jobs_with_counts_and_problems_but_no_values(
    cast: Any, django_capture_on_commit_callbacks: Any
) -> None:
    ems = ems_agency(cast)
    other = AgencyFactory.create(program=cast.program, name="Fire District 2", kind="fire")
    _, token = register(cast, ems, "imports:read", name="County ePCR")
    done = imported(
        cast,
        django_capture_on_commit_callbacks,
        ems,
        nemsis_file([nemsis_report("PCR-1", recent(3)), nemsis_report("PCR-2", recent(2))]),
    )
    bad_report = nemsis_report("PCR-3", recent(1)).replace(
        "<eMedications.03>7242</eMedications.03>", "<eMedications.03>Jane Roe</eMedications.03>"
    )
    refused = imported(cast, django_capture_on_commit_callbacks, ems, nemsis_file([bad_report]))
    theirs = imported(
        cast, django_capture_on_commit_callbacks, other, nemsis_file([nemsis_report("X", recent())])
    )

    response = get(token, JOBS)
    assert response.status_code == 200, response.content[:300]
    items = response.json()["items"]
    assert [item["id"] for item in items] == [str(refused.pk), str(done.pk)]
    first = get(token, f"{JOBS}{done.pk}/").json()
    assert (first["status"], first["percent"], first["records"], first["added"]) == (
        "done",
        100,
        2,
        2,
    )
    assert first["work_items"] == 2 and first["problems"] == []
    second = get(token, f"{JOBS}{refused.pk}/").json()
    assert second["status"] == "refused" and second["added"] == 0
    assert second["problems"] and second["problems"][0]["line"] > 0
    assert "Jane Roe" not in get(token, f"{JOBS}{refused.pk}/").content.decode()
    # another agency's job is not found, nor is a job that does not exist
    assert_problem(get(token, f"{JOBS}{theirs.pk}/"), 404, "not-found")
    assert_problem(get(token, f"{JOBS}{uuid.uuid4()}/"), 404, "not-found")


def test_jobs_page_by_page(cast: Any, django_capture_on_commit_callbacks: Any) -> None:
    ems = ems_agency(cast)
    _, token = register(cast, ems, "imports:read")
    jobs = [
        imported(
            cast,
            django_capture_on_commit_callbacks,
            ems,
            nemsis_file([nemsis_report(f"PCR-{n}", recent(n + 1))]),
        )
        for n in range(3)
    ]
    seen: list[str] = []
    url: str | None = f"{JOBS}?limit=2"
    while url:
        body = get(token, url).json()
        seen += [item["id"] for item in body["items"]]
        url = body["next"]
    assert sorted(seen) == sorted(str(job.pk) for job in jobs) and len(seen) == 3
    assert_problem(get(token, f"{JOBS}?cursor=made-up"), 422, "invalid")
    assert_problem(get(token, f"{JOBS}?limit=0"), 422, "invalid")


def test_without_the_scope_403_and_only_import_agencies_hold_it(cast: Any) -> None:
    ems = ems_agency(cast)
    _, token = register(cast, ems, "overdoses:write")
    body = assert_problem(get(token, JOBS), 403, "forbidden")
    assert "imports:read" in body["detail"]
    with pytest.raises(ValidationError) as refused:
        register(cast, cast.police_a, "imports:read")
    assert "EMS, fire and community response agencies" in str(refused.value)
    assert_problem(get("pwapi_nothing", JOBS), 401, "unauthorized")
