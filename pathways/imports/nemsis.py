"""Reading NEMSIS 3.5 EMS patient care reports (EMSDataSet XML) for suspected opioid
overdoses, in two streaming passes that keep memory flat however large the file:

1. `validate` checks the whole file against the NEMSIS XSD (xmlschema, lazily, over lxml's
   iterparse so every problem has its line) and then our own rules for what we read;
2. `reports` yields one `EmsFacts` per patient care report, clearing each report from memory
   once read.

The XSD is settings.PATHWAYS_NEMSIS_XSD: by default the subset Pathways ships
(schemas/nemsis-3.5-ems-subset.xsd, not the official schema: docs/decisions/0032).

What makes a report a suspected opioid overdose (the usual EMS surveillance definition):
the provider's primary or a secondary impression (eSituation.11/.12) is an opioid poisoning
(ICD-10-CM T40.0-T40.4, T40.6) or opioid-related disorder (F11), or naloxone (RxNorm 7242,
eMedications.03) was given and the patient improved (eMedications.07 = 9916001)."""

from __future__ import annotations

import datetime as dt
import functools
import io
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import xmlschema
from django.conf import settings
from lxml import etree

from pathways.core import clock
from pathways.imports.problems import Problems, without_values

NS = "http://www.nemsis.org"
Q = f"{{{NS}}}"
NALOXONE_RXNORM = "7242"
RESPONSE_IMPROVED = "9916001"
#: eMedications.02 "prior to this unit's EMS care": yes (someone else gave it first)
PRIOR_TO_EMS_YES = "9923003"
#: eDisposition.30 transport dispositions where this or another EMS unit transported
TRANSPORTED = frozenset({"4230001", "4230003", "4230005", "4230007"})
#: eArrest.18 end of the cardiac arrest event: expired in the field / in the ED
FATAL_ENDS = frozenset({"3018001", "3018003"})
OPIOID_IMPRESSION = re.compile(r"^(T40\.?[012346]|F11)", re.IGNORECASE)
DEFAULT_XSD = Path(__file__).resolve().parent / "schemas" / "nemsis-3.5-ems-subset.xsd"
EARLIEST = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)


#: ePatient.25 (sex, NEMSIS 3.5) and ePatient.13 (gender, NEMSIS 3.4) codes
SEX_CODES = {
    "9919001": "female",
    "9919003": "male",
    "9906001": "female",
    "9906003": "male",
}
#: ePatient.14 race codes, as the people's race values; 2514007 is Hispanic or Latino
RACE_CODES = {
    "2514001": "american_indian",
    "2514003": "asian",
    "2514005": "black",
    "2514009": "pacific_islander",
    "2514011": "white",
    "2514013": "mena",
}
HISPANIC_CODE = "2514007"
NAME_MAX = 80


@dataclass(frozen=True)
class EmsPatient:
    """Who the report is about, as far as record linkage needs it (ePatient): names, birth
    date, sex, home ZIP code, phone, race and ethnicity. Nothing clinical."""

    first_name: str = ""
    middle_name: str = ""
    last_name: str = ""
    date_of_birth: dt.date | None = None
    sex: str = "unknown"
    postal_code: str = ""
    phone: str = ""
    race: str = ""
    ethnicity: str = "unknown"

    @property
    def identified(self) -> bool:
        """Enough to link on: a last name with a first name or a birth date."""
        return bool(self.last_name and (self.first_name or self.date_of_birth))


@dataclass(frozen=True)
class EmsFacts:
    """What one suspected overdose report says, as the import service takes it."""

    line: int
    pcr_number: str
    occurred_at: dt.datetime  # UTC
    naloxone_given: bool
    naloxone_doses: int | None
    naloxone_before_ems: bool
    fatal: bool
    transported: bool
    destination: str
    location_text: str
    area: str
    patient: EmsPatient = EmsPatient()


#: The depth of a PatientCareReport (EMSDataSet/Header/PatientCareReport): validation keeps
#: one report at a time in memory.
LAZY_DEPTH = 2


def xsd_path() -> Path:
    configured = getattr(settings, "PATHWAYS_NEMSIS_XSD", "")
    return Path(configured) if configured else DEFAULT_XSD


@functools.cache
def _schema(path: str) -> xmlschema.XMLSchemaBase:
    # the shipped subset uses XSD 1.1 open content; the official schema is 1.0, which an
    # XSD 1.1 validator reads as well
    return xmlschema.XMLSchema11(path)


def schema() -> xmlschema.XMLSchemaBase:
    return _schema(str(xsd_path()))


def _iterparse(source: Any, events: Any = None, **_: Any) -> Any:
    """lxml's iterparse, for line numbers; no entities, no DTD, no network (XXE)."""
    return etree.iterparse(
        source,
        events=events,
        resolve_entities=False,
        load_dtd=False,
        no_network=True,
        huge_tree=False,
    )


class _Counting(io.RawIOBase):
    """A binary file that tells how far it was read (the job's progress)."""

    def __init__(self, raw: BinaryIO, on_read: Callable[[int], None]) -> None:
        super().__init__()
        self.raw = raw
        self.on_read = on_read

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        return self.raw.seek(offset, whence)

    def tell(self) -> int:
        return self.raw.tell()

    def readinto(self, buffer: Any) -> int:
        data = self.raw.read(len(buffer))
        buffer[: len(data)] = data
        self.on_read(self.raw.tell())
        return len(data)


def counting(raw: BinaryIO, on_read: Callable[[int], None]) -> io.BufferedReader:
    return io.BufferedReader(_Counting(raw, on_read), buffer_size=256 * 1024)


def _where(path: str | None) -> str:
    parts = [p for p in (path or "").split("/") if p]
    # the dataset and header levels say nothing; the report's position does
    keep = [p for p in parts if not p.startswith(("EMSDataSet", "Header"))]
    return "/".join(keep) or (parts[-1] if parts else "")


def validate(path: Path, problems: Problems, on_read: Callable[[int], None]) -> int:
    """Check the whole file (XSD, then our rules); returns the number of reports."""
    with path.open("rb") as raw:
        counted = counting(raw, on_read)
        try:
            # lazy=2: each PatientCareReport (depth 2) is validated and then dropped; with
            # lazy=True the tree below the root was kept, 1.3 GB for 100k reports
            resource = xmlschema.XMLResource(
                counted, lazy=LAZY_DEPTH, iterparse=_iterparse, allow="none", defuse="always"
            )
            for error in schema().iter_errors(resource):
                line = getattr(error, "sourceline", None) or 0
                problems.add(int(line), _where(error.path), without_values(str(error.reason)))
        except (etree.XMLSyntaxError, xmlschema.XMLResourceError, SyntaxError) as exc:
            cause = exc.__cause__ or exc
            line = getattr(cause, "lineno", None) or getattr(exc, "lineno", 0) or 0
            problems.add(int(line), "", f"Not well-formed XML ({without_values(str(cause))}).")
            return 0
        except xmlschema.XMLSchemaValidationError as exc:
            problems.add(
                int(getattr(exc, "sourceline", 0) or 0),
                _where(exc.path),
                without_values(str(exc.reason)),
            )
            return 0
    if problems:
        return 0
    count = 0
    for facts in reports(path, problems):
        count += 1
        del facts
    return count


def _text(report: Any, path: str) -> str:
    node = report.find(path)
    if node is None or node.text is None:
        return ""
    return " ".join(node.text.split())


def _texts(report: Any, path: str) -> list[str]:
    return [" ".join(n.text.split()) for n in report.iterfind(path) if n.text]


def _moment(text: str) -> dt.datetime | None:
    try:
        moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        return None
    return moment.astimezone(dt.UTC)


def is_suspected_opioid_overdose(report: Any) -> bool:
    impressions = [
        _text(report, f"{Q}eSituation/{Q}eSituation.11"),
        *_texts(report, f"{Q}eSituation/{Q}eSituation.12"),
    ]
    if any(OPIOID_IMPRESSION.match(code) for code in impressions if code):
        return True
    for group in report.iterfind(f"{Q}eMedications/{Q}eMedications.MedicationGroup"):
        if (
            _text(group, f"{Q}eMedications.03") == NALOXONE_RXNORM
            and _text(group, f"{Q}eMedications.07") == RESPONSE_IMPROVED
        ):
            return True
    return False


def _facts(report: Any, problems: Problems, now: dt.datetime) -> EmsFacts | None:
    line = int(report.sourceline or 0)
    pcr = _text(report, f"{Q}eRecord/{Q}eRecord.01")
    when = _text(report, f"{Q}eTimes/{Q}eTimes.01") or _text(report, f"{Q}eTimes/{Q}eTimes.03")
    occurred_at = _moment(when)
    ok = True
    if not pcr:
        problems.add(line, "eRecord/eRecord.01", "The report has no patient care report number.")
        ok = False
    if occurred_at is None:
        problems.add(line, "eTimes/eTimes.01", "The report has no call time with its offset.")
        ok = False
    elif occurred_at > now + dt.timedelta(minutes=5):
        problems.add(line, "eTimes/eTimes.01", "The call time is in the future.")
        ok = False
    elif occurred_at < EARLIEST:
        problems.add(line, "eTimes/eTimes.01", "Reports before 2000 are not imported.")
        ok = False
    if not ok or occurred_at is None:
        return None
    doses = 0
    before_ems = False
    for group in report.iterfind(f"{Q}eMedications/{Q}eMedications.MedicationGroup"):
        if _text(group, f"{Q}eMedications.03") == NALOXONE_RXNORM:
            doses += 1
            before_ems = before_ems or _text(group, f"{Q}eMedications.02") == PRIOR_TO_EMS_YES
    transport = _text(
        report, f"{Q}eDisposition/{Q}eDisposition.IncidentDispositionGroup/{Q}eDisposition.30"
    )
    transported = transport in TRANSPORTED
    destination = ""
    if transported:
        destination = (
            _text(report, f"{Q}eDisposition/{Q}eDisposition.DestinationGroup/{Q}eDisposition.01")
            or "Hospital (not named in the report)"
        )[:120]
    patient = _patient(report, problems, line, occurred_at)
    if patient is None:
        return None
    zip_code = _text(report, f"{Q}eScene/{Q}eScene.19")
    return EmsFacts(
        line=line,
        pcr_number=pcr,
        occurred_at=occurred_at,
        naloxone_given=doses > 0,
        naloxone_doses=min(doses, 20) if doses else None,
        naloxone_before_ems=before_ems,
        fatal=_text(report, f"{Q}eArrest/{Q}eArrest.18") in FATAL_ENDS,
        transported=transported,
        destination=destination,
        location_text=_text(report, f"{Q}eScene/{Q}eScene.15")[:200],
        area=zip_code[:5],
        patient=patient,
    )


def _patient(
    report: Any, problems: Problems, line: int, occurred_at: dt.datetime
) -> EmsPatient | None:
    """The report's patient (ePatient), or None with a problem when a birth date is not a
    date or is after the call. A report with no patient details gives an empty patient."""
    base = f"{Q}ePatient/"
    names = f"{base}{Q}ePatient.PatientNameGroup/"
    born_text = _text(report, f"{base}{Q}ePatient.17")
    born: dt.date | None = None
    if born_text:
        try:
            born = dt.date.fromisoformat(born_text)
        except ValueError:
            problems.add(line, "ePatient/ePatient.17", "The date of birth is not a date.")
            return None
        if born > occurred_at.date() or born.year < 1900:
            problems.add(
                line, "ePatient/ePatient.17", "The date of birth is after the call or before 1900."
            )
            return None
    sex_code = _text(report, f"{base}{Q}ePatient.25") or _text(report, f"{base}{Q}ePatient.13")
    races = _texts(report, f"{base}{Q}ePatient.14")
    known = [RACE_CODES[code] for code in races if code in RACE_CODES]
    phone = _text(report, f"{base}{Q}ePatient.18")
    return EmsPatient(
        first_name=_text(report, f"{names}{Q}ePatient.03")[:NAME_MAX],
        middle_name=_text(report, f"{names}{Q}ePatient.04")[:NAME_MAX],
        last_name=_text(report, f"{names}{Q}ePatient.02")[:NAME_MAX],
        date_of_birth=born,
        sex=SEX_CODES.get(sex_code, "unknown"),
        postal_code=_text(report, f"{base}{Q}ePatient.09")[:10],
        phone="".join(ch for ch in phone if ch.isdigit())[-15:],
        race=known[0] if len(known) == 1 else "",
        ethnicity="hispanic" if HISPANIC_CODE in races else "unknown",
    )


@dataclass
class Tally:
    reports: int = 0
    overdoses: int = 0


def reports(
    path: Path,
    problems: Problems,
    *,
    tally: Tally | None = None,
    on_read: Callable[[int], None] | None = None,
    now: dt.datetime | None = None,
) -> Iterator[EmsFacts]:
    """The suspected opioid overdoses of the file, one report at a time (a file already
    validated against the XSD). Reports that are not overdoses are counted and left out."""
    moment = now or clock.now()
    counts = tally if tally is not None else Tally()
    with path.open("rb") as raw:
        source: Any = counting(raw, on_read) if on_read is not None else raw
        for _, report in _iterparse(source, events=("end",)):
            if report.tag != f"{Q}PatientCareReport":
                continue
            counts.reports += 1
            try:
                if is_suspected_opioid_overdose(report):
                    facts = _facts(report, problems, moment)
                    if facts is not None:
                        counts.overdoses += 1
                        yield facts
            finally:
                # flat memory: drop the report and what came before it
                report.clear()
                parent = report.getparent()
                while parent is not None and report.getprevious() is not None:
                    del parent[0]
