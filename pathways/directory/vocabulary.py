"""What a person may need and a service may answer: shared by the directory, the pathways' catalog
and the contact form."""

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
