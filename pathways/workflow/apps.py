from django.apps import AppConfig


class WorkflowConfig(AppConfig):
    """The composing layer has no models; it is an app so that it can fill, once every app is
    loaded, the hooks through which the apps below it call up (docs/decisions/0023)."""

    name = "pathways.workflow"
    label = "workflow"
    verbose_name = "Field workflow"

    def ready(self) -> None:
        # Imported here, once the models are loaded.
        from pathways.workflow import hooks

        hooks.register()
