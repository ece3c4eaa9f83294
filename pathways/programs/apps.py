from django.apps import AppConfig


class ProgramsConfig(AppConfig):
    name = "pathways.programs"
    label = "programs"
    verbose_name = "Programs and pathways"
