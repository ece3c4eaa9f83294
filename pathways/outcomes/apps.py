from django.apps import AppConfig


class OutcomesConfig(AppConfig):
    name = "pathways.outcomes"
    label = "outcomes"
    verbose_name = "Outcomes and reports"
