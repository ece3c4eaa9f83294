"""What the outcomes app stores: the program's assumptions for the cost-avoided estimate.

Everything else the reports show is computed from the records (through the analytics extract);
only the unit costs and the shares of a counterfactual nobody can observe are entered by hand, by
the coordinator, with a note of where they come from."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q

from pathways.core.models import BaseModel

#: Stems of the paired fields: each has a `_low` and a `_high` field, low ≤ high.
MONEY_STEMS = ("booking_cost", "jail_day_cost", "ed_visit_cost", "ems_transport_cost")
DAYS_STEMS = ("days_per_booking",)
SHARE_STEMS = ("booking_share_intervention", "booking_share_other", "ed_share_overdose")
STEMS = (*MONEY_STEMS, *DAYS_STEMS, *SHARE_STEMS)

MAX_MONEY = Decimal("1000000")  # more than a million dollars a unit is a typo
MAX_DAYS = Decimal(365)

#: The figures the page and the report use until the coordinator saves the program's own. They
#: are round numbers of a plausible size, from no particular place: every page that shows them
#: says they are placeholders.
PLACEHOLDERS: dict[str, Decimal] = {
    "booking_cost_low": Decimal("250.00"),
    "booking_cost_high": Decimal("500.00"),
    "jail_day_cost_low": Decimal("85.00"),
    "jail_day_cost_high": Decimal("150.00"),
    "ed_visit_cost_low": Decimal("1000.00"),
    "ed_visit_cost_high": Decimal("2500.00"),
    "ems_transport_cost_low": Decimal("500.00"),
    "ems_transport_cost_high": Decimal("1200.00"),
    "days_per_booking_low": Decimal("2.0"),
    "days_per_booking_high": Decimal("8.0"),
    "booking_share_intervention_low": Decimal("0.600"),
    "booking_share_intervention_high": Decimal("0.900"),
    "booking_share_other_low": Decimal("0.050"),
    "booking_share_other_high": Decimal("0.200"),
    "ed_share_overdose_low": Decimal("0.200"),
    "ed_share_overdose_high": Decimal("0.500"),
}

_money = [
    MinValueValidator(Decimal(0), "Enter an amount of $0 or more."),
    MaxValueValidator(MAX_MONEY, "Enter an amount of at most $1,000,000."),
]
_days = [
    MinValueValidator(Decimal(0), "Enter 0 days or more."),
    MaxValueValidator(MAX_DAYS, "Enter at most 365 days."),
]
_share = [
    MinValueValidator(Decimal(0), "Enter a share of 0 or more (0.6 means 60 percent)."),
    MaxValueValidator(Decimal(1), "Enter a share of at most 1 (0.6 means 60 percent)."),
]


def _money_field(name: str) -> models.DecimalField[Any, Any]:
    return models.DecimalField(
        max_digits=10, decimal_places=2, default=PLACEHOLDERS[name], validators=_money
    )


def _days_field(name: str) -> models.DecimalField[Any, Any]:
    return models.DecimalField(
        max_digits=4, decimal_places=1, default=PLACEHOLDERS[name], validators=_days
    )


def _share_field(name: str) -> models.DecimalField[Any, Any]:
    return models.DecimalField(
        max_digits=4, decimal_places=3, default=PLACEHOLDERS[name], validators=_share
    )


def _constraints() -> list[models.BaseConstraint]:
    checks: list[models.BaseConstraint] = []
    for stem in STEMS:
        low, high = f"{stem}_low", f"{stem}_high"
        checks.append(
            models.CheckConstraint(
                condition=Q(**{f"{low}__lte": F(high)}), name=f"cost_settings_{stem}_low_lte_high"
            )
        )
        if stem in SHARE_STEMS:
            condition = Q(**{f"{low}__gte": 0}) & Q(**{f"{high}__lte": 1})
            checks.append(
                models.CheckConstraint(condition=condition, name=f"cost_settings_{stem}_0_to_1")
            )
        else:
            checks.append(
                models.CheckConstraint(
                    condition=Q(**{f"{low}__gte": 0}), name=f"cost_settings_{stem}_not_negative"
                )
            )
    return checks


class CostSettings(BaseModel):
    """One program's assumptions for the cost-avoided report, each as a low and a high figure.

    A program without a row uses PLACEHOLDERS (see `pathways.outcomes.costs.cost_settings_for`),
    and every page says so."""

    program = models.OneToOneField(
        "programs.Program", on_delete=models.PROTECT, related_name="cost_settings"
    )
    # unit costs, in dollars
    booking_cost_low = _money_field("booking_cost_low")
    booking_cost_high = _money_field("booking_cost_high")
    jail_day_cost_low = _money_field("jail_day_cost_low")
    jail_day_cost_high = _money_field("jail_day_cost_high")
    ed_visit_cost_low = _money_field("ed_visit_cost_low")
    ed_visit_cost_high = _money_field("ed_visit_cost_high")
    ems_transport_cost_low = _money_field("ems_transport_cost_low")
    ems_transport_cost_high = _money_field("ems_transport_cost_high")
    # jail days a booking avoided would have lasted
    days_per_booking_low = _days_field("days_per_booking_low")
    days_per_booking_high = _days_field("days_per_booking_high")
    # shares (0-1) of diverted contacts that would otherwise have been booked, or gone to the ED
    booking_share_intervention_low = _share_field("booking_share_intervention_low")
    booking_share_intervention_high = _share_field("booking_share_intervention_high")
    booking_share_other_low = _share_field("booking_share_other_low")
    booking_share_other_high = _share_field("booking_share_other_high")
    ed_share_overdose_low = _share_field("ed_share_overdose_low")
    ed_share_overdose_high = _share_field("ed_share_overdose_high")

    source_note = models.CharField(
        max_length=500, help_text="Where the figures come from, e.g. 'County jail FY2025 budget'"
    )
    updated_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = "cost settings"
        verbose_name_plural = "cost settings"
        constraints = _constraints()

    def __str__(self) -> str:
        return f"Cost settings: {self.program_id}"

    @property
    def is_placeholder(self) -> bool:
        """True for the unsaved defaults a program without its own figures gets."""
        return bool(self._state.adding)

    def clean(self) -> None:
        """Each low figure at most its high figure (the error goes on the high field)."""
        errors: dict[str, str] = {}
        for stem in STEMS:
            low, high = getattr(self, f"{stem}_low"), getattr(self, f"{stem}_high")
            if isinstance(low, Decimal) and isinstance(high, Decimal) and low > high:
                errors[f"{stem}_high"] = (
                    f"Enter a high figure at least as large as the low one ({plain(low)})."
                )
        if errors:
            raise ValidationError(errors)


def plain(value: Decimal) -> str:
    """A decimal without trailing zeros: 0.600 -> 0.6, 500.00 -> 500, 85.50 -> 85.5."""
    return format(value.normalize(), "f")


#: The groupings population figures are kept for (the equity report's dimensions).
POPULATION_DIMENSIONS = (
    ("race_group", "Race and ethnicity"),
    ("sex", "Sex"),
    ("age_band", "Age band"),
)
MAX_RESIDENTS = 50_000_000  # more people than any county has: a typo


class PopulationFigures(BaseModel):
    """How many people live in the program's area, by group, for one grouping (race and
    ethnicity, sex or age band): the base of the equity report's contact rates. Entered by the
    coordinator from a published source (usually the Census Bureau's estimates), with the
    source and the year it describes. `residents` maps a group's code to its number of
    residents; a group left out has no figure."""

    program = models.ForeignKey(
        "programs.Program", on_delete=models.PROTECT, related_name="population_figures"
    )
    dimension = models.CharField(max_length=20, choices=POPULATION_DIMENSIONS)
    residents = models.JSONField(default=dict)
    source = models.CharField(max_length=300)
    year = models.PositiveSmallIntegerField()
    updated_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = "population figures"
        verbose_name_plural = "population figures"
        constraints = [
            models.UniqueConstraint(
                fields=["program", "dimension"], name="population_one_per_program_dimension"
            )
        ]

    def __str__(self) -> str:
        return f"Population by {self.dimension}: {self.program_id}"
