from django.apps import AppConfig


class ReferralsConfig(AppConfig):
    name = "pathways.referrals"
    label = "referrals"
    verbose_name = "Referrals"

    def ready(self) -> None:
        # A consent may end when treatment ends: consent asks referrals through its registry
        # (docs/decisions/0022). Imported here, once the models are loaded.
        from pathways.referrals import consent_events

        consent_events.register()
