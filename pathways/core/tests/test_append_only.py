"""Every history table is append-only twice over: the model refuses an update or a delete
(AppendOnlyModel and its queryset), and so does the database, on SQLite and PostgreSQL alike
(the triggers of core.migrations_ops.AppendOnlyTrigger, applied by each app's migration)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import DatabaseError, connection, models, transaction

from pathways.audit.models import AuditEvent
from pathways.cases.factories import intervention_config, leon_plan, open_case
from pathways.cases.models import (
    CaseEvent,
    CaseStatusChange,
    ProsecutorReview,
    RequirementProgress,
)
from pathways.consent.factories import consent_values
from pathways.consent.models import Disclosure
from pathways.consent.services import consent_record, disclosure_record
from pathways.core import clock
from pathways.core.migrations_ops import (
    AppendOnlyTrigger,
    create_statements,
    drop_statements,
    present_triggers,
    trigger_name,
    update_allowed,
)
from pathways.core.models import AppendOnlyModel
from pathways.directory.models import CapacityUpdate
from pathways.encounters.factories import EncounterFactory
from pathways.encounters.models import EligibilityReview
from pathways.followups.factories import OutreachListFactory, outreach_team
from pathways.followups.models import OutreachEntry, OutreachStatusChange
from pathways.people.factories import PersonFactory
from pathways.referrals.factories import make_referral
from pathways.referrals.models import ReferralStatusChange
from pathways.testing import Cast


def _case(cast: Cast) -> Any:
    intervention_config(cast.program, charges="civil_citation", requirements=leon_plan())
    return open_case(actor=cast.officer_a, agency=cast.police_a, case_agency=cast.provider_p)


def _audit_event(cast: Cast) -> AuditEvent:
    return AuditEvent.objects.create(
        event_type="x.y", object_type="programs.program", object_id=str(cast.program.pk)
    )


def _referral_change(cast: Cast) -> ReferralStatusChange:
    encounter = EncounterFactory.create(agency=cast.police_a, responder=cast.officer_a)
    referral = make_referral(actor=cast.officer_a, encounter=encounter, service=cast.detox_p)
    return ReferralStatusChange.objects.create(
        referral=referral, from_status="sent", to_status="received"
    )


def _case_change(cast: Cast) -> CaseStatusChange:
    return CaseStatusChange.objects.filter(case=_case(cast)).earliest("changed_at")


def _case_event(cast: Cast) -> CaseEvent:
    return CaseEvent.objects.create(case=_case(cast), kind="note", occurred_at=clock.now())


def _progress(cast: Cast) -> RequirementProgress:
    requirement = _case(cast).requirements.get(kind="community_service")
    return RequirementProgress.objects.create(requirement=requirement, hours=2)


def _review(cast: Cast) -> ProsecutorReview:
    return ProsecutorReview.objects.create(
        case=_case(cast), decision="accepted", decided_by=cast.prosecutor
    )


def _disclosure(cast: Cast) -> Disclosure:
    consent = consent_record(
        **consent_values(
            actor=cast.intake_p,
            person=PersonFactory.create(),
            disclosing_agency=cast.provider_p,
            recipient_agency=cast.police_a,
        )
    )
    return disclosure_record(
        viewer=cast.officer_a,
        consent=consent,
        recipient_agency=cast.police_a,
        categories=["referral_status"],
    )


def _outreach_change(cast: Cast) -> OutreachStatusChange:
    team, worker = outreach_team(cast.program, name="Harbor Peer Outreach", username="peer_t")
    entry = OutreachEntry.objects.create(
        outreach_list=OutreachListFactory.create(team=team),
        person=PersonFactory.create(),
        added_by=worker,
        reason="repeat_overdose",
    )
    return OutreachStatusChange.objects.create(entry=entry, from_status="", to_status="identified")


def _capacity(cast: Cast) -> CapacityUpdate:
    return CapacityUpdate.objects.create(service=cast.detox_p, capacity_total=8, capacity_open=3)


def _eligibility_review(cast: Cast) -> EligibilityReview:
    return EligibilityReview.objects.create(
        encounter=EncounterFactory.create(agency=cast.police_a, responder=cast.officer_a),
        decision="eligible",
        reason="Reviewed with the officer",
        decided_by=cast.supervisor_a,
        decided_at=clock.now(),
    )


#: Each history table and a way to write one row of it.
HISTORY: dict[type[models.Model], Callable[[Cast], models.Model]] = {
    AuditEvent: _audit_event,
    ReferralStatusChange: _referral_change,
    CaseStatusChange: _case_change,
    CaseEvent: _case_event,
    RequirementProgress: _progress,
    ProsecutorReview: _review,
    Disclosure: _disclosure,
    OutreachStatusChange: _outreach_change,
    CapacityUpdate: _capacity,
    EligibilityReview: _eligibility_review,
}

MODELS = pytest.mark.parametrize("model", list(HISTORY), ids=lambda m: m._meta.label)


def _pk(row: models.Model) -> Any:
    return row._meta.pk.get_db_prep_value(row.pk, connection)


def _plain_field(model: Any) -> str:
    return next(f.name for f in model._meta.concrete_fields if not (f.primary_key or f.is_relation))


def _raw(sql: str, params: list[Any]) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)


def test_every_append_only_model_is_covered() -> None:
    """A new AppendOnlyModel gets a row builder here, and so its database check."""
    declared = {
        m for m in apps.get_models() if issubclass(m, AppendOnlyModel) and not m._meta.abstract
    }
    assert declared == set(HISTORY)


@MODELS
@pytest.mark.django_db
def test_the_database_refuses_raw_update_and_delete(cast: Cast, model: Any) -> None:
    row = HISTORY[model](cast)
    table = connection.ops.quote_name(model._meta.db_table)
    pk = connection.ops.quote_name(model._meta.pk.column)
    assert present_triggers(connection, model._meta.db_table) == {
        trigger_name(model._meta.db_table, "UPDATE"),
        trigger_name(model._meta.db_table, "DELETE"),
    }
    for sql in (
        f"UPDATE {table} SET {pk} = {pk} WHERE {pk} = %s",  # noqa: S608 - names from _meta
        f"DELETE FROM {table} WHERE {pk} = %s",  # noqa: S608
        f"DELETE FROM {table}",  # noqa: S608
    ):
        with pytest.raises(DatabaseError, match="append-only"):
            _raw(sql, [_pk(row)] if "%s" in sql else [])
    assert model._base_manager.filter(pk=row.pk).exists()


@MODELS
@pytest.mark.django_db
def test_the_orm_refuses_update_and_delete(cast: Cast, model: Any) -> None:
    row = HISTORY[model](cast)
    before = model._base_manager.filter(pk=row.pk).values().get()
    with pytest.raises(PermissionError, match=r"never changed|append-only"):
        row.save()
    with pytest.raises(PermissionError):
        row.delete()
    rows = model.objects.filter(pk=row.pk)
    with pytest.raises(PermissionError, match="append-only"):
        rows.update(pk=row.pk)
    with pytest.raises(PermissionError, match="append-only"):
        rows.delete()
    with pytest.raises(PermissionError, match="append-only"), transaction.atomic():
        model.objects.bulk_update([row], [_plain_field(model)])
    assert model._base_manager.filter(pk=row.pk).values().get() == before


@pytest.mark.django_db
def test_the_operation_is_idempotent_and_reversible(cast: Cast) -> None:
    """Applied twice it leaves the same two triggers (an upgraded database that had audit
    migration 0002's combined trigger ends the same as a fresh one); dropped, the table takes
    updates again; applied again, it refuses them."""
    row = _capacity(cast)
    table = CapacityUpdate._meta.db_table
    update = 'UPDATE "directory_capacityupdate" SET "capacity_open" = 2 WHERE "id" = %s'
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":  # what audit migration 0002 left behind
            cursor.execute(
                f'CREATE TRIGGER "{table}_append_only" BEFORE UPDATE OR DELETE ON "{table}" '
                "FOR EACH ROW EXECUTE FUNCTION pathways_refuse_change()"
            )
        for _ in range(2):
            for sql in create_statements(connection.vendor, table):
                cursor.execute(sql)
    expected = {trigger_name(table, "UPDATE"), trigger_name(table, "DELETE")}
    assert present_triggers(connection, table) == expected
    with connection.cursor() as cursor:
        for sql in drop_statements(connection.vendor, table):
            cursor.execute(sql)
    assert present_triggers(connection, table) == set()
    _raw(update, [_pk(row)])
    with connection.cursor() as cursor:
        for sql in create_statements(connection.vendor, table):
            cursor.execute(sql)
    with pytest.raises(DatabaseError, match="append-only"):
        _raw(update, [_pk(row)])


def test_the_operation_describes_and_deconstructs_itself() -> None:
    op = AppendOnlyTrigger("casestatuschange")
    assert op.deconstruct() == ("AppendOnlyTrigger", ["casestatuschange"], {})
    assert "casestatuschange" in op.describe()
    assert op.migration_name_fragment == "append_only_casestatuschange"
    assert op.reversible


@pytest.mark.django_db
def test_the_key_rotation_lift_is_for_updates_and_its_block_only(cast: Cast) -> None:
    row = _capacity(cast)
    table = CapacityUpdate._meta.db_table
    update = 'UPDATE "directory_capacityupdate" SET "capacity_open" = 1 WHERE "id" = %s'
    delete = 'DELETE FROM "directory_capacityupdate" WHERE "id" = %s'
    with transaction.atomic():
        with update_allowed(connection, table):
            _raw(update, [_pk(row)])
            with pytest.raises(DatabaseError, match="append-only"):
                _raw(delete, [_pk(row)])
        assert CapacityUpdate._base_manager.get(pk=row.pk).capacity_open == 1
        with pytest.raises(DatabaseError, match="append-only"):
            _raw(update, [_pk(row)])
    assert present_triggers(connection, table) == {
        trigger_name(table, "UPDATE"),
        trigger_name(table, "DELETE"),
    }


@pytest.mark.django_db(transaction=True)
def test_flush_empties_history_tables_and_keeps_their_triggers(cast: Cast) -> None:
    """`manage.py flush` (and the test runner between transactional tests) empties the whole
    database, history included; afterwards the triggers still refuse a DELETE."""
    _capacity(cast)
    call_command("flush", interactive=False, verbosity=0)
    assert not CapacityUpdate._base_manager.exists()
    table = CapacityUpdate._meta.db_table
    assert present_triggers(connection, table) == {
        trigger_name(table, "UPDATE"),
        trigger_name(table, "DELETE"),
    }
