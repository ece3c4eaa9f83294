from django.contrib import admin

from pathways.audit.admin import ReadOnlyAdmin
from pathways.followups.models import OutreachEntry, OutreachList, OutreachStatusChange, WorkItem


@admin.register(WorkItem)
class WorkItemAdmin(ReadOnlyAdmin):
    list_display = ["due_at", "kind", "team", "completed_at", "cancelled_at"]
    list_filter = ["kind", "team"]
    raw_id_fields = ["person", "encounter", "referral"]


@admin.register(OutreachList)
class OutreachListAdmin(ReadOnlyAdmin):
    list_display = ["name", "team", "program", "archived_at"]
    list_filter = ["team"]


@admin.register(OutreachEntry)
class OutreachEntryAdmin(ReadOnlyAdmin):
    list_display = ["outreach_list", "status", "status_changed_at", "added_at"]
    list_filter = ["status", "outreach_list"]
    raw_id_fields = ["person", "work_item"]


@admin.register(OutreachStatusChange)
class OutreachStatusChangeAdmin(ReadOnlyAdmin):
    list_display = ["entry", "from_status", "to_status", "changed_at"]
    raw_id_fields = ["entry", "visit"]
