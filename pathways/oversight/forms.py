"""The coordinator's audit search."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

from django import forms

from pathways.core.forms import DateInput, Form
from pathways.core.validators import validate_clean_text


class AuditSearchForm(Form):
    since = forms.DateField(label="From", required=False, widget=DateInput())
    until = forms.DateField(label="To (inclusive)", required=False, widget=DateInput())
    actor = forms.CharField(
        label="Who (username)", required=False, max_length=150, validators=[validate_clean_text]
    )
    event_type = forms.CharField(
        label="What (event type, or its start: referral., auth.login_failed)",
        required=False,
        max_length=80,
        validators=[validate_clean_text],
    )
    object_id = forms.CharField(
        label="Record id", required=False, max_length=64, validators=[validate_clean_text]
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        since, until = data.get("since"), data.get("until")
        if since and until and until < since:
            self.add_error("until", "The end date is before the start date.")
        return data

    def filters(self, time_zone: str) -> dict[str, Any]:
        """The search's arguments, dates as the program's local midnights."""
        zone = zoneinfo.ZoneInfo(time_zone)
        data = self.cleaned_data

        def midnight(day: dt.date | None) -> dt.datetime | None:
            return dt.datetime.combine(day, dt.time(), tzinfo=zone) if day else None

        until = data.get("until")
        return {
            "since": midnight(data.get("since")),
            "until": midnight(until + dt.timedelta(days=1)) if until else None,
            "actor": data.get("actor", "").strip(),
            "event_type": data.get("event_type", "").strip(),
            "object_id": data.get("object_id", "").strip(),
        }
