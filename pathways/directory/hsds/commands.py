"""What the hsds_export and hsds_import commands share: finding the program by its name."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.apps import apps
from django.core.management.base import CommandError

if TYPE_CHECKING:
    from pathways.programs.models import Program


def program_named(name: str) -> Program:
    # programs sits above the directory in the layers: the model is looked up, not imported
    model: Any = apps.get_model("programs", "Program")
    program: Program | None = model.objects.filter(name=name).first()
    if program is None:
        raise CommandError(f"No program is called {name!r}.")
    return program
