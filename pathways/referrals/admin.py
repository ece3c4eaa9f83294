from django.contrib import admin

from pathways.audit.admin import ReadOnlyAdmin
from pathways.referrals.models import Referral


@admin.register(Referral)
class ReferralAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "service", "status", "warm_handoff"]
    list_filter = ["status", "warm_handoff"]
    raw_id_fields = ["encounter", "person"]
