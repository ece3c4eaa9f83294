"""Base models every Pathways table builds on: UUID keys, UTC timestamps, archive not delete."""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import models

from pathways.core import clock


class BaseModel(models.Model):
    """UUID primary key and created/updated times (UTC, from the injectable clock)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    created_at = models.DateTimeField(default=clock.now, editable=False)
    updated_at = models.DateTimeField(default=clock.now, editable=False)

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            self.updated_at = clock.now()
            update_fields = kwargs.get("update_fields")
            if update_fields is not None:
                kwargs["update_fields"] = {*update_fields, "updated_at"}
        super().save(*args, **kwargs)


class ArchivableQuerySet(models.QuerySet):
    def active(self) -> ArchivableQuerySet:
        return self.filter(archived_at__isnull=True)


class ArchivableModel(BaseModel):
    """Records are archived (with who and why), never hard-deleted."""

    archived_at = models.DateTimeField(null=True, blank=True)
    archived_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    archive_reason = models.CharField(max_length=500, blank=True)

    objects = ArchivableQuerySet.as_manager()

    class Meta:
        abstract = True

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise PermissionError(f"{type(self).__name__} records are archived, never deleted.")


def clean_fields_only(obj: models.Model) -> None:
    """Validate field values (lengths, choices, validators) without the per-foreign-key
    existence queries and unique checks of full_clean(): services hold the related objects
    already, and the database enforces foreign keys and named constraints."""
    related = [f.name for f in obj._meta.concrete_fields if f.is_relation]
    obj.clean_fields(exclude=related)
    obj.clean()
