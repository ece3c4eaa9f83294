"""The plain ORM path of the outcomes, cost and quarterly reports: the same raw figures as
`recurrence.recurrence_counts`, `cost.diverted_counts`, `funder.served_counts` and
`funder.funder_figures`, computed the way a Django app usually would (querysets, then Python
over the rows), for the benchmark and for the tests that check both paths agree (see orm.py).
Pages never use it.

The columnar path stores each contact's next contact, overdose response and arrest in the
extract (extract.ENCOUNTER_FACTS); here they are found per person from their contacts and
imported arrests, with the same arithmetic: days as seconds over 86,400, rounded up for an
event and down for the follow-up."""

from __future__ import annotations

import bisect
import datetime as dt
import math
from collections import defaultdict
from typing import Any

from django.db.models import Min

from pathways.encounters.models import Encounter
from pathways.linkage.models import ArrestRecord
from pathways.linkage.selectors import arrest_cluster_people, cluster_people
from pathways.linkage.thresholds import MAIN
from pathways.outcomes.extract import EVENT_HORIZON_DAYS, INDEX_DISPOSITIONS
from pathways.outcomes.filters import ReportFilters
from pathways.outcomes.reports import recurrence, treatment
from pathways.outcomes.reports.funder import (
    ALL,
    FROM_FUNNEL,
    NEW,
    PEOPLE,
    REFERRALS,
    TIMED,
    WITHIN,
    FunderFigures,
    Quarter,
    _within,
    quarter_of,
    trend_quarters,
)
from pathways.outcomes.reports.orm import (
    ITERATOR_CHUNK,
    _encounters,
    funnel_counts,
    treatment_figures,
)
from pathways.outcomes.survival import GroupedRow
from pathways.programs.models import Pathway, PathwayCode
from pathways.referrals.models import Referral

#: An imported arrest this close to an earlier one of the same person is the same arrest
#: (extract.SAME_ARREST).
SAME_ARREST = dt.timedelta(days=1)
HORIZON = dt.timedelta(days=EVENT_HORIZON_DAYS)
OVERDOSE_PATHWAY = str(PathwayCode.NALOXONE_PLUS)
SECONDS_PER_DAY = 86400


class _Clusters:
    """Each clustered person's cluster person at one threshold (linkage selectors); anyone
    else is their own."""

    def __init__(self, program_id: Any, threshold: str) -> None:
        self.of: dict[str, str] = {
            c.person_id: c.at(threshold)
            for chunk in cluster_people(program_id=program_id)
            for c in chunk
        }

    def __call__(self, person_id: Any) -> str:
        return self.of.get(str(person_id), str(person_id))

    def people_of(self, clusters: set[str]) -> set[str]:
        """The clustered people counted under one of `clusters` (not the cluster persons)."""
        return {p for p, c in self.of.items() if c in clusters and p != c}


def counted_arrests(program_id: Any, threshold: str = MAIN) -> dict[str, list[dt.datetime]]:
    """Each cluster person's imported arrests that count as events (extract's arrest facts
    `counted`, at a linkage threshold), in time order: not archived, linked to a person (by
    number, else by the model at `threshold`), and not the same arrest as one recorded
    before it (SAME_ARREST) of the same cluster person: a contact ending in arrest a day
    either side, or another of their records (earlier, or at the same moment with a lower
    id) in the day before."""
    mine: dict[str, list[tuple[dt.datetime, str]]] = defaultdict(list)
    times = {
        str(pk): at
        for pk, at in ArrestRecord.objects.filter(program_id=program_id, archived_at__isnull=True)
        .values_list("pk", "arrested_at")
        .iterator(chunk_size=ITERATOR_CHUNK)
    }
    for chunk in arrest_cluster_people(program_id=program_id):
        for record in chunk:
            person = record.at(threshold)
            if person is not None:
                mine[person].append((times[record.arrest_id], record.arrest_id))
    cluster = _Clusters(program_id, threshold)
    at_contacts: dict[str, list[dt.datetime]] = defaultdict(list)
    arrested = Encounter.objects.filter(
        program_id=program_id, archived_at__isnull=True, disposition="arrested"
    ).values_list("person_id", "occurred_at")
    for contact_person, at in arrested.iterator(chunk_size=ITERATOR_CHUNK):
        at_contacts[cluster(contact_person)].append(at)
    counted: dict[str, list[dt.datetime]] = {}
    for person, records_of in mine.items():
        records_of.sort()
        contacts_at = at_contacts.get(person, [])
        kept = []
        for n, (at, _) in enumerate(records_of):
            if any(abs(other - at) <= SAME_ARREST for other in contacts_at):
                continue
            # the record just before it in (time, id) order is the latest of the earlier ones
            if n and records_of[n - 1][0] >= at - SAME_ARREST:
                continue
            kept.append(at)
        if kept:
            counted[person] = kept
    return counted


def _next_after(times: list[dt.datetime], at: dt.datetime) -> dt.datetime | None:
    """The first of `times` (sorted) strictly after `at`."""
    position = bisect.bisect_right(times, at)
    return times[position] if position < len(times) else None


def recurrence_counts(
    f: ReportFilters, as_of: dt.datetime, *, threshold: str = MAIN
) -> recurrence.Recurrence:
    """The grouped survival rows of every measure, as recurrence.recurrence_counts: each
    cluster person's (linkage selectors, at `threshold`) index contact is their first contact
    in the filter (by time, then id) that offered services or ended in arrest, by `as_of`;
    their later events are any of their contacts in the program (whatever the filter) and
    their counted imported arrests."""
    cluster = _Clusters(f.program_id, threshold)
    # each cluster person's index contact: (time, id, arrested)
    index: dict[str, tuple[dt.datetime, Any, bool]] = {}
    candidates = _encounters(f).filter(disposition__in=INDEX_DISPOSITIONS, occurred_at__lte=as_of)
    rows = candidates.values_list("person_id", "occurred_at", "pk", "disposition")
    for person_id, at, pk, disposition in rows.iterator(chunk_size=ITERATOR_CHUNK):
        key = cluster(person_id)
        first = index.get(key)
        if first is None or (at, pk) < (first[0], first[1]):
            index[key] = (at, pk, disposition == "arrested")
    # the later events of those people: every contact of theirs in the program (sorted lists
    # of times per measure), and the imported arrests that count
    codes = dict(Pathway.objects.values_list("pk", "code"))
    events: dict[str, dict[str, list[dt.datetime]]] = {
        m.code: defaultdict(list) for m in recurrence.MEASURES
    }
    theirs = Encounter.objects.filter(program_id=f.program_id, archived_at__isnull=True)
    others = sorted(cluster.people_of(set(index)))
    batches = [theirs.filter(person_id__in=candidates.values("person_id"))]
    batches += [
        theirs.filter(person_id__in=others[start : start + ITERATOR_CHUNK]).exclude(
            person_id__in=candidates.values("person_id")
        )
        for start in range(0, len(others), ITERATOR_CHUNK)
    ]
    for batch in batches:
        found = batch.values_list("person_id", "occurred_at", "pathway_id", "disposition")
        for person_id, at, pathway_id, disposition in found.iterator(chunk_size=ITERATOR_CHUNK):
            key = cluster(person_id)
            events[recurrence.CONTACT][key].append(at)
            if codes[pathway_id] == OVERDOSE_PATHWAY:
                events[recurrence.OVERDOSE][key].append(at)
            if disposition == "arrested":
                events[recurrence.ARREST][key].append(at)
    imported = counted_arrests(f.program_id, threshold)
    for person_id, times in imported.items():
        if person_id in index:
            events[recurrence.ARREST][person_id].extend(times)
    for by_person in events.values():
        for times in by_person.values():
            times.sort()
    # (group, measure) -> day -> [events, censored]
    tally: dict[tuple[str, str], dict[int, list[int]]] = defaultdict(dict)
    for person_id, (at, _, arrested) in index.items():
        group = recurrence.ARRESTED if arrested else recurrence.DIVERTED
        # followed in whole days until the figures were taken, at most the horizon
        followed = min(
            EVENT_HORIZON_DAYS, math.floor((as_of - at).total_seconds() / SECONDS_PER_DAY)
        )
        for m in recurrence.MEASURES:
            later = _next_after(events[m.code].get(person_id, []), at)
            # an event counts within the horizon and when it had happened by `as_of`
            if later is not None and later - at <= HORIZON and later <= as_of:
                day, is_event = math.ceil((later - at).total_seconds() / SECONDS_PER_DAY), True
            else:
                day, is_event = followed, False
            cell = tally[(group, m.code)].setdefault(day, [0, 0])
            cell[0 if is_event else 1] += 1
    grouped: dict[tuple[str, str], list[GroupedRow]] = {
        (g, m.code): [] for g in recurrence.GROUPS for m in recurrence.MEASURES
    }
    for cell_key, days in tally.items():
        grouped[cell_key] = [(float(day), n[0], n[1]) for day, n in sorted(days.items())]
    return recurrence.Recurrence(grouped, arrests_imported=bool(imported))


def diverted_counts(f: ReportFilters) -> dict[str, int]:
    """Diverted contacts (offered services: referred or declined) in the filter by pathway
    code, for every pathway with a contact there, as cost.diverted_counts."""
    codes = dict(Pathway.objects.values_list("pk", "code"))
    counts: dict[str, int] = {}
    rows = _encounters(f).values_list("pathway_id", "disposition")
    for pathway_id, disposition in rows.iterator(chunk_size=ITERATOR_CHUNK):
        code = codes[pathway_id]
        counts[code] = counts.get(code, 0) + (disposition in ("referred", "declined"))
    return counts


def served_counts(f: ReportFilters) -> dict[tuple[str, str], int]:
    """People served, new people and referrals sent in the filter, per pathway and ALL, as
    funder.served_counts: a person counts once, under the pathway of their first contact in the
    filter (by time, then id); new when their first contact ever in the program is in the
    window; every referral (not archived) made at a contact in the filter."""
    codes = dict(Pathway.objects.values_list("pk", "code"))
    encounters = _encounters(f)
    first: dict[Any, tuple[dt.datetime, Any, str]] = {}
    rows = encounters.values_list("person_id", "occurred_at", "pk", "pathway_id")
    for person_id, at, pk, pathway_id in rows.iterator(chunk_size=ITERATOR_CHUNK):
        seen = first.get(person_id)
        if seen is None or (at, pk) < (seen[0], seen[1]):
            first[person_id] = (at, pk, codes[pathway_id])
    # each person's first contact ever in the program: one grouped query
    ever = (
        Encounter.objects.filter(
            program_id=f.program_id,
            archived_at__isnull=True,
            person_id__in=encounters.values("person_id"),
        )
        .values_list("person_id")
        .annotate(first_at=Min("occurred_at"))
        .order_by()
    )
    start = f.start_utc.replace(tzinfo=dt.UTC)
    new_people = {
        person_id
        for person_id, first_at in ever.iterator(chunk_size=ITERATOR_CHUNK)
        if first_at >= start
    }
    counts: dict[tuple[str, str], int] = {(ALL, m): 0 for m in (PEOPLE, NEW, REFERRALS)}
    for person_id, (_, _, code) in first.items():
        is_new = person_id in new_people
        for row in (code, ALL):
            counts[(row, PEOPLE)] = counts.get((row, PEOPLE), 0) + 1
            counts[(row, NEW)] = counts.get((row, NEW), 0) + is_new
    referrals = Referral.objects.filter(
        encounter__in=encounters.values("pk"), archived_at__isnull=True
    ).values_list("encounter__pathway_id", flat=True)
    for pathway_id in referrals.iterator(chunk_size=ITERATOR_CHUNK):
        for row in (codes[pathway_id], ALL):
            counts[(row, REFERRALS)] = counts.get((row, REFERRALS), 0) + 1
    return counts


def funder_figures(f: ReportFilters, as_of: dt.datetime) -> FunderFigures:
    """The quarterly report's raw figures, as funder.funder_figures, from the ORM path's own
    counts: the funnel per trend quarter (one `orm.funnel_counts` a quarter: its pathways are
    the quarter's pathways present, its counts the stage counts), people served, time to
    treatment (`orm.treatment_figures`) and the cohort's outcomes."""
    quarter = quarter_of(f)
    counts: dict[tuple[Quarter, str, str], int] = {}
    pathways: list[str] = []
    for q in trend_quarters(quarter):
        window = funnel_counts(_within(f, q), as_of)
        for row in [*window.pathways, ALL]:
            for measure, stage in FROM_FUNNEL.items():
                counts[(q, row, measure)] = window.counts.get((row, stage), 0)
        if q == quarter:
            pathways = window.pathways
    for q in (quarter, quarter.shift(-1), quarter.shift(-4)):
        for (row, measure), n in served_counts(_within(f, q)).items():
            counts[(q, row, measure)] = n
    goals = treatment.targets(f.program_id)
    times = treatment_figures(_within(f, quarter))
    medians: dict[str, float | None] = {}
    for row in [*pathways, ALL]:
        figures = times.get(("pathway", row), {})
        counts[(quarter, row, TIMED)] = int(figures.get("n", 0))
        counts[(quarter, row, WITHIN)] = int(figures.get("within", 0))
        p50 = figures.get("p50")
        medians[row] = None if p50 is None else float(p50)
    cohort = _within(f, quarter.shift(-4), quarter.shift(-1))
    outcomes = recurrence_counts(cohort, as_of)
    taken = as_of.astimezone(dt.UTC).replace(tzinfo=None)
    complete = _within(f, quarter).end_utc <= taken
    return FunderFigures(quarter, pathways, counts, medians, goals, outcomes, complete)
