"""Hand-built contacts for the report tests: a contact with its referral walked through exact
status times, so a test can work out the right answer itself."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from pathways.accounts.models import Agency, AgencyKind
from pathways.encounters.factories import EncounterFactory
from pathways.encounters.models import Encounter
from pathways.imports.linkage_source import KIND as EMS
from pathways.imports.models import EmsReport, ImportJob, ImportKind
from pathways.linkage import services as linkage_services
from pathways.linkage.models import (
    ArrestRecord,
    CandidatePair,
    ClusterMember,
    LinkageRun,
    LinkageRunStatus,
    PairStatus,
    RecordImport,
)
from pathways.linkage.sources import ARREST, PERSON, record_key
from pathways.linkage.thresholds import LOOSE, MAIN, STRICT
from pathways.outcomes.filters import ReportFilters
from pathways.people.factories import PersonFactory
from pathways.people.models import Person
from pathways.programs.models import Pathway
from pathways.referrals.models import Referral, ReferralStatusChange
from pathways.surveillance.models import OverdoseEvent, OverdoseSource

#: A fixed moment the report tests count from (UTC).
T0 = dt.datetime(2026, 3, 2, 15, 0, tzinfo=dt.UTC)


def report_filters(cast: Any, **overrides: Any) -> ReportFilters:
    """The cast's program over 2026 (T0's year), with any filter overridden."""
    values: dict[str, Any] = {
        "program_id": cast.program.pk,
        "time_zone": cast.program.time_zone,
        "start": dt.date(2026, 1, 1),
        "end": dt.date(2026, 12, 31),
    }
    values.update(overrides)
    return ReportFilters(**values)


_CST = dt.timezone(dt.timedelta(hours=-6))  # the cast program's zone in March, before DST
#: Moments at the edges of the cast program's local days (America/Chicago): counts kept per
#: local day must put each contact on its own day.
LOCAL_DAY_EDGES = (
    dt.datetime(2026, 3, 1, 23, 30, tzinfo=_CST),  # 05:30 UTC on 2 March
    dt.datetime(2026, 3, 2, 0, 30, tzinfo=_CST),
    dt.datetime(2026, 3, 8, 1, 30, tzinfo=_CST),  # the night the clocks go forward
    dt.datetime(2026, 3, 8, 23, 45, tzinfo=dt.timezone(dt.timedelta(hours=-5))),
)


def contacts_at(
    cast: Any, moments: Sequence[dt.datetime], steps: Sequence[Sequence[tuple[str, float]]]
) -> None:
    """A contact at each moment with its referral's steps, alternating agency, area and
    pathway, for the tests of counts kept per local day."""
    for n, at in enumerate(moments):
        contact(
            cast,
            at=at,
            agency=cast.police_b if n % 2 else cast.police_a,
            area=["North", "South"][n % 2],
            pathway=["officer_prevention", "self_referral"][n % 3 == 0],
            steps=steps[n],
        )


def local_day_windows(cast: Any) -> list[dict[str, Any]]:
    """Filters to compare kept per-day counts with counting the rows: the local days either
    side of LOCAL_DAY_EDGES' midnights, an agency, an area and a pathway."""
    return [
        {},
        {"start": dt.date(2026, 3, 2), "end": dt.date(2026, 3, 2)},
        {"start": dt.date(2026, 3, 1), "end": dt.date(2026, 3, 1)},
        {"start": dt.date(2026, 3, 8), "end": dt.date(2026, 3, 8)},
        {"agency": cast.police_b},
        {"area": "North"},
        {"pathway": Pathway.objects.get(code="self_referral")},
    ]


def person(**fields: Any) -> Person:
    return PersonFactory.create(**fields)


def contact(
    cast: Any,
    *,
    at: dt.datetime = T0,
    pathway: str = "officer_prevention",
    disposition: str = "referred",
    who: Person | None = None,
    agency: Any = None,
    area: str = "",
    eligibility_outcome: str = "",
    steps: Sequence[tuple[str, float]] = (),
    service: Any = None,
) -> Encounter:
    """A contact; with `steps`, one referral sent at the contact whose status then moves to each
    (status, hours after the contact) in turn: ("accepted", 2), ("engaged", 30)..."""
    agency = agency or cast.police_a
    encounter = EncounterFactory.create(
        agency=agency,
        responder=cast.officer_a if agency == cast.police_a else cast.officer_b,
        pathway=Pathway.objects.get(code=pathway),
        person=who or PersonFactory.create(),
        occurred_at=at,
        disposition=disposition,
        area=area,
        eligibility_outcome=eligibility_outcome,
    )
    if steps:
        walk(cast, encounter, steps, service=service)
    return encounter


def walk(
    cast: Any,
    encounter: Encounter,
    steps: Sequence[tuple[str, float]],
    *,
    service: Any = None,
    decline_reason: str = "no_capacity",
) -> Referral:
    service = service or cast.detox_p
    at = encounter.occurred_at
    referral = Referral.objects.create(
        encounter=encounter,
        person=encounter.person,
        service=service,
        referring_agency=encounter.agency,
        receiving_agency=service.organization,
        created_at=at,
        status_changed_at=at,
    )
    ReferralStatusChange.objects.create(referral=referral, to_status="sent", changed_at=at)
    previous = "sent"
    for status, hours in steps:
        moment = at + dt.timedelta(hours=hours)
        ReferralStatusChange.objects.create(
            referral=referral,
            from_status=previous,
            to_status=status,
            changed_at=moment,
            decline_reason=decline_reason if status == "declined" else "",
            scheduled_for=moment if status == "engaged" else None,
        )
        previous = status
        referral.status = status
        referral.status_changed_at = moment
        if status == "engaged":
            referral.intake_at = moment
    referral.save()
    return referral


def arrest(
    cast: Any,
    *,
    at: dt.datetime = T0,
    who: Person | None = None,
    charge_level: str = "misdemeanor",
    agency: Any = None,
    area: str = "",
    source: str = "County jail",
    **fields: Any,
) -> ArrestRecord:
    """An imported arrest record (linked to `who`, or not linked), as an import would leave
    it; `fields` sets the record's own sex, race, ethnicity, date of birth or archive time."""
    batch = RecordImport.objects.create(program=cast.program, source=source, file_name="t.csv")
    return ArrestRecord.objects.create(
        program=cast.program,
        record_import=batch,
        source=source,
        record_number=f"A-{ArrestRecord.objects.count() + 1}",
        arrested_at=at,
        agency=agency,
        area=area,
        charge_level=charge_level,
        id_system="booking",
        id_number=f"B-{ArrestRecord.objects.count() + 1}",
        person=who,
        linked_at=at if who is not None else None,
        **fields,
    )


def linkage_key(record: Person | ArrestRecord) -> str:
    """A person's or an imported arrest's key in record linkage."""
    return record_key(PERSON if isinstance(record, Person) else ARREST, record.pk)


def linked_pairs(
    cast: Any, pairs: Sequence[tuple[Person | ArrestRecord, Person | ArrestRecord, float]]
) -> LinkageRun:
    """A finished linkage run of the cast's program that kept these scored pairs (linked at
    0.95 or more, waiting for review below), and the clusters it builds at each threshold, as
    a run leaves them (no model is trained: the pairs are the test's)."""
    run = LinkageRun.objects.create(program=cast.program, status=LinkageRunStatus.DONE)
    for a, b, probability in pairs:
        left, right = sorted((linkage_key(a), linkage_key(b)))
        CandidatePair.objects.create(
            program=cast.program,
            run=run,
            left_key=left,
            right_key=right,
            probability=probability,
            match_weight=0.0,
            status=PairStatus.AUTO if probability >= 0.95 else PairStatus.OPEN,
        )
    linkage_services._recluster(cast.program, records=0)
    return run


def ems_overdose(
    cast: Any,
    *,
    at: dt.datetime = T0,
    linked_to: Person | None = None,
    thresholds: Sequence[str] = (MAIN, STRICT, LOOSE),
) -> EmsReport:
    """An overdose imported from an EMS patient care report, as an import leaves it (the event
    has no person). With `linked_to`, record linkage's cluster rows put the report in one
    cluster with that person at each of `thresholds` (alone at the others), as a linkage run
    leaves them; nothing else of a run is made."""
    agency, _ = Agency.objects.get_or_create(
        program=cast.program, name="County EMS", defaults={"kind": AgencyKind.EMS}
    )
    job = ImportJob.objects.create(
        program=cast.program,
        kind=ImportKind.NEMSIS,
        agency=agency,
        file_name="pcr.xml",
        created_by=cast.coordinator,
    )
    event = OverdoseEvent.objects.create(
        program=cast.program,
        reporting_agency=agency,
        occurred_at=at,
        naloxone_given=False,
        fatal=False,
        transported=False,
        source=OverdoseSource.IMPORT,
    )
    report = EmsReport.objects.create(
        program=cast.program,
        agency=agency,
        pcr_number=f"PCR-{EmsReport.objects.count() + 1}",
        job=job,
        overdose=event,
    )
    if linked_to is not None:
        link_ems(cast, report, linked_to, thresholds)
    return report


def link_ems(
    cast: Any, report: EmsReport, who: Person, thresholds: Sequence[str] = (MAIN, STRICT, LOOSE)
) -> None:
    """The cluster rows a linkage run leaves when it puts the EMS report in one cluster with
    `who` at each of `thresholds` (alone at the others): the report's and the person's."""
    _cluster(cast, record_key(EMS, report.pk), who, thresholds)
    _cluster(cast, linkage_key(who), who, (MAIN, STRICT, LOOSE))


def _cluster(cast: Any, key: str, who: Person, thresholds: Sequence[str]) -> None:
    """The cluster row of the record `key`: in `who`'s cluster (named by `who`'s key) at each of
    `thresholds`, alone at the others."""
    cluster = linkage_key(who)
    keys = {t: cluster if t in thresholds else key for t in (MAIN, STRICT, LOOSE)}
    people = {t: who.pk if t in thresholds else None for t in (MAIN, STRICT, LOOSE)}
    ClusterMember.objects.update_or_create(
        program=cast.program,
        record_key=key,
        defaults={
            "cluster_key": keys[MAIN],
            "strict_cluster_key": keys[STRICT],
            "loose_cluster_key": keys[LOOSE],
            "cluster_person": people[MAIN],
            "strict_person": people[STRICT],
            "loose_person": people[LOOSE],
        },
    )
