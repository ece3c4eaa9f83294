from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.http import HttpRequest
from django_otp.plugins.otp_totp.models import TOTPDevice

from pathways.accounts.models import Agency, Membership, User
from pathways.audit.admin import AuditedAdmin


class MembershipInline(admin.TabularInline[Membership, Any]):
    model = Membership
    extra = 0
    fields = ["agency", "role", "is_active"]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # switch a membership off (is_active) instead


@admin.register(User)
class PathwaysUserAdmin(AuditedAdmin, UserAdmin[User]):
    inlines = [MembershipInline]


@admin.register(Agency)
class AgencyAdmin(AuditedAdmin):
    list_display = ["name", "kind", "program", "archived_at"]
    list_filter = ["kind"]
    search_fields = ["name", "short_name"]


# Second-step devices are managed by their owners (accounts/mfa/devices/) and reset by an
# administrator with `manage.py mfa_reset`, both audited; a first device needs an enrolment code
# (accounts/enrolment-codes/ or `manage.py mfa_enrolment_code`). django-otp's own admin pages
# (which could add or delete a device with no audit event) are not offered, and Pathways'
# authenticator apps (accounts.AuthenticatorApp) and enrolment codes have none.
if admin.site.is_registered(TOTPDevice):
    admin.site.unregister(TOTPDevice)
