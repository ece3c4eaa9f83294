from django.contrib import admin

from pathways.audit.admin import ReadOnlyAdmin
from pathways.directory.models import Location, Service


@admin.register(Service)
class ServiceAdmin(ReadOnlyAdmin):
    list_display = ["name", "organization", "service_type", "capacity_open", "capacity_total"]
    list_filter = ["service_type"]
    search_fields = ["name"]


@admin.register(Location)
class LocationAdmin(ReadOnlyAdmin):
    list_display = ["name", "organization", "city"]
