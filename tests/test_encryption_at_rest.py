"""Field encryption at rest, end to end across the apps (pathways.core.fields on the models of
every app): the encrypted columns, the audit, the data migrations, key rotation, and a dump of
the demo county that holds none of the encrypted values in plain text. The format, the keys and
the production check are core's own tests (pathways/core/tests/test_crypto.py)."""

from __future__ import annotations

import base64
import datetime as dt
import io
import json
from typing import Any

import pytest
from django.apps import apps as global_apps
from django.core.exceptions import FieldError
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, models, transaction

from pathways.accounts.models import Agency
from pathways.audit.models import AuditEvent
from pathways.audit.services import ENCRYPTED, REDACTED, seal
from pathways.cases.models import PlanRequirement
from pathways.consent.models import Consent, ConsentDocument
from pathways.core.crypto import FieldDecryptionError, UnknownKeyError
from pathways.core.fields import (
    encrypt_existing,
    encrypted_fields,
    raw_values,
    stored_as_text,
    write_stored,
)
from pathways.encounters.factories import EncounterFactory
from pathways.encounters.models import Encounter
from pathways.followups.factories import WorkItemFactory
from pathways.followups.models import WorkItem
from pathways.people.models import Person
from pathways.referrals.models import ReferralStatusChange
from pathways.referrals.services import referral_send
from pathways.testing import Cast

KEY_A = base64.b64encode(bytes(range(32))).decode()
KEY_B = base64.b64encode(bytes(range(100, 132))).decode()


def stored(obj: models.Model, name: str) -> Any:
    """The value as the database holds it (no decryption)."""
    field: Any = obj._meta.get_field(name)
    return dict(raw_values(type(obj), field).filter(pk=obj.pk))[obj.pk]


# --- the fields ------------------------------------------------------------------------------


def test_every_sensitive_column_is_encrypted() -> None:
    labels = {f"{f.model._meta.label_lower}.{f.name}" for f in encrypted_fields()}
    assert labels >= {
        "encounters.encounter.notes",
        "encounters.encounter.location_text",
        "encounters.encounter.eligibility_answers",
        "encounters.eligibilityreview.reason",
        "encounters.surrendereditem.quantity",
        "referrals.referral.handoff_note",
        "referrals.referral.capacity_override_reason",
        "referrals.referralstatuschange.note",
        "cases.casestatuschange.reason",
        "cases.heldcharge.description",
        "cases.heldcharge.statute",
        "cases.prosecutorreview.detail",
        "cases.planrequirement.description",
        "cases.planrequirement.waived_reason",
        "cases.requirementprogress.note",
        "cases.caseevent.note",
        "followups.workitem.outcome_note",
        "followups.workitem.cancel_reason",
        "followups.visit.note",
        "followups.outreachlist.description",
        "followups.outreachentry.note",
        "followups.outreachstatuschange.note",
        "consent.consent.revocation_note",
        "consent.consent.signature_image",
        "consent.consentdocument.content",
        "surveillance.overdoseevent.location_text",
    }
    assert "people.person.last_name" not in labels  # names stay plain for record linkage


def test_fields_store_ciphertext_and_read_plain_text(cast: Cast) -> None:
    encounter = EncounterFactory.create(
        agency=cast.police_a,
        responder=cast.officer_a,
        notes="Señor Ortiz asked for detox — 東京 📍",
        location_text="Behind the Riverside laundromat",
        eligibility_answers={"drug_grams": 2.5, "drug_type": "fentanyl", "warrant": False},
    )
    for name in ("notes", "location_text", "eligibility_answers"):
        value = stored(encounter, name)
        assert value.startswith("pw1:dev:")
        assert "Ortiz" not in value and "laundromat" not in value and "fentanyl" not in value
    fresh = Encounter.objects.get(pk=encounter.pk)
    assert fresh.notes == "Señor Ortiz asked for detox — 東京 📍"
    assert fresh.location_text == "Behind the Riverside laundromat"
    assert fresh.eligibility_answers == {
        "drug_grams": 2.5,
        "drug_type": "fentanyl",
        "warrant": False,
    }
    values = Encounter.objects.filter(pk=encounter.pk).values_list("notes", flat=True)
    assert list(values) == ["Señor Ortiz asked for detox — 東京 📍"]
    # update() and save() encrypt too
    Encounter.objects.filter(pk=encounter.pk).update(notes="Updated in bulk")
    assert stored(encounter, "notes").startswith("pw1:")
    assert Encounter.objects.get(pk=encounter.pk).notes == "Updated in bulk"


def test_blank_stays_blank_and_is_the_only_comparison(cast: Cast) -> None:
    encounter = EncounterFactory.create(agency=cast.police_a, responder=cast.officer_a, notes="")
    assert stored(encounter, "notes") == ""
    assert Encounter.objects.filter(notes="").filter(pk=encounter.pk).exists()
    assert not Encounter.objects.exclude(notes="").filter(pk=encounter.pk).exists()
    with pytest.raises(FieldError, match=r"encounters\.encounter\.notes is encrypted"):
        list(Encounter.objects.filter(notes="some text"))
    with pytest.raises(FieldError, match=r"encounters\.encounter\.location_text is encrypted"):
        list(Encounter.objects.filter(location_text__icontains="main"))
    with pytest.raises(FieldError, match="is encrypted"):
        list(Encounter.objects.filter(notes__in=["a", "b"]))


def test_bulk_create_and_bulk_update_encrypt_each_value(cast: Cast) -> None:
    items = WorkItem.objects.bulk_create(
        [
            WorkItemFactory.build(team=cast.police_a, title=f"Visit {n}", outcome_note="Met him")
            for n in range(5)
        ]
    )
    values = [stored(item, "outcome_note") for item in items]
    assert all(v.startswith("pw1:dev:") for v in values)
    assert len(set(values)) == 5  # the same text, five nonces
    for item in items:
        item.outcome_note = "Moved to the shelter"
    WorkItem.objects.bulk_update(items, ["outcome_note"])
    assert {w.outcome_note for w in WorkItem.objects.filter(pk__in=[i.pk for i in items])} == {
        "Moved to the shelter"
    }
    assert all("shelter" not in stored(item, "outcome_note") for item in items)


def test_a_damaged_or_moved_value_raises_naming_the_column(cast: Cast) -> None:
    encounter = EncounterFactory.create(
        agency=cast.police_a, responder=cast.officer_a, notes="Naloxone given"
    )
    field = Encounter._meta.get_field("location_text")
    write_stored(Encounter, field, [(encounter.pk, stored(encounter, "notes"))])
    with pytest.raises(FieldDecryptionError, match=r"encounters\.encounter\.location_text"):
        Encounter.objects.get(pk=encounter.pk)
    write_stored(Encounter, field, [(encounter.pk, "Plain text left behind")])
    with pytest.raises(FieldDecryptionError, match="not encrypted"):
        Encounter.objects.get(pk=encounter.pk)


def _consent(cast: Cast) -> Consent:
    person = EncounterFactory.create(agency=cast.police_a, responder=cast.officer_a).person
    return Consent.objects.create(
        program=cast.program,
        person=person,
        kind="general",
        disclosing_agency=cast.provider_p,
        categories=["referral_status"],
        recipient_agency=cast.police_a,
        recipient_roles=["officer"],
        intermediary="Pathways",
        purpose="Care coordination",
        revocation_statement="You may revoke it.",
        signature_method="paper",
        signed_by="Jane Roe",
        signed_on=dt.date(2026, 1, 5),
        attested_by=cast.intake_p,
        signature_image="data:image/png;base64,iVBORw0KGgo=",
    )


def test_binary_document_is_encrypted(cast: Cast) -> None:
    content = b"%PDF-1.7\n" + "Consent of Jane Roe — detox at Harbor".encode() + bytes(range(256))
    document = ConsentDocument.objects.create(
        consent=_consent(cast),
        content_type="application/pdf",
        content=content,
        sha256="0" * 64,
        size=len(content),
    )
    raw = bytes(stored(document, "content"))
    assert raw.startswith(b"pw1:dev:") and b"Jane Roe" not in raw and b"%PDF" not in raw
    assert bytes(ConsentDocument.objects.get(pk=document.pk).content) == content
    assert stored(document.consent, "signature_image").startswith("pw1:")


# --- the audit ---------------------------------------------------------------------------------


def test_audit_records_that_an_encrypted_field_changed_never_its_value(cast: Cast) -> None:
    encounter = EncounterFactory.create(agency=cast.police_a, responder=cast.officer_a)
    referral = referral_send(
        actor=cast.officer_a,
        encounter=encounter,
        service=cast.outpatient_p_full,  # no open capacity: a reason is required
        warm_handoff=False,
        capacity_override_reason="Intake confirmed a bed for Mr Ortiz by phone",
    )
    event = AuditEvent.objects.get(event_type="referral.send", object_id=str(referral.pk))
    assert event.changes["capacity_override_reason"] == [None, ENCRYPTED]
    assert event.changes["warm_handoff"] == [None, False]  # other fields as before
    assert "Ortiz" not in json.dumps(event.changes)
    # blank stays blank; already redacted stays redacted; other fields are untouched
    assert seal(referral, {"handoff_note": ["", "text"], "status": ["sent", "received"]}) == {
        "handoff_note": ["", ENCRYPTED],
        "status": ["sent", "received"],
    }
    assert seal(referral, {"handoff_note": [REDACTED, REDACTED]}) == {
        "handoff_note": [REDACTED, REDACTED]
    }


# --- data migrations -----------------------------------------------------------------------------


def test_the_data_migration_encrypts_existing_rows_and_reverses(cast: Cast) -> None:
    encounters = [
        EncounterFactory.create(agency=cast.police_a, responder=cast.officer_a, notes=f"n{i}")
        for i in range(3)
    ]
    notes = Encounter._meta.get_field("notes")
    write_stored(Encounter, notes, [(e.pk, f"Plain note {i}") for i, e in enumerate(encounters)])
    write_stored(Encounter, notes, [(encounters[2].pk, "")])
    operation = encrypt_existing("encounter", ["notes"], app_label="encounters")
    forward: Any = operation.code  # a RunPython's function: (apps, schema_editor)
    backward: Any = operation.reverse_code
    forward(global_apps, None)
    assert stored(encounters[0], "notes").startswith("pw1:dev:")
    assert stored(encounters[2], "notes") == ""
    forward(global_apps, None)  # again: nothing is encrypted twice
    assert [Encounter.objects.get(pk=e.pk).notes for e in encounters] == [
        "Plain note 0",
        "Plain note 1",
        "",
    ]
    backward(global_apps, None)
    assert [stored(e, "notes") for e in encounters] == ["Plain note 0", "Plain note 1", ""]


# --- key rotation --------------------------------------------------------------------------------


def _rotation_rows(cast: Cast) -> list[tuple[models.Model, str, Any]]:
    encounter = EncounterFactory.create(
        agency=cast.police_a, responder=cast.officer_a, notes="Rotated note"
    )
    referral = referral_send(
        actor=cast.officer_a,
        encounter=encounter,
        service=cast.detox_p,
        warm_handoff=True,
        handoff_note="Walked over together",
    )
    history = ReferralStatusChange.objects.create(
        referral=referral, from_status="sent", to_status="received", note="Opened by intake"
    )
    document = ConsentDocument.objects.create(
        consent=_consent(cast),
        content_type="image/png",
        content=b"\x89PNG scan",
        sha256="0" * 64,
        size=9,
    )
    return [
        (encounter, "notes", "Rotated note"),
        (referral, "handoff_note", "Walked over together"),
        (history, "note", "Opened by intake"),  # append-only (a trigger on PostgreSQL)
        (document, "content", b"\x89PNG scan"),
    ]


def _read(obj: models.Model, name: str) -> Any:
    value = getattr(type(obj)._base_manager.get(pk=obj.pk), name)
    return bytes(value) if isinstance(value, memoryview) else value


def _kid(obj: models.Model, name: str) -> str:
    return (stored_as_text(stored(obj, name)) or "").split(":")[1]


def test_rotation_re_encrypts_under_the_new_key(cast: Cast, settings: Any) -> None:
    settings.PATHWAYS_FIELD_KEYS = f"A:{KEY_A}"
    rows = _rotation_rows(cast)
    assert {_kid(obj, name) for obj, name, _ in rows} == {"A"}

    settings.PATHWAYS_FIELD_KEYS = f"B:{KEY_B},A:{KEY_A}"
    out = io.StringIO()
    call_command("rotate_field_keys", "--quiet", "--batch-size", "1", stdout=out)
    assert "encounters.encounter.notes" in out.getvalue()
    assert "re-encrypted under key 'B'" in out.getvalue()
    assert {_kid(obj, name) for obj, name, _ in rows} == {"B"}
    assert AuditEvent.objects.filter(event_type="field_keys.rotate", object_id="B").exists()

    again = io.StringIO()
    call_command("rotate_field_keys", "--quiet", stdout=again)  # idempotent
    assert "0 values re-encrypted" in again.getvalue()

    # the history's append-only trigger is back on (the base manager skips the model's refusal)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        ReferralStatusChange._base_manager.filter(pk=rows[2][0].pk).update(note="")

    settings.PATHWAYS_FIELD_KEYS = f"B:{KEY_B}"  # the old key can go now
    assert [_read(obj, name) for obj, name, _ in rows] == [plain for _, _, plain in rows]

    settings.PATHWAYS_FIELD_KEYS = f"A:{KEY_A}"  # only the old key: a clear error
    encounter = rows[0][0]
    with pytest.raises(UnknownKeyError, match=r"encounters\.encounter\.\w+: .* key id 'B'"):
        Encounter.objects.get(pk=encounter.pk)


def test_rotation_refuses_unknown_keys_and_changes_nothing(cast: Cast, settings: Any) -> None:
    settings.PATHWAYS_FIELD_KEYS = f"A:{KEY_A}"
    rows = _rotation_rows(cast)
    settings.PATHWAYS_FIELD_KEYS = f"B:{KEY_B}"
    encounter_b = EncounterFactory.create(
        agency=cast.police_a, responder=cast.officer_a, notes="Under B already"
    )
    before = {(type(o), o.pk, n): stored(o, n) for o, n, _ in rows}
    with pytest.raises(CommandError) as info:
        call_command("rotate_field_keys", "--quiet", stdout=io.StringIO())
    message = str(info.value)
    assert "Nothing was changed" in message
    assert "encounters.encounter.notes: 1 row under key id 'A'" in message
    assert "referrals.referralstatuschange.note" in message
    assert str(rows[0][0].pk) in message
    assert "Rotated note" not in message and KEY_A not in message
    assert {(type(o), o.pk, n): stored(o, n) for o, n, _ in rows} == before
    assert _kid(encounter_b, "notes") == "B"
    assert not AuditEvent.objects.filter(event_type="field_keys.rotate").exists()


# --- a dump of the demo county -------------------------------------------------------------------


def _dump() -> str:
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        return "\n".join(connection.connection.iterdump())
    parts: list[str] = []
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f"SELECT t::text FROM {quote(table)} t")  # noqa: S608
            parts.extend(row[0] for row in cursor.fetchall())
    return "\n".join(parts)


def _spellings(value: str) -> set[str]:
    """The value as a dump may spell it: as is, SQL-quoted, in a PostgreSQL row literal, in JSON."""
    return {
        value,
        value.replace("'", "''"),
        value.replace("\\", "\\\\").replace('"', '""'),
        json.dumps(value)[1:-1],
    }


@pytest.mark.django_db
def test_a_dump_of_the_demo_county_holds_no_encrypted_value_in_plain_text() -> None:
    from pathways.demo.generator import load_demo

    load_demo(encounters=400, seed=7, end_date=dt.date(2025, 6, 30), quiet=True)
    needles: dict[str, set[str]] = {}
    for field in encrypted_fields():
        model = field.model
        for obj in model._base_manager.all():
            value = getattr(obj, field.attname)
            if isinstance(value, dict | list):
                value = json.dumps(value)
            if not isinstance(value, str):
                continue
            if isinstance(obj, PlanRequirement) and obj.from_template:
                continue  # the pathway configuration's own text, not about the person
            # Short values could also turn up inside base64 by chance; 8 characters or more.
            if len(value) >= 8:
                needles.setdefault(value, set()).add(f"{model._meta.label_lower}.{field.name}")
    columns = set().union(*needles.values())
    assert len(needles) >= 40, needles
    assert {
        "encounters.encounter.location_text",
        "encounters.encounter.notes",
        "referrals.referral.handoff_note",
        "referrals.referralstatuschange.note",
        "surveillance.overdoseevent.location_text",
    } <= columns
    dump = _dump()
    assert "pw1:dev:" in dump
    # the search works: what is kept plain (names, for record linkage) is found
    person = Person.objects.exclude(last_name="").order_by("pk").first()
    assert person is not None and any(s in dump for s in _spellings(person.last_name))
    assert any(s in dump for s in _spellings(Agency.objects.order_by("pk")[0].name))
    leaks = sorted(
        f"{sorted(found_in)}: {value!r}"
        for value, found_in in needles.items()
        if any(spelling in dump for spelling in _spellings(value))
    )
    assert leaks == []
