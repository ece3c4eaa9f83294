"""Writes of the outcomes app: the audit trail of report exports and research extracts."""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from django.db import transaction

from pathways.audit.services import audit_log
from pathways.outcomes.research import ExtractRefused, ResearchExtract, export_or_refuse
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


def research_key(program: Program) -> bytes:
    """The key of a program's research pseudonyms and date shifts: the same across exports (so
    a researcher can follow a study id over time), different per program, and never stored in an
    extract. Derived from the deployment's secret key; changing that key changes every
    pseudonym."""
    from django.conf import settings

    label = f"pathways research extract {program.pk}".encode()
    return hmac.new(settings.SECRET_KEY.encode(), label, hashlib.sha256).digest()


def research_export(*, actor: Any, program: Program, dates: str) -> ResearchExtract:
    """Build the de-identified extract, check it, and audit the export. A failed check raises
    ExtractRefused (audited as refused, nothing offered)."""
    try:
        extract = export_or_refuse(program, dates=dates, key=research_key(program))
    except ExtractRefused as refused:
        with transaction.atomic():
            audit_log(
                actor=actor,
                event_type="research.refused",
                obj=program,
                changes={"dates": [None, dates], "problems": [None, len(refused.problems)]},
            )
        raise
    with transaction.atomic():
        audit_log(
            actor=actor,
            event_type="research.export",
            obj=program,
            changes={
                "dates": [None, dates],
                "rows": [None, {name: len(rows) for name, rows in extract.tables.items()}],
            },
        )
    return extract
