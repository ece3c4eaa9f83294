"""Synthetic NEMSIS 3.5 and CAD files, for the tests, the benchmark and the demo's samples.
Every name, number and address here is made up."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<EMSDataSet xmlns="http://www.nemsis.org" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">\n'
    "  <Header>\n"
    "    <DemographicGroup><dAgency.01>TEST-EMS</dAgency.01><dAgency.02>TEST-EMS</dAgency.02>"
    "</DemographicGroup>\n"
)
TAIL = "  </Header>\n</EMSDataSet>\n"


def nemsis_report(
    pcr: str,
    when: dt.datetime,
    *,
    impression: str = "T40.1X1A",
    naloxone: bool = True,
    improved: bool = True,
    before_ems: bool = False,
    transported: bool = True,
    destination: str = "County General Hospital",
    fatal: bool = False,
    zip_code: str = "60601",
    address: str = "100 Main St",
    patient: tuple[str, str] = ("Pat", "Sample"),
    born: str = "",
    sex_code: str = "",
    home_zip: str = "",
    race_codes: tuple[str, ...] = (),
) -> str:
    """One PatientCareReport; its patient (ePatient) named `patient` (first, last), with a
    birth date, an ePatient.25 sex code, a home ZIP and ePatient.14 race codes when given."""
    stamp = when.isoformat(timespec="seconds")
    first, last = patient
    person = (
        "      <ePatient><ePatient.PatientNameGroup>"
        f"<ePatient.02>{escape(last)}</ePatient.02><ePatient.03>{escape(first)}</ePatient.03>"
        "</ePatient.PatientNameGroup>"
        + (f"<ePatient.09>{escape(home_zip)}</ePatient.09>" if home_zip else "")
        + "".join(f"<ePatient.14>{code}</ePatient.14>" for code in race_codes)
        + (f"<ePatient.17>{escape(born)}</ePatient.17>" if born else "")
        + (f"<ePatient.25>{sex_code}</ePatient.25>" if sex_code else "")
        + "</ePatient>\n"
    )
    meds = ""
    if naloxone:
        meds = (
            "      <eMedications><eMedications.MedicationGroup>"
            f"<eMedications.01>{stamp}</eMedications.01>"
            f"<eMedications.02>{'9923003' if before_ems else '9923001'}</eMedications.02>"
            "<eMedications.03>7242</eMedications.03>"
            "<eMedications.05>2</eMedications.05>"
            f"<eMedications.07>{'9916001' if improved else '9916003'}</eMedications.07>"
            "</eMedications.MedicationGroup></eMedications>\n"
        )
    arrest = (
        "      <eArrest><eArrest.01>3001003</eArrest.01>"
        "<eArrest.18>3018003</eArrest.18></eArrest>\n"
        if fatal
        else ""
    )
    disposition = (
        "      <eDisposition><eDisposition.DestinationGroup>"
        f"<eDisposition.01>{escape(destination)}</eDisposition.01></eDisposition.DestinationGroup>"
        "<eDisposition.IncidentDispositionGroup>"
        f"<eDisposition.30>{'4230001' if transported else '4230013'}</eDisposition.30>"
        "</eDisposition.IncidentDispositionGroup></eDisposition>\n"
    )
    return (
        f'    <PatientCareReport UUID="{escape(pcr)}">\n'
        f"      <eRecord><eRecord.01>{escape(pcr)}</eRecord.01></eRecord>\n"
        "      <eResponse><eResponse.AgencyGroup><eResponse.01>TEST-EMS</eResponse.01>"
        "</eResponse.AgencyGroup></eResponse>\n"
        f"      <eTimes><eTimes.01>{stamp}</eTimes.01><eTimes.03>{stamp}</eTimes.03></eTimes>\n"
        f"{person}"
        f"      <eScene><eScene.15>{escape(address)}</eScene.15><eScene.19>{zip_code}</eScene.19>"
        "</eScene>\n"
        f"      <eSituation><eSituation.11>{escape(impression)}</eSituation.11></eSituation>\n"
        f"{arrest}{meds}{disposition}"
        "    </PatientCareReport>\n"
    )


def nemsis_file(reports: Iterable[str]) -> bytes:
    return (HEAD + "".join(reports) + TAIL).encode()


def write_nemsis(path: Path, count: int, start: dt.datetime, *, overdose_every: int = 1) -> None:
    """`count` reports, one a minute from `start`; every `overdose_every`-th an overdose."""
    with path.open("w", encoding="utf-8") as out:
        out.write(HEAD)
        for i in range(count):
            overdose = i % overdose_every == 0
            out.write(
                nemsis_report(
                    f"PCR-{i:07d}",
                    start + dt.timedelta(minutes=i),
                    impression="T40.1X1A" if overdose else "S06.0X0A",
                    naloxone=overdose,
                    transported=i % 3 != 0,
                )
            )
        out.write(TAIL)


CAD_COLUMNS = [
    "IncidentNo",
    "CallReceived",
    "Dispatched",
    "OnScene",
    "Cleared",
    "NatureCode",
    "Address",
    "Dispo",
    "Units",
]
CAD_MAPPING: dict[str, Any] = {
    "fields": {
        "incident_number": "IncidentNo",
        "received_at": "CallReceived",
        "dispatched_at": "Dispatched",
        "on_scene_at": "OnScene",
        "cleared_at": "Cleared",
        "nature_code": "NatureCode",
        "location": "Address",
        "disposition": "Dispo",
        "units": "Units",
    },
    "time_format": "%m/%d/%Y %H:%M:%S",
    "community_response_codes": ["MH", "WELF", "CRISIS"],
    "units_separator": ";",
}


def cad_call(number: str, when: dt.datetime, nature: str = "MH", **extra: str) -> dict[str, str]:
    fmt = "%m/%d/%Y %H:%M:%S"
    row = {
        "IncidentNo": number,
        "CallReceived": when.strftime(fmt),
        "Dispatched": (when + dt.timedelta(minutes=2)).strftime(fmt),
        "OnScene": (when + dt.timedelta(minutes=11)).strftime(fmt),
        "Cleared": (when + dt.timedelta(minutes=48)).strftime(fmt),
        "NatureCode": nature,
        "Address": "200 Oak Ave",
        "Dispo": "RESOLVED",
        "Units": "CR1;CR2",
    }
    row.update(extra)
    return row


def cad_csv(calls: Iterable[dict[str, str]]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CAD_COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(calls)
    return out.getvalue().encode()


def cad_json(calls: Iterable[dict[str, str]], key: str = "") -> bytes:
    items = list(calls)
    return json.dumps({key: items} if key else items).encode()
