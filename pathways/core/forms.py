"""Form helpers: USWDS classes and accessible error wiring on every widget."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.forms.widgets import Input
from django.utils import timezone
from django.utils.dateparse import parse_datetime

_CLASS_FOR_WIDGET: list[tuple[type[forms.Widget], str]] = [
    (forms.CheckboxSelectMultiple, ""),
    (forms.RadioSelect, ""),
    (forms.CheckboxInput, "usa-checkbox__input"),
    (forms.Select, "usa-select"),
    (forms.Textarea, "usa-textarea"),
    (Input, "usa-input"),
]


class UswdsFormMixin:
    """Adds USWDS classes, and aria-describedby/aria-invalid after validation."""

    fields: dict[str, forms.Field]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.style_fields(*self.fields)

    def style_fields(self, *names: str) -> None:
        """Style fields by name; a form that adds fields after __init__ calls it for them."""
        for name in names:
            field = self.fields[name]
            for widget_type, css in _CLASS_FOR_WIDGET:
                if isinstance(field.widget, widget_type):
                    if css:
                        existing = field.widget.attrs.get("class", "")
                        field.widget.attrs["class"] = f"{existing} {css}".strip()
                    break
            if field.help_text:
                field.widget.attrs["aria-describedby"] = f"{self._field_id(name)}-hint"

    #: Where the error summary points for a field shown elsewhere than its own input (a hidden
    #: field, a choice rendered by hand): name -> (element id, label).
    summary_targets: dict[str, tuple[str, str]] = {}

    def error_summary(self) -> list[tuple[str, str, str]]:
        """(element id, field label, first message) for each field with an error, in the
        order of the form, for the summary at the top that links to each field."""
        entries: list[tuple[str, str, str]] = []
        errors = getattr(self, "_errors", None) or {}
        for name in self.fields:
            if name not in errors:
                continue
            target = self.summary_targets.get(name)
            if target is None:
                label = str(self.fields[name].label or name.replace("_", " ").capitalize())
                target = (self._field_id(name), label)
            entries.append((target[0], target[1], str(errors[name][0])))
        return entries

    def _field_id(self, name: str) -> str:
        """The id the field's input gets (with the form's prefix and auto_id)."""
        field_id: str = self[name].id_for_label  # type: ignore[index]
        return field_id

    def full_clean(self) -> None:
        super().full_clean()  # type: ignore[misc]
        for name in getattr(self, "_errors", None) or {}:
            if name in self.fields:
                widget = self.fields[name].widget
                widget.attrs["aria-invalid"] = "true"
                described = widget.attrs.get("aria-describedby", "")
                error_id = f"{self._field_id(name)}-error"
                widget.attrs["aria-describedby"] = f"{described} {error_id}".strip()
                existing = widget.attrs.get("class", "")
                if "usa-input" in existing and "usa-input--error" not in existing:
                    widget.attrs["class"] = existing + " usa-input--error"


class Form(UswdsFormMixin, forms.Form):
    pass


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%d")


DATETIME_LOCAL_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"]


class TypedTime(str):
    """What a person typed into a date-and-time box, with their answer to "which one?" when
    the clocks went back and the time happened twice (`fold`: 0 the first, 1 the second)."""

    fold: int | None = None


def _fold_of(data: Any, name: str) -> int | None:
    raw = data.get(f"{name}_fold", "")
    return int(raw) if raw in ("0", "1") else None


def _naive(text: str) -> dt.datetime | None:
    text = text.strip()
    try:
        found = parse_datetime(text)
    except ValueError:
        return None
    if found is not None:
        return found if timezone.is_naive(found) else None
    for fmt in DATETIME_LOCAL_FORMATS:
        try:
            return dt.datetime.strptime(text, fmt)  # noqa: DTZ007 (local time, zoned below)
        except ValueError:
            continue
    return None


def clock_change(naive: dt.datetime, zone: Any) -> str:
    """'repeated' when the local time happened twice (clocks went back), 'skipped' when it
    never happened (clocks went forward), '' otherwise."""
    first, second = naive.replace(tzinfo=zone, fold=0), naive.replace(tzinfo=zone, fold=1)
    if first.utcoffset() == second.utcoffset():
        return ""
    back = first.astimezone(dt.UTC).astimezone(zone).replace(tzinfo=None)
    return "repeated" if back == naive else "skipped"


def _clock_time(moment: dt.datetime) -> str:
    return f"{moment:%-I:%M %p}"


def repeated_choices(naive: dt.datetime, zone: Any) -> list[tuple[str, str]]:
    """The two moments a repeated local time can mean, in plain words."""
    first, second = naive.replace(tzinfo=zone, fold=0), naive.replace(tzinfo=zone, fold=1)
    return [
        ("0", f"{_clock_time(naive)} {first:%Z}: the first time, before the clocks went back"),
        ("1", f"{_clock_time(naive)} {second:%Z}: the second time, after the clocks went back"),
    ]


class DateTimeLocalInput(forms.DateTimeInput):
    """A date-and-time box. When the clocks went back and the typed time happened twice, it
    also asks which of the two was meant (see LocalDateTimeField)."""

    input_type = "datetime-local"
    template_name = "core/widgets/datetime_local.html"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%dT%H:%M")

    def value_from_datadict(self, data: Any, files: Any, name: str) -> Any:
        value = super().value_from_datadict(data, files, name)
        if not isinstance(value, str):
            return value
        typed = TypedTime(value)
        typed.fold = _fold_of(data, name)
        return typed

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        naive = _naive(value) if isinstance(value, str) else None
        zone = timezone.get_current_timezone()
        if naive is not None and clock_change(naive, zone) == "repeated":
            chosen = getattr(value, "fold", None)
            context["widget"]["fold"] = {
                "name": f"{name}_fold",
                "id": f"{context['widget']['attrs'].get('id', name)}_fold",
                "chosen": "" if chosen is None else str(chosen),
                "time": _clock_time(naive),
                "choices": repeated_choices(naive, zone),
            }
        return context


class LocalDateTimeField(forms.DateTimeField):
    """A date and time typed in the program's local time (the current time zone). A time the
    clocks skipped, or one they repeated without saying which, gets a plain message instead
    of Django's; a repeated time is settled by the answer the widget asks for."""

    widget = DateTimeLocalInput

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("input_formats", DATETIME_LOCAL_FORMATS)
        kwargs.setdefault("widget", DateTimeLocalInput())
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> dt.datetime | None:
        if value in self.empty_values:
            return None
        if isinstance(value, dt.datetime):
            return super().to_python(value)
        naive = _naive(str(value))
        if naive is None:
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        zone = timezone.get_current_timezone()
        change = clock_change(naive, zone)
        day = f"{naive:%a %b} {naive.day}, {naive.year}"
        if change == "skipped":
            later = _clock_time(naive + dt.timedelta(hours=1))
            raise ValidationError(
                f"On {day} the clocks went forward an hour, so no clock showed "
                f"{_clock_time(naive)} that night. Enter the time again (it was probably "
                f"{later} by the new time).",
                code="skipped_time",
            )
        fold = getattr(value, "fold", None)
        if change == "repeated" and fold is None:
            raise ValidationError(
                f"On {day} the clocks went back an hour, so {_clock_time(naive)} happened "
                "twice. Choose which one you mean below.",
                code="repeated_time",
            )
        return naive.replace(tzinfo=zone, fold=fold or 0)


def show_service_errors(form: forms.Form, error: ValidationError, *, prefix: str = "") -> None:
    """Put a service's refusal on the form: each message at the field the service named (or
    that name with `prefix`, for fields a form builds per item), the others at the top."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for name, messages in error.message_dict.items():
        field = name if name in form.fields else f"{prefix}{name}"
        form.add_error(field if field in form.fields else None, messages)
