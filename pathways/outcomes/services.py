"""Writes of the outcomes app: the audit trail of report exports."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from pathways.audit.services import audit_log
from pathways.programs.models import Program


def record_export(*, actor: Any, program: Program, report: str, fmt: str, filters: str) -> None:
    """A report left the system as a file: who, which report, which format and filters.
    Filters name agencies, areas and dates, never a person."""
    with transaction.atomic():
        audit_log(
            actor=actor,
            event_type="report.export",
            obj=program,
            changes={"report": [None, report], "format": [None, fmt], "filters": [None, filters]},
        )
