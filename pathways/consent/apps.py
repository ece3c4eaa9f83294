from django.apps import AppConfig


class ConsentConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "pathways.consent"
    verbose_name = "Consent and disclosure"
