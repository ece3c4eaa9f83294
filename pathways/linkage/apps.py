from django.apps import AppConfig


class LinkageConfig(AppConfig):
    name = "pathways.linkage"
    label = "linkage"
    verbose_name = "Imported records and linkage"
