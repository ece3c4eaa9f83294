from django.contrib import admin

from pathways.audit.admin import ReadOnlyAdmin
from pathways.imports.models import ImportJob


@admin.register(ImportJob)
class ImportJobAdmin(ReadOnlyAdmin):
    # counts and problems only: the files hold patients' data and are deleted after the job
    list_display = ["created_at", "program", "kind", "status", "records", "added", "repeated"]
    list_filter = ["kind", "status"]
