"""Vocabulary of the pathways' configuration."""

from django.db import models

from pathways.directory.vocabulary import Need as Need  # re-exported for the layers above


class PlanRequirementKind(models.TextChoices):
    """What a diversion's service plan can require (cases.RequirementKind uses these values)."""

    ASSESSMENT = "assessment", "Intake assessment"
    TREATMENT = "treatment", "Treatment"
    COMMUNITY_SERVICE = "community_service", "Community service"
    RESTITUTION = "restitution", "Restitution"
    COURSE = "course", "Course or class"
    FEE = "fee", "Program fee"
    OTHER = "other", "Other"
