from django.apps import AppConfig


class SurveillanceConfig(AppConfig):
    name = "pathways.surveillance"
    label = "surveillance"
    verbose_name = "Overdose events"
