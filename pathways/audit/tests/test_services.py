from __future__ import annotations

from typing import Any

import pytest
from django.db import connection, transaction

from pathways.audit.models import AuditEvent
from pathways.audit.services import REDACTED, audit_log, diff
from pathways.people.services import person_create


@pytest.mark.django_db(transaction=True)
def test_audit_log_outside_a_transaction_raises(cast: Any) -> None:
    with pytest.raises(RuntimeError, match="inside the service's transaction"):
        audit_log(actor=None, event_type="x.y", obj=cast.program)


def test_personal_data_is_redacted_in_audit_changes(cast: Any) -> None:
    with transaction.atomic():
        person = person_create(
            actor=cast.officer_a,
            agency=cast.police_a,
            first_name="Rosa",
            last_name="Vance",
            date_of_birth=None,
        )
    event = AuditEvent.objects.get(object_id=str(person.pk))
    assert event.event_type == "person.create"
    assert event.actor == cast.officer_a
    assert event.changes["last_name"] == [REDACTED, REDACTED]
    assert "Vance" not in str(event.changes)


def test_audit_events_are_append_only(cast: Any) -> None:
    with transaction.atomic():
        event = audit_log(actor=None, event_type="x.y", obj=cast.program)
    event.event_type = "x.z"
    with pytest.raises(PermissionError):
        event.save()
    with pytest.raises(PermissionError):
        event.delete()


def test_database_refuses_audit_updates(cast: Any) -> None:
    """On SQLite and PostgreSQL alike (audit migration 0003)."""
    with transaction.atomic():
        audit_log(actor=None, event_type="x.y", obj=cast.program)
    from django.db import DatabaseError

    # the ORM refuses first (AuditEventQuerySet); the database refuses what bypasses it
    with pytest.raises(PermissionError):
        AuditEvent.objects.update(event_type="tampered")
    for sql in (
        "UPDATE audit_auditevent SET event_type = 'tampered'",
        "DELETE FROM audit_auditevent",
    ):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql)
    assert AuditEvent.objects.filter(event_type="x.y").count() == 1


def test_diff_lists_only_changed_fields() -> None:
    assert diff({"a": 1, "b": 2}, {"a": 1, "b": 3}) == {"b": [2, 3]}
    assert diff({"a": 1}, {"a": 2}, redact=["a"]) == {"a": [REDACTED, REDACTED]}
