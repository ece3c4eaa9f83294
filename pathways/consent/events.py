"""Where a consent's end events come from: a small, explicit registry.

A consent may end (or become revocable) on an event that another app records: "treatment ended"
(a referral of the person to the disclosing provider completed or disengaged: referrals) and
"case closed" (the person's diversion case closed: cases). Consent sits below both apps, so it
cannot ask them; each registers the source of its event in its AppConfig.ready(), and consent
looks the source up when it decides (docs/decisions/0022).

A missing source fails loudly, never by disclosing: the system check below names it, and a
lookup raises ImproperlyConfigured (the page errors rather than treat the event as not
happened, which would keep an ended consent in force)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from django.core import checks
from django.core.exceptions import ImproperlyConfigured

from pathways.consent.models import Consent, ExpiryEvent

#: A source of one end event: given consents, when the event happened for each of them, keyed
#: by consent pk. Only a time on or after the consent was recorded counts (what happened before
#: does not end it); a consent whose event has not happened is left out. One query whatever the
#: number of consents.
EndEventSource = Callable[[Sequence[Consent]], Mapping[uuid.UUID, dt.datetime]]

_SOURCES: dict[ExpiryEvent, EndEventSource] = {}


def _event(event: str) -> ExpiryEvent:
    try:
        known = ExpiryEvent(event)
    except ValueError:
        known = ExpiryEvent.NONE
    if known == ExpiryEvent.NONE:
        choices = ", ".join(repr(e.value) for e in ExpiryEvent if e != ExpiryEvent.NONE)
        raise ValueError(f"{event!r} is not a consent end event: use one of {choices}.")
    return known


def register_end_event(event: ExpiryEvent, source: EndEventSource) -> None:
    """Register the source of `event` (once: a second, different source is refused, so two
    apps cannot both claim an event and nothing is replaced)."""
    known = _event(event)
    existing = _SOURCES.get(known)
    if existing is not None and existing is not source:
        raise ImproperlyConfigured(
            f"The consent end event {known.value!r} already has a source "
            f"({existing.__module__}.{existing.__qualname__}); nothing was changed."
        )
    _SOURCES[known] = source


def end_event_source(event: str) -> EndEventSource:
    """The registered source of `event`; ImproperlyConfigured when no app registered one."""
    known = _event(event)
    source = _SOURCES.get(known)
    if source is None:
        raise ImproperlyConfigured(
            f"No app registered the source of the consent end event {known.value!r}: a consent "
            "ending on it cannot be decided. Its app must call "
            "pathways.consent.events.register_end_event in its AppConfig.ready()."
        )
    return source


def missing_end_events() -> list[ExpiryEvent]:
    """The end events no app registered a source for."""
    return [e for e in ExpiryEvent if e != ExpiryEvent.NONE and e not in _SOURCES]


def check_end_events(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """System check: every end event a consent may name has a source."""
    return [
        checks.Error(
            f"No app registered the source of the consent end event {event.value!r}.",
            hint="Register it with pathways.consent.events.register_end_event in the "
            "AppConfig.ready() of the app that records the event.",
            id="consent.E001",
        )
        for event in missing_end_events()
    ]
