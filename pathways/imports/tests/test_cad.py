from __future__ import annotations

import datetime as dt
import json
import zoneinfo
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from pathways.audit.models import AuditEvent
from pathways.imports.models import CadMapping, DispatchCall, ImportStatus
from pathways.imports.services import cad_mapping_save, import_job_start
from pathways.imports.testing import CAD_MAPPING, cad_call, cad_csv, cad_json
from pathways.imports.tests.helpers import cr_team, start

pytestmark = pytest.mark.django_db
CHICAGO = zoneinfo.ZoneInfo("America/Chicago")


def when(hours: float = 3) -> dt.datetime:
    from pathways.core import clock

    return (
        (clock.now() - dt.timedelta(hours=hours))
        .astimezone(CHICAGO)
        .replace(microsecond=0, tzinfo=None)
    )


def mapped(cast: Any, mapping: Any = None) -> Any:
    cad_mapping_save(
        actor=cast.coordinator, program=cast.program, text=json.dumps(mapping or CAD_MAPPING)
    )


def run(cast: Any, capture: Any, data: bytes, name: str = "cad.csv", team: Any = None) -> Any:
    return start(
        capture,
        actor=cast.coordinator,
        program=cast.program,
        kind="cad",
        agency=team or cr_team(cast),
        name=name,
        data=data,
    )


def calls() -> list[dict[str, str]]:
    return [
        cad_call("2026-000101", when(5)),
        cad_call("2026-000102", when(4), nature="welf"),
        cad_call("2026-000103", when(3), nature="TRAFFIC"),
    ]


def test_community_response_calls_are_imported(
    cast: Any, django_capture_on_commit_callbacks: Any
) -> None:
    mapped(cast)
    job = run(cast, django_capture_on_commit_callbacks, cad_csv(calls()))
    assert job.status == ImportStatus.DONE, job.problems
    assert (job.records, job.added, job.repeated, job.skipped) == (3, 2, 0, 1)
    call = DispatchCall.objects.get(incident_number="2026-000101")
    assert call.received_at == when(5).replace(tzinfo=CHICAGO).astimezone(dt.UTC)
    assert call.on_scene_at is not None
    assert call.on_scene_at - call.received_at == dt.timedelta(minutes=11)
    assert call.units == ["CR1", "CR2"] and call.nature_code == "MH"
    assert call.location_text == "200 Oak Ave"
    assert AuditEvent.objects.filter(event_type="dispatch_call.import").count() == 2


def test_json_export_with_a_records_key(cast: Any, django_capture_on_commit_callbacks: Any) -> None:
    mapped(cast, {**CAD_MAPPING, "records": "calls"})
    job = run(cast, django_capture_on_commit_callbacks, cad_json(calls(), "calls"), "cad.json")
    assert job.status == ImportStatus.DONE, job.problems
    assert job.added == 2


def test_reimport_is_idempotent_on_incident_number(
    cast: Any, django_capture_on_commit_callbacks: Any
) -> None:
    mapped(cast)
    team = cr_team(cast)
    run(cast, django_capture_on_commit_callbacks, cad_csv(calls()), team=team)
    again = run(cast, django_capture_on_commit_callbacks, cad_csv(calls()), team=team)
    assert (again.added, again.repeated) == (0, 2)
    assert DispatchCall.objects.count() == 2


def test_bad_rows_refuse_the_file_by_line_and_column(
    cast: Any, django_capture_on_commit_callbacks: Any
) -> None:
    mapped(cast)
    rows = [
        cad_call("2026-000201", when()),
        cad_call("2026-000202", when(), CallReceived="yesterday-ish"),
        cad_call("", when()),
        cad_call("2026-000201", when()),
    ]
    job = run(cast, django_capture_on_commit_callbacks, cad_csv(rows))
    assert job.status == ImportStatus.REFUSED
    found = {(p["line"], p["where"]) for p in job.problems}
    assert (3, "CallReceived") in found
    assert (4, "IncidentNo") in found
    assert (5, "IncidentNo") in found
    assert "yesterday-ish" not in json.dumps(job.problems)
    assert not DispatchCall.objects.exists()


def test_a_missing_column_is_refused(cast: Any, django_capture_on_commit_callbacks: Any) -> None:
    mapped(cast)
    data = cad_csv(calls()).replace(b"NatureCode", b"Nature", 1)
    job = run(cast, django_capture_on_commit_callbacks, data)
    assert job.status == ImportStatus.REFUSED
    assert "NatureCode" in job.problems[0]["message"]
    assert not DispatchCall.objects.exists()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{not json", "not valid JSON"),
        (json.dumps({"fields": {"incident_number": "No"}}), "received_at"),
        (json.dumps({**CAD_MAPPING, "community_response_codes": []}), "nature codes"),
        (json.dumps({**CAD_MAPPING, "time_zone": "Mars/Olympus"}), "time zone"),
        (json.dumps({**CAD_MAPPING, "colour": "red"}), "Unknown key"),
    ],
)
def test_a_bad_mapping_is_refused_and_nothing_saved(cast: Any, text: Any, message: Any) -> None:
    with pytest.raises(ValidationError, match=message):
        cad_mapping_save(actor=cast.coordinator, program=cast.program, text=text)
    assert not CadMapping.objects.exists()


def test_no_import_without_a_mapping(cast: Any) -> None:
    with pytest.raises(ValidationError, match="mapping"):
        import_job_start(
            actor=cast.coordinator,
            program=cast.program,
            kind="cad",
            agency=cr_team(cast),
            file_name="cad.csv",
            chunks=[cad_csv(calls())],
        )


def test_only_the_coordinator_sets_the_mapping(cast: Any) -> None:
    with pytest.raises(PermissionDenied):
        cad_mapping_save(actor=cast.officer_a, program=cast.program, text=json.dumps(CAD_MAPPING))
    assert not CadMapping.objects.exists()
