from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from pathways.accounts.models import Agency, Membership, User


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    fields = ["agency", "role", "is_active"]


@admin.register(User)
class PathwaysUserAdmin(UserAdmin):
    inlines = [MembershipInline]


@admin.register(Agency)
class AgencyAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "program", "archived_at"]
    list_filter = ["kind"]
    search_fields = ["name", "short_name"]
