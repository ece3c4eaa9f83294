from __future__ import annotations

from typing import Any

from pathways.referrals.models import Referral
from pathways.referrals.services import referral_send


def make_referral(*, actor: Any, encounter: Any, service: Any, warm: bool = True) -> Referral:
    """A referral sent through the real service (so history and audit exist)."""
    return referral_send(actor=actor, encounter=encounter, service=service, warm_handoff=warm)
