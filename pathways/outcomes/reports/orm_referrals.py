"""The plain ORM path of the referral loop: the same raw figures as
`referral_loop.loop_counts`, computed the way a Django app usually would (querysets, then Python
over the rows), for the benchmark and for the tests that check both paths agree (see orm.py).
Pages never use it.

Times follow the extract's arithmetic exactly: seconds since the epoch as DuckDB's `epoch`
gives them (microseconds over a million, as a float), whole minutes floored, so that medians
and counts at a deadline's edge come out the same."""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from collections.abc import Hashable
from typing import Any

from django.db.models import Count, Max, Min, Sum

from pathways.accounts.models import Agency
from pathways.directory.models import Service
from pathways.outcomes.filters import ReportFilters
from pathways.outcomes.reports import referral_loop
from pathways.outcomes.reports.orm import ITERATOR_CHUNK, _encounters, quantile
from pathways.referrals.models import DeclineReason, Referral, ReferralStatus, ReferralStatusChange

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_MICROSECOND = dt.timedelta(microseconds=1)
_WAITING = (ReferralStatus.SENT, ReferralStatus.RECEIVED)


def _epoch(moment: dt.datetime) -> float:
    """Seconds since 1970 as DuckDB's epoch() gives them for the extract's naive UTC time."""
    return ((moment - _EPOCH) // _MICROSECOND) / 1_000_000


def _overdue_seconds(
    status: str,
    pathway: str,
    sent_at: dt.datetime,
    status_changed_at: dt.datetime,
    accepted_at: dt.datetime | None,
    declined_at: dt.datetime | None,
    now: float,
    hours: dict[str, int],
) -> float | None:
    """Seconds past the deadline of the referral's current status at `now` (epoch seconds),
    or None when its status has no deadline (as referral_loop._facts_sql)."""
    if accepted_at is None and declined_at is None and status in _WAITING:
        # whole hours, as the columnar SQL writes them into its query
        deadline = int(hours.get(pathway, referral_loop.DEFAULT_RESPONSE_HOURS))
        return now - _epoch(sent_at) - 3600 * deadline
    if accepted_at is not None and status == ReferralStatus.ACCEPTED:
        return now - _epoch(accepted_at) - 86400 * referral_loop.SCHEDULE_DAYS
    if accepted_at is not None and status == ReferralStatus.INTAKE_SCHEDULED:
        return now - _epoch(status_changed_at) - 86400 * referral_loop.ENGAGE_DAYS
    return None


def capacity(f: ReportFilters) -> dict[str, tuple[int, int, int]]:
    """The listed services of the program's agencies (not archived) per service type:
    (services, total capacity, open capacity), as referral_loop._capacity reads them."""
    rows = (
        Service.objects.filter(organization__program_id=f.program_id, archived_at__isnull=True)
        .values_list("service_type")
        .annotate(n=Count("pk"), total=Sum("capacity_total"), open=Sum("capacity_open"))
        .order_by()
    )
    return {str(st): (int(n), int(total or 0), int(open_ or 0)) for st, n, total, open_ in rows}


def loop_counts(f: ReportFilters, as_of: dt.datetime) -> referral_loop.LoopCounts:
    """The referral loop's figures as of `as_of`: one grouped query over the status histories
    for each referral's first answer and engagement, one over the referrals, then Python."""
    now = _epoch(as_of.astimezone(dt.UTC))
    hours = referral_loop.response_hours(f.program_id)
    referrals = Referral.objects.filter(
        encounter__in=_encounters(f).values("pk"), archived_at__isnull=True
    )
    # each referral's first time at each status the loop looks at, and the decline's reason
    # (the greatest, should there be more than one decline, as the extract keeps it)
    reached: dict[Any, dict[str, dt.datetime]] = defaultdict(dict)
    reasons: dict[Any, str] = {}
    firsts = (
        ReferralStatusChange.objects.filter(
            referral__in=referrals.values("pk"),
            to_status__in=(
                ReferralStatus.ACCEPTED,
                ReferralStatus.DECLINED,
                ReferralStatus.ENGAGED,
            ),
        )
        .values_list("referral_id", "to_status")
        .annotate(at=Min("changed_at"), reason=Max("decline_reason"))
        .order_by()
    )
    for referral_id, status, at, reason in firsts.iterator(chunk_size=ITERATOR_CHUNK):
        reached[referral_id][status] = at
        if status == ReferralStatus.DECLINED:
            reasons[referral_id] = reason
    counts: dict[referral_loop.Pair, dict[str, int]] = {}
    response_minutes: dict[Hashable, list[int]] = defaultdict(list)
    late_minutes: dict[Hashable, list[int]] = defaultdict(list)
    rows = referrals.values_list(
        "pk",
        "receiving_agency_id",
        "service__service_type",
        "status",
        "status_changed_at",
        "created_at",
        "encounter__pathway__code",
    )
    for pk, provider, service_type, status, changed_at, sent_at, pathway in rows.iterator(
        chunk_size=ITERATOR_CHUNK
    ):
        times = reached.get(pk, {})
        accepted_at = times.get(ReferralStatus.ACCEPTED)
        declined_at = times.get(ReferralStatus.DECLINED)
        engaged_at = times.get(ReferralStatus.ENGAGED)
        pair = (str(provider), str(service_type))
        c = counts.setdefault(pair, dict.fromkeys(referral_loop.MEASURES, 0))
        c["received"] += 1
        if accepted_at is not None:
            c["accepted"] += 1
            if engaged_at is not None:
                c["engaged"] += 1
        elif declined_at is not None:
            c["declined"] += 1
            reason = reasons.get(pk)
            c[f"reason:{reason if reason in referral_loop.REASONS else DeclineReason.OTHER}"] += 1
        else:
            c["waiting"] += 1
        # sent to the first answer (accepted or declined), in whole minutes
        answers = [t for t in (accepted_at, declined_at) if t is not None]
        if answers:
            minutes = math.floor((_epoch(min(answers)) - _epoch(sent_at)) / 60)
            for key in (pair, referral_loop.ALL):
                response_minutes[key].append(minutes)
        overdue = _overdue_seconds(
            status, pathway, sent_at, changed_at, accepted_at, declined_at, now, hours
        )
        if overdue is not None and overdue > 0 and status in referral_loop.STUCK_STATUSES:
            c[f"stuck:{status}"] += 1
            for key in (pair[0], referral_loop.ALL):
                late_minutes[key].append(math.floor(overdue / 60))

    response: dict[Hashable, float | None] = {}
    for group, values in response_minutes.items():
        median = quantile(values, 0.5)
        response[group] = None if median is None else median / 60
    overdue_days: dict[Hashable, float | None] = {}
    for group, values in late_minutes.items():
        median = quantile(values, 0.5)
        overdue_days[group] = None if median is None else median / 1440
    response.setdefault(referral_loop.ALL, None)
    overdue_days.setdefault(referral_loop.ALL, None)

    ids = sorted({p for p, _ in counts})
    names = {
        str(pk): str(name)
        for pk, name in Agency.objects.filter(pk__in=ids).values_list("pk", "name")
    }
    providers = {p: names.get(p, "Unknown provider") for p in ids}
    providers = dict(sorted(providers.items(), key=lambda item: (item[1], item[0])))
    order = {p: n for n, p in enumerate(providers)}
    pairs = sorted(counts, key=lambda pair: (order[pair[0]], referral_loop._type_order(pair[1])))
    for pair in pairs:
        referral_loop._derive(counts[pair])

    listed = capacity(f)
    types = sorted({st for _, st in pairs} | set(listed), key=referral_loop._type_order)
    return referral_loop.LoopCounts(
        providers, pairs, types, counts, response, overdue_days, listed, hours
    )
