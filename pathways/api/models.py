"""Partner systems registered to use the API, and the answers kept for their retried POSTs."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from pathways.core.models import BaseModel


class ApiClient(BaseModel):
    """A partner system (a provider's EHR, a department's records system) registered by a
    coordinator for one agency of one program. Its secret is shown once and kept only as a
    salted SHA-256 digest; it expires and can be revoked. It acts as its own account (`user`:
    no password, switched off for signing in to pages) holding the roles of its scopes at its
    agency (api.vocabulary), so every endpoint runs through the same selectors, services and
    disclosure check as the pages. docs/decisions/0029-partner-api-credentials.md"""

    program = models.ForeignKey(
        "programs.Program", on_delete=models.PROTECT, related_name="api_clients"
    )
    agency = models.ForeignKey("accounts.Agency", on_delete=models.PROTECT, related_name="+")
    name = models.CharField(max_length=100, help_text="What the partner system is called")
    scopes = models.JSONField(default=list, help_text="api.vocabulary.ApiScope values")
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="api_client",
        help_text="The client's own account: the actor of what it does; never signs in",
    )
    key_id = models.CharField(
        max_length=16, unique=True, help_text="The public part of the credential (lookup)"
    )
    secret_salt = models.CharField(max_length=32)
    secret_hash = models.CharField(
        max_length=64, help_text="SHA-256 of salt and secret (hex); never the secret"
    )
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    revoke_reason = models.CharField(max_length=200, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Who registered it; empty when registered on the server (manage.py)",
    )

    class Meta:
        ordering = ["agency__name", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["agency", "name"],
                condition=Q(revoked_at__isnull=True),
                name="api_client_unique_live_name_in_agency",
            ),
            models.CheckConstraint(
                condition=Q(expires_at__gt=F("created_at")),
                name="api_client_expires_after_created",
            ),
            models.CheckConstraint(
                condition=Q(revoked_at__isnull=True)
                | Q(revoked_by__isnull=False)
                | ~Q(revoke_reason=""),
                name="api_client_revocation_says_who_or_why",
            ),
        ]
        indexes = [
            # the coordinator's page: the program's clients
            models.Index(fields=["program", "revoked_at"], name="api_client_program_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.agency})"

    def state(self, now: dt.datetime) -> str:
        """'active', 'revoked' or 'expired'."""
        if self.revoked_at is not None:
            return "revoked"
        return "expired" if self.expires_at <= now else "active"

    def has_scope(self, scope: str) -> bool:
        return scope in (self.scopes or [])


class IdempotentRequest(BaseModel):
    """The first successful answer to a client's POST with an Idempotency-Key: the same key with
    the same body gets this answer again (nothing is done twice); the same key with another
    body is refused. Kept with the write, in its transaction; a refused request keeps
    nothing, so it may be retried with the same key."""

    client = models.ForeignKey(ApiClient, on_delete=models.PROTECT, related_name="+")
    key = models.CharField(max_length=200)
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=300)
    request_digest = models.CharField(max_length=64, help_text="SHA-256 of method, path, body")
    status_code = models.PositiveSmallIntegerField()
    response_body = models.JSONField(default=dict)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["client", "key"], name="api_idempotency_key_once")
        ]

    def __str__(self) -> str:
        return f"{self.method} {self.path} ({self.status_code})"

    def replay(self) -> dict[str, Any]:
        return dict(self.response_body)
