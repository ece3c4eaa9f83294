"""Audit events: one append-only row for every write, written in the writer's transaction."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from pathways.core import clock
from pathways.core.models import AppendOnlyModel, AppendOnlyQuerySet

#: Event types of sign-in, sign-out and refused requests (audit.security), as opposed to writes.
SECURITY_EVENT_PREFIX = "auth."
#: Event types of reads of protected records (audit.services.audit_read).
READ_EVENT_PREFIX = "read."
#: A search for records (people by name): what for and how many came back, never the text.
SEARCH_EVENT = f"{READ_EVENT_PREFIX}search"


class AuditEventQuerySet(AppendOnlyQuerySet["AuditEvent"]):
    """Append-only: bulk update and delete are refused here (AppendOnlyQuerySet) and by the
    database (the triggers of audit migration 0003)."""

    def writes(self) -> AuditEventQuerySet:
        """Events of writes to records (not reads, sign-ins, sign-outs or refused requests)."""
        return self.exclude(event_type__startswith=SECURITY_EVENT_PREFIX).exclude(
            event_type__startswith=READ_EVENT_PREFIX
        )


class AuditEvent(AppendOnlyModel):
    append_only_message = "Audit events are append-only."

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    occurred_at = models.DateTimeField(default=clock.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Empty for system jobs (demo loader, cron).",
    )
    actor_agency = models.ForeignKey(
        "accounts.Agency", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    event_type = models.CharField(max_length=80, help_text="<domain>.<verb>, e.g. referral.accept")
    object_type = models.CharField(max_length=80, help_text="app_label.model of the object")
    object_id = models.CharField(max_length=64)
    changes = models.JSONField(
        default=dict, blank=True, help_text="{field: [old, new]}; protected fields are redacted"
    )
    outcome = models.CharField(max_length=20, default="success")

    objects = AuditEventQuerySet.as_manager()  # type: ignore[misc]  # AppendOnlyModel's, with writes()

    class Meta:
        ordering = ["-occurred_at"]
        indexes = [
            # the object's history panel and "who touched this record"
            models.Index(
                fields=["object_type", "object_id", "occurred_at"], name="audit_object_idx"
            ),
            # the coordinator's audit search by person and time
            models.Index(fields=["actor", "occurred_at"], name="audit_actor_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.occurred_at:%Y-%m-%d %H:%M} {self.event_type} {self.object_type}"
