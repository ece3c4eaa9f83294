from django.apps import AppConfig
from django.core import checks


class ConsentConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "pathways.consent"
    verbose_name = "Consent and disclosure"

    def ready(self) -> None:
        # The apps that record the end events register their sources in their own ready();
        # the check runs once every app is ready and names any event left without one.
        from pathways.consent.events import check_end_events

        checks.register(check_end_events)
