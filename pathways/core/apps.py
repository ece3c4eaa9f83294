from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "pathways.core"
    label = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        from pathways.core import checks  # noqa: F401  (registers the system checks)
