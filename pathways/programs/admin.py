from django.contrib import admin

from pathways.programs.models import Pathway, Program, ProgramPathway


@admin.register(Pathway)
class PathwayAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "charges"]


class ProgramPathwayInline(admin.TabularInline):
    model = ProgramPathway
    extra = 0


@admin.register(Program)
class ProgramAdmin(admin.ModelAdmin):
    list_display = ["name", "jurisdiction", "time_zone"]
    inlines = [ProgramPathwayInline]
