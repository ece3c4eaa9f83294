"""Records imported from other systems, and their link to the people Pathways knows.

Arrest records come from the police records management system or the jail (an export the
program office receives). They are CJIS data: only the program office imports them, no page
lists them one by one, and the reports use them only in aggregates (re-arrests after a contact,
and arrests against diversions in the equity report). Each record keeps the coded facts the
reports need and the subject's number in the source system, which links it to a person who
has the same number recorded in Pathways."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from pathways.core.models import ArchivableModel, BaseModel
from pathways.people.models import Ethnicity, IdentifierSystem, Race, Sex


class ChargeLevel(models.TextChoices):
    FELONY = "felony", "Felony"
    MISDEMEANOR = "misdemeanor", "Misdemeanor"
    VIOLATION = "violation", "Violation or ordinance (non-criminal)"
    UNKNOWN = "unknown", "Not recorded"


#: The charge levels pre-arrest diversion can stand in for: the equity report's "diverted
#: rather than arrested" counts imported arrests at these levels only.
DIVERTIBLE_LEVELS = (ChargeLevel.MISDEMEANOR.value, ChargeLevel.VIOLATION.value)


class RecordImport(BaseModel):
    """One file of arrest records the program office imported: who, when, and what it did."""

    program = models.ForeignKey(
        "programs.Program", on_delete=models.PROTECT, related_name="record_imports"
    )
    source = models.CharField(
        max_length=200, help_text="The system the records come from, as the office names it"
    )
    file_name = models.CharField(max_length=255)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    rows = models.PositiveIntegerField(default=0)
    added = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    #: records of this file linked to a person when it was imported
    linked = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [
            # the import page: the program's imports, newest first
            models.Index(fields=["program", "-created_at"], name="record_import_recent_idx"),
        ]


class ArrestRecord(ArchivableModel):
    """One custodial arrest (booked or not) from an imported file. No names or free text."""

    program = models.ForeignKey(
        "programs.Program", on_delete=models.PROTECT, related_name="arrest_records"
    )
    record_import = models.ForeignKey(
        RecordImport, on_delete=models.PROTECT, related_name="arrest_records"
    )
    source = models.CharField(max_length=200)
    record_number = models.CharField(max_length=100)
    arrested_at = models.DateTimeField()
    agency = models.ForeignKey(
        "accounts.Agency", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    area = models.CharField(max_length=40, blank=True)
    booked = models.BooleanField(default=False)
    charge_level = models.CharField(
        max_length=20, choices=ChargeLevel.choices, default=ChargeLevel.UNKNOWN
    )
    id_system = models.CharField(max_length=20, choices=IdentifierSystem.choices)
    id_number = models.CharField(max_length=100)
    date_of_birth = models.DateField(null=True, blank=True)
    sex = models.CharField(max_length=10, choices=Sex.choices, default=Sex.UNKNOWN)
    race = models.CharField(max_length=20, choices=Race.choices, blank=True)
    ethnicity = models.CharField(
        max_length=20, choices=Ethnicity.choices, default=Ethnicity.UNKNOWN
    )
    person = models.ForeignKey(
        "people.Person",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="arrest_records",
    )
    linked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["program", "source", "record_number"],
                name="arrest_record_unique_in_source",
            )
        ]
        indexes = [
            # linking: the unlinked records carrying a person's number
            models.Index(fields=["id_system", "id_number"], name="arrest_record_subject_idx"),
            # the extract's incremental refresh
            models.Index(fields=["updated_at"], name="arrest_record_updated_idx"),
        ]
