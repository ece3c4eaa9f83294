"""Overdose events: recorded by the responder at a Naloxone Plus contact (later also imported
from EMS records), the trigger for the follow-up inside the program's recovery window."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from pathways.core.fields import EncryptedCharField
from pathways.core.models import BaseModel
from pathways.core.validators import validate_clean_text


class AdministeredBy(models.TextChoices):
    NONE = "none", "No naloxone given"
    BYSTANDER = "bystander", "Bystander, friend or family"
    POLICE = "police", "Police"
    FIRE = "fire", "Fire"
    EMS = "ems", "EMS"
    SELF = "self", "The person themselves"
    UNKNOWN = "unknown", "Not known"


class OverdoseSource(models.TextChoices):
    FIELD = "field", "Recorded at the contact"
    IMPORT = "import", "Imported from another system"


class OverdoseEvent(BaseModel):
    program = models.ForeignKey("programs.Program", on_delete=models.PROTECT, related_name="+")
    person = models.ForeignKey(
        "people.Person", on_delete=models.PROTECT, related_name="overdoses", null=True, blank=True
    )
    encounter = models.OneToOneField(
        "encounters.Encounter",
        on_delete=models.PROTECT,
        related_name="overdose",
        null=True,
        blank=True,
    )
    reporting_agency = models.ForeignKey(
        "accounts.Agency", on_delete=models.PROTECT, related_name="+"
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    occurred_at = models.DateTimeField()
    location_text = EncryptedCharField(max_length=200, blank=True, validators=[validate_clean_text])
    area = models.CharField(max_length=40, blank=True, help_text="Beat, district or ZIP")
    naloxone_given = models.BooleanField()
    naloxone_doses = models.PositiveSmallIntegerField(null=True, blank=True)
    administered_by = models.CharField(
        max_length=20, choices=AdministeredBy.choices, default=AdministeredBy.UNKNOWN
    )
    fatal = models.BooleanField()
    transported = models.BooleanField()
    destination = models.CharField(
        max_length=120, blank=True, validators=[validate_clean_text], help_text="e.g. hospital"
    )
    source = models.CharField(
        max_length=10, choices=OverdoseSource.choices, default=OverdoseSource.FIELD
    )

    class Meta:
        ordering = ["-occurred_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(naloxone_given=True) | Q(naloxone_doses__isnull=True),
                name="overdose_doses_only_with_naloxone",
            ),
            models.CheckConstraint(
                condition=Q(transported=False) | Q(destination__gt=""),
                name="overdose_transport_has_destination",
            ),
        ]
        indexes = [
            # the person's overdose history on the contact page
            models.Index(fields=["person", "-occurred_at"], name="overdose_person_idx"),
            # counts and spikes by time in the program
            models.Index(fields=["program", "occurred_at"], name="overdose_program_time_idx"),
        ]

    def __str__(self) -> str:
        return f"Overdose {self.occurred_at:%Y-%m-%d}"
