"""The plain ORM path: the same raw figures as the columnar reports, computed the way a Django
app usually would (querysets, then Python over the rows). The benchmark (bench/reports.py)
times it against the DuckDB path, and the tests check both give the same answers, so each
keeps the other honest. Pages never use it."""

from __future__ import annotations

import datetime as dt
import json
import math
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import Min

from pathways.accounts.models import Agency
from pathways.encounters.models import Encounter
from pathways.linkage.models import DIVERTIBLE_LEVELS, ArrestRecord
from pathways.outcomes.filters import ReportFilters
from pathways.outcomes.reports import equity, funnel, treatment
from pathways.programs.models import Pathway
from pathways.referrals.models import Referral, ReferralStatusChange

ITERATOR_CHUNK = 5000


@dataclass
class Contact:
    """One contact as the reports see it, built from ORM rows."""

    pathway: str
    occurred_at: dt.datetime
    eligible: bool
    offered: bool
    accepted: bool
    arrested: bool
    sex: str
    race_group: str
    age_band: str
    first_sent_at: dt.datetime | None = None
    provider_accepted_at: dt.datetime | None = None
    intake_at: dt.datetime | None = None
    intake_provider: Any = None
    engaged_at: dt.datetime | None = None
    completed_at: dt.datetime | None = None
    retained_30: bool = False
    retained_90: bool = False


def _encounters(f: ReportFilters) -> Any:
    start = f.start_utc.replace(tzinfo=dt.UTC)
    end = f.end_utc.replace(tzinfo=dt.UTC)
    qs = Encounter.objects.filter(
        program_id=f.program_id,
        archived_at__isnull=True,
        occurred_at__gte=start,
        occurred_at__lt=end,
    )
    if f.agency is not None:
        qs = qs.filter(agency=f.agency)
    if f.area:
        qs = qs.filter(area=f.area)
    if f.pathway is not None:
        qs = qs.filter(pathway=f.pathway)
    return qs


def _race_group(races: Any, ethnicity: str) -> str:
    if ethnicity == "hispanic":
        return "hispanic"
    if isinstance(races, str):
        races = json.loads(races)
    if not races or "declined" in races:
        return "unknown"
    if len(races) > 1:
        return "multiple"
    return str(races[0])


def _age_band(born: dt.date | None, on: dt.date) -> str:
    if born is None:
        return "unknown"
    age = on.year - born.year - ((on.month, on.day) < (born.month, born.day))
    if age < 18:
        return "under 18"
    for band in equity.AGE_BANDS[1:-1]:
        if age <= int(band.split("-")[1]):
            return band
    return "66+"


def contacts(f: ReportFilters) -> Iterator[Contact]:
    """Every contact in the filter with its referrals' milestones: two querysets, then Python."""
    codes = dict(Pathway.objects.values_list("pk", "code"))
    encounters = _encounters(f)
    by_encounter: dict[Any, list[tuple[Any, ...]]] = defaultdict(list)
    referrals = Referral.objects.filter(
        encounter__in=encounters.values("pk"), archived_at__isnull=True
    )
    # each referral's first time at each status: one grouped query over the histories
    reached: dict[Any, dict[str, dt.datetime]] = defaultdict(dict)
    firsts = (
        ReferralStatusChange.objects.filter(
            referral__in=referrals.values("pk"),
            to_status__in=("accepted", "engaged", "completed", "disengaged"),
        )
        .values_list("referral_id", "to_status")
        .annotate(at=Min("changed_at"))
        .order_by()
    )
    for referral_id, status, at in firsts.iterator(chunk_size=ITERATOR_CHUNK):
        reached[referral_id][status] = at
    rows_r = referrals.values_list(
        "pk", "encounter_id", "created_at", "intake_at", "receiving_agency_id"
    )
    for pk, encounter_id, created_at, intake_at, provider in rows_r.iterator(
        chunk_size=ITERATOR_CHUNK
    ):
        times = reached.get(pk, {})
        by_encounter[encounter_id].append(
            (
                created_at,
                intake_at,
                provider,
                times.get("accepted"),
                times.get("engaged"),
                times.get("completed"),
                times.get("disengaged"),
            )
        )
    rows = encounters.values_list(
        "pk",
        "pathway_id",
        "occurred_at",
        "eligibility_outcome",
        "eligibility_review__decision",
        "disposition",
        "person__sex",
        "person__races",
        "person__ethnicity",
        "person__date_of_birth",
    )
    for (
        pk,
        pathway_id,
        at,
        outcome,
        review,
        disposition,
        sex,
        races,
        ethnicity,
        born,
    ) in rows.iterator(chunk_size=ITERATOR_CHUNK):
        eligible = review == "eligible" if review else outcome in ("", "eligible")
        contact = Contact(
            pathway=codes[pathway_id],
            occurred_at=at,
            eligible=eligible,
            offered=disposition in ("referred", "declined"),
            accepted=disposition == "referred",
            arrested=disposition == "arrested",
            sex=sex,
            race_group=_race_group(races, ethnicity),
            age_band=_age_band(born, at.date()),
        )
        for sent, intake, provider, accepted, engaged, completed, disengaged in by_encounter.get(
            pk, ()
        ):
            contact.first_sent_at = _min(contact.first_sent_at, sent)
            contact.provider_accepted_at = _min(contact.provider_accepted_at, accepted)
            contact.completed_at = _min(contact.completed_at, completed)
            if engaged is not None:
                when = intake or engaged
                if contact.intake_at is None or when < contact.intake_at:
                    contact.intake_at, contact.intake_provider = when, provider
                contact.engaged_at = _min(contact.engaged_at, engaged)
                for days, attr in ((30, "retained_30"), (90, "retained_90")):
                    if (
                        completed is not None
                        or disengaged is None
                        or disengaged > engaged + dt.timedelta(days=days)
                    ):
                        setattr(contact, attr, True)
        yield contact


def _min(a: dt.datetime | None, b: dt.datetime | None) -> dt.datetime | None:
    if a is None:
        return b
    if b is None:
        return a
    return min(a, b)


def _stages(c: Contact, as_of: dt.datetime) -> dict[str, bool]:
    engaged = (
        c.eligible
        and c.offered
        and c.accepted
        and c.provider_accepted_at is not None
        and c.engaged_at is not None
    )
    r30 = engaged and c.retained_30 and c.engaged_at is not None
    r30 = r30 and c.engaged_at <= as_of - dt.timedelta(days=30)  # type: ignore[operator]
    r90 = r30 and c.retained_90 and c.engaged_at <= as_of - dt.timedelta(days=90)  # type: ignore[operator]
    return {
        "contacts": True,
        "eligible": c.eligible,
        "offered": c.eligible and c.offered,
        "accepted": c.eligible and c.offered and c.accepted,
        "provider": c.eligible and c.offered and c.accepted and c.provider_accepted_at is not None,
        "engaged": engaged,
        "retained_30": r30,
        "retained_90": r30 and r90,
        "completed": engaged and c.completed_at is not None,
        "diversion_base": c.arrested or c.offered,
        "diverted": c.offered,
    }


def quantile(values: Sequence[float], p: float) -> float | None:
    """The p-quantile with linear interpolation between order statistics (DuckDB's
    quantile_cont)."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * p
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def funnel_counts(f: ReportFilters, as_of: dt.datetime) -> funnel.FunnelCounts:
    counts: dict[tuple[str, str], int] = defaultdict(int)
    durations: dict[tuple[str, str], list[float]] = defaultdict(list)
    present: set[str] = set()
    for c in contacts(f):
        present.add(c.pathway)
        stages = _stages(c, as_of)
        for stage in funnel.STAGES:
            if stages[stage.code]:
                for key in (c.pathway, funnel.ALL):
                    counts[(key, stage.code)] += 1
        for interval in funnel.INTERVALS:
            start, end = getattr(c, interval.start), getattr(c, interval.end)
            if stages[interval.stage] and start is not None and end is not None:
                # in whole minutes, as the columnar path counts them
                minutes = math.floor((end - start).total_seconds() / 60)
                unit = 60 if interval.kind.value == "hours" else 1440
                for key in (c.pathway, funnel.ALL):
                    durations[(key, interval.code)].append(minutes / unit)
    order = {p.code: p.display_order for p in Pathway.objects.all()}
    pathways = sorted(present, key=lambda code: order.get(code, 99))
    keys = [*pathways, funnel.ALL]
    return funnel.FunnelCounts(
        pathways,
        {(k, s.code): counts[(k, s.code)] for k in keys for s in funnel.STAGES},
        {
            (k, i.code): quantile(durations[(k, i.code)], 0.5)
            for k in keys
            for i in funnel.INTERVALS
        },
    )


def equity_counts(f: ReportFilters, as_of: dt.datetime) -> dict[tuple[str, str], int]:
    """(stage, group or "all") -> contacts, grouped by f.compare; imported arrests join the
    arrests."""
    counts: dict[tuple[str, str], int] = defaultdict(int)
    for c in contacts(f):
        group = getattr(c, f.compare)
        for stage, reached in _stages(c, as_of).items():
            if stage in equity.STAGES and reached:
                counts[(stage, group)] += 1
                counts[(stage, "all")] += 1
    for groups in imported_arrests(f):
        counts[(equity.IMPORTED_BASE, groups[f.compare])] += 1
        counts[(equity.IMPORTED_BASE, "all")] += 1
    return dict(counts)


def imported_arrests(f: ReportFilters) -> Iterator[dict[str, str]]:
    """The groups of each imported arrest the equity report counts: in the filter (no pathway
    filter: they have none), a misdemeanour or violation, and not the same arrest as one at a
    contact or an earlier record of the same person within a day (extract.SAME_ARREST)."""
    if f.pathway is not None:
        return
    qs = ArrestRecord.objects.filter(
        program_id=f.program_id,
        archived_at__isnull=True,
        arrested_at__gte=f.start_utc.replace(tzinfo=dt.UTC),
        arrested_at__lt=f.end_utc.replace(tzinfo=dt.UTC),
        charge_level__in=DIVERTIBLE_LEVELS,
    )
    if f.agency is not None:
        qs = qs.filter(agency=f.agency)
    if f.area:
        qs = qs.filter(area=f.area)
    rows = list(
        qs.values_list(
            "pk",
            "person_id",
            "arrested_at",
            "sex",
            "race",
            "ethnicity",
            "date_of_birth",
            "person__sex",
            "person__races",
            "person__ethnicity",
            "person__date_of_birth",
        )
    )
    people = {row[1] for row in rows if row[1] is not None}
    at_contacts: dict[Any, list[dt.datetime]] = defaultdict(list)
    for person_id, at in Encounter.objects.filter(
        program_id=f.program_id,
        person_id__in=people,
        archived_at__isnull=True,
        disposition="arrested",
    ).values_list("person_id", "occurred_at"):
        at_contacts[person_id].append(at)
    records: dict[Any, list[tuple[dt.datetime, Any]]] = defaultdict(list)
    for pk, person_id, at in ArrestRecord.objects.filter(
        program_id=f.program_id, person_id__in=people, archived_at__isnull=True
    ).values_list("pk", "person_id", "arrested_at"):
        records[person_id].append((at, pk))
    day = dt.timedelta(days=1)
    for pk, person_id, at, sex, race, ethnicity, born, p_sex, p_races, p_eth, p_born in rows:
        if person_id is not None:
            if any(abs(other - at) <= day for other in at_contacts[person_id]):
                continue
            if any(at - day <= t and (t, o) < (at, pk) for t, o in records[person_id]):
                continue
            yield {
                "sex": p_sex,
                "race_group": _race_group(p_races, p_eth),
                "age_band": _age_band(p_born, at.date()),
            }
        else:
            yield {
                "sex": sex,
                "race_group": "hispanic" if ethnicity == "hispanic" else (race or "unknown"),
                "age_band": _age_band(born, at.date()),
            }


def treatment_figures(f: ReportFilters) -> dict[tuple[str, str], dict[str, Any]]:
    """(dimension, key) -> n, within target and percentiles, as treatment.treatment_times."""

    goals = treatment.targets(f.program_id)
    names = dict(Agency.objects.values_list("pk", "name"))
    hours: dict[tuple[str, str], list[float]] = defaultdict(list)
    within: dict[tuple[str, str], int] = defaultdict(int)
    for c in contacts(f):
        if c.intake_at is None:
            continue
        seconds = max((c.intake_at - c.occurred_at).total_seconds(), 0)
        minutes = math.floor(seconds / 60)  # times count whole minutes, as columnar
        for key in (
            ("pathway", c.pathway),
            ("pathway", "all"),
            ("provider", names[c.intake_provider]),
            ("provider", "all"),
        ):
            hours[key].append(minutes / 60)
            within[key] += minutes <= goals[c.pathway].hours * 60
    return {
        key: {
            "n": len(values),
            "within": within[key],
            **{f"p{round(p * 100)}": quantile(values, p) for p in (0.25, 0.5, 0.75, 0.9)},
        }
        for key, values in hours.items()
    }
