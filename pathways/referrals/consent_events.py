"""The "treatment ended" event a consent may end (or become revocable) on, as referrals record
it; registered with consent.events when the app is ready (apps.py)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping, Sequence

from pathways.consent.events import register_end_event
from pathways.consent.models import Consent, ExpiryEvent
from pathways.referrals.models import ReferralStatus, ReferralStatusChange

#: Referral statuses that end a consent "when the referral is completed or the person
#: disengages".
TREATMENT_END_STATUSES = (ReferralStatus.COMPLETED, ReferralStatus.DISENGAGED)


def treatment_ended_at(consents: Sequence[Consent]) -> Mapping[uuid.UUID, dt.datetime]:
    """For each consent, the first time after it was recorded that a referral of its person to
    its disclosing agency was completed or disengaged. One query whatever their number."""
    if not consents:
        return {}
    times: dict[tuple[uuid.UUID, uuid.UUID], list[dt.datetime]] = {}
    for person_id, agency_id, changed_at in (
        ReferralStatusChange.objects.filter(
            referral__person_id__in={c.person_id for c in consents},
            referral__receiving_agency_id__in={c.disclosing_agency_id for c in consents},
            to_status__in=TREATMENT_END_STATUSES,
            changed_at__gte=min(c.created_at for c in consents),
        )
        .values_list("referral__person_id", "referral__receiving_agency_id", "changed_at")
        .order_by("changed_at")
    ):
        times.setdefault((person_id, agency_id), []).append(changed_at)
    ended: dict[uuid.UUID, dt.datetime] = {}
    for consent in consents:
        after = (
            t
            for t in times.get((consent.person_id, consent.disclosing_agency_id), [])
            if t >= consent.created_at
        )
        if (first := next(after, None)) is not None:
            ended[consent.pk] = first
    return ended


def register() -> None:
    register_end_event(ExpiryEvent.TREATMENT_ENDED, treatment_ended_at)
