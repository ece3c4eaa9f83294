from django.contrib import admin

from pathways.audit.admin import ReadOnlyAdmin
from pathways.linkage.models import RecordImport


@admin.register(RecordImport)
class RecordImportAdmin(ReadOnlyAdmin):
    # the files, not the records: arrest records are read only in aggregates
    list_display = ["created_at", "program", "source", "rows", "added", "updated", "linked"]
    list_filter = ["source"]
