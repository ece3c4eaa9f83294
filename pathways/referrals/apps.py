from django.apps import AppConfig


class ReferralsConfig(AppConfig):
    name = "pathways.referrals"
    label = "referrals"
    verbose_name = "Referrals"
