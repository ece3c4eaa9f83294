from django.apps import AppConfig


class WorklistsConfig(AppConfig):
    name = "pathways.followups"
    label = "followups"
    verbose_name = "Follow-ups and worklists"
