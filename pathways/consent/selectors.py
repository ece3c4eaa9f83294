"""The one disclosure check: may this viewer see this kind of protected information about this
person, held by this provider, now? Pages call it before showing anything a provider holds under
42 CFR Part 2 (referral status beyond "sent", attendance, assessment, progress, diagnosis).

Outside the holder and the program office a refusal always reads the same (NOT_SHARED): why a
consent does not apply (revoked, expired, ended, another category, other staff) would tell that
the person signed one at a treatment provider, which is itself Part 2 information. The holder's
own staff see why on the consents page (consent_state)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Max, Q

from pathways.accounts.selectors import _memberships, agency_ids_for, is_program_wide
from pathways.consent.models import Consent, Disclosure, ExpiryEvent
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
#: Referral statuses that end a consent "when the referral is completed or the person
#: disengages".
TREATMENT_END_STATUSES = ("completed", "disengaged")


@dataclass(frozen=True)
class DisclosureDecision:
    allowed: bool
    reason: str
    consent: Consent | None = None
    """The consent it is disclosed under (None for the holder's own staff)."""
    notice: bool = False
    """Show the 42 CFR 2.32 notice with it (a disclosure under consent)."""


class _EventTimes:
    """When each consent's end (or revocability) event happened, for a set of consents, in at
    most two queries whatever their number. Only what happens after the consent was recorded
    counts (a referral completed, or a case closed, before it does not end it):

    - treatment ended: the first time after the consent that a referral of the person to the
      disclosing agency was completed or disengaged;
    - case closed: when the person's last case closed, if it closed after the consent and no
      case of theirs is open."""

    def __init__(self, consents: Iterable[Consent], events: Iterable[str] | None = None) -> None:
        from pathways.cases.models import OPEN_STATUSES as OPEN_CASE_STATUSES
        from pathways.cases.models import Case
        from pathways.referrals.models import ReferralStatusChange

        consents = list(consents)
        wanted = set(events) if events is not None else {c.expiry_event for c in consents}
        self.treatment_ended: dict[tuple[Any, Any], list[dt.datetime]] = {}
        self.case_closed: dict[Any, dt.datetime] = {}
        if ExpiryEvent.TREATMENT_ENDED in wanted and consents:
            rows = (
                ReferralStatusChange.objects.filter(
                    referral__person_id__in={c.person_id for c in consents},
                    referral__receiving_agency_id__in={c.disclosing_agency_id for c in consents},
                    to_status__in=TREATMENT_END_STATUSES,
                    changed_at__gte=min(c.created_at for c in consents),
                )
                .values_list("referral__person_id", "referral__receiving_agency_id", "changed_at")
                .order_by("changed_at")
            )
            for person_id, agency_id, changed_at in rows:
                self.treatment_ended.setdefault((person_id, agency_id), []).append(changed_at)
        if ExpiryEvent.CASE_CLOSED in wanted and consents:
            rows = (
                Case.objects.filter(person_id__in={c.person_id for c in consents})
                .values("person_id")
                .annotate(
                    open=Count("id", filter=Q(status__in=OPEN_CASE_STATUSES)),
                    last=Max("closed_at"),
                )
                .order_by()
            )
            for row in rows:
                if not row["open"] and row["last"] is not None:
                    self.case_closed[row["person_id"]] = row["last"]

    def at(self, consent: Consent, event: str) -> dt.datetime | None:
        """When `event` happened for the consent, after it was recorded (None: it has not)."""
        if event == ExpiryEvent.TREATMENT_ENDED:
            times = self.treatment_ended.get((consent.person_id, consent.disclosing_agency_id), [])
            return next((t for t in times if t >= consent.created_at), None)
        if event == ExpiryEvent.CASE_CLOSED:
            closed = self.case_closed.get(consent.person_id)
            return closed if closed is not None and closed >= consent.created_at else None
        return None


def event_happened(consent: Consent, event: str, at: dt.datetime | None = None) -> bool:
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


def consent_state(consent: Consent, at: dt.datetime | None = None) -> tuple[bool, str]:
    """(in force, why not) at `at` (now by default). The why is for the holder's own staff
    and the program office (the consents page), never for the recipient: the recipient reads
    NOT_SHARED whatever it is."""
    return _state(consent, at or clock.now(), _EventTimes([consent]))


def _zone(consent: Consent) -> Any:
    import zoneinfo

    return zoneinfo.ZoneInfo(consent.program.time_zone)


class _Consents:
    """The consents that could let `viewer` see what some holders hold about some people (those
    naming one of the viewer's agencies), with their events, loaded in a fixed number of
    queries: the viewer's memberships (once per request), the consents, and at most two for
    the end events."""

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
    viewer: Any, person_id: Any, category: str, holder_id: Any, at: dt.datetime | None = None
) -> DisclosureDecision:
    """Whether `viewer` may see `category` of what the agency `holder_id` holds about the person.

    - The holder's own staff: yes (their own record).
    - Program-wide staff (coordinator, administrator): yes, as the program that every consent
      names as the intermediary.
    - Anyone else: only under a consent of the person that is in force, given by the holder,
      naming the viewer's agency and one of the viewer's roles there, and covering the category.
      A refusal's reason is always NOT_SHARED, whatever the reason.
    """
    if own := _holder_or_office(viewer, holder_id):
        return DisclosureDecision(True, own)
    return _Consents(viewer, [(person_id, holder_id)], at).decide(person_id, category, holder_id)


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


def _shown(viewer: Any, referral: Any, history: list[Any], consents: _Consents) -> ReferralShown:
    """The one rule of referral_shown and referrals_shown (`consents` covers the referral)."""
    holder = referral.receiving_agency_id
    if own := _holder_or_office(viewer, holder):
        decision = DisclosureDecision(True, own)
    else:
        decision = consents.decide(referral.person_id, "referral_status", holder)
    if decision.allowed:
        return ReferralShown(referral.status, referral.get_status_display(), history, decision)
    sent = [change for change in history if change.to_status == "sent"]
    return ReferralShown("sent", "Sent", sent, decision)


def referral_shown(viewer: Any, referral: Any, history: list[Any]) -> ReferralShown:
    """What of a referral's progress a viewer may see (the provider's record under Part 2):
    without consent, only that it was sent. `history` is the referral's status changes, oldest
    first (referrals.selectors.history_of)."""
    pairs = (
        []
        if _holder_or_office(viewer, referral.receiving_agency_id)
        else [(referral.person_id, referral.receiving_agency_id)]
    )
    return _shown(viewer, referral, history, _Consents(viewer, pairs))


def referrals_shown(viewer: Any, referrals: Iterable[Any]) -> dict[Any, ReferralShown]:
    """What each of `referrals` shows `viewer`, keyed by referral pk: for each, exactly what
    referral_shown(viewer, referral, its history) gives (status, label, the history the viewer
    may see, and the decision), for a list of any length.

    At most five queries whatever the number of referrals: the viewer's memberships (none when
    already loaded this request), the status history of all of them, and, when the viewer is
    neither the holder nor the program office, the consents naming the viewer's agencies and
    at most two for the consents' end events. It records nothing: a page that shows a status
    under consent records the disclosure through consent.services.referrals_for_viewer."""
    from pathways.referrals.models import ReferralStatusChange

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
    pairs = [
        (r.person_id, r.receiving_agency_id)
        for r in referrals
        if not _holder_or_office(viewer, r.receiving_agency_id)
    ]
    consents = _Consents(viewer, pairs)
    return {r.pk: _shown(viewer, r, histories[r.pk], consents) for r in referrals}


def _holder_or_office(viewer: Any, holder_id: Any) -> str:
    """Why the viewer sees the holder's record without a consent ("" when they do not): they
    work for the holder, or for the program office. No query beyond the viewer's memberships."""
    if any(m.agency_id == holder_id for m in _memberships(viewer)):
        return "Your agency's own record."
    if is_program_wide(viewer):
        return "The program office (the intermediary)."
    return ""


def may_see_referral_progress(viewer: Any, referral: Any) -> bool:
    """The receiving provider's staff and program-wide staff (they see every referral's progress
    without a consent; others see it under the person's consent: referrals_shown)."""
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
            "disclosing_agency", "recipient_agency", "program", "attested_by", "revoked_by"
        )
    )
