from django.contrib import admin

from pathways.audit.admin import ReadOnlyAdmin
from pathways.surveillance.models import OverdoseEvent


@admin.register(OverdoseEvent)
class OverdoseEventAdmin(ReadOnlyAdmin):
    list_display = ["occurred_at", "reporting_agency", "naloxone_given", "fatal", "source"]
    list_filter = ["fatal", "naloxone_given", "source"]
