"""System checks that refuse unsafe production settings (run by `manage.py check --deploy`)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error, Tags, register


@register(Tags.security, deploy=True)
def production_settings(app_configs: Any, **kwargs: Any) -> list[Error]:
    errors: list[Error] = []
    if not getattr(settings, "PRODUCTION", False):
        return errors
    if settings.DEBUG:
        errors.append(Error("PATHWAYS_DEBUG must be off in production.", id="pathways.E001"))
    if len(settings.SECRET_KEY) < 50 or settings.SECRET_KEY.startswith("dev-only"):
        errors.append(Error("Set PATHWAYS_SECRET_KEY to a long random value.", id="pathways.E002"))
    if settings.DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
        errors.append(Error("Production runs on PostgreSQL: set DATABASE_URL.", id="pathways.E003"))
    if "console" in settings.EMAIL_BACKEND:
        errors.append(Error("Set PATHWAYS_EMAIL_BACKEND to a real backend.", id="pathways.E004"))
    return errors
