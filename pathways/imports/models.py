"""Files other systems send the program (EMS patient care reports in NEMSIS 3.5 XML, dispatch
calls for service as CSV or JSON), imported by a background job (docs/decisions/0032).

A job keeps its counts and the problems found, never a value from the file: the problems name
a line and an element or column, and say what is wrong, not what was written. The file itself
is deleted when the job ends."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from pathways.core.fields import EncryptedCharField
from pathways.core.models import BaseModel
from pathways.core.validators import validate_clean_text
from pathways.people.models import Ethnicity, Race, Sex


class ImportKind(models.TextChoices):
    NEMSIS = "nemsis", "EMS patient care reports (NEMSIS 3.5 XML)"
    CAD = "cad", "Dispatch calls for service (CAD export)"


class ImportStatus(models.TextChoices):
    QUEUED = "queued", "Waiting for the worker"
    VALIDATING = "validating", "Checking every record"
    APPLYING = "applying", "Importing (all or nothing)"
    DONE = "done", "Imported"
    REFUSED = "refused", "Refused: nothing was imported"
    FAILED = "failed", "Failed: nothing was imported"


FINISHED = (ImportStatus.DONE, ImportStatus.REFUSED, ImportStatus.FAILED)


class ImportJob(BaseModel):
    """One file and what importing it did."""

    program = models.ForeignKey("programs.Program", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=10, choices=ImportKind.choices)
    agency = models.ForeignKey(
        "accounts.Agency",
        on_delete=models.PROTECT,
        related_name="+",
        help_text="NEMSIS: the EMS agency whose reports these are; CAD: the community "
        "response team the calls went to",
    )
    file_name = models.CharField(max_length=255)
    file_size = models.PositiveBigIntegerField(default=0)
    #: where the uploaded file waits for the worker (emptied when the job ends)
    stored_path = models.CharField(max_length=500, blank=True)
    #: CAD: the mapping in force when the file was imported
    mapping = models.JSONField(default=dict, blank=True)
    status = models.CharField(
        max_length=12, choices=ImportStatus.choices, default=ImportStatus.QUEUED
    )
    bytes_read = models.PositiveBigIntegerField(default=0)
    records = models.PositiveIntegerField(default=0, help_text="Reports or calls in the file")
    added = models.PositiveIntegerField(default=0)
    repeated = models.PositiveIntegerField(default=0, help_text="Imported before: left as is")
    skipped = models.PositiveIntegerField(
        default=0, help_text="Not an opioid overdose / not a community response call"
    )
    work_items = models.PositiveIntegerField(default=0)
    #: [{"line": int, "where": str, "message": str}]: no value from the file
    problems = models.JSONField(default=list, blank=True)
    more_problems = models.PositiveIntegerField(default=0)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    task_id = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=ImportStatus.values), name="import_job_status_known"
            ),
            models.CheckConstraint(
                condition=Q(kind__in=ImportKind.values), name="import_job_kind_known"
            ),
        ]
        indexes = [
            # the imports page: the program's jobs, newest first
            models.Index(fields=["program", "-created_at"], name="import_job_recent_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} import {self.created_at:%Y-%m-%d %H:%M}"

    @property
    def finished(self) -> bool:
        return self.status in FINISHED

    @property
    def percent(self) -> int:
        """How far the job is: reading the file is the first half, importing the second."""
        if self.status == ImportStatus.DONE:
            return 100
        if self.status in (ImportStatus.QUEUED,) or not self.file_size:
            return 0
        read = min(100, 100 * self.bytes_read // self.file_size)
        return read // 2 if self.status == ImportStatus.VALIDATING else 50 + read // 2


class EmsReport(BaseModel):
    """A patient care report that was imported: its number, once per agency, and what it made.
    Nothing else of the report is kept here."""

    program = models.ForeignKey("programs.Program", on_delete=models.PROTECT, related_name="+")
    agency = models.ForeignKey("accounts.Agency", on_delete=models.PROTECT, related_name="+")
    pcr_number = models.CharField(max_length=50, help_text="eRecord.01")
    job = models.ForeignKey(ImportJob, on_delete=models.PROTECT, related_name="ems_reports")
    overdose = models.OneToOneField(
        "surveillance.OverdoseEvent", on_delete=models.PROTECT, related_name="ems_report"
    )
    work_item = models.ForeignKey(
        "followups.WorkItem",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    # The patient, as far as record linkage needs it (ePatient; docs/decisions/0033): the
    # program office's linkage pages are the only place these are shown.
    patient_first_name = models.CharField(max_length=80, blank=True)
    patient_middle_name = models.CharField(max_length=80, blank=True)
    patient_last_name = models.CharField(max_length=80, blank=True)
    patient_date_of_birth = models.DateField(null=True, blank=True)
    patient_sex = models.CharField(max_length=10, choices=Sex.choices, default=Sex.UNKNOWN)
    patient_postal_code = models.CharField(max_length=10, blank=True)
    patient_phone = EncryptedCharField(max_length=30, blank=True)
    patient_race = models.CharField(max_length=20, choices=Race.choices, blank=True)
    patient_ethnicity = models.CharField(
        max_length=20, choices=Ethnicity.choices, default=Ethnicity.UNKNOWN
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["program", "agency", "pcr_number"], name="ems_report_once_per_pcr"
            )
        ]
        indexes = [
            # the incremental linkage run: the program's reports changed since the last run
            models.Index(fields=["program", "updated_at"], name="ems_report_updated_idx"),
        ]


class CadMapping(BaseModel):
    """How the program's dispatch export names things (one per program, set by the
    coordinator; see imports.cad for the format)."""

    program = models.OneToOneField("programs.Program", on_delete=models.PROTECT, related_name="+")
    mapping = models.JSONField(default=dict)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )


class DispatchCall(BaseModel):
    """A call for service the dispatch centre routed to a community response team: the times
    and codes of the call. The team's contact with a person, if any, is recorded as usual."""

    program = models.ForeignKey("programs.Program", on_delete=models.PROTECT, related_name="+")
    team = models.ForeignKey("accounts.Agency", on_delete=models.PROTECT, related_name="+")
    job = models.ForeignKey(ImportJob, on_delete=models.PROTECT, related_name="dispatch_calls")
    incident_number = models.CharField(max_length=60)
    received_at = models.DateTimeField()
    dispatched_at = models.DateTimeField(null=True, blank=True)
    on_scene_at = models.DateTimeField(null=True, blank=True)
    cleared_at = models.DateTimeField(null=True, blank=True)
    nature_code = models.CharField(max_length=30)
    location_text = EncryptedCharField(max_length=200, blank=True, validators=[validate_clean_text])
    disposition = models.CharField(max_length=60, blank=True, validators=[validate_clean_text])
    units = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-received_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["program", "incident_number"], name="dispatch_call_once_per_incident"
            ),
            models.CheckConstraint(
                condition=Q(dispatched_at__isnull=True)
                | Q(dispatched_at__gte=models.F("received_at")),
                name="dispatch_call_dispatched_after_received",
            ),
        ]
        indexes = [
            # response-time counts by time in the program
            models.Index(fields=["program", "received_at"], name="dispatch_call_time_idx"),
        ]

    def __str__(self) -> str:
        return f"Call {self.received_at:%Y-%m-%d %H:%M}"
