"""The calls referrals makes into the composing layer above it (pathways.core.hooks).

`answered`: a provider accepted or declined a referral. The workflow closes the provider's
response deadline and, on acceptance, meets the contact's placement target; it registers
`workflow.services.referral_answered` in WorkflowConfig.ready() (docs/decisions/0023)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from pathways.core.hooks import Hook
from pathways.referrals.models import Referral

if TYPE_CHECKING:
    from pathways.accounts.models import User


class AnsweredListener(Protocol):
    def __call__(self, *, actor: User, referral: Referral, accepted: bool) -> None: ...


answered: Hook[AnsweredListener] = Hook("referrals.answered", filled_by="pathways.workflow")
