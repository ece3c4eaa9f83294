"""The synthetic county's arrest records: a file the Sheriff's Office jail would send the program
office, imported through the same service the import page uses.

Three kinds of record, all made up:
- the booking of most arrests made at a program contact, an hour or a few after it (the same
  arrest seen twice, which the reports must not count again);
- later arrests of people the program met: more often after an arrest than after a diversion
  (the outcomes report's re-arrest curves), carrying the person's booking or RMS number, so most
  link to the person; a share carry a number Pathways does not have, as in real files;
- arrests of people the program never met, with the record's own demographics; Black residents
  are arrested more often (a disparity the equity report's diverted-rather-than-arrested finds).
"""

from __future__ import annotations

import datetime as dt
import random
import uuid
from typing import TYPE_CHECKING

from pathways.accounts.models import AgencyKind
from pathways.encounters.models import Encounter
from pathways.linkage.imports import ArrestRow
from pathways.linkage.models import ChargeLevel
from pathways.linkage.services import arrest_records_import
from pathways.outcomes.extract import INDEX_DISPOSITIONS
from pathways.people.models import ExternalIdentifier

if TYPE_CHECKING:
    from pathways.demo.generator import County

DEMO_ARREST_SOURCE = "Riverbend County Jail bookings (synthetic)"
#: The share of index contacts followed by a later arrest (within about a year, on average).
LATER_ARREST = {"diverted": 0.09, "arrested": 0.22}
MEAN_DAYS_TO_ARREST = 110
#: Arrests made at a contact that the jail's file also holds (booked).
BOOKED_AT_CONTACT = 0.85
#: Later arrests whose number Pathways does not have (they stay unlinked).
UNKNOWN_NUMBER = 0.15
#: Arrests of people the program never met, per contact.
OTHERS_PER_CONTACT = 0.12
LEVELS = (
    (ChargeLevel.FELONY.value, 0.25),
    (ChargeLevel.MISDEMEANOR.value, 0.58),
    (ChargeLevel.VIOLATION.value, 0.12),
    (ChargeLevel.UNKNOWN.value, 0.05),
)
#: (race, ethnicity) of the people arrested whom the program never met.
OTHER_GROUPS = (
    (("white", "not_hispanic"), 0.50),
    (("black", "not_hispanic"), 0.33),
    (("white", "hispanic"), 0.10),
    (("asian", "not_hispanic"), 0.03),
    (("american_indian", "not_hispanic"), 0.02),
    (("", "unknown"), 0.02),
)


def _pick(rng: random.Random, pairs: tuple[tuple[object, float], ...]) -> object:
    values, weights = zip(*pairs, strict=True)
    return rng.choices(values, weights)[0]


def seed_arrests(county: County, *, seed: int) -> int:
    """Import the county's arrest records through `arrest_records_import`; returns how many."""

    program = county.program
    rng = random.Random(f"{seed}-arrests")
    police = [a for a in county.agencies.values() if a.spec.kind == AgencyKind.LAW_ENFORCEMENT]
    numbers: dict[uuid.UUID, tuple[str, str]] = {}
    for person_id, system, value in (
        ExternalIdentifier.objects.filter(
            person__created_by_agency__program=program, system__in=("booking", "rms")
        )
        .order_by("id")
        .values_list("person_id", "system", "value")
        .iterator(chunk_size=5000)
    ):
        if system == "booking" or person_id not in numbers:
            numbers[person_id] = (system, value)
    rows: list[ArrestRow] = []
    unknown = iter(range(1, 10_000_000))

    def add(
        at: dt.datetime,
        number: tuple[str, str] | None,
        *,
        agency_id: uuid.UUID | None = None,
        area: str | None = None,
        charge_level: str | None = None,
        booked: bool | None = None,
        sex: str = "unknown",
        race: str = "",
        ethnicity: str = "unknown",
        date_of_birth: dt.date | None = None,
    ) -> None:
        if at >= county.end:
            return
        if number is None:
            number = ("booking", f"J{at.year % 100:02d}-{next(unknown):07d}")
        agency = rng.choice(police)
        rows.append(
            ArrestRow(
                line=len(rows) + 2,
                record_number=f"RCJ-{len(rows) + 1:08d}",
                arrested_at=at,
                id_system=number[0],
                id_number=number[1],
                agency_id=agency_id or agency.id,
                area=area if area is not None else rng.choice(agency.towns(rng).postal_codes),
                booked=booked if booked is not None else rng.random() < 0.8,
                charge_level=charge_level or str(_pick(rng, LEVELS)),
                date_of_birth=date_of_birth,
                sex=sex,
                race=race,
                ethnicity=ethnicity,
            )
        )

    contacts = 0
    for person_id, at, disposition, agency_id, area in (
        Encounter.objects.filter(
            program=program, archived_at__isnull=True, disposition__in=INDEX_DISPOSITIONS
        )
        .order_by("occurred_at", "id")
        .values_list("person_id", "occurred_at", "disposition", "agency_id", "area")
        .iterator(chunk_size=5000)
    ):
        contacts += 1
        number = numbers.get(person_id)
        arrested = disposition == "arrested"
        if arrested and number is not None and rng.random() < BOOKED_AT_CONTACT:
            add(
                at + dt.timedelta(minutes=rng.randint(40, 240)),
                number,
                agency_id=agency_id,
                area=area,
                booked=True,
                charge_level=ChargeLevel.MISDEMEANOR.value,
            )
        if rng.random() < LATER_ARREST["arrested" if arrested else "diverted"]:
            later = at + dt.timedelta(days=rng.expovariate(1 / MEAN_DAYS_TO_ARREST))
            known = number is not None and rng.random() >= UNKNOWN_NUMBER
            add(later, number if known else None)
    span = (county.end - county.start).total_seconds()
    for _ in range(int(contacts * OTHERS_PER_CONTACT)):
        race, ethnicity = rng.choices([g for g, _ in OTHER_GROUPS], [w for _, w in OTHER_GROUPS])[0]
        at = county.start + dt.timedelta(seconds=rng.random() * span)
        age = rng.randint(18, 64)
        add(
            at,
            None,
            sex="male" if rng.random() < 0.78 else "female",
            race=race,
            ethnicity=ethnicity,
            date_of_birth=(at - dt.timedelta(days=365.25 * age + rng.randint(0, 364))).date(),
        )
    if not rows:
        return 0
    arrest_records_import(
        actor=None,
        program=program,
        source=DEMO_ARREST_SOURCE,
        file_name="riverbend-jail-bookings.csv",
        rows=rows,
    )
    return len(rows)
