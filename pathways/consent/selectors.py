"""The one disclosure check: may this viewer see this kind of protected information about this
person, held by this provider, now? And why not. Pages call it before showing anything a
provider holds under 42 CFR Part 2 (referral status beyond "sent", attendance, assessment,
progress, diagnosis)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from pathways.accounts.selectors import _memberships, agency_ids_for, is_program_wide
from pathways.consent.models import Consent, Disclosure, ExpiryEvent, category_labels
from pathways.core import clock

#: The 42 CFR 2.32 notice that accompanies every disclosure made with the person's consent.
REDISCLOSURE_NOTICE = (
    "This record, which has been disclosed to you, is protected by federal confidentiality rules "
    "(42 CFR part 2). These rules prohibit you from using or disclosing it in civil, criminal, "
    "administrative or legislative proceedings against the person unless authorized by the "
    "person's written consent or a court order, and from redisclosing it except as the rules "
    "permit. A general authorization for the release of medical or other information is not "
    "sufficient for this purpose."
)

ACCOUNTING_YEARS = 3


@dataclass(frozen=True)
class DisclosureDecision:
    allowed: bool
    reason: str
    consent: Consent | None = None
    """The consent it is disclosed under (None for the holder's own staff)."""
    notice: bool = False
    """Show the 42 CFR 2.32 notice with it (a disclosure under consent)."""


def event_happened(consent: Consent, event: str) -> bool:
    """Whether an expiry (or revocability) event of the consent has happened."""
    from pathways.cases.models import OPEN_STATUSES as OPEN_CASE_STATUSES
    from pathways.cases.models import Case
    from pathways.referrals.models import Referral

    if event == ExpiryEvent.CASE_CLOSED:
        cases = Case.objects.filter(person_id=consent.person_id)
        return cases.exists() and not cases.filter(status__in=OPEN_CASE_STATUSES).exists()
    if event == ExpiryEvent.TREATMENT_ENDED:
        return Referral.objects.filter(
            person_id=consent.person_id,
            receiving_agency_id=consent.disclosing_agency_id,
            status__in=("completed", "disengaged"),
        ).exists()
    return False


def consent_state(consent: Consent, at: dt.datetime | None = None) -> tuple[bool, str]:
    """(in force, why not) at `at` (now by default)."""
    at = at or clock.now()
    if consent.revoked_at is not None and consent.revoked_at <= at:
        return False, f"The person revoked the consent on {consent.revoked_at:%b %-d, %Y}."
    local_today = at.astimezone(_zone(consent)).date()
    if consent.expires_on is not None and local_today > consent.expires_on:
        return False, f"The consent expired on {consent.expires_on:%b %-d, %Y}."
    if consent.expiry_event and event_happened(consent, consent.expiry_event):
        return False, f"The consent ended: {consent.get_expiry_event_display().lower()}."
    return True, ""


def _zone(consent: Consent) -> Any:
    import zoneinfo

    return zoneinfo.ZoneInfo(consent.program.time_zone)


def may_disclose(
    viewer: Any, person_id: Any, category: str, holder_id: Any, at: dt.datetime | None = None
) -> DisclosureDecision:
    """Whether `viewer` may see `category` of what the agency `holder_id` holds about the person.

    - The holder's own staff: yes (their own record).
    - Program-wide staff (coordinator, administrator): yes, as the program that every consent
      names as the intermediary.
    - Anyone else: only under a consent of the person that is in force, given by the holder,
      naming the viewer's agency and one of the viewer's roles there, and covering the category.
    """
    if own := _holder_or_office(viewer, holder_id):
        return DisclosureDecision(True, own)
    memberships = _memberships(viewer)
    roles_at: dict[Any, set[str]] = {}
    for m in memberships:
        roles_at.setdefault(m.agency_id, set()).add(m.role)
    consents = list(
        Consent.objects.filter(
            person_id=person_id,
            disclosing_agency_id=holder_id,
            recipient_agency_id__in=list(roles_at),
        ).select_related("program")
    )
    label = category_labels([category])[0].lower()
    if not consents:
        return DisclosureDecision(
            False, f"No consent from the person to share {label} with your agency."
        )
    reasons: list[str] = []
    for consent in consents:
        in_force, why = consent_state(consent, at)
        if not in_force:
            reasons.append(why)
        elif not roles_at[consent.recipient_agency_id] & set(consent.recipient_roles):
            reasons.append("The consent names other staff at your agency than you.")
        elif category not in consent.categories:
            reasons.append(f"The consent does not cover {label}.")
        else:
            return DisclosureDecision(True, "Shared with the person's consent.", consent, True)
    return DisclosureDecision(False, reasons[0])


@dataclass(frozen=True)
class ReferralShown:
    """A referral as a viewer may see it: the real status and history, or only that it was
    sent."""

    status: str
    status_label: str
    history: list[Any] = field(default_factory=list)
    decision: DisclosureDecision | None = None

    @property
    def withheld(self) -> bool:
        return self.decision is not None and not self.decision.allowed


def referral_shown(viewer: Any, referral: Any, history: list[Any]) -> ReferralShown:
    """What of a referral's progress a viewer may see (the provider's record under Part 2):
    without consent, only that it was sent."""
    decision = may_disclose(
        viewer, referral.person_id, "referral_status", referral.receiving_agency_id
    )
    if decision.allowed:
        return ReferralShown(referral.status, referral.get_status_display(), history, decision)
    sent = [change for change in history if change.to_status == "sent"]
    return ReferralShown("sent", "Sent", sent, decision)


def _holder_or_office(viewer: Any, holder_id: Any) -> str:
    """Why the viewer sees the holder's record without a consent ("" when they do not): they
    work for the holder, or for the program office. No query beyond the viewer's memberships."""
    if any(m.agency_id == holder_id for m in _memberships(viewer)):
        return "Your agency's own record."
    if is_program_wide(viewer):
        return "The program office (the intermediary)."
    return ""


def may_see_referral_progress(viewer: Any, referral: Any) -> bool:
    """The receiving provider's staff and program-wide staff (lists show progress only to
    them)."""
    return bool(_holder_or_office(viewer, referral.receiving_agency_id))


def manages_consents(user: Any, agency_id: Any) -> bool:
    """Who records, revokes and reviews the consents an agency holds: its intake staff and case
    managers, and the program office."""
    from pathways.consent.services import CONSENT_STAFF_ROLES

    return is_program_wide(user) or agency_id in agency_ids_for(user, *CONSENT_STAFF_ROLES)


def disclosures_of(person_id: Any, since: dt.datetime | None = None) -> list[Disclosure]:
    """The accounting of disclosures: every disclosure of the person's protected information
    under consent in the last three years (or since `since`), newest first."""
    since = since or clock.now() - dt.timedelta(days=365 * ACCOUNTING_YEARS + 1)
    return list(
        Disclosure.objects.filter(person_id=person_id, disclosed_at__gte=since).select_related(
            "recipient_agency", "recipient_user", "consent__disclosing_agency"
        )
    )


def consents_of(person_id: Any) -> list[Consent]:
    return list(
        Consent.objects.filter(person_id=person_id).select_related(
            "disclosing_agency", "recipient_agency", "program"
        )
    )
