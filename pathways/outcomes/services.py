"""Writes of the outcomes app: the audit trail of report exports and research extracts."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import TYPE_CHECKING

from django.db import transaction

from pathways.audit.services import audit_log
from pathways.outcomes.research import ExtractRefused, ResearchExtract, export_or_refuse
from pathways.programs.models import Program

if TYPE_CHECKING:
    from pathways.accounts.models import User


def record_export(*, actor: User, program: Program, report: str, fmt: str, filters: str) -> None:
    """A report left the system as a file: who, which report, which format and filters.
    Filters name agencies, areas and dates, never a person."""
    with transaction.atomic():
        audit_log(
            actor=actor,
            event_type="report.export",
            obj=program,
            changes={"report": [None, report], "format": [None, fmt], "filters": [None, filters]},
        )


def research_pseudonym_key() -> bytes:
    """A new key for one extract's pseudonyms, never stored: every extract (of either kind, and
    the same kind made again) gives each person other pseudonyms, so extracts cannot be joined.
    A years-only and a shifted-dates extract joined by study id would pin each person's date
    shift (the shifted date against the true year), and with it their real dates."""
    return secrets.token_bytes(32)


def research_shift_key(program: Program) -> bytes:
    """The key of a program's per-person date shifts: the same across exports, so several
    shifted extracts cannot be averaged towards the real dates; different per program and never
    stored in an extract. Derived from the deployment's secret key."""
    from django.conf import settings

    label = f"pathways research date shift {program.pk}".encode()
    return hmac.new(settings.SECRET_KEY.encode(), label, hashlib.sha256).digest()


def research_export(*, actor: User, program: Program, dates: str) -> ResearchExtract:
    """Build the de-identified extract, check it, and audit the export. A failed check raises
    ExtractRefused (audited as refused, nothing offered)."""
    try:
        extract = export_or_refuse(
            program,
            dates=dates,
            key=research_pseudonym_key(),
            shift_key=research_shift_key(program),
        )
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
