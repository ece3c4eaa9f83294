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


@register(Tags.security)
def field_encryption_keys(app_configs: Any, **kwargs: Any) -> list[Error]:
    """PATHWAYS_FIELD_KEYS must parse (any mode) and be set in production (pathways.core.crypto).
    Messages name the variable and the entry, never key material."""
    from django.core.exceptions import ImproperlyConfigured

    from pathways.core.crypto import ENV_VAR, parse_keys

    production = bool(getattr(settings, "PRODUCTION", False))
    raw = str(getattr(settings, "PATHWAYS_FIELD_KEYS", "") or "")
    try:
        pairs = parse_keys(raw, secret_key=str(settings.SECRET_KEY), production=production)
    except ImproperlyConfigured as exc:
        return [Error(str(exc), id="pathways.E010")]
    if production and not pairs:
        return [
            Error(
                f"Set {ENV_VAR} in production: keyid:base64-of-32-bytes, the first encrypts "
                "(docs/operations.md, key management).",
                id="pathways.E011",
            )
        ]
    return []


@register(Tags.security)
def production_requires_mfa(app_configs: Any, **kwargs: Any) -> list[Error]:
    """Production keeps two-step sign-in on: every account there can see protected records.
    Run by every management command and server start, not only `check --deploy`."""
    if getattr(settings, "PRODUCTION", False) and not getattr(
        settings, "PATHWAYS_MFA_REQUIRED", True
    ):
        return [
            Error(
                "Two-step sign-in cannot be switched off in production: remove "
                "PATHWAYS_MFA_REQUIRED=0 (docs/decisions/0011-mfa.md).",
                id="pathways.E005",
            )
        ]
    return []


@register(Tags.security)
def production_has_no_demo(app_configs: Any, **kwargs: Any) -> list[Error]:
    """The synthetic county (pathways.demo) is never installed in production: its commands write
    made-up people and known passwords. Settings leave it out there; this check refuses a request
    for it (PATHWAYS_DEMO=1) and settings of another module that add it back."""
    if not getattr(settings, "PRODUCTION", False):
        return []
    errors: list[Error] = []
    if getattr(settings, "PATHWAYS_DEMO", False):
        errors.append(
            Error(
                "The demo is never installed in production: remove PATHWAYS_DEMO=1 "
                "(docs/decisions/0025-house-rules-in-the-repo-and-no-demo-in-production.md).",
                id="pathways.E006",
            )
        )
    if "pathways.demo" in settings.INSTALLED_APPS:
        errors.append(
            Error(
                "pathways.demo is in INSTALLED_APPS in production: remove it from the settings.",
                id="pathways.E007",
            )
        )
    return errors
