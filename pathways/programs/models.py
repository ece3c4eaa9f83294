"""A program, its enabled pathways, and the catalog of the six PTACC pathways."""

from __future__ import annotations

import zoneinfo
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models

from pathways.core.constraints import one_of
from pathways.core.models import BaseModel


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"{value!r} is not a known time zone (e.g. America/Chicago).")


class PathwayCode(models.TextChoices):
    SELF_REFERRAL = "self_referral", "Self-Referral"
    ACTIVE_OUTREACH = "active_outreach", "Active Outreach"
    NALOXONE_PLUS = "naloxone_plus", "Naloxone Plus"
    OFFICER_PREVENTION = "officer_prevention", "First Responder / Officer Prevention Referral"
    OFFICER_INTERVENTION = "officer_intervention", "Officer Intervention"
    COMMUNITY_RESPONSE = "community_response", "Community Response"


class Pathway(BaseModel):
    """One of the six PTACC pathways. Rows come from pathways.programs.catalog (data
    migration); programs configure them through ProgramPathway."""

    code = models.CharField(max_length=40, choices=PathwayCode.choices, unique=True)
    name = models.CharField(max_length=100)
    short_name = models.CharField(max_length=40)
    definition = models.TextField()
    initiated_by = models.TextField(help_text="Who starts an encounter under this pathway")
    starter_agency_kinds = models.JSONField(default=list)
    starter_roles = models.JSONField(default=list)
    holds_charges = models.BooleanField(
        default=False,
        help_text="A charge is diverted under this pathway (held in abeyance or a civil citation "
        "until the plan is done); every other pathway involves no charge at all",
    )
    target_populations = models.TextField()
    typical_needs = models.JSONField(default=list)
    questions = models.JSONField(
        default=list, help_text="Encounter fields the field form asks under this pathway"
    )
    default_call_source = models.CharField(max_length=30)
    display_order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["display_order"]

    def __str__(self) -> str:
        return self.name


class Program(BaseModel):
    """A community's deflection and diversion program."""

    name = models.CharField(max_length=200, unique=True)
    jurisdiction = models.CharField(max_length=200)
    time_zone = models.CharField(
        max_length=64, default="America/Chicago", validators=[validate_time_zone]
    )
    description = models.TextField(blank=True)
    pathways: models.ManyToManyField[Pathway, ProgramPathway] = models.ManyToManyField(
        Pathway, through="ProgramPathway", related_name="programs"
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ProgramPathway(BaseModel):
    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="program_pathways")
    pathway = models.ForeignKey(Pathway, on_delete=models.PROTECT, related_name="+")
    is_enabled = models.BooleanField(default=True)
    local_name = models.CharField(
        max_length=100, blank=True, help_text="What the program calls it, e.g. 'Angel Program'"
    )
    current_config = models.ForeignKey(
        "PathwayConfig", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    template_code = models.CharField(
        max_length=60, blank=True, help_text="The program template this pathway was started from"
    )
    template_name = models.CharField(max_length=200, blank=True)
    template_version = models.PositiveIntegerField(
        null=True, blank=True, help_text="The configuration version the template created"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["program", "pathway"], name="program_pathway_unique")
        ]

    def __str__(self) -> str:
        return f"{self.program}: {self.local_name or self.pathway}"


class ChargeMode(models.TextChoices):
    NONE = "none", "No charges: no arrest and nothing filed"
    ABEYANCE = "abeyance", "Charge held in abeyance until the plan is done"
    CIVIL_CITATION = "civil_citation", "Non-criminal (civil) citation with conditions"


class PathwayConfig(BaseModel):
    """One version of how a program runs a pathway. Versions are never edited: a change is a new
    version, and every decision records the version it was made under."""

    program_pathway = models.ForeignKey(
        ProgramPathway, on_delete=models.PROTECT, related_name="configs"
    )
    version = models.PositiveIntegerField()
    starter_roles = models.JSONField(default=list)
    starter_agency_kinds = models.JSONField(default=list)
    charges = models.CharField(max_length=20, choices=ChargeMode.choices, default=ChargeMode.NONE)
    prosecutor_review = models.BooleanField(
        default=False, help_text="Every diversion goes to the prosecutor, who has the final say"
    )
    requires_clinician = models.BooleanField(default=False)
    requires_peer = models.BooleanField(default=False)
    followup_team = models.ForeignKey(
        "accounts.Agency",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="The team that follows up (visits, placement); empty: the responder's agency",
    )
    deadlines = models.JSONField(default=dict, blank=True)
    partner_service_ids = models.JSONField(default=list, blank=True)
    rules = models.JSONField(default=list, blank=True)
    requirements = models.JSONField(
        default=list, blank=True, help_text="Service-plan requirements template"
    )
    sections = models.JSONField(
        default=list, blank=True, help_text="The pathway's own sections of the field form"
    )
    rule_set_source = models.CharField(max_length=60, blank=True)
    note = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["program_pathway", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["program_pathway", "version"], name="pathway_config_version_unique"
            ),
            one_of("charges", ChargeMode.values, name="pathway_config_charges_known"),
        ]

    def __str__(self) -> str:
        return f"{self.program_pathway} v{self.version}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise PermissionError("A configuration version is never changed; save a new one.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise PermissionError("Configuration versions are kept for the record.")

    def deadline(self, code: str) -> int | None:
        value = self.deadlines.get(code)
        return int(value) if value is not None else None
