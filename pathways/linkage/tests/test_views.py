"""The program office's arrest records page: import a file, see the problems of a bad one, link
again, download the template; only the program's own coordinator, and never a record shown."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterator
from typing import Any

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from pathways.accounts.factories import AgencyFactory, member
from pathways.accounts.testing import verified_client
from pathways.audit.models import AuditEvent
from pathways.core import clock
from pathways.linkage.models import ArrestRecord, RecordImport
from pathways.people.factories import PersonFactory
from pathways.people.models import ExternalIdentifier
from pathways.programs.factories import ProgramFactory

URL = reverse("linkage:arrests")
LINK_URL = reverse("linkage:arrests_link")
TEMPLATE_URL = reverse("linkage:arrests_template")
NOW = dt.datetime(2026, 3, 10, 11, 0, tzinfo=dt.UTC)
HEADER = (
    "record_number,arrested_at,id_system,id_number,agency,area,booked,charge_level,"
    "date_of_birth,sex,race,ethnicity"
)
#: record and id numbers no page may show
GOOD_CSV = (
    f"first_name,{HEADER}\r\n"
    "Jonathan,RN-5501,2026-03-04 14:30,booking,BK-77123,Northside Police Department,Beat 4,"
    "yes,misdemeanor,1985-07-14,M,black,not_hispanic\r\n"
    "Maribel,RN-5502,2026-03-05 09:00,booking,BK-88456,,,no,felony,,F,white,hispanic\r\n"
)
SECRETS = ("RN-5501", "RN-5502", "BK-77123", "BK-88456", "Jonathan", "Maribel")
EVENTS = ("record_import.create", "arrest_record.update", "arrest_records.link")


@pytest.fixture(autouse=True)
def _frozen() -> Iterator[None]:
    with clock.frozen(NOW):
        yield


def upload(text: str, name: str = "march.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode(), content_type="text/csv")


def post_file(client: Client, text: str = GOOD_CSV, **data: Any) -> Any:
    values: dict[str, Any] = {"source": "County jail", "file": upload(text)}
    values.update(data)
    return client.post(URL, {k: v for k, v in values.items() if v is not None})


def known_person(agency: Any, number: str) -> Any:
    person = PersonFactory.create(created_by_agency=agency)
    ExternalIdentifier.objects.create(person=person, system="booking", value=number)
    return person


def nothing_saved() -> None:
    assert not RecordImport.objects.exists()
    assert not ArrestRecord.objects.exists()
    assert not AuditEvent.objects.filter(event_type__in=EVENTS).exists()


def other_coordinator() -> Client:
    other = ProgramFactory.create(name="Other County Program", time_zone="America/New_York")
    AgencyFactory.create(program=other, name="Westside Police", kind="law_enforcement")
    office = AgencyFactory.create(program=other, name="Other Office", kind="program_office")
    return verified_client(member(office, "coordinator", "other_coordinator"))


def test_the_coordinator_sees_the_page_before_any_import(cast: Any) -> None:
    response = cast.client_for(cast.coordinator).get(URL)
    assert response.status_code == 200
    body = response.content.decode()
    assert "<h1" in body and "Arrest records</h1>" in body
    assert 'data-testid="no-arrests"' in body and "No arrest records yet" in body
    assert 'data-testid="arrest-sources"' not in body
    assert 'data-testid="link-again"' not in body
    assert "No imports yet." in body
    assert 'data-testid="arrest-import-form"' in body and 'name="file"' in body
    assert f'href="{TEMPLATE_URL}"' in body


def test_a_good_file_is_imported_and_summed_up(cast: Any) -> None:
    known = known_person(cast.police_a, "BK-77123")
    client = cast.client_for(cast.coordinator)
    response = post_file(client)
    assert response.status_code == 302 and response["Location"] == URL
    batch = RecordImport.objects.get()
    assert (batch.source, batch.file_name, batch.imported_by) == (
        "County jail",
        "march.csv",
        cast.coordinator,
    )
    assert (batch.rows, batch.added, batch.linked) == (2, 2, 1)
    records = {r.record_number: r for r in ArrestRecord.objects.all()}
    assert records["RN-5501"].person == known and records["RN-5501"].agency == cast.police_a
    assert records["RN-5502"].person is None and records["RN-5502"].charge_level == "felony"
    assert AuditEvent.objects.filter(event_type="record_import.create").count() == 1

    page = client.get(URL)
    body = page.content.decode()
    assert (
        "Imported 2 records: 2 new, 0 changed, 0 unchanged; 1 linked to a person. "
        "Not imported: the column(s) first_name."
    ) in body
    sources = body.split('data-testid="arrest-sources"')[1].split("</table>")[0]
    assert "County jail" in sources
    assert '<td class="text-right">2</td>' in sources  # records
    assert "1 (50%)" in sources  # linked
    assert "Mar 4, 2026" in sources and "Mar 5, 2026" in sources
    history = body.split('data-testid="import-history"')[1].split("</table>")[0]
    assert "march.csv" in history and "coordinator" in history
    assert 'data-testid="link-again"' in body and 'data-testid="no-arrests"' not in body
    assert '<option value="County jail">' in body  # the source offered for the next import
    # CJIS: records are shown in aggregate only, and the file's other columns nowhere
    for secret in SECRETS:
        assert secret not in body, secret

    # the same file again: unchanged
    response = post_file(client)
    assert response.status_code == 302
    body = client.get(URL).content.decode()
    assert "Imported 2 records: 0 new, 0 changed, 2 unchanged; 0 linked to a person." in body
    assert ArrestRecord.objects.count() == 2 and RecordImport.objects.count() == 2
    for secret in SECRETS:
        assert secret not in body, secret


def test_an_xlsx_upload_is_imported(cast: Any) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["record_number", "arrested_at", "id_system", "id_number"])
    local = dt.datetime(2026, 3, 4, 14, 30)  # noqa: DTZ001  a date cell has no time zone
    sheet.append(["RN-1", local, "booking", "BK-1"])
    buffer = io.BytesIO()
    book.save(buffer)
    xlsx = SimpleUploadedFile(
        "march.xlsx",
        buffer.getvalue(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response = cast.client_for(cast.coordinator).post(URL, {"source": "Jail", "file": xlsx})
    assert response.status_code == 302
    record = ArrestRecord.objects.get()
    assert record.arrested_at == dt.datetime(2026, 3, 4, 20, 30, tzinfo=dt.UTC)


def test_a_bad_file_lists_its_problems_and_imports_nothing(cast: Any) -> None:
    bad = GOOD_CSV.replace(",yes,", ",maybe,").replace("2026-03-05 09:00", "2026-13-05 09:00")
    response = post_file(cast.client_for(cast.coordinator), bad)
    assert response.status_code == 400
    body = response.content.decode()
    problems = body.split('data-testid="import-problems"')[1].split("</div>\n</div>")[0]
    assert "Nothing was imported" in problems
    assert "<li>Line 2, booked: Write yes or no.</li>" in problems
    assert (
        "<li>Line 3, arrested_at: Not a date and time; write it as 2026-03-04 14:30.</li>"
        in problems
    )
    assert "Imported" not in body
    nothing_saved()


@pytest.mark.parametrize(
    ("text", "name", "problem"),
    [
        (HEADER + "\r\n", "march.csv", "The file: The file has no records under its header line."),
        (GOOD_CSV, "march.txt", "The file: Import a .csv or .xlsx file."),
        (
            "record_number,arrested_at\r\nR-1,2026-03-04 14:30\r\n",
            "march.csv",
            "Line 1: Missing column(s): id_system, id_number.",
        ),
    ],
)
def test_files_that_cannot_be_imported(cast: Any, text: str, name: str, problem: str) -> None:
    client = cast.client_for(cast.coordinator)
    response = client.post(URL, {"source": "County jail", "file": upload(text, name)})
    assert response.status_code == 400
    body = response.content.decode()
    assert "Nothing was imported" in body and f"<li>{problem}</li>" in body
    nothing_saved()


def test_a_file_and_a_source_are_needed(cast: Any) -> None:
    client = cast.client_for(cast.coordinator)
    response = post_file(client, file=None)
    assert response.status_code == 400
    assert response.context["form"].errors == {"file": ["Choose the file to import."]}
    assert "Choose the file to import." in response.content.decode()
    response = post_file(client, file=upload("", "march.csv"))
    assert response.status_code == 400
    assert response.context["form"].errors == {"file": ["The submitted file is empty."]}
    response = post_file(client, source="  ")
    assert response.status_code == 400
    assert response.context["form"].errors == {
        "source": ["Name the system these records come from."]
    }
    assert "Name the system these records come from." in response.content.decode()
    assert "Nothing was imported" not in response.content.decode()  # the file was not read
    nothing_saved()


def test_the_services_refusal_is_shown_at_its_field(cast: Any) -> None:
    response = post_file(cast.client_for(cast.coordinator), source="County\x07jail")
    assert response.status_code == 400
    assert response.context["form"].errors == {
        "source": ["Remove the hidden control characters from this text."]
    }
    nothing_saved()


def test_linking_again_from_the_page(cast: Any) -> None:
    client = cast.client_for(cast.coordinator)
    assert post_file(client).status_code == 302
    assert not ArrestRecord.objects.filter(person__isnull=False).exists()
    known = known_person(cast.police_b, "BK-88456")
    assert client.get(LINK_URL).status_code == 405
    assert not AuditEvent.objects.filter(event_type="arrest_records.link").exists()
    response = client.post(LINK_URL)
    assert response.status_code == 302 and response["Location"] == URL
    assert ArrestRecord.objects.get(record_number="RN-5502").person == known
    event = AuditEvent.objects.get(event_type="arrest_records.link")
    assert event.actor == cast.coordinator
    assert event.changes == {"linked": [None, 1], "still_unlinked": [None, 1]}
    body = client.get(URL).content.decode()
    assert "Linked 1 more record." in body
    assert "1 (50%)" in body
    client.post(LINK_URL)
    assert "Linked 0 more records." in client.get(URL).content.decode()


def test_the_template_is_a_csv_with_the_header(cast: Any) -> None:
    response = cast.client_for(cast.coordinator).get(TEMPLATE_URL)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == ('attachment; filename="arrest-records-template.csv"')
    assert response.content.decode() == HEADER + "\r\n"


@pytest.mark.parametrize(
    "who", ["officer_a", "supervisor_a", "researcher", "intake_p", "prosecutor"]
)
def test_only_the_program_office_may_use_the_page(cast: Any, who: str) -> None:
    client = cast.client_for(getattr(cast, who))
    assert client.get(URL).status_code == 403
    assert post_file(client).status_code == 403
    assert client.post(LINK_URL).status_code == 403
    assert client.get(TEMPLATE_URL).status_code == 403
    nothing_saved()


def test_signed_out_visitors_are_sent_to_sign_in(cast: Any) -> None:
    client = Client()
    for response in (client.get(URL), post_file(client), client.get(TEMPLATE_URL)):
        assert response.status_code == 302 and "login" in response["Location"]
    assert client.post(LINK_URL).status_code == 302
    nothing_saved()


def test_another_programs_coordinator_sees_only_their_own(cast: Any) -> None:
    known_person(cast.police_a, "BK-77123")
    mine = cast.client_for(cast.coordinator)
    assert post_file(mine, source="County jail").status_code == 302
    theirs = other_coordinator()

    page = theirs.get(URL)
    assert page.status_code == 200
    body = page.content.decode()
    assert 'data-testid="no-arrests"' in body and "No imports yet." in body
    assert "County jail" not in body and "march.csv" not in body
    assert page.context["sources"] == [] and page.context["imports"] == []
    assert page.context["source_names"] == []

    # the first program's agency is not theirs
    refused = post_file(theirs, source="County jail")
    assert refused.status_code == 400
    assert [str(p) for p in refused.context["parsed"].problems] == [
        "Line 2, agency: No law-enforcement agency of the program is called "
        "'Northside Police Department'."
    ]
    # the same source and numbers are new records of their own program
    own = GOOD_CSV.replace("Northside Police Department", "Westside Police")
    assert post_file(theirs, own, source="County jail").status_code == 302
    their_batch = RecordImport.objects.exclude(program=cast.program).get()
    assert (their_batch.added, their_batch.updated, their_batch.unchanged) == (2, 0, 0)
    assert their_batch.linked == 0  # the first program's person is not theirs
    assert ArrestRecord.objects.filter(program=cast.program).count() == 2
    body = theirs.get(URL).content.decode()
    assert "Imported 2 records: 2 new, 0 changed, 0 unchanged; 0 linked to a person." in body
    sources = body.split('data-testid="arrest-sources"')[1].split("</table>")[0]
    assert '<td class="text-right">2</td>' in sources and "0 (0%)" in sources
    assert "other_coordinator" in body and ">coordinator<" not in body
    for secret in SECRETS:
        assert secret not in body, secret

    # linking again from their page links nothing of the first program
    ExternalIdentifier.objects.create(
        person=PersonFactory.create(created_by_agency=cast.police_a),
        system="booking",
        value="BK-88456",
    )
    assert theirs.post(LINK_URL).status_code == 302
    assert ArrestRecord.objects.get(program=cast.program, record_number="RN-5502").person is None
    assert (
        not ArrestRecord.objects.exclude(program=cast.program).filter(person__isnull=False).exists()
    )
    # and the first program's page still shows its own import only
    body = mine.get(URL).content.decode()
    assert "other_coordinator" not in body and "1 (50%)" in body
