"""People the program serves. Names, birth date, demographics and identifiers from other systems
are kept in separate, normalised fields so probabilistic record linkage can use them later."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q

from pathways.core import clock
from pathways.core.fields import EncryptedCharField, EncryptedTextField
from pathways.core.models import ArchivableModel, BaseModel
from pathways.core.validators import validate_clean_text, validate_person_name


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


class Identity(models.TextChoices):
    """Whether the person's name is known. A person who cannot be identified (unconscious after
    an overdose) or will not give a name is still recorded, with an approximate age and a
    description, and linked to a named person later."""

    KNOWN = "known", "Named person"
    UNKNOWN = "unknown", "Cannot be identified (e.g. unconscious)"
    WITHHELD = "withheld", "Will not give a name"


class Person(ArchivableModel):
    identity = models.CharField(max_length=10, choices=Identity.choices, default=Identity.KNOWN)
    first_name = models.CharField(max_length=80, blank=True, validators=[validate_person_name])
    middle_name = models.CharField(max_length=80, blank=True, validators=[validate_person_name])
    last_name = models.CharField(max_length=80, blank=True, validators=[validate_person_name])
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
    estimated_birth_year = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="From an approximate age, when the birth date is unknown"
    )
    description = EncryptedTextField(
        blank=True,
        max_length=500,
        validators=[validate_clean_text],
        help_text="How to recognise a person without a name: build, clothing, marks",
    )
    merged_into = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The named person this unidentified record was found to be",
    )
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
        constraints = [
            models.CheckConstraint(
                condition=~Q(identity="known") | (~Q(first_name="") & ~Q(last_name="")),
                name="person_named_has_names",
            ),
            models.CheckConstraint(
                condition=Q(identity__in=["known", "unknown", "withheld"]),
                name="person_identity_valid",
            ),
        ]
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
    def is_named(self) -> bool:
        return self.identity == Identity.KNOWN

    @property
    def approximate_age(self) -> int | None:
        if self.estimated_birth_year is None:
            return None
        return clock.now().year - self.estimated_birth_year

    @property
    def display_name(self) -> str:
        if not self.is_named:
            label = "Unknown person" if self.identity == Identity.UNKNOWN else "Name not given"
            age = self.approximate_age
            return f"{label}, about {age}" if age is not None else label
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


class Language(models.TextChoices):
    """Languages a person may prefer to be reached in (ISO 639-1), the county's most common
    first; 'other' with the language typed in how to reach them."""

    ENGLISH = "en", "English"
    SPANISH = "es", "Spanish / Español"
    CHINESE = "zh", "Chinese"
    VIETNAMESE = "vi", "Vietnamese"
    ARABIC = "ar", "Arabic"
    RUSSIAN = "ru", "Russian"
    HAITIAN_CREOLE = "ht", "Haitian Creole"
    KOREAN = "ko", "Korean"
    FRENCH = "fr", "French"
    PORTUGUESE = "pt", "Portuguese"
    ASL = "sgn", "American Sign Language"
    OTHER = "other", "Another language"


class ContactDetails(BaseModel):
    """How to reach the person, as they gave it at a contact (append-only: a newer row is the
    current one; the contact that collected them points to them). The phone and the notes are
    encrypted at rest. The service the person is referred to sees them only when the person
    agreed to that (`share_with_provider`)."""

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="contact_details")
    agency = models.ForeignKey("accounts.Agency", on_delete=models.PROTECT, related_name="+")
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    phone = EncryptedCharField(max_length=40, blank=True)
    texts_ok = models.BooleanField(default=False, help_text="The person is happy to get texts")
    voicemail_ok = models.BooleanField(default=False, help_text="A message may be left")
    best_time = EncryptedCharField(max_length=100, blank=True, validators=[validate_clean_text])
    other_way = EncryptedCharField(
        max_length=200,
        blank=True,
        validators=[validate_clean_text],
        help_text="Another way to reach them: a shelter, a case worker, a relative",
    )
    language = models.CharField(max_length=5, choices=Language.choices, blank=True)
    share_with_provider = models.BooleanField(
        default=False,
        help_text="The person agreed that the service they are referred to may contact them",
    )

    class Meta:
        verbose_name_plural = "contact details"
        ordering = ["-created_at"]
        indexes = [
            # the person's current details, and the ones a contact's referral carries
            models.Index(fields=["person", "-created_at"], name="contact_details_person_idx"),
        ]

    def __str__(self) -> str:
        return "Contact details"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise PermissionError("Contact details are recorded anew, never changed.")
        super().save(*args, **kwargs)

    @property
    def is_empty(self) -> bool:
        return not (self.phone or self.best_time or self.other_way or self.language)
