from django.apps import AppConfig


class OversightConfig(AppConfig):
    """The program office's view of what was done: the audit search and its export. The audit
    app records events and reaches into no other app; the pages that need to know who works in
    which program live here."""

    name = "pathways.oversight"
    label = "oversight"
    verbose_name = "Oversight"
