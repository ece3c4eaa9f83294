"""The program's directory as Open Referral HSDS 3.0: one JSON document (organizations with
their phones and locations, services in the full view) and the tabular data package
(datapackage.json and one CSV per table, zipped). Both are checked against the schemas before
they are handed out."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import zipfile
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.conf.locale import LANG_INFO
from django.db.models import Exists, OuterRef, Prefetch, Q

from pathways.accounts.models import PROVIDER_KINDS, Agency
from pathways.directory.hsds import terms
from pathways.directory.hsds.tables import Tables, flatten
from pathways.directory.hsds.validation import (
    TABLES,
    document_problems,
    row_problems,
    schema,
    table_columns,
)
from pathways.directory.models import HsdsId, Location, Service

if TYPE_CHECKING:
    from pathways.programs.models import Program

#: The tables an export writes (Pathways keeps no named contacts).
EXPORTED_TABLES = [t for t in TABLES if t != "contact"]


class ExportInvalid(RuntimeError):
    """The export broke the HSDS schema: a bug, never the user's doing."""


def _ids(program: Program) -> dict[tuple[str, Any], str]:
    return {
        (table, object_id): hsds_id
        for table, object_id, hsds_id in HsdsId.objects.filter(program=program).values_list(
            "table", "object_id", "hsds_id"
        )
    }


def _hhmm(value: dt.time) -> str:
    return value.strftime("%H:%M" if value.second == 0 else "%H:%M:%S")


def _number(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def _drop_empty(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v not in (None, "", [])}


def _phone(number: str, owner: str, owner_id: str) -> list[dict[str, Any]]:
    if not number:
        return []
    return [
        {
            "id": terms.derived_id("phone", owner, owner_id),
            f"{owner}_id": owner_id,
            "number": number,
        }
    ]


def _location(loc: Location, org_id: str, ids: dict[tuple[str, Any], str]) -> dict[str, Any]:
    lid = ids.get(("location", loc.pk), str(loc.pk))
    address = {
        "id": terms.derived_id("address", lid),
        "location_id": lid,
        "address_1": loc.address_1,
        "city": loc.city,
        "state_province": loc.state_province,
        "postal_code": loc.postal_code,
        "country": "US",
        "address_type": "physical",
    }
    return _drop_empty(
        {
            "id": lid,
            "location_type": "physical",
            "organization_id": org_id,
            "name": loc.name,
            "latitude": _number(loc.latitude),
            "longitude": _number(loc.longitude),
            "addresses": [address],
        }
    )


def _organization(agency: Agency, ids: dict[tuple[str, Any], str]) -> dict[str, Any]:
    oid = ids.get(("organization", agency.pk), str(agency.pk))
    values = _drop_empty(
        {
            "id": oid,
            "name": agency.name,
            "alternate_name": agency.short_name,
            "email": agency.email,
            "website": agency.website,
            "phones": _phone(agency.phone, "organization", oid),
            "locations": [
                _location(loc, oid, ids) for loc in getattr(agency, "export_locations", [])
            ],
            "attributes": [terms.attribute("organization", oid, terms.AGENCY_KIND, agency.kind)],
        }
    )
    values["description"] = agency.description  # required by HSDS, even when blank
    return values


def _service_attributes(service: Service, sid: str) -> list[dict[str, Any]]:
    def attr(taxonomy: str, code: str, value: str | None = None) -> dict[str, Any]:
        return terms.attribute("service", sid, taxonomy, code, value)

    found = [attr(terms.SERVICE_TYPE, service.service_type)]
    found += [
        attr(terms.POPULATION, p)
        for p in service.populations
        if p in terms.TAXONOMIES[terms.POPULATION]
    ]
    if service.open_24_7:
        found.append(attr(terms.ACCESS, terms.OPEN_24_7))
    if service.accepts_walk_ins:
        found.append(attr(terms.ACCESS, terms.WALK_IN))
    found.append(attr(terms.CAPACITY, terms.CAPACITY_TOTAL, str(service.capacity_total)))
    found.append(attr(terms.CAPACITY, terms.CAPACITY_OPEN, str(service.capacity_open)))
    return found


def _service(service: Service, ids: dict[tuple[str, Any], str]) -> dict[str, Any]:
    sid = ids.get(("service", service.pk), str(service.pk))
    oid = ids.get(("organization", service.organization_id), str(service.organization_id))
    languages = [
        _drop_empty(
            {
                "id": terms.derived_id("language", sid, code),
                "service_id": sid,
                "code": code,
                "name": LANG_INFO.get(code, {}).get("name", ""),
            }
        )
        for code in service.languages
    ]
    schedules = [
        {
            "id": terms.derived_id("schedule", sid, h.weekday, _hhmm(h.opens_at)),
            "service_id": sid,
            "freq": "WEEKLY",
            "wkst": "MO",
            "byday": terms.WEEKDAYS[h.weekday],
            "opens_at": _hhmm(h.opens_at),
            "closes_at": _hhmm(h.closes_at),
        }
        for h in service.hours.all()
    ]
    locations = sorted(
        ids.get(("location", loc.pk), str(loc.pk))
        for loc in getattr(service, "export_locations", [])
    )
    return _drop_empty(
        {
            "id": sid,
            "organization_id": oid,
            "name": service.name,
            "description": service.description,
            "status": "active",
            "phones": _phone(service.phone, "service", sid),
            "languages": languages,
            "schedules": schedules,
            "service_at_locations": [
                {
                    "id": terms.derived_id("service_at_location", sid, lid),
                    "service_id": sid,
                    "location_id": lid,
                }
                for lid in locations
            ],
            "attributes": _service_attributes(service, sid),
        }
    )


def directory_agencies(program: Program) -> list[Agency]:
    """The program's directory organizations: its active provider agencies, and any other
    active agency with an active service or location, each with its active locations."""
    active_services = Service.objects.active().filter(organization=OuterRef("pk"))
    active_locations = Location.objects.active().filter(organization=OuterRef("pk"))
    return list(
        Agency.objects.active()
        .filter(program=program)
        .filter(Q(kind__in=PROVIDER_KINDS) | Exists(active_services) | Exists(active_locations))
        .prefetch_related(
            Prefetch(
                "locations",
                queryset=Location.objects.active().order_by("name", "pk"),
                to_attr="export_locations",
            )
        )
        .order_by("name")
    )


def directory_document(program: Program) -> dict[str, Any]:
    """The program's directory as one HSDS 3.0 JSON document (checked against the schema)."""
    ids = _ids(program)
    agencies = directory_agencies(program)
    services = (
        Service.objects.active()
        .filter(organization__in=agencies)
        .select_related("organization")
        .prefetch_related(
            "hours",
            Prefetch("locations", queryset=Location.objects.active(), to_attr="export_locations"),
        )
        .order_by("organization__name", "name", "pk")
    )
    doc = {
        "hsds_version": terms.HSDS_VERSION,
        "generator": "Pathways",
        "program": program.name,
        "organizations": [_organization(a, ids) for a in agencies],
        "services": [_service(s, ids) for s in services],
    }
    problems = document_problems(doc, "directory")
    if problems:
        raise ExportInvalid(f"The export breaks the HSDS schema: {problems[0]}")
    return doc


def directory_json(program: Program) -> bytes:
    return (json.dumps(directory_document(program), indent=2, ensure_ascii=False) + "\n").encode()


def _csv_text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _datapackage(program: Program, tables: Tables) -> dict[str, Any]:
    resources = []
    for table in EXPORTED_TABLES:
        props = schema(table)["properties"]
        fields = [
            {
                "name": column,
                "type": "number" if "number" in props[column].get("type", []) else "string",
                "description": props[column].get("description", ""),
            }
            for column in table_columns(table)
        ]
        resources.append(
            {
                "name": table,
                "path": schema(table)["x-hsds-path"],
                "profile": "tabular-data-resource",
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": "utf-8",
                "schema": {"fields": fields, "primaryKey": "id"},
            }
        )
    return {
        "name": "pathways-directory",
        "title": f"{program.name}: service directory (Open Referral HSDS {terms.HSDS_VERSION})",
        "profile": "tabular-data-package",
        "resources": resources,
    }


def _write(archive: zipfile.ZipFile, name: str, text: str) -> None:
    """A member with a fixed date, so the same directory gives the same bytes."""
    info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    archive.writestr(info, text.encode("utf-8"))


def directory_package(program: Program) -> bytes:
    """The program's directory as the HSDS tabular data package, zipped; every row is checked
    against its table's schema."""
    tables = flatten(directory_document(program))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        descriptor = _datapackage(program, tables)
        _write(archive, "datapackage.json", json.dumps(descriptor, indent=2) + "\n")
        for table in EXPORTED_TABLES:
            columns = table_columns(table)
            out = io.StringIO()
            writer = csv.writer(out, lineterminator="\n")
            writer.writerow(columns)
            for number, row in enumerate(tables[table], start=2):
                values = {k: v for k, v in row.values.items() if k in columns}
                problems = row_problems(table, f"{table} row {number}", values)
                if problems:
                    raise ExportInvalid(f"The export breaks the HSDS schema: {problems[0]}")
                writer.writerow([_csv_text(values[c]) if c in values else "" for c in columns])
            _write(archive, schema(table)["x-hsds-path"], out.getvalue())
    return buffer.getvalue()
