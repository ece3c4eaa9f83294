from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "pathways.accounts"
    label = "accounts"
    verbose_name = "Accounts and agencies"
