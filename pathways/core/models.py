"""Base models every Pathways table builds on: UUID keys, UTC timestamps, archive not delete."""

from __future__ import annotations

import uuid
from typing import Any, TypeVar

from django.conf import settings
from django.db import models

from pathways.core import clock

_M = TypeVar("_M", bound=models.Model)


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


class ArchivableQuerySet(models.QuerySet[_M, _M]):
    def active(self) -> ArchivableQuerySet[_M]:
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


class AppendOnlyQuerySet(models.QuerySet[_M]):
    """Bulk update and delete are refused: a history row, once written, stays as written. The
    database refuses them as well (core.migrations_ops.AppendOnlyTrigger); the only writer that
    may rewrite a stored value is the key rotation, through the base manager with the trigger
    lifted (core.fields.write_stored)."""

    def update(self, **kwargs: Any) -> int:
        raise PermissionError(f"{self.model.__name__} rows are append-only.")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise PermissionError(f"{self.model.__name__} rows are append-only.")


class AppendOnlyModel(models.Model):
    """A history row: written once, never updated or deleted (house rule 3). Each concrete
    subclass gets its database triggers through a migration running
    `pathways.core.migrations_ops.AppendOnlyTrigger` (core/tests/test_append_only.py checks
    that every one has them)."""

    objects = AppendOnlyQuerySet.as_manager()

    #: Said when the model refuses a change (a subclass may word it for its own rows).
    append_only_message = ""

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise PermissionError(self._refusal())
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise PermissionError(self._refusal())

    def _refusal(self) -> str:
        return self.append_only_message or f"{type(self).__name__} rows are append-only."


def clean_fields_only(obj: models.Model) -> None:
    """Validate field values (lengths, choices, validators) without the per-foreign-key
    existence queries and unique checks of full_clean(): services hold the related objects
    already, and the database enforces foreign keys and named constraints."""
    related = [f.name for f in obj._meta.concrete_fields if f.is_relation]
    obj.clean_fields(exclude=related)
    obj.clean()
