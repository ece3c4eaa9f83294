from django.apps import AppConfig


class WorklistsConfig(AppConfig):
    name = "pathways.worklists"
    label = "worklists"
    verbose_name = "Worklists"
