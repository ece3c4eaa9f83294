"""The registry of consent end events (consent.events, docs/decisions/0022): referrals and cases
register the sources of "treatment ended" and "case closed" when they are ready; an event left
without a source fails loudly (a system check, an error at lookup), never by disclosing; bad
registrations are refused with a clear message and change nothing."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from pathways.cases.consent_events import case_closed_at
from pathways.consent import events
from pathways.consent.factories import consent_values
from pathways.consent.models import Disclosure, ExpiryEvent
from pathways.consent.selectors import consent_state, may_disclose
from pathways.consent.services import consent_record
from pathways.core import clock
from pathways.encounters.factories import EncounterFactory
from pathways.referrals.consent_events import treatment_ended_at
from pathways.referrals.disclosure import referrals_for_viewer
from pathways.referrals.models import Referral
from pathways.referrals.services import referral_accept, referral_send

NOW = dt.datetime(2026, 11, 20, 16, 0, tzinfo=dt.UTC)


@pytest.fixture
def referral(cast: Any) -> Referral:
    encounter = EncounterFactory.create(
        program=cast.program, agency=cast.police_a, responder=cast.officer_a
    )
    with clock.frozen(NOW - dt.timedelta(hours=2)):
        sent = referral_send(
            actor=cast.officer_a, encounter=encounter, service=cast.detox_p, warm_handoff=True
        )
        return referral_accept(actor=cast.intake_p, referral=sent)


def ending_with_treatment(cast: Any, referral: Referral) -> Any:
    with clock.frozen(NOW):
        return consent_record(
            **consent_values(
                actor=cast.intake_p,
                person=referral.person,
                disclosing_agency=cast.provider_p,
                recipient_agency=cast.police_a,
                expires_on=None,
                expiry_event=ExpiryEvent.TREATMENT_ENDED,
            )
        )


def test_referrals_and_cases_register_their_end_events_when_ready() -> None:
    assert events.end_event_source(ExpiryEvent.TREATMENT_ENDED) is treatment_ended_at
    assert events.end_event_source(ExpiryEvent.CASE_CLOSED) is case_closed_at
    assert events.missing_end_events() == []
    assert events.check_end_events() == []


def test_an_event_without_a_source_fails_the_system_check(monkeypatch: Any) -> None:
    monkeypatch.delitem(events._SOURCES, ExpiryEvent.CASE_CLOSED)
    (error,) = events.check_end_events()
    assert error.id == "consent.E001" and "'case_closed'" in error.msg
    assert "register_end_event" in (error.hint or "")


def test_an_event_without_a_source_refuses_to_decide_and_discloses_nothing(
    cast: Any, referral: Referral, monkeypatch: Any
) -> None:
    consent = ending_with_treatment(cast, referral)
    with clock.frozen(NOW + dt.timedelta(minutes=1)):
        assert may_disclose(
            viewer=cast.officer_a,
            person_id=referral.person_id,
            category="referral_status",
            holder_id=cast.provider_p.pk,
        ).allowed
    monkeypatch.delitem(events._SOURCES, ExpiryEvent.TREATMENT_ENDED)
    with clock.frozen(NOW + dt.timedelta(minutes=1)):
        with pytest.raises(ImproperlyConfigured, match="'treatment_ended'"):
            may_disclose(
                viewer=cast.officer_a,
                person_id=referral.person_id,
                category="referral_status",
                holder_id=cast.provider_p.pk,
            )
        with pytest.raises(ImproperlyConfigured):
            consent_state(consent=consent)
        with pytest.raises(ImproperlyConfigured):
            referrals_for_viewer(cast.officer_a, [Referral.objects.get(pk=referral.pk)])
        with pytest.raises(ImproperlyConfigured):
            cast.client_for(cast.officer_a).get(reverse("referrals:detail", args=[referral.pk]))
    assert Disclosure.objects.count() == 0


@pytest.mark.parametrize("event", [ExpiryEvent.NONE, "bogus"])
def test_registering_what_is_not_an_end_event_is_refused(event: Any) -> None:
    before = dict(events._SOURCES)
    with pytest.raises(ValueError, match="is not a consent end event: use one of"):
        events.register_end_event(event, treatment_ended_at)
    with pytest.raises(ValueError, match="is not a consent end event"):
        events.end_event_source(event)
    after = dict(events._SOURCES)
    assert after == before


def test_a_second_source_for_an_event_is_refused_and_the_first_kept() -> None:
    def other(consents: Any) -> dict[Any, dt.datetime]:
        return {}

    with pytest.raises(ImproperlyConfigured, match="already has a source"):
        events.register_end_event(ExpiryEvent.TREATMENT_ENDED, other)
    assert events.end_event_source(ExpiryEvent.TREATMENT_ENDED) is treatment_ended_at
    # the same source again (an app made ready twice) changes nothing
    events.register_end_event(ExpiryEvent.TREATMENT_ENDED, treatment_ended_at)
    assert events.end_event_source(ExpiryEvent.TREATMENT_ENDED) is treatment_ended_at


def test_a_source_is_asked_once_for_all_the_consents(cast: Any, referral: Referral) -> None:
    """The end events of any number of consents take one query per event."""
    consents = [ending_with_treatment(cast, referral) for _ in range(3)]
    assert treatment_ended_at([]) == {} and case_closed_at([]) == {}
    with CaptureQueriesContext(connection) as queries:
        assert treatment_ended_at(consents) == {}
        assert case_closed_at(consents) == {}
    assert len(queries) == 2
