"""Writes of imported records: importing a file of arrests, and linking records to people.

Linking is by the subject's number: a record links to the person of the program who has the
same number in the same identifier system recorded in Pathways (an RMS number, a booking number,
a state ID). A number two people share links neither. Names are never compared: probabilistic
linkage on names and birth dates is a later step (see docs/decisions/0014)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError

from pathways.accounts.models import Agency, AgencyKind
from pathways.audit.services import audit_log
from pathways.core import clock
from pathways.core.services import service
from pathways.core.validators import text_problem
from pathways.linkage.imports import ArrestRow
from pathways.linkage.models import ArrestRecord, RecordImport
from pathways.people.models import ExternalIdentifier
from pathways.programs.models import Program

if TYPE_CHECKING:
    from pathways.accounts.models import User

SOURCE_MAX = 200
#: The columns of a record an import sets (and compares, to tell a changed record).
ROW_FIELDS = (
    "arrested_at",
    "id_system",
    "id_number",
    "agency_id",
    "area",
    "booked",
    "charge_level",
    "date_of_birth",
    "sex",
    "race",
    "ethnicity",
)
CHUNK = 1000


def _chunks(items: Sequence[Any], size: int = CHUNK) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _check(program: Program, source: Any, rows: Sequence[ArrestRow]) -> str:
    text = str(source or "").strip()
    if not text:
        raise ValidationError({"source": "Name the system these records come from."})
    if problem := text_problem(text, label="source", max_length=SOURCE_MAX, one_line=True):
        raise ValidationError({"source": problem})
    if not rows:
        raise ValidationError({"file": "The file has no records."})
    numbers = [r.record_number for r in rows]
    if len(set(numbers)) != len(numbers):
        raise ValidationError({"file": "A record number appears twice in the file."})
    agencies = {r.agency_id for r in rows if r.agency_id is not None}
    if agencies:
        known = set(
            Agency.objects.active()
            .filter(program=program, kind=AgencyKind.LAW_ENFORCEMENT, id__in=agencies)
            .values_list("id", flat=True)
        )
        if agencies - known:
            raise ValidationError({"file": "An arresting agency is not one of the program's."})
    now = clock.now()
    if any(r.arrested_at > now for r in rows):
        raise ValidationError({"file": "An arrest time is in the future."})
    return text


@service
def arrest_records_import(
    *,
    actor: User | None,
    program: Program,
    source: Any,
    file_name: str,
    rows: Sequence[ArrestRow],
) -> RecordImport:
    """Add the file's records, update the ones imported before from the same source (by record
    number) that changed, and link the unlinked ones to people. One audit event for the file
    (its counts) and one per changed record (old and new values). All or nothing."""
    source_name = _check(program, source, rows)
    # the program's row is the lock two imports of the same records would race on
    Program.objects.select_for_update().get(pk=program.pk)
    now = clock.now()
    batch = RecordImport.objects.create(
        program=program,
        source=source_name,
        file_name=file_name[:255],
        imported_by=actor if getattr(actor, "pk", None) else None,
        rows=len(rows),
    )
    added: list[ArrestRecord] = []
    changed: list[tuple[ArrestRecord, dict[str, list[Any]]]] = []
    for chunk in _chunks(rows):
        existing = {
            r.record_number: r
            for r in ArrestRecord.objects.filter(
                program=program,
                source=source_name,
                record_number__in=[row.record_number for row in chunk],
            )
        }
        for row in chunk:
            record = existing.get(row.record_number)
            values = {name: getattr(row, name) for name in ROW_FIELDS}
            if record is None:
                added.append(
                    ArrestRecord(
                        program=program,
                        record_import=batch,
                        source=source_name,
                        record_number=row.record_number,
                        created_at=now,
                        updated_at=now,
                        **values,
                    )
                )
                continue
            changes = {
                name: [_plain(getattr(record, name)), _plain(value)]
                for name, value in values.items()
                if getattr(record, name) != value
            }
            if not changes:
                continue
            for name, value in values.items():
                setattr(record, name, value)
            if "id_system" in changes or "id_number" in changes:
                record.person = None  # the number changed: link again below
                record.linked_at = None
            record.record_import = batch
            record.updated_at = now
            changed.append((record, changes))
    ArrestRecord.objects.bulk_create(added, batch_size=CHUNK)
    ArrestRecord.objects.bulk_update(
        [r for r, _ in changed],
        [*ROW_FIELDS, "person", "linked_at", "record_import", "updated_at"],
        batch_size=CHUNK,
    )
    for record, changes in changed:
        audit_log(actor=actor, event_type="arrest_record.update", obj=record, changes=changes)
    linked = _link(program, [*added, *(r for r, _ in changed)], now=now)
    batch.added = len(added)
    batch.updated = len(changed)
    batch.unchanged = len(rows) - len(added) - len(changed)
    batch.linked = linked
    batch.save(update_fields=["added", "updated", "unchanged", "linked"])
    audit_log(
        actor=actor,
        event_type="record_import.create",
        obj=batch,
        changes={
            "source": [None, source_name],
            "rows": [None, batch.rows],
            "added": [None, batch.added],
            "updated": [None, batch.updated],
            "unchanged": [None, batch.unchanged],
            "linked": [None, linked],
        },
    )
    return batch


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | str):
        return value
    return str(value)


def _link(program: Program, records: Sequence[ArrestRecord], *, now: Any) -> int:
    """Link the unlinked `records` to the one person of the program with their number."""
    unlinked = [r for r in records if r.person_id is None]
    linked: list[ArrestRecord] = []
    for chunk in _chunks(unlinked):
        by_number: dict[tuple[str, str], set[Any]] = defaultdict(set)
        wanted = {(r.id_system, r.id_number) for r in chunk}
        identifiers = ExternalIdentifier.objects.filter(
            person__created_by_agency__program=program,
            person__archived_at__isnull=True,
            value__in={number for _, number in wanted},
        ).values_list("system", "value", "person_id")
        for system, value, person_id in identifiers:
            if (system, value) in wanted:
                by_number[(system, value)].add(person_id)
        for record in chunk:
            people = by_number.get((record.id_system, record.id_number), set())
            if len(people) == 1:
                record.person_id = next(iter(people))
                record.linked_at = now
                record.updated_at = now
                linked.append(record)
    ArrestRecord.objects.bulk_update(
        linked, ["person", "linked_at", "updated_at"], batch_size=CHUNK
    )
    return len(linked)


@service
def arrest_records_link(*, actor: User | None, program: Program) -> int:
    """Link the program's unlinked records again (after people's numbers were recorded in
    Pathways); returns how many were linked. Audited with the count."""
    Program.objects.select_for_update().get(pk=program.pk)
    records = list(ArrestRecord.objects.active().filter(program=program, person__isnull=True))
    linked = _link(program, records, now=clock.now())
    audit_log(
        actor=actor,
        event_type="arrest_records.link",
        obj=program,
        changes={"linked": [None, linked], "still_unlinked": [None, len(records) - linked]},
    )
    return linked
