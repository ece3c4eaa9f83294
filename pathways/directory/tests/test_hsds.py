"""Open Referral HSDS 3.0 exchange: export (JSON, tabular package), import (all or nothing,
row-level report, idempotent by HSDS id), round trip, refusals and who may do it."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import zipfile
from decimal import Decimal
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse

from pathways.accounts.factories import AgencyFactory, member
from pathways.accounts.models import Agency
from pathways.audit.models import AuditEvent
from pathways.directory.hsds.export import directory_document, directory_json, directory_package
from pathways.directory.hsds.importer import hsds_import
from pathways.directory.hsds.reader import MAX_BYTES, read_file
from pathways.directory.models import HsdsId, Location, Service, ServiceHours
from pathways.programs.factories import ProgramFactory


def enrich(cast: Any) -> None:
    """Give the cast's directory every kind of value the exchange carries."""
    p = cast.provider_p
    Agency.objects.filter(pk=p.pk).update(
        short_name="HTR",
        description="Detox and outpatient care.",
        email="info@harbor.test",
        website="https://harbor.test/",
        phone="555-010-1000",
    )
    main = Location.objects.create(
        organization=p, name="Harbor Main", address_1="1 Dock St", city="Riverbend",
        state_province="OH", postal_code="45001", latitude=Decimal("39.101234"),
        longitude=Decimal("-84.512345"),
    )  # fmt: skip
    annex = Location.objects.create(
        organization=p, name="Harbor Annex", address_1="3 Pier Rd", city="Riverbend",
        state_province="OH", postal_code="45002",
    )  # fmt: skip
    Location.objects.create(
        organization=cast.provider_q, name="Lakeside", address_1="9 Shore Ave", city="Lakeside",
        state_province="OH", postal_code="45010",
    )  # fmt: skip
    detox = cast.detox_p
    detox.locations.set([main, annex])
    Service.objects.filter(pk=detox.pk).update(
        description="Medically supervised withdrawal.", languages=["en", "es"],
        populations=["adults", "veterans"], phone="555-010-2000", open_24_7=True,
        accepts_walk_ins=True,
    )  # fmt: skip
    cast.outpatient_p_full.locations.set([main])
    for day in range(5):
        ServiceHours.objects.create(
            service=cast.outpatient_p_full, weekday=day, opens_at=dt.time(9),
            closes_at=dt.time(17, 30),
        )  # fmt: skip
    ServiceHours.objects.create(
        service=cast.outpatient_p_full, weekday=5, opens_at=dt.time(10), closes_at=dt.time(14)
    )


def dump(program: Any) -> list[Any]:
    """The program's directory as plain values, without its ids: equal dumps, equal directories."""
    agencies = Agency.objects.filter(program=program, kind__in=["treatment"]).order_by("name")
    out: list[Any] = []
    for a in agencies:
        locations = [
            (loc.name, loc.address_1, loc.city, loc.state_province, loc.postal_code,
             loc.latitude, loc.longitude)
            for loc in Location.objects.filter(organization=a).order_by("name")
        ]  # fmt: skip
        services = [
            (s.name, s.service_type, s.description, s.languages, s.populations, s.phone,
             s.open_24_7, s.accepts_walk_ins, s.capacity_total, s.capacity_open,
             sorted(loc.name for loc in s.locations.all()),
             [(h.weekday, h.opens_at, h.closes_at) for h in s.hours.all()])
            for s in Service.objects.filter(organization=a).order_by("name")
        ]  # fmt: skip
        out.append(
            (a.name, a.short_name, a.kind, a.description, a.email, a.website, a.phone,
             locations, services)
        )  # fmt: skip
    return out


def parse(data: bytes, name: str = "file.json") -> Any:
    return read_file(name, data)


def test_export_is_valid_hsds_json_and_package(cast: Any) -> None:
    enrich(cast)
    doc = directory_document(cast.program)
    assert doc["hsds_version"] == "3.0"
    assert [o["name"] for o in doc["organizations"]] == [
        "Harbor Test Recovery",
        "Lakeside Crisis Center",
    ]
    detox = next(s for s in doc["services"] if s["name"] == "Harbor Detox")
    assert detox["id"] == str(cast.detox_p.pk)
    assert {lang["code"] for lang in detox["languages"]} == {"en", "es"}
    assert len(detox["service_at_locations"]) == 2
    outpatient = next(s for s in doc["services"] if s["name"] == "Harbor Outpatient")
    assert outpatient["schedules"][0] | {"id": ""} == {
        "id": "", "service_id": str(cast.outpatient_p_full.pk), "freq": "WEEKLY", "wkst": "MO",
        "byday": "MO", "opens_at": "09:00", "closes_at": "17:30",
    }  # fmt: skip
    # the JSON reads back with no problem at all; so does the package
    assert parse(directory_json(cast.program)).problems == []
    package = directory_package(cast.program)
    assert parse(package, "hsds.zip").problems == []
    with zipfile.ZipFile(io.BytesIO(package)) as archive:
        descriptor = json.loads(archive.read("datapackage.json"))
        assert {r["name"] for r in descriptor["resources"]} >= {
            "organization", "service", "location", "address", "schedule", "language", "phone",
            "service_at_location", "attribute", "taxonomy_term",
        }  # fmt: skip
        rows = list(csv.DictReader(io.StringIO(archive.read("services.csv").decode())))
        assert len(rows) == 3 and all(r["organization_id"] for r in rows)
    assert directory_package(cast.program) == package  # same directory, same bytes


@pytest.mark.parametrize("fmt", ["json", "zip"])
def test_export_then_import_into_an_empty_program_reproduces_the_directory(
    cast: Any, fmt: str
) -> None:
    enrich(cast)
    data = directory_json(cast.program) if fmt == "json" else directory_package(cast.program)
    empty = ProgramFactory.create(name="Empty County")
    report = hsds_import(actor=cast.coordinator, program=empty, parsed=parse(data, f"f.{fmt}"))
    assert report.applied and report.problems == []
    assert report.counts["service"] == {"created": 3}
    assert dump(empty) == dump(cast.program)
    # and its export is the same file (ids kept from the file, derived rows alike)
    first = directory_document(cast.program)
    again = directory_document(empty)
    assert {**again, "program": ""} == {**first, "program": ""}
    assert AuditEvent.objects.filter(event_type="directory.hsds_import").count() == 1
    assert AuditEvent.objects.filter(event_type="service.create").count() == 3


def test_reimport_is_idempotent_and_updates_by_hsds_id(cast: Any) -> None:
    enrich(cast)
    doc = directory_document(cast.program)
    other = ProgramFactory.create(name="Empty County")
    hsds_import(actor=None, program=other, parsed=parse(json.dumps(doc).encode()))
    events = AuditEvent.objects.count()
    report = hsds_import(actor=None, program=other, parsed=parse(json.dumps(doc).encode()))
    assert report.counts["service"] == {"unchanged": 3}
    assert AuditEvent.objects.count() == events + 1  # only the import's own event
    assert Service.objects.filter(organization__program=other).count() == 3
    # the 2-1-1 renames a service and changes its capacity: that one record changes
    detox = next(s for s in doc["services"] if s["name"] == "Harbor Detox")
    detox["name"] = "Harbor Withdrawal Management"
    for attr in detox["attributes"]:
        if attr["taxonomy_term"]["code"] == "capacity_open":
            attr["value"] = "9"
    report = hsds_import(actor=None, program=other, parsed=parse(json.dumps(doc).encode()))
    assert report.counts["service"] == {"unchanged": 2, "updated": 1}
    renamed = Service.objects.get(organization__program=other, name__startswith="Harbor With")
    assert (renamed.capacity_open, renamed.capacity_total) == (9, 10)
    assert HsdsId.objects.get(table="service", object_id=renamed.pk).hsds_id == detox["id"]
    # importing its own export into the same program changes nothing
    own = hsds_import(actor=None, program=cast.program, parsed=parse(directory_json(cast.program)))
    assert own.counts["service"] == {"unchanged": 3}
    assert Service.objects.filter(organization__program=cast.program).count() == 3


def two_one_one(**changes: Any) -> list[dict[str, Any]]:
    """A 2-1-1 style answer: services in the full view, organization and locations nested."""
    org = {"id": "org-1", "name": "Eastside Food Bank", "description": "Food pantry."}
    location = {
        "id": "loc-1", "location_type": "physical", "name": "Pantry",
        "addresses": [{"id": "a-1", "address_1": "5 Elm St", "city": "Riverbend",
                       "state_province": "OH", "postal_code": "45003", "country": "US",
                       "address_type": "physical"}],
    }  # fmt: skip
    pantry = {
        "id": "svc-1", "name": "Food pantry", "status": "active", "organization": org,
        "service_at_locations": [{"id": "sal-1", "location": location}],
        "schedules": [{"id": "sch-1", "freq": "WEEKLY", "byday": "TU,TH", "opens_at": "10:00",
                       "closes_at": "13:00"}],
        "languages": [{"id": "l-1", "code": "es", "name": "Spanish"}],
        "phones": [{"id": "p-1", "number": "555-010-3000"}],
    }  # fmt: skip
    meals = {
        "id": "svc-2", "name": "Hot meals", "status": "active", "organization": org,
        "schedules": [{"id": "sch-2", "freq": "MONTHLY", "byday": "1MO", "opens_at": "12:00",
                       "closes_at": "13:00"}],
        "languages": [{"id": "l-2", "name": "Tagalog"}],
    }  # fmt: skip
    services = [pantry, meals]
    for path, value in changes.items():
        index, key = path.split(".")
        services[int(index)][key] = value
    return services


def test_a_211_file_with_warnings_is_imported_and_its_rows_reported(cast: Any) -> None:
    report = hsds_import(
        actor=cast.coordinator, program=cast.program,
        parsed=parse(json.dumps(two_one_one()).encode()),
    )  # fmt: skip
    assert report.applied and not report.fatal
    where = {(p.table, p.row, p.field) for p in report.warnings}
    assert ("schedule", "contents[1].schedules[0]", "freq") in where
    assert ("language", "contents[1].languages[0]", "code") in where
    assert ("service", "contents[0]", "attributes") in where  # no Pathways type: a default
    pantry = Service.objects.get(name="Food pantry", organization__program=cast.program)
    assert pantry.organization.name == "Eastside Food Bank"
    assert pantry.organization.kind == "social_services"
    assert [loc.name for loc in pantry.locations.all()] == ["Pantry"]
    assert [(h.weekday, h.opens_at) for h in pantry.hours.all()] == [
        (1, dt.time(10)), (3, dt.time(10)),
    ]  # fmt: skip
    assert (pantry.languages, pantry.phone, pantry.service_type) == (
        ["es"],
        "555-010-3000",
        "basic_needs",
    )


@pytest.mark.parametrize(
    ("services", "table", "row", "field", "message"),
    [
        (two_one_one(**{"1.name": ""}), "service", "contents[1]", "name", "should be non-empty"),
        (two_one_one(**{"0.status": "open"}), "service", "contents[0]", "status", "is not one of"),
        (
            two_one_one(**{"1.service_at_locations": [{"id": "sal-9", "location_id": "loc-404"}]}),
            "service_at_location", "contents[1].service_at_locations[0]", "location_id",
            "No location in the file has the id 'loc-404'",
        ),
        (
            two_one_one(
                **{"1.organization": {"id": "org-2", "name": "X" * 201, "description": ""}}
            ),
            "organization", "contents[1].organization", "name", "Longer than 200 characters",
        ),
    ],
)  # fmt: skip
def test_a_fatal_row_applies_nothing_and_is_reported_with_its_row(
    cast: Any, services: Any, table: str, row: str, field: str, message: str
) -> None:
    before = (Agency.objects.count(), Service.objects.count(), Location.objects.count())
    events = AuditEvent.objects.count()
    report = hsds_import(
        actor=cast.coordinator, program=cast.program, parsed=parse(json.dumps(services).encode())
    )
    assert not report.applied
    assert any(
        (p.table, p.row, p.field) == (table, row, field) and message in p.message
        for p in report.fatal
    ), report.problems
    assert (Agency.objects.count(), Service.objects.count(), Location.objects.count()) == before
    assert AuditEvent.objects.count() == events and not HsdsId.objects.exists()


def package_with(cast: Any, table_path: str, edit: Any) -> bytes:
    source = zipfile.ZipFile(io.BytesIO(directory_package(cast.program)))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            text = source.read(info).decode()
            target.writestr(info.filename, edit(text) if info.filename == table_path else text)
    return out.getvalue()


def test_a_bad_csv_row_is_reported_with_its_line_and_nothing_changes(cast: Any) -> None:
    enrich(cast)
    data = package_with(cast, "addresses.csv", lambda t: t.replace(",OH,", ",Ohio,", 1))
    other = ProgramFactory.create(name="Empty County")
    report = hsds_import(actor=None, program=other, parsed=parse(data, "x.zip"))
    assert not report.applied
    [problem] = report.fatal
    assert (problem.table, problem.row, problem.field) == (
        "address",
        "addresses.csv row 2",
        "state_province",
    )
    assert not Agency.objects.filter(program=other).exists()
    bad_number = package_with(cast, "locations.csv", lambda t: t.replace("39.101234", "north"))
    found = hsds_import(actor=None, program=other, parsed=parse(bad_number, "x.zip")).fatal
    assert found[0].field == "latitude" and "not a number" in found[0].message


def test_dry_run_reports_and_changes_nothing(cast: Any) -> None:
    events = AuditEvent.objects.count()
    report = hsds_import(
        actor=None, program=cast.program, parsed=parse(json.dumps(two_one_one()).encode()),
        dry_run=True,
    )  # fmt: skip
    assert report.counts["service"] == {"created": 2} and not report.applied
    assert not Service.objects.filter(name="Food pantry").exists()
    assert AuditEvent.objects.count() == events


# --- the coordinator's page ---------------------------------------------------------------


def upload(
    cast: Any, user: Any, data: bytes, name: str = "dir.json", dry_run: bool = False,
    client: Any = None,
) -> Any:  # fmt: skip
    payload: dict[str, Any] = {"file": SimpleUploadedFile(name, data)}
    if dry_run:
        payload["dry_run"] = "on"
    return (client or cast.client_for(user)).post(reverse("directory:hsds"), payload)


def test_coordinator_downloads_both_formats(cast: Any) -> None:
    client = cast.client_for(cast.coordinator)
    assert "Download the directory" in client.get(reverse("directory:hsds")).content.decode()
    response = client.get(reverse("directory:hsds_export", args=["json"]))
    assert response["Content-Type"] == "application/json"
    assert json.loads(response.content)["hsds_version"] == "3.0"
    response = client.get(reverse("directory:hsds_export", args=["zip"]))
    assert response["Content-Type"] == "application/zip" and response.content[:2] == b"PK"
    assert client.get(reverse("directory:hsds_export", args=["xml"])).status_code == 404


def test_coordinator_imports_and_sees_the_report(cast: Any) -> None:
    checked = upload(cast, cast.coordinator, json.dumps(two_one_one()).encode(), dry_run=True)
    html = checked.content.decode()
    assert checked.status_code == 200 and "The file can be imported" in html
    assert (
        "contents[1].schedules[0]" in html and not Service.objects.filter(name="Hot meals").exists()
    )
    done = upload(cast, cast.coordinator, json.dumps(two_one_one()).encode())
    assert "Imported" in done.content.decode()
    assert Service.objects.filter(name="Hot meals", organization__program=cast.program).exists()


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b"not json at all", "dir.json", "The file is not valid JSON"),
        (b"\xff\xfe\x00garbage", "dir.json", "neither JSON"),
        (b'{"hello": "world"}', "dir.json", "not an HSDS directory"),
        (b'{"hsds_version": "3.0", "organizations": []}', "dir.json", "services"),
        (b"PK\x03\x04broken", "dir.zip", "damaged"),
        (b" " * (MAX_BYTES + 1), "dir.json", "larger than 10 MB"),
    ],
)
def test_bad_files_get_a_clear_message_and_change_nothing(
    cast: Any, data: bytes, name: str, message: str
) -> None:
    client = cast.client_for(cast.coordinator)
    before = (Agency.objects.count(), Service.objects.count(), AuditEvent.objects.count())
    response = upload(cast, cast.coordinator, data, name, client=client)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert "Nothing was imported" in response.content.decode()
    assert (Agency.objects.count(), Service.objects.count(), AuditEvent.objects.count()) == before


def test_a_zip_without_datapackage_is_refused(cast: Any) -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("services.csv", "id,name\n1,x\n")
    response = upload(cast, cast.coordinator, out.getvalue(), "x.zip")
    assert response.status_code == 400 and "no datapackage.json" in response.content.decode()


def test_only_the_programs_coordinator_or_administrator(cast: Any) -> None:
    for user in (cast.officer_a, cast.intake_p, cast.researcher):
        client = cast.client_for(user)
        assert client.get(reverse("directory:hsds")).status_code == 403
        assert client.get(reverse("directory:hsds_export", args=["json"])).status_code == 403
    assert upload(cast, cast.officer_a, json.dumps(two_one_one()).encode()).status_code == 403
    assert not Service.objects.filter(name="Food pantry").exists()
    # another program's coordinator only ever reaches their own program's directory
    elsewhere = ProgramFactory.create(name="Elsewhere County")
    office = AgencyFactory.create(program=elsewhere, name="Other Office", kind="program_office")
    outsider = member(office, "coordinator", "coordinator_elsewhere")
    client = cast.client_for(outsider)
    doc = json.loads(client.get(reverse("directory:hsds_export", args=["json"])).content)
    assert doc["program"] == elsewhere.name and doc["services"] == []
    upload(cast, outsider, json.dumps(two_one_one()).encode())
    assert Service.objects.get(name="Food pantry").organization.program == elsewhere
    assert not Service.objects.filter(
        name="Food pantry", organization__program=cast.program
    ).exists()


# --- the commands -------------------------------------------------------------------------


def test_commands_export_and_import(cast: Any, tmp_path: Any) -> None:
    enrich(cast)
    target = tmp_path / "dir.zip"
    call_command("hsds_export", program=cast.program.name, format="package", output=str(target))
    other = ProgramFactory.create(name="Empty County")
    out = io.StringIO()
    call_command("hsds_import", str(target), program=other.name, dry_run=True, stdout=out)
    assert (
        "Would import" in out.getvalue()
        and not Service.objects.filter(organization__program=other).exists()
    )
    call_command("hsds_import", str(target), program=other.name, stdout=out)
    assert dump(other) == dump(cast.program)
    bad = tmp_path / "bad.json"
    bad.write_text("[{}]")
    with pytest.raises(CommandError, match="Nothing was imported"):
        call_command("hsds_import", str(bad), program=other.name, stderr=io.StringIO())
    with pytest.raises(CommandError, match="No program"):
        call_command("hsds_export", program="Nowhere")
