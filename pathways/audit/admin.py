"""Admin base classes (audited edits for configuration, read-only views of domain records), used
by every app's admin, and the read-only admin of the audit events themselves."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.http import HttpRequest

from pathways.audit.models import AuditEvent
from pathways.audit.services import audit_log

#: Fields whose change grants or takes away access; a change to one is also audited as a
#: ``permission.change`` event, so the audit search finds every change of who may do what.
PERMISSION_FIELDS = frozenset(
    {"is_active", "is_staff", "is_superuser", "groups", "user_permissions", "role", "agency"}
)
#: Models whose every added row grants access (an inline membership).
PERMISSION_MODELS = frozenset({"membership"})


def _shown(value: Any) -> str | None:
    """A field value as the audit log keeps it (many-to-many values as a sorted list)."""
    if value is None:
        return None
    if isinstance(value, models.QuerySet | list | tuple | set):
        return ", ".join(sorted(str(item) for item in value))
    return str(value)


def _current(obj: Any, names: list[str]) -> dict[str, str | None]:
    """The stored values of `names` for a saved object (before the form is applied)."""
    if obj.pk is None:
        return {}
    stored = type(obj).objects.get(pk=obj.pk)
    values: dict[str, str | None] = {}
    for name in names:
        try:
            field = stored._meta.get_field(name)
        except FieldDoesNotExist:
            continue  # a form-only field (e.g. password1)
        value = getattr(stored, name)
        values[name] = _shown(list(value.all()) if field.many_to_many else value)
    return values


class AuditedAdmin(admin.ModelAdmin[Any]):
    """Configuration edited in the admin (agencies, users, programs), and the rows of its
    inlines (a user's memberships), is audited like any write. A change of access (a role, an
    agency, staff or superuser status, groups, permissions, an account switched off) is also a
    ``permission.change`` event. Deleting is switched off: archive instead."""

    redact: tuple[str, ...] = ("password",)
    """Fields (by prefix: password, password1, password2) whose values are never recorded."""

    def _audit_form(
        self, request: HttpRequest, obj: Any, form: Any, change: bool, old: Any
    ) -> None:
        changes: dict[str, list[str | None]] = {
            name: (
                ["[redacted]", "[redacted]"]
                if name.startswith(self.redact)
                else [old.get(name) if change else None, _shown(form.cleaned_data.get(name))]
            )
            for name in form.changed_data
        }
        model_name = obj._meta.model_name
        audit_log(
            actor=request.user,
            event_type=f"{model_name}.{'admin_change' if change else 'admin_create'}",
            obj=obj,
            changes=changes,
        )
        access = {
            name: values
            for name, values in changes.items()
            if name in PERMISSION_FIELDS or (model_name in PERMISSION_MODELS and not change)
        }
        if access:
            audit_log(actor=request.user, event_type="permission.change", obj=obj, changes=access)

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        # many-to-many fields are saved later (save_related), so read them all now
        request._pathways_admin_old = _current(obj, form.changed_data) if change else {}  # type: ignore[attr-defined]
        super().save_model(request, obj, form, change)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        old = getattr(request, "_pathways_admin_old", {})
        self._audit_form(request, form.instance, form, change, old)

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        changed = [
            (
                inline_form,
                inline_form.instance.pk is not None and not inline_form.instance._state.adding,
            )
            for inline_form in formset.forms
            if inline_form.has_changed() and inline_form not in formset.deleted_forms
        ]
        old = {
            id(inline_form): _current(inline_form.instance, inline_form.changed_data)
            for inline_form, existed in changed
            if existed
        }
        super().save_formset(request, form, formset, change)
        for inline_form, existed in changed:
            self._audit_form(
                request, inline_form.instance, inline_form, existed, old.get(id(inline_form), {})
            )

    def has_delete_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return False


class ReadOnlyAdmin(admin.ModelAdmin[Any]):
    """Domain records change only through their services; the admin shows them."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin[AuditEvent]):
    """Read-only: audit events are never edited or removed."""

    list_display = ["occurred_at", "event_type", "object_type", "object_id", "actor", "outcome"]
    list_filter = ["event_type", "object_type"]
    search_fields = ["object_id", "event_type"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
