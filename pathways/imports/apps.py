from django.apps import AppConfig


class ImportsConfig(AppConfig):
    name = "pathways.imports"
    label = "imports"
    verbose_name = "EMS and dispatch imports"

    def ready(self) -> None:
        # EMS patient care reports are record linkage source records (decision 0033); the
        # source registers itself with linkage's registry. Imported here, once the models
        # are loaded.
        from pathways.imports import linkage_source

        linkage_source.register()
