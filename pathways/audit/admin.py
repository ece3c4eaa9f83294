from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from pathways.audit.models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
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
