from django.apps import AppConfig


class DirectoryConfig(AppConfig):
    name = "pathways.directory"
    label = "directory"
    verbose_name = "Partner directory"
