from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "pathways.cases"
    label = "cases"
    verbose_name = "Diversion cases"

    def ready(self) -> None:
        # A consent may end when the person's case closes: consent asks cases through its
        # registry (docs/decisions/0022). Imported here, once the models are loaded.
        from pathways.cases import consent_events, worklist_links

        consent_events.register()
        # The worklist links a case deadline to its case page (decision 0023).
        worklist_links.register()
