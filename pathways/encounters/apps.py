from django.apps import AppConfig


class EncountersConfig(AppConfig):
    name = "pathways.encounters"
    label = "encounters"
    verbose_name = "Encounters"
