"""Vocabulary shared by pathways, encounters and the directory."""

from django.db import models


class Need(models.TextChoices):
    SUBSTANCE_USE = "substance_use", "Substance use"
    OPIOID_USE = "opioid_use", "Opioid use / recent overdose"
    MENTAL_HEALTH = "mental_health", "Mental health"
    CRISIS = "crisis", "Acute crisis"
    HOUSING = "housing", "Housing / homelessness"
    SEX_WORK = "sex_work", "Sex work / exploitation"
    BASIC_NEEDS = "basic_needs", "Food, clothing, benefits"
    MEDICAL = "medical", "Medical care"
    CONFLICT = "conflict", "Low-level conflict / quality of life"


class PlanRequirementKind(models.TextChoices):
    """What a diversion's service plan can require (cases.RequirementKind uses these values)."""

    ASSESSMENT = "assessment", "Intake assessment"
    TREATMENT = "treatment", "Treatment"
    COMMUNITY_SERVICE = "community_service", "Community service"
    RESTITUTION = "restitution", "Restitution"
    COURSE = "course", "Course or class"
    FEE = "fee", "Program fee"
    OTHER = "other", "Other"
