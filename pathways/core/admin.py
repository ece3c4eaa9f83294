"""Admin base classes: audited edits for configuration, read-only views of domain records."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db import models
from django.http import HttpRequest

from pathways.audit.services import audit_log


class AuditedAdmin(admin.ModelAdmin):
    """Configuration edited in the admin (agencies, users, programs) is audited like any write.
    Deleting is switched off: archive instead."""

    redact: tuple[str, ...] = ("password",)

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        old = {}
        if change and obj.pk:
            previous = type(obj).objects.filter(pk=obj.pk).values().first() or {}
            old = {name: previous.get(name) for name in form.changed_data}
        super().save_model(request, obj, form, change)
        changes: dict[str, list[str | None]] = {
            name: (
                ["[redacted]", "[redacted]"]
                if name in self.redact
                else [str(old.get(name)) if change else None, str(form.cleaned_data.get(name))]
            )
            for name in form.changed_data
        }
        audit_log(
            actor=request.user,
            event_type=f"{obj._meta.model_name}.{'admin_change' if change else 'admin_create'}",
            obj=obj,
            changes=changes,
        )

    def has_delete_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return False


class ReadOnlyAdmin(admin.ModelAdmin):
    """Domain records change only through their services; the admin shows them."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return False
