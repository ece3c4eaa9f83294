"""Database constraints shared by the apps' models."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import models


def one_of(field: str, values: Iterable[str], *, name: str) -> models.CheckConstraint:
    """A named check that `field` holds one of `values` (a vocabulary's values, plus "" where
    blank means "not decided"): a value written around the form or service is refused by the
    database too."""
    return models.CheckConstraint(condition=models.Q(**{f"{field}__in": sorted(values)}), name=name)
