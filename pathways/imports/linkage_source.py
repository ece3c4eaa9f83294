"""EMS patient care reports as a record linkage source (pathways.linkage.registry): each
imported overdose report whose patient is named is a record, so a person's overdoses that EMS
reported link to the person Pathways knows, and to each other."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from typing import Any

from pathways.imports.models import EmsReport
from pathways.linkage import registry
from pathways.linkage.registry import ShownRecord, Source

KIND = "ems"
CHUNK = 2000


def _named(program: Any) -> Any:
    """The program's reports with a patient to link on: a last name with a first name or a
    birth date (an unnamed patient has nothing to compare)."""
    return (
        EmsReport.objects.filter(program=program)
        .exclude(patient_last_name="")
        .exclude(patient_first_name="", patient_date_of_birth__isnull=True)
    )


def _group(race: str, ethnicity: str) -> str:
    if ethnicity == "hispanic":
        return "hispanic"
    return race or "unknown"


def rows(program: Any) -> Iterator[dict[str, Any]]:
    reports = _named(program).order_by("pk")
    for report in reports.iterator(chunk_size=CHUNK):
        yield {
            "unique_id": f"{KIND}:{report.pk}",
            "source": KIND,
            "first_name": report.patient_first_name or None,
            "middle_name": report.patient_middle_name or None,
            "last_name": report.patient_last_name or None,
            "aliases": None,
            "dob": report.patient_date_of_birth.isoformat()
            if report.patient_date_of_birth
            else None,
            "sex": report.patient_sex,
            "postal_code": report.patient_postal_code or None,
            "address": None,
            "phone": report.patient_phone or None,
            "ext_ids": None,
            "group": _group(report.patient_race, report.patient_ethnicity),
        }


def changed(program: Any, since: dt.datetime) -> Iterable[Any]:
    return list(_named(program).filter(updated_at__gte=since).values_list("pk", flat=True))


def _date(value: Any) -> str:
    return value.strftime("%b %-d, %Y") if value else "—"


def shown(program_id: Any, pk: str) -> ShownRecord | None:
    report = (
        EmsReport.objects.filter(program_id=program_id, pk=pk)
        .select_related("agency", "overdose")
        .first()
    )
    if report is None:
        return None
    name = " ".join(
        p
        for p in (report.patient_first_name, report.patient_middle_name, report.patient_last_name)
        if p
    )
    return ShownRecord(
        kind="EMS patient care report",
        fields=[
            ("Name", name or "—"),
            ("Date of birth", _date(report.patient_date_of_birth)),
            ("Sex", report.get_patient_sex_display()),
            ("ZIP code", report.patient_postal_code or "—"),
            ("EMS agency", report.agency.name),
            ("Call", _date(report.overdose.occurred_at)),
        ],
    )


SOURCE = Source(
    kind=KIND, label="EMS patient care reports", rows=rows, changed=changed, shown=shown
)


def register() -> None:
    registry.register(SOURCE)
