from django.contrib import admin

from pathways.audit.admin import ReadOnlyAdmin
from pathways.cases.models import Case, HeldCharge, PlanRequirement, ProsecutorReview


@admin.register(Case)
class CaseAdmin(ReadOnlyAdmin):
    list_display = ["opened_at", "status", "diverting_agency", "case_agency"]
    list_filter = ["status"]
    raw_id_fields = ["encounter", "person"]


@admin.register(HeldCharge)
class HeldChargeAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "mode", "offence_type", "offence_level", "outcome"]
    list_filter = ["mode", "outcome"]


@admin.register(ProsecutorReview)
class ProsecutorReviewAdmin(ReadOnlyAdmin):
    list_display = ["decided_at", "decision", "decline_reason"]
    list_filter = ["decision"]


@admin.register(PlanRequirement)
class PlanRequirementAdmin(ReadOnlyAdmin):
    list_display = ["case", "kind", "due_date", "completed_at", "waived_at"]
    list_filter = ["kind"]
