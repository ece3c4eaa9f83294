"""A stale edit: someone changed a record after the page the user acted on was shown.

Services raise `StaleEdit` (a ValidationError, so every caller that already handles refusals
keeps working); views turn it into the conflict screen (`conflict_response`, HTTP 409), which
says what changed, by whom and when, that nothing was saved, and gives back what the user typed
so it is not lost."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


class StaleEdit(ValidationError):
    def __init__(
        self,
        *,
        noun: str,
        current: str,
        changed_at: dt.datetime | None = None,
        changed_by: Any = None,
    ) -> None:
        self.noun = noun
        self.current = current
        self.changed_at = changed_at
        self.changed_by = str(changed_by) if changed_by else ""
        super().__init__(
            f"This {noun} changed to “{current}” while you were looking at it. "
            "Nothing you sent was saved. Reload to see the latest."
        )


def stale_edit(noun: str, record: Any, current: str) -> StaleEdit:
    """The StaleEdit for `record`, naming its latest status change (its `history`)."""
    last = record.history.select_related("changed_by").order_by("-changed_at").first()
    return StaleEdit(
        noun=noun,
        current=current,
        changed_at=last.changed_at if last else None,
        changed_by=last.changed_by if last else None,
    )


def typed_text(form: forms.Form) -> list[tuple[str, str]]:
    """What the user wrote in the form's free-text fields (label, text), to hand back."""
    typed = []
    for name, field in form.fields.items():
        if isinstance(field, forms.ChoiceField) or isinstance(field.widget, forms.HiddenInput):
            continue
        if not isinstance(field, forms.CharField):
            continue
        value = str(form.cleaned_data.get(name) or "").strip()
        if value:
            typed.append((str(field.label or name), value))
    return typed


def conflict_response(
    request: HttpRequest,
    exc: StaleEdit,
    *,
    tried: str,
    latest_url: str,
    form: forms.Form | None = None,
) -> HttpResponse:
    return render(
        request,
        "core/conflict.html",
        {
            "conflict": exc,
            "tried": tried,
            "latest_url": latest_url,
            "typed": typed_text(form) if form is not None else [],
        },
        status=409,
    )
