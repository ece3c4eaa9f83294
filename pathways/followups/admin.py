from django.contrib import admin

from pathways.core.admin import ReadOnlyAdmin
from pathways.followups.models import WorkItem


@admin.register(WorkItem)
class WorkItemAdmin(ReadOnlyAdmin):
    list_display = ["due_at", "kind", "team", "completed_at", "cancelled_at"]
    list_filter = ["kind", "team"]
    raw_id_fields = ["person", "encounter", "referral"]
