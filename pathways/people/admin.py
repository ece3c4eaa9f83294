from django.contrib import admin

from pathways.audit.admin import ReadOnlyAdmin
from pathways.people.models import Person


@admin.register(Person)
class PersonAdmin(ReadOnlyAdmin):
    list_display = ["last_name", "first_name", "date_of_birth", "archived_at"]
    search_fields = ["last_name_key", "first_name_key"]
    readonly_fields = ["first_name_key", "last_name_key", "last_name_sound"]
