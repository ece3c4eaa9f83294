"""API clients in Django's admin: read only (register and revoke through the coordinator's page
or the commands, which audit; the secret's digest is never shown)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from pathways.api.models import ApiClient


@admin.register(ApiClient)
class ApiClientAdmin(admin.ModelAdmin[ApiClient]):
    list_display = ["name", "agency", "key_id", "expires_at", "revoked_at", "last_used_at"]
    list_filter = ["program"]
    fields = (
        "name",
        "program",
        "agency",
        "scopes",
        "key_id",
        "expires_at",
        "revoked_at",
        "revoke_reason",
        "last_used_at",
        "created_by",
        "created_at",
    )
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
