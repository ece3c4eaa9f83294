"""What a referral shows a viewer. Beyond "sent", a referral's progress is the receiving
provider's treatment record (42 CFR Part 2): its staff and the program office see it; anyone
else sees it only under the person's consent (consent.selectors, the one disclosure check),
and each such showing is accounted for (consent.services)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from pathways.consent.models import Consent, InfoCategory
from pathways.consent.selectors import DisclosureDecision, ViewerConsents, holder_or_office
from pathways.consent.services import disclosure_record, disclosures_record_daily
from pathways.core.services import service
from pathways.referrals.models import Referral, ReferralStatus, ReferralStatusChange

#: What a referral's progress is, among what a consent may cover.
CATEGORY: str = InfoCategory.REFERRAL_STATUS.value


@dataclass(frozen=True)
class ReferralShown:
    """A referral as a viewer may see it: the real status and history, or only that it was
    sent."""

    status: str
    status_label: str
    history: list[Any] = field(default_factory=list)
    decision: DisclosureDecision | None = None

    @property
    def label(self) -> str:
        """The status's label as the viewer may see it ("Sent" when withheld)."""
        return self.status_label

    @property
    def withheld(self) -> bool:
        return self.decision is not None and not self.decision.allowed

    @property
    def consent(self) -> Consent | None:
        """The consent it is shown under (None: the viewer's own record, or withheld)."""
        if self.decision is not None and self.decision.allowed:
            return self.decision.consent
        return None


def _shown(
    viewer: Any, referral: Referral, history: list[Any], consents: ViewerConsents
) -> ReferralShown:
    """The one rule of referral_shown and referrals_shown (`consents` covers the referral)."""
    holder = referral.receiving_agency_id
    if own := holder_or_office(viewer=viewer, holder_id=holder):
        decision = DisclosureDecision(True, own)
    else:
        decision = consents.decide(referral.person_id, CATEGORY, holder)
    if decision.allowed:
        return ReferralShown(referral.status, referral.get_status_display(), history, decision)
    sent = [change for change in history if change.to_status == ReferralStatus.SENT]
    return ReferralShown(ReferralStatus.SENT, "Sent", sent, decision)


def _pairs(viewer: Any, referrals: Iterable[Referral]) -> list[tuple[Any, Any]]:
    """(person, holder) of the referrals the viewer sees only under a consent."""
    return [
        (r.person_id, r.receiving_agency_id)
        for r in referrals
        if not holder_or_office(viewer=viewer, holder_id=r.receiving_agency_id)
    ]


def may_see_referral_progress(viewer: Any, referral: Referral) -> bool:
    """The receiving provider's staff and program-wide staff (they see every referral's progress
    without a consent; others see it under the person's consent: referrals_shown)."""
    return bool(holder_or_office(viewer=viewer, holder_id=referral.receiving_agency_id))


def referral_shown(viewer: Any, referral: Referral, history: list[Any]) -> ReferralShown:
    """What of a referral's progress a viewer may see (the provider's record under Part 2):
    without consent, only that it was sent. `history` is the referral's status changes, oldest
    first (referrals.selectors.history_of)."""
    return _shown(viewer, referral, history, ViewerConsents(viewer, _pairs(viewer, [referral])))


def referrals_shown(viewer: Any, referrals: Iterable[Referral]) -> dict[Any, ReferralShown]:
    """What each of `referrals` shows `viewer`, keyed by referral pk: for each, exactly what
    referral_shown(viewer, referral, its history) gives (status, label, the history the viewer
    may see, and the decision), for a list of any length.

    At most five queries whatever the number of referrals: the viewer's memberships (none when
    already loaded this request), the status history of all of them, and, when the viewer is
    neither the holder nor the program office, the consents naming the viewer's agencies and
    at most two for the consents' end events. It records nothing: a page that shows a status
    under consent records the disclosure through referrals_for_viewer."""
    referrals = list(referrals)
    if not referrals:
        return {}
    histories: dict[Any, list[Any]] = {r.pk: [] for r in referrals}
    for change in (
        ReferralStatusChange.objects.filter(referral_id__in=list(histories))
        .select_related("changed_by")
        .order_by("changed_at", "id")
    ):
        histories[change.referral_id].append(change)
    consents = ViewerConsents(viewer, _pairs(viewer, referrals))
    return {r.pk: _shown(viewer, r, histories[r.pk], consents) for r in referrals}


def referral_for_viewer(viewer: Any, referral: Referral, history: list[Any]) -> ReferralShown:
    """A referral's progress as `viewer` may see it (referral_shown), with the disclosure
    recorded for the accounting when it is shown under the person's consent."""
    shown = referral_shown(viewer, referral, history)
    if shown.consent is not None:
        disclosure_record(
            viewer=viewer,
            consent=shown.consent,
            recipient_agency=shown.consent.recipient_agency,
            categories=[CATEGORY],
        )
    return shown


@service
def referrals_for_viewer(viewer: Any, referrals: Iterable[Referral]) -> dict[Any, ReferralShown]:
    """What each of `referrals` shows `viewer` in a list, keyed by referral pk (referrals_shown:
    .status, .label, .history, .decision), with the disclosures accounted for: a list that
    shows a status under the person's consent is a disclosure, recorded once per consent,
    viewer and day (the program's day) however often the list is opened. A fixed number of
    queries whatever the number of referrals: the selector's, then two for the accounting
    (consent.services.disclosures_record_daily)."""
    shown = referrals_shown(viewer, referrals)
    disclosures_record_daily(
        viewer=viewer,
        consents=[s.consent for s in shown.values() if s.consent is not None],
        categories=[CATEGORY],
    )
    return shown
