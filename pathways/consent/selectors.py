"""The one disclosure check: may this viewer see this kind of protected information about this
person, held by this provider, now? Pages call it before showing anything a provider holds under
42 CFR Part 2 (referral status beyond "sent", attendance, assessment, progress, diagnosis).

Outside the holder and the program office a refusal always reads the same (NOT_SHARED): why a
consent does not apply (revoked, expired, ended, another category, other staff) would tell that
the person signed one at a treatment provider, which is itself Part 2 information. The holder's
own staff see why on the consents page (consent_state)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from pathways.accounts.selectors import _memberships, agency_ids_for, is_program_wide
from pathways.consent.events import end_event_source
from pathways.consent.models import Consent, Disclosure
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

#: The one refusal every viewer outside the holder and the program office reads, whatever the
#: reason (no consent, or one that is revoked, expired, ended, for other information or other
#: staff): any difference would tell that the person signed a consent at a treatment provider.
NOT_SHARED = "Treatment information is shared only with the person's written consent."

ACCOUNTING_YEARS = 3


@dataclass(frozen=True)
class DisclosureDecision:
    allowed: bool
    reason: str
    consent: Consent | None = None
    """The consent it is disclosed under (None for the holder's own staff)."""
    notice: bool = False
    """Show the 42 CFR 2.32 notice with it (a disclosure under consent)."""


class _EventTimes:
    """When each consent's end (or revocability) event happened, for a set of consents, in one
    query per event whatever their number (at most two: there are two events). Each event's
    source is registered by the app that records it (consent.events): only what happens after
    the consent was recorded counts (a referral completed, or a case closed, before it does not
    end it):

    - treatment ended: the first time after the consent that a referral of the person to the
      disclosing agency was completed or disengaged (referrals);
    - case closed: when the person's last case closed, if it closed after the consent and no
      case of theirs is open (cases)."""

    def __init__(self, consents: Iterable[Consent], events: Iterable[str] | None = None) -> None:
        consents = list(consents)
        wanted = set(events) if events is not None else {c.expiry_event for c in consents}
        self.times: dict[str, Mapping[uuid.UUID, dt.datetime]] = {}
        if consents:
            for event in sorted(e for e in wanted if e):
                self.times[event] = end_event_source(event)(consents)

    def at(self, consent: Consent, event: str) -> dt.datetime | None:
        """When `event` happened for the consent, after it was recorded (None: it has not)."""
        when = self.times.get(event, {}).get(consent.pk)
        return when if when is not None and when >= consent.created_at else None


def event_happened(*, consent: Consent, event: str, at: dt.datetime | None = None) -> bool:
    """Whether an expiry (or revocability) event of the consent has happened (by `at`, now by
    default)."""
    when = _EventTimes([consent], [event]).at(consent, event)
    return when is not None and when <= (at or clock.now())


def _state(consent: Consent, at: dt.datetime, events: _EventTimes) -> tuple[bool, str]:
    """(in force, why not) at `at`, the consent's events taken from `events`."""
    zone = _zone(consent)
    if consent.revoked_at is not None and consent.revoked_at <= at:
        revoked = consent.revoked_at.astimezone(zone)
        return False, f"The person revoked the consent on {revoked:%b %-d, %Y}."
    if consent.expires_on is not None and at.astimezone(zone).date() > consent.expires_on:
        return False, f"The consent expired on {consent.expires_on:%b %-d, %Y}."
    if consent.expiry_event:
        ended = events.at(consent, consent.expiry_event)
        if ended is not None and ended <= at:
            return False, (
                f"The consent ended on {ended.astimezone(zone):%b %-d, %Y}: "
                f"{consent.get_expiry_event_display().lower()}."
            )
    return True, ""


def consent_state(*, consent: Consent, at: dt.datetime | None = None) -> tuple[bool, str]:
    """(in force, why not) at `at` (now by default). The why is for the holder's own staff
    and the program office (the consents page), never for the recipient: the recipient reads
    NOT_SHARED whatever it is."""
    return _state(consent, at or clock.now(), _EventTimes([consent]))


def _zone(consent: Consent) -> Any:
    import zoneinfo

    return zoneinfo.ZoneInfo(consent.program.time_zone)


class ViewerConsents:
    """The consents that could let `viewer` see what some holders hold about some people (those
    naming one of the viewer's agencies), with their events, loaded in a fixed number of
    queries: the viewer's memberships (once per request), the consents, and at most two for
    the end events. For pages that decide many records at once (referrals.disclosure); one
    record at a time: may_disclose."""

    def __init__(
        self, viewer: Any, pairs: Iterable[tuple[Any, Any]], at: dt.datetime | None = None
    ) -> None:
        self.at = at or clock.now()
        self.roles_at: dict[Any, set[str]] = {}
        for m in _memberships(viewer):
            self.roles_at.setdefault(m.agency_id, set()).add(m.role)
        pairs = set(pairs)
        self.of: dict[tuple[Any, Any], list[Consent]] = {}
        if pairs and self.roles_at:
            for consent in Consent.objects.filter(
                person_id__in={person for person, _ in pairs},
                disclosing_agency_id__in={holder for _, holder in pairs},
                recipient_agency_id__in=list(self.roles_at),
            ).select_related("program", "recipient_agency"):
                key = (consent.person_id, consent.disclosing_agency_id)
                if key in pairs:
                    self.of.setdefault(key, []).append(consent)
        self.events = _EventTimes(c for consents in self.of.values() for c in consents)

    def decide(self, person_id: Any, category: str, holder_id: Any) -> DisclosureDecision:
        """Allowed under the newest consent in force that names one of the viewer's roles at
        the recipient agency and covers the category; else NOT_SHARED, whatever the reason."""
        for consent in self.of.get((person_id, holder_id), []):
            if (
                self.roles_at[consent.recipient_agency_id] & set(consent.recipient_roles)
                and category in consent.categories
                and _state(consent, self.at, self.events)[0]
            ):
                return DisclosureDecision(True, "Shared with the person's consent.", consent, True)
        return DisclosureDecision(False, NOT_SHARED)


def may_disclose(
    *, viewer: Any, person_id: Any, category: str, holder_id: Any, at: dt.datetime | None = None
) -> DisclosureDecision:
    """Whether `viewer` may see `category` of what the agency `holder_id` holds about the person.

    - The holder's own staff: yes (their own record).
    - Program-wide staff (coordinator, administrator): yes, as the program that every consent
      names as the intermediary.
    - Anyone else: only under a consent of the person that is in force, given by the holder,
      naming the viewer's agency and one of the viewer's roles there, and covering the category.
      A refusal's reason is always NOT_SHARED, whatever the reason.
    """
    if own := holder_or_office(viewer=viewer, holder_id=holder_id):
        return DisclosureDecision(True, own)
    return ViewerConsents(viewer, [(person_id, holder_id)], at).decide(
        person_id, category, holder_id
    )


def holder_or_office(*, viewer: Any, holder_id: Any) -> str:
    """Why the viewer sees the holder's record without a consent ("" when they do not): they
    work for the holder, or for the program office. No query beyond the viewer's memberships."""
    if any(m.agency_id == holder_id for m in _memberships(viewer)):
        return "Your agency's own record."
    if is_program_wide(user=viewer):
        return "The program office (the intermediary)."
    return ""


def manages_consents(*, user: Any, agency_id: Any) -> bool:
    """Who records, revokes and reviews the consents an agency holds: its intake staff and case
    managers, and the program office."""
    from pathways.consent.services import CONSENT_STAFF_ROLES

    return is_program_wide(user=user) or agency_id in agency_ids_for(user, *CONSENT_STAFF_ROLES)


def disclosures_of(*, person_id: Any, since: dt.datetime | None = None) -> list[Disclosure]:
    """The accounting of disclosures: every disclosure of the person's protected information
    under consent in the last three years (or since `since`), newest first."""
    since = since or clock.now() - dt.timedelta(days=365 * ACCOUNTING_YEARS + 1)
    return list(
        Disclosure.objects.filter(person_id=person_id, disclosed_at__gte=since).select_related(
            "recipient_agency", "recipient_user", "consent__disclosing_agency"
        )
    )


def consents_of(*, person_id: Any) -> list[Consent]:
    return list(
        Consent.objects.filter(person_id=person_id).select_related(
            "disclosing_agency", "recipient_agency", "program", "attested_by", "revoked_by"
        )
    )


def consent_held(*, consent_id: Any, person_id: Any, holder_id: Any) -> Consent | None:
    """The consent, when it is one of the person's consents to the holder (None otherwise), with
    what its screens and its printout show."""
    return (
        Consent.objects.filter(pk=consent_id, person_id=person_id, disclosing_agency_id=holder_id)
        .select_related("program", "person", "disclosing_agency", "recipient_agency", "attested_by")
        .first()
    )
