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
    #: the person the record linkage model puts this record with (the first person of its
    #: cluster), kept by every linkage run and decision; the reports use `person` first
    model_person = models.ForeignKey(
        "people.Person",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    #: the same at the stricter and the looser threshold (pathways.linkage.thresholds), for
    #: the reports' figures at those thresholds
    model_person_strict = models.ForeignKey(
        "people.Person",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    model_person_loose = models.ForeignKey(
        "people.Person",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

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


# --- probabilistic record linkage (issue 21; docs/decisions/0033-record-linkage.md) -----------
#
# Source records (the program's people, imported arrests) are keyed "<kind>:<uuid>". A run
# scores candidate pairs with the program's trained model (pathways.linkage.engine, Splink),
# keeps every pair at or above the review band, and puts records into clusters: pairs at or
# above the auto-link probability and pairs a reviewer said are the same join; a pair a
# reviewer said are not the same never does. Nothing is merged: a cluster is a row per record.


class LinkageModel(BaseModel):
    """One trained version of a program's model: the Splink parameters, never records."""

    program = models.ForeignKey("programs.Program", on_delete=models.PROTECT, related_name="+")
    version = models.CharField(max_length=80)
    parameters = models.JSONField(help_text="pathways.linkage.engine TrainedModel JSON")
    records = models.PositiveIntegerField(default=0, help_text="Records it was trained on")
    comparisons = models.PositiveBigIntegerField(default=0)
    trained_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["program", "-created_at"], name="linkage_model_recent_idx")]


class LinkageRunStatus(models.TextChoices):
    QUEUED = "queued", "Waiting for the worker"
    READING = "reading", "Reading the records"
    TRAINING = "training", "Training the model"
    SCORING = "scoring", "Scoring candidate pairs"
    CLUSTERING = "clustering", "Building the clusters"
    DONE = "done", "Done"
    FAILED = "failed", "Failed: nothing was changed"


RUN_FINISHED = (LinkageRunStatus.DONE, LinkageRunStatus.FAILED)
RUN_PERCENT = {
    LinkageRunStatus.QUEUED: 0,
    LinkageRunStatus.READING: 5,
    LinkageRunStatus.TRAINING: 15,
    LinkageRunStatus.SCORING: 55,
    LinkageRunStatus.CLUSTERING: 85,
    LinkageRunStatus.DONE: 100,
    LinkageRunStatus.FAILED: 100,
}


class RunReason(models.TextChoices):
    PAGE = "page", "Started on the linkage page"
    IMPORT = "import", "After a file of records was imported"
    DAILY = "daily", "The daily linking job"


class LinkageRun(BaseModel):
    """One linkage run (a background job): what it read, scored and linked."""

    program = models.ForeignKey("programs.Program", on_delete=models.PROTECT, related_name="+")
    retrain = models.BooleanField(default=False)
    #: a daily run: only the records added or changed since the last finished run are scored
    #: (against all the others), with the model as it is; the other pairs are kept
    incremental = models.BooleanField(default=False)
    #: what queued it: a person on the program office's page, an import, or the daily job
    reason = models.CharField(max_length=20, choices=RunReason.choices, default=RunReason.PAGE)
    #: an incremental run's new or changed records
    new_records = models.PositiveIntegerField(default=0)
    model = models.ForeignKey(
        LinkageModel, null=True, blank=True, on_delete=models.PROTECT, related_name="runs"
    )
    status = models.CharField(
        max_length=12, choices=LinkageRunStatus.choices, default=LinkageRunStatus.QUEUED
    )
    records = models.PositiveIntegerField(default=0)
    pairs = models.PositiveIntegerField(default=0, help_text="Pairs at or above the review band")
    auto_linked = models.PositiveIntegerField(default=0)
    to_review = models.PositiveIntegerField(default=0)
    clusters = models.PositiveIntegerField(default=0)
    #: why it failed, in words with no value from a record
    problem = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    task_id = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=LinkageRunStatus.values),
                name="linkage_run_status_known",
            ),
            models.CheckConstraint(
                condition=models.Q(reason__in=RunReason.values),
                name="linkage_run_reason_known",
            ),
        ]

    @property
    def finished(self) -> bool:
        return self.status in RUN_FINISHED

    @property
    def percent(self) -> int:
        return RUN_PERCENT[LinkageRunStatus(self.status)]


class PairStatus(models.TextChoices):
    AUTO = "auto", "Linked automatically"
    OPEN = "open", "Waiting for review"
    SAME = "same", "Same person (reviewed)"
    NOT_SAME = "not_same", "Not the same person (reviewed)"


class CandidatePair(BaseModel):
    """Two source records the model scored at or above the review band, with each field's
    agreement and weight (for the reviewer), and what was decided."""

    program = models.ForeignKey("programs.Program", on_delete=models.PROTECT, related_name="+")
    run = models.ForeignKey(LinkageRun, on_delete=models.PROTECT, related_name="candidate_pairs")
    left_key = models.CharField(max_length=60)
    right_key = models.CharField(max_length=60)
    probability = models.FloatField()
    match_weight = models.FloatField()
    #: [[field, level label, weight], ...]: labels such as "exact", never a value
    weights = models.JSONField(default=list)
    status = models.CharField(max_length=10, choices=PairStatus.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["program", "left_key", "right_key"], name="candidate_pair_once"
            ),
            models.CheckConstraint(
                condition=models.Q(left_key__lt=models.F("right_key")),
                name="candidate_pair_ordered",
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=PairStatus.values), name="candidate_pair_status_known"
            ),
        ]
        indexes = [
            # the review queue: the open pairs, likeliest first
            models.Index(
                fields=["program", "status", "-probability"], name="candidate_pair_queue_idx"
            ),
        ]


class LinkDecision(BaseModel):
    """A reviewer's decision on a pair: the same person or not. Later runs respect it; undoing
    it (undone_at) lets the model decide the pair again. Kept, never deleted."""

    program = models.ForeignKey("programs.Program", on_delete=models.PROTECT, related_name="+")
    left_key = models.CharField(max_length=60)
    right_key = models.CharField(max_length=60)
    same = models.BooleanField()
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    undone_at = models.DateTimeField(null=True, blank=True)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        constraints = [
            # one decision in force per pair
            models.UniqueConstraint(
                fields=["program", "left_key", "right_key"],
                condition=models.Q(undone_at__isnull=True),
                name="link_decision_one_in_force",
            ),
            models.CheckConstraint(
                condition=models.Q(left_key__lt=models.F("right_key")),
                name="link_decision_ordered",
            ),
        ]


class ClusterMember(BaseModel):
    """Which cluster a source record is in now (the cluster is named by its smallest key), at
    the main threshold and at the stricter and looser ones (pathways.linkage.thresholds).

    One row per record that is in a cluster with another record at any of the three; at a
    threshold where it is alone, its cluster is named by its own key. Each row also keeps the
    first person (by key) of the record's cluster at each threshold, none when the cluster has
    no person: the person the reports count the record's contacts and arrests under."""

    program = models.ForeignKey("programs.Program", on_delete=models.PROTECT, related_name="+")
    record_key = models.CharField(max_length=60)
    cluster_key = models.CharField(max_length=60)
    strict_cluster_key = models.CharField(max_length=60, default="")
    loose_cluster_key = models.CharField(max_length=60, default="")
    cluster_person = models.UUIDField(null=True, blank=True)
    strict_person = models.UUIDField(null=True, blank=True)
    loose_person = models.UUIDField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["program", "record_key"], name="cluster_member_once")
        ]
        indexes = [
            models.Index(fields=["program", "cluster_key"], name="cluster_member_cluster_idx")
        ]
