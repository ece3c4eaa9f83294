from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.http import HttpRequest

from pathways.accounts.models import Agency, Membership, User
from pathways.core.admin import AuditedAdmin


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    fields = ["agency", "role", "is_active"]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # switch a membership off (is_active) instead


@admin.register(User)
class PathwaysUserAdmin(AuditedAdmin, UserAdmin):
    inlines = [MembershipInline]


@admin.register(Agency)
class AgencyAdmin(AuditedAdmin):
    list_display = ["name", "kind", "program", "archived_at"]
    list_filter = ["kind"]
    search_fields = ["name", "short_name"]
