from django.contrib import admin

from pathways.encounters.models import Encounter


@admin.register(Encounter)
class EncounterAdmin(admin.ModelAdmin):
    list_display = ["occurred_at", "pathway", "agency", "disposition"]
    list_filter = ["pathway", "disposition"]
    raw_id_fields = ["person", "responder"]
