from django.contrib import admin

from pathways.audit.admin import ReadOnlyAdmin
from pathways.encounters.models import Encounter


@admin.register(Encounter)
class EncounterAdmin(ReadOnlyAdmin):
    list_display = ["occurred_at", "pathway", "agency", "disposition"]
    list_filter = ["pathway", "disposition"]
    raw_id_fields = ["person", "responder"]
