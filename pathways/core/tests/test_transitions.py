"""core.transitions.transition(): the one status move the referrals, cases and outreach use.
Shown on a referral (any record with a `history` relation works the same); each refusal
changes nothing."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError

from pathways.cases.models import TRANSITIONS as CASE_TRANSITIONS
from pathways.cases.models import CaseStatus
from pathways.core import clock
from pathways.core.conflicts import StaleEdit
from pathways.core.transitions import Moved, transition
from pathways.encounters.factories import EncounterFactory
from pathways.followups.models import OUTREACH_TRANSITIONS, OutreachStatus
from pathways.referrals.factories import make_referral
from pathways.referrals.models import (
    TRANSITIONS,
    Referral,
    ReferralStatus,
    ReferralStatusChange,
)
from pathways.testing import Cast

pytestmark = pytest.mark.django_db


@pytest.fixture
def referral(cast: Cast) -> Referral:
    encounter = EncounterFactory.create(agency=cast.police_a, responder=cast.officer_a)
    return make_referral(actor=cast.officer_a, encounter=encounter, service=cast.detox_p)


def _move(referral: Referral, actor: Any, to_status: str, **kwargs: Any) -> Moved[Referral]:
    return transition(
        referral,
        actor=actor,
        to_status=to_status,
        allowed=TRANSITIONS,
        statuses=ReferralStatus,
        noun="referral",
        **kwargs,
    )


def _unchanged(referral: Referral, status: str, history: int) -> None:
    fresh = Referral.objects.get(pk=referral.pk)
    assert fresh.status == status
    assert ReferralStatusChange.objects.filter(referral=referral).count() == history


def test_a_move_writes_history_caches_the_status_and_saves_the_named_fields(
    cast: Cast, referral: Referral
) -> None:
    stale_copy = referral
    when = clock.now()
    moved = transition(
        referral,
        actor=cast.intake_p,
        to_status=ReferralStatus.ACCEPTED,
        allowed=TRANSITIONS,
        statuses=ReferralStatus,
        noun="referral",
        expected_status=ReferralStatus.SENT,
        at=when,
        history={"note": "Bed held"},
        also_set={"intake_at": when},
    )
    assert moved.obj is not stale_copy  # the locked, fresh copy
    assert (moved.from_status, moved.to_status, moved.at) == ("sent", "accepted", when)
    fresh = Referral.objects.get(pk=referral.pk)
    assert (fresh.status, fresh.status_changed_at, fresh.intake_at) == ("accepted", when, when)
    change = ReferralStatusChange.objects.get(pk=moved.change.pk)
    assert (change.from_status, change.to_status, change.note) == ("sent", "accepted", "Bed held")
    assert change.changed_by == cast.intake_p and change.changed_at == when


def test_a_move_the_map_does_not_allow_names_both_statuses(cast: Cast, referral: Referral) -> None:
    before = referral.history.count()
    with pytest.raises(
        ValidationError, match="A referral that is “Sent” cannot become “Completed”"
    ):
        _move(referral, cast.intake_p, ReferralStatus.COMPLETED)
    _unchanged(referral, "sent", before)


def test_a_stale_page_is_a_conflict(cast: Cast, referral: Referral) -> None:
    before = referral.history.count()
    with pytest.raises(StaleEdit, match="changed to “Sent”"):
        _move(referral, cast.intake_p, ReferralStatus.ACCEPTED, expected_status="received")
    _unchanged(referral, "sent", before)


def test_an_unknown_status_is_refused(cast: Cast, referral: Referral) -> None:
    before = referral.history.count()
    with pytest.raises(ValidationError, match="“lost” is not a status of a referral"):
        _move(referral, cast.intake_p, "lost")
    _unchanged(referral, "sent", before)


def test_without_lock_and_save_the_callers_copy_is_moved_and_left_to_save(
    cast: Cast, referral: Referral
) -> None:
    locked = Referral.objects.select_for_update().get(pk=referral.pk)
    moved = _move(locked, None, ReferralStatus.RECEIVED, lock=False, save=False)
    assert moved.obj is locked and locked.status == "received"
    assert Referral.objects.get(pk=referral.pk).status == "sent"  # the caller saves it
    change = referral.history.get(to_status="received")
    assert change.changed_by is None  # a system move (no actor)


@pytest.mark.parametrize(
    ("allowed", "statuses"),
    [
        (TRANSITIONS, ReferralStatus),
        (CASE_TRANSITIONS, CaseStatus),
        (OUTREACH_TRANSITIONS, OutreachStatus),
    ],
    ids=["referral", "case", "outreach"],
)
def test_each_status_map_covers_its_vocabulary(allowed: Any, statuses: Any) -> None:
    """Every status has its moves (none for a final one), and every move goes to a status."""
    assert set(allowed) == set(statuses.values)
    assert all(set(targets) <= set(statuses.values) for targets in allowed.values())
