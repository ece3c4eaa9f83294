"""Form helpers: USWDS classes and accessible error wiring on every widget."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.forms.widgets import Input

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

    def _field_id(self, name: str) -> str:
        """The id the field's input gets (with the form's prefix and auto_id)."""
        return self[name].id_for_label  # type: ignore[index]

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


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%dT%H:%M")


DATETIME_LOCAL_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"]


def show_service_errors(form: forms.Form, error: ValidationError, *, prefix: str = "") -> None:
    """Put a service's refusal on the form: each message at the field the service named (or
    that name with `prefix`, for fields a form builds per item), the others at the top."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for name, messages in error.message_dict.items():
        field = name if name in form.fields else f"{prefix}{name}"
        form.add_error(field if field in form.fields else None, messages)
