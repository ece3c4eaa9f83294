from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from pathways.audit.admin import AuditedAdmin, ReadOnlyAdmin
from pathways.programs.models import Pathway, Program, ProgramPathway


@admin.register(Pathway)
class PathwayAdmin(ReadOnlyAdmin):
    list_display = ["name", "code", "holds_charges"]


class ProgramPathwayInline(admin.TabularInline[Any, Any]):
    """Shown, not edited here: enabling a pathway goes through program_pathway_set_enabled."""

    model = ProgramPathway
    extra = 0
    readonly_fields = ["pathway", "is_enabled", "local_name"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Program)
class ProgramAdmin(AuditedAdmin):
    list_display = ["name", "jurisdiction", "time_zone"]
    inlines = [ProgramPathwayInline]
