from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from pathways.accounts.factories import AgencyFactory, member
from pathways.audit.models import AuditEvent
from pathways.followups.models import WorkItem, WorkKind
from pathways.imports.models import EmsReport, ImportJob, ImportStatus
from pathways.imports.problems import without_values
from pathways.imports.services import import_job_run, import_job_start
from pathways.imports.testing import nemsis_file, nemsis_report
from pathways.imports.tests.helpers import ems_agency, recent, start
from pathways.programs.factories import ProgramFactory
from pathways.surveillance.models import AdministeredBy, OverdoseEvent, OverdoseSource

pytestmark = pytest.mark.django_db


def four_reports() -> bytes:
    return nemsis_file(
        [
            nemsis_report("PCR-A", recent(3), impression="T40.1X1A"),
            # no opioid impression, but naloxone given and the patient improved
            nemsis_report("PCR-B", recent(2), impression="R40.20", transported=False),
            # not an overdose: counted, left out
            nemsis_report("PCR-C", recent(1), impression="S06.0X0A", naloxone=False),
            nemsis_report("PCR-D", recent(4), impression="F11.20", fatal=True, transported=False),
        ]
    )


def run(
    cast: Any, django_capture_on_commit_callbacks: Any, data: bytes, agency: Any = None
) -> ImportJob:
    return start(
        django_capture_on_commit_callbacks,
        actor=cast.coordinator,
        program=cast.program,
        kind="nemsis",
        agency=agency or ems_agency(cast),
        name="county-ems.xml",
        data=data,
    )


def test_suspected_overdoses_become_events_and_followups(
    cast: Any, django_capture_on_commit_callbacks: Any
) -> None:
    job = run(cast, django_capture_on_commit_callbacks, four_reports())
    assert job.status == ImportStatus.DONE, job.problems
    assert (job.records, job.added, job.repeated, job.skipped, job.work_items) == (4, 3, 0, 1, 2)
    events = OverdoseEvent.objects.filter(program=cast.program)
    assert events.count() == 3
    assert set(events.values_list("source", flat=True)) == {OverdoseSource.IMPORT}
    fatal = events.get(fatal=True)
    assert EmsReport.objects.get(overdose=fatal).work_item_id is None
    a = EmsReport.objects.get(pcr_number="PCR-A").overdose
    assert a.transported and a.destination == "County General Hospital"
    assert a.naloxone_given and a.administered_by == AdministeredBy.EMS and a.area == "60601"
    assert a.location_text == "100 Main St"
    items = WorkItem.objects.filter(kind=WorkKind.OVERDOSE_FOLLOWUP)
    assert items.count() == 2
    item = EmsReport.objects.get(pcr_number="PCR-A").work_item
    assert item is not None and item.due_at == a.occurred_at + dt.timedelta(hours=72)
    assert "EMS report" in item.title and "Sample" not in item.title
    assert AuditEvent.objects.filter(event_type="ems_report.import").count() == 3
    assert AuditEvent.objects.filter(event_type="import_job.done").count() == 1
    assert not list(Path(job.stored_path or "/nonexistent").parent.glob("*")) or not job.stored_path


def test_the_same_file_again_adds_nothing(
    cast: Any, django_capture_on_commit_callbacks: Any
) -> None:
    agency = ems_agency(cast)
    run(cast, django_capture_on_commit_callbacks, four_reports(), agency)
    again = run(cast, django_capture_on_commit_callbacks, four_reports(), agency)
    assert again.status == ImportStatus.DONE
    assert (again.added, again.repeated, again.work_items) == (0, 3, 0)
    assert OverdoseEvent.objects.count() == 3
    assert WorkItem.objects.count() == 2


def test_a_report_twice_in_one_file_counts_once(
    cast: Any, django_capture_on_commit_callbacks: Any
) -> None:
    report = nemsis_report("PCR-A", recent())
    job = run(cast, django_capture_on_commit_callbacks, nemsis_file([report, report]))
    assert (job.added, job.repeated) == (1, 1)


def test_after_the_recovery_window_no_followup_is_opened(
    cast: Any, django_capture_on_commit_callbacks: Any
) -> None:
    job = run(
        cast,
        django_capture_on_commit_callbacks,
        nemsis_file([nemsis_report("OLD-1", recent(24 * 10))]),
    )
    assert (job.added, job.work_items) == (1, 0)
    assert not WorkItem.objects.exists()


def test_a_file_failing_the_xsd_is_refused_with_line_and_element(
    cast: Any, django_capture_on_commit_callbacks: Any
) -> None:
    data = nemsis_file(
        [
            nemsis_report("PCR-A", recent()),
            nemsis_report("PCR-B", recent(), impression="not a code"),
        ]
    )
    job = run(cast, django_capture_on_commit_callbacks, data)
    assert job.status == ImportStatus.REFUSED
    lines = data.decode().splitlines()
    bad = next(i for i, text in enumerate(lines, start=1) if "not a code" in text)
    problem = job.problems[0]
    assert problem["line"] == bad
    assert problem["where"] == "PatientCareReport[2]/eSituation/eSituation.11"
    assert "not a code" not in str(job.problems)
    assert not OverdoseEvent.objects.exists() and not EmsReport.objects.exists()
    assert not WorkItem.objects.exists()
    assert AuditEvent.objects.filter(event_type="import_job.refused").count() == 1
    assert not list(Path(job.stored_path or ".").glob("*.xml")) or job.stored_path == ""


def test_a_missing_required_element_is_refused(
    cast: Any, django_capture_on_commit_callbacks: Any
) -> None:
    data = nemsis_file(
        [
            nemsis_report("PCR-A", recent())
            .replace("<eTimes>", "<eTimesX>")
            .replace("</eTimes>", "</eTimesX>")
        ]
    )
    job = run(cast, django_capture_on_commit_callbacks, data)
    assert job.status == ImportStatus.REFUSED
    assert job.problems and job.problems[0]["line"] > 0
    assert "eTimes" in str(job.problems)
    assert not OverdoseEvent.objects.exists()


def test_xml_that_is_not_well_formed_is_refused_with_its_line(
    cast: Any, django_capture_on_commit_callbacks: Any
) -> None:
    data = nemsis_file([nemsis_report("PCR-A", recent())]).replace(b"</eRecord>", b"</eRecrd>", 1)
    job = run(cast, django_capture_on_commit_callbacks, data)
    assert job.status == ImportStatus.REFUSED
    assert job.problems[0]["line"] == 6
    assert "well-formed" in job.problems[0]["message"]
    assert not OverdoseEvent.objects.exists()


def test_a_report_in_the_future_refuses_the_whole_file(
    cast: Any, django_capture_on_commit_callbacks: Any
) -> None:
    data = nemsis_file([nemsis_report("PCR-A", recent()), nemsis_report("PCR-B", recent(-48))])
    job = run(cast, django_capture_on_commit_callbacks, data)
    assert job.status == ImportStatus.REFUSED
    assert job.problems[0]["where"] == "eTimes/eTimes.01"
    assert not OverdoseEvent.objects.exists()


def test_an_entity_is_not_expanded(
    cast: Any, django_capture_on_commit_callbacks: Any, tmp_path: Any
) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("T40.1X1A")
    data = nemsis_file([nemsis_report("PCR-A", recent(), impression="&x;")]).replace(
        b"<EMSDataSet",
        f'<!DOCTYPE EMSDataSet [<!ENTITY x SYSTEM "file://{secret}">]>\n<EMSDataSet'.encode(),
        1,
    )
    job = run(cast, django_capture_on_commit_callbacks, data)
    assert job.status == ImportStatus.REFUSED
    assert not OverdoseEvent.objects.exists()


def test_only_the_programs_coordinator_imports(
    cast: Any, django_capture_on_commit_callbacks: Any
) -> None:
    agency = ems_agency(cast)
    other = ProgramFactory.create(name="Other County Program")
    office = AgencyFactory.create(program=other, kind="program_office")
    stranger = member(office, "coordinator", "coordinator_other")
    for actor in (cast.officer_a, cast.supervisor_a, stranger, cast.researcher):
        with pytest.raises(PermissionDenied):
            import_job_start(
                actor=actor,
                program=cast.program,
                kind="nemsis",
                agency=agency,
                file_name="x.xml",
                chunks=[four_reports()],
            )
    assert not ImportJob.objects.exists()


def test_the_agency_and_the_file_kind_are_checked(cast: Any) -> None:
    with pytest.raises(ValidationError, match="EMS or fire"):
        import_job_start(
            actor=cast.coordinator,
            program=cast.program,
            kind="nemsis",
            agency=cast.police_a,
            file_name="x.xml",
            chunks=[four_reports()],
        )
    with pytest.raises(ValidationError, match=r"\.xml"):
        import_job_start(
            actor=cast.coordinator,
            program=cast.program,
            kind="nemsis",
            agency=ems_agency(cast),
            file_name="x.csv",
            chunks=[b"a,b"],
        )
    assert not ImportJob.objects.exists()


def test_a_job_runs_once(cast: Any, django_capture_on_commit_callbacks: Any) -> None:
    job = run(cast, django_capture_on_commit_callbacks, four_reports())
    assert import_job_run(job_id=job.pk) is None
    assert OverdoseEvent.objects.count() == 3


def test_library_messages_lose_their_values() -> None:
    assert without_values("value 'Doe, Jane' is not valid for {http://www.nemsis.org}x") == (
        "value … is not valid for x"
    )


def test_the_demo_samples_import(cast: Any, django_capture_on_commit_callbacks: Any) -> None:
    samples = Path(__file__).resolve().parents[2] / "demo" / "samples"
    job = run(
        cast, django_capture_on_commit_callbacks, (samples / "nemsis-sample.xml").read_bytes()
    )
    assert job.status == ImportStatus.DONE, job.problems
    assert (job.records, job.added, job.skipped) == (12, 9, 3)


def test_the_patient_is_kept_for_record_linkage_and_never_in_the_audit(
    cast: Any, django_capture_on_commit_callbacks: Any
) -> None:
    data = nemsis_file(
        [
            nemsis_report(
                "PCR-P",
                recent(),
                patient=("Rosalind", "Okonkwo-Baptiste"),
                born="1984-03-09",
                sex_code="9919001",
                home_zip="60614",
                race_codes=("2514005", "2514007"),
            ),
            # a NEMSIS 3.4 gender code, no birth date
            nemsis_report("PCR-Q", recent(), patient=("", "Doe"), sex_code="9906003"),
        ]
    )
    job = run(cast, django_capture_on_commit_callbacks, data)
    assert job.status == ImportStatus.DONE, job.problems
    p = EmsReport.objects.get(pcr_number="PCR-P")
    assert (p.patient_first_name, p.patient_last_name) == ("Rosalind", "Okonkwo-Baptiste")
    assert p.patient_date_of_birth == dt.date(1984, 3, 9)
    assert (p.patient_sex, p.patient_postal_code) == ("female", "60614")
    assert (p.patient_race, p.patient_ethnicity) == ("black", "hispanic")
    q = EmsReport.objects.get(pcr_number="PCR-Q")
    assert (q.patient_sex, q.patient_date_of_birth, q.patient_race) == ("male", None, "")
    # the audit trail of the import names no patient
    for event in AuditEvent.objects.filter(event_type="ems_report.import"):
        assert "Okonkwo" not in str(event.changes) and "1984" not in str(event.changes)


@pytest.mark.parametrize(
    ("born", "message"),
    [("1984-02-30", "not a date"), ("2099-01-01", "after the call"), ("1850-01-01", "1900")],
)
def test_a_bad_birth_date_refuses_the_file_with_nothing_imported(
    cast: Any, django_capture_on_commit_callbacks: Any, born: str, message: str
) -> None:
    # the subset schema does not type ePatient (the official one does): our rule refuses it
    data = nemsis_file(
        [nemsis_report("PCR-A", recent()), nemsis_report("PCR-B", recent(), born=born)]
    )
    job = run(cast, django_capture_on_commit_callbacks, data)
    assert job.status == ImportStatus.REFUSED
    problem = job.problems[0]
    assert problem["where"] == "ePatient/ePatient.17" and message in problem["message"]
    assert born not in str(job.problems)
    assert not OverdoseEvent.objects.exists() and not EmsReport.objects.exists()
