"""Partner directory: services of partner organisations, their locations, hours and open
capacity. Shaped after Open Referral HSDS 3 (organization → service → service_at_location,
schedule, language); an organisation is an accounts.Agency."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from pathways.core.models import AppendOnlyModel, ArchivableModel, BaseModel
from pathways.directory.vocabulary import Need


class ServiceType(models.TextChoices):
    DETOX = "detox", "Withdrawal management (detox)"
    MOUD = "moud", "Medication for opioid use disorder (MOUD)"
    RESIDENTIAL = "residential", "Residential treatment"
    OUTPATIENT = "outpatient", "Outpatient treatment"
    MH_CRISIS = "mh_crisis", "Mental-health crisis stabilisation"
    MH_OUTPATIENT = "mh_outpatient", "Mental-health counselling"
    HOUSING = "housing", "Housing / shelter"
    PEER_SUPPORT = "peer_support", "Peer recovery support"
    CASE_MANAGEMENT = "case_management", "Case management"
    BASIC_NEEDS = "basic_needs", "Food, benefits and basic needs"
    MEDICAL = "medical", "Medical care"


#: Which service types answer which presenting need (used to rank services at the contact).
SERVICE_TYPES_FOR_NEED: dict[str, list[str]] = {
    Need.SUBSTANCE_USE: [
        ServiceType.DETOX,
        ServiceType.OUTPATIENT,
        ServiceType.RESIDENTIAL,
        ServiceType.PEER_SUPPORT,
        ServiceType.MOUD,
    ],
    Need.OPIOID_USE: [ServiceType.MOUD, ServiceType.DETOX, ServiceType.PEER_SUPPORT],
    Need.MENTAL_HEALTH: [ServiceType.MH_OUTPATIENT, ServiceType.MH_CRISIS],
    Need.CRISIS: [ServiceType.MH_CRISIS],
    Need.HOUSING: [ServiceType.HOUSING, ServiceType.CASE_MANAGEMENT],
    Need.SEX_WORK: [ServiceType.CASE_MANAGEMENT, ServiceType.HOUSING],
    Need.BASIC_NEEDS: [ServiceType.BASIC_NEEDS, ServiceType.CASE_MANAGEMENT],
    Need.MEDICAL: [ServiceType.MEDICAL],
    Need.CONFLICT: [ServiceType.CASE_MANAGEMENT, ServiceType.MH_OUTPATIENT],
}


class Population(models.TextChoices):
    ADULTS = "adults", "Adults 18+"
    YOUTH = "youth", "Youth under 18"
    WOMEN = "women", "Women"
    MEN = "men", "Men"
    VETERANS = "veterans", "Veterans"
    PARENTS = "parents", "Parents with children"
    LGBTQ = "lgbtq", "LGBTQ+ people"
    PREGNANT = "pregnant", "Pregnant people"


class Location(ArchivableModel):
    organization = models.ForeignKey(
        "accounts.Agency", on_delete=models.PROTECT, related_name="locations"
    )
    name = models.CharField(max_length=200)
    address_1 = models.CharField(max_length=200)
    city = models.CharField(max_length=100)
    state_province = models.CharField(max_length=2)
    postal_code = models.CharField(max_length=10)
    latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Service(ArchivableModel):
    organization = models.ForeignKey(
        "accounts.Agency", on_delete=models.PROTECT, related_name="services"
    )
    name = models.CharField(max_length=200)
    service_type = models.CharField(max_length=30, choices=ServiceType.choices)
    description = models.TextField(blank=True)
    locations = models.ManyToManyField(Location, blank=True, related_name="services")
    languages = models.JSONField(default=list, help_text="ISO 639-1 codes, e.g. ['en', 'es']")
    populations = models.JSONField(default=list, help_text="Population codes served")
    phone = models.CharField(max_length=40, blank=True)
    open_24_7 = models.BooleanField(default=False)
    accepts_walk_ins = models.BooleanField(default=False)
    capacity_total = models.PositiveIntegerField(
        default=0, help_text="Slots or beds the service offers the program"
    )
    capacity_open = models.PositiveIntegerField(default=0, help_text="Open right now")
    capacity_updated_at = models.DateTimeField(null=True, blank=True)
    capacity_updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(capacity_open__lte=F("capacity_total")),
                name="service_open_within_total",
            )
        ]
        indexes = [
            # the field form's service list: active services of a type, most open first
            models.Index(fields=["service_type", "capacity_open"], name="service_type_open_idx"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def has_capacity(self) -> bool:
        return self.capacity_open > 0


class ServiceHours(BaseModel):
    """Regular opening hours (HSDS schedule, weekly). Weekday 0 = Monday."""

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="hours")
    weekday = models.PositiveSmallIntegerField()
    opens_at = models.TimeField()
    closes_at = models.TimeField()

    class Meta:
        ordering = ["weekday", "opens_at"]
        constraints = [
            models.CheckConstraint(condition=Q(weekday__lte=6), name="service_hours_weekday"),
            models.CheckConstraint(
                condition=Q(closes_at__gt=F("opens_at")), name="service_hours_order"
            ),
        ]


class CapacityUpdate(AppendOnlyModel, BaseModel):
    """Append-only history of open capacity, for 'divert to where?' reporting."""

    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="capacity_updates")
    capacity_total = models.PositiveIntegerField()
    capacity_open = models.PositiveIntegerField()
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-created_at"]


class HsdsId(BaseModel):
    """The Open Referral HSDS id a directory record has in the files the program exchanges
    (docs/decisions/0031-hsds-directory-exchange.md): set when a record is imported, so a
    re-import of the same file updates it, and used again when the record is exported.
    A record with none is exported under its own id."""

    class Table(models.TextChoices):
        ORGANIZATION = "organization", "Organization (agency)"
        LOCATION = "location", "Location"
        SERVICE = "service", "Service"

    program = models.ForeignKey("programs.Program", on_delete=models.PROTECT, related_name="+")
    table = models.CharField(max_length=20, choices=Table.choices)
    hsds_id = models.CharField(max_length=250)
    object_id = models.UUIDField(help_text="The agency, location or service it names.")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["program", "table", "hsds_id"], name="hsds_id_unique_in_program"
            ),
            models.UniqueConstraint(fields=["table", "object_id"], name="hsds_id_one_per_record"),
        ]

    def __str__(self) -> str:
        return f"{self.table} {self.hsds_id}"
