from django.apps import AppConfig


class ImportsConfig(AppConfig):
    name = "pathways.imports"
    label = "imports"
    verbose_name = "EMS and dispatch imports"

    def ready(self) -> None:
        # EMS patient care reports are record linkage source records (decision 0033)
        from pathways.imports.linkage_source import SOURCE
        from pathways.linkage.registry import register

        register(SOURCE)
