"""People the program serves. Names, birth date, demographics and identifiers from other systems
are kept in separate, normalised fields so probabilistic record linkage can use them later."""

from __future__ import annotations

from django.db import models

from pathways.core.models import ArchivableModel, BaseModel
from pathways.core.validators import validate_person_name


class Sex(models.TextChoices):
    FEMALE = "female", "Female"
    MALE = "male", "Male"
    X = "x", "X / another sex"
    UNKNOWN = "unknown", "Not recorded"


class Race(models.TextChoices):
    """OMB race categories; a person may self-identify with several."""

    AMERICAN_INDIAN = "american_indian", "American Indian or Alaska Native"
    ASIAN = "asian", "Asian"
    BLACK = "black", "Black or African American"
    MIDDLE_EASTERN = "mena", "Middle Eastern or North African"
    PACIFIC_ISLANDER = "pacific_islander", "Native Hawaiian or Pacific Islander"
    WHITE = "white", "White"
    DECLINED = "declined", "Declined to answer"


class Ethnicity(models.TextChoices):
    HISPANIC = "hispanic", "Hispanic or Latino"
    NOT_HISPANIC = "not_hispanic", "Not Hispanic or Latino"
    DECLINED = "declined", "Declined to answer"
    UNKNOWN = "unknown", "Not recorded"


class Person(ArchivableModel):
    first_name = models.CharField(max_length=80, validators=[validate_person_name])
    middle_name = models.CharField(max_length=80, blank=True, validators=[validate_person_name])
    last_name = models.CharField(max_length=80, validators=[validate_person_name])
    suffix = models.CharField(max_length=10, blank=True)
    date_of_birth = models.DateField(null=True, blank=True)
    sex = models.CharField(max_length=10, choices=Sex.choices, default=Sex.UNKNOWN)
    races = models.JSONField(default=list, blank=True, help_text="Self-identified, OMB codes")
    ethnicity = models.CharField(
        max_length=20, choices=Ethnicity.choices, default=Ethnicity.UNKNOWN
    )
    demographics_self_reported = models.BooleanField(
        default=False, help_text="True when the person told us; False when not asked yet"
    )
    postal_code = models.CharField(max_length=10, blank=True)
    # Normalised keys for matching (filled by the service, never typed).
    first_name_key = models.CharField(max_length=80, editable=False, default="")
    last_name_key = models.CharField(max_length=80, editable=False, default="")
    last_name_sound = models.CharField(max_length=8, editable=False, default="")
    created_by_agency = models.ForeignKey(
        "accounts.Agency", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name_plural = "people"
        ordering = ["last_name", "first_name"]
        indexes = [
            # duplicate check and person search: same birth date
            models.Index(fields=["date_of_birth"], name="person_dob_idx"),
            # duplicate check and person search: similar-sounding surname
            models.Index(fields=["last_name_sound", "first_name_key"], name="person_sound_idx"),
            # person search by typed surname prefix
            models.Index(fields=["last_name_key"], name="person_last_key_idx"),
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        parts = [
            self.first_name,
            self.middle_name[:1] + "." if self.middle_name else "",
            self.last_name,
            self.suffix,
        ]
        return " ".join(p for p in parts if p)


class AliasKind(models.TextChoices):
    AKA = "aka", "Also known as"
    PREVIOUS = "previous", "Previous legal name"
    STREET = "street", "Street name / nickname"


class PersonAlias(BaseModel):
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="aliases")
    kind = models.CharField(max_length=10, choices=AliasKind.choices, default=AliasKind.AKA)
    first_name = models.CharField(max_length=80, blank=True, validators=[validate_person_name])
    last_name = models.CharField(max_length=80, blank=True, validators=[validate_person_name])
    first_name_key = models.CharField(max_length=80, editable=False, default="")
    last_name_key = models.CharField(max_length=80, editable=False, default="")
    last_name_sound = models.CharField(max_length=8, editable=False, default="")

    class Meta:
        verbose_name_plural = "person aliases"
        indexes = [
            # duplicate check also looks at aliases
            models.Index(fields=["last_name_sound"], name="alias_sound_idx"),
        ]


class IdentifierSystem(models.TextChoices):
    RMS = "rms", "Police records management system"
    BOOKING = "booking", "Jail booking number"
    EMS = "ems", "EMS patient care record"
    HMIS = "hmis", "Homeless management information system"
    EHR = "ehr", "Provider health record"
    STATE_ID = "state_id", "State ID / driver's licence"
    COURT = "court", "Court case party"
    OTHER = "other", "Other"


class ExternalIdentifier(BaseModel):
    """The person's number in another system (RMS, jail, EMS, HMIS, a provider's EHR)."""

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="identifiers")
    system = models.CharField(max_length=20, choices=IdentifierSystem.choices)
    assigning_agency = models.ForeignKey(
        "accounts.Agency", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    value = models.CharField(max_length=100)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["system", "assigning_agency", "value"], name="identifier_unique_in_system"
            )
        ]
        indexes = [
            # linking an imported record to a person by its number
            models.Index(fields=["system", "value"], name="identifier_lookup_idx"),
        ]
