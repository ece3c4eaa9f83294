"""Population figures for the equity report's contact rates: the form the coordinator fills in
for one grouping (race and ethnicity, sex or age band) and the service that saves it.

Contacts per resident can only be compared across groups against how many people of each group
live in the program's area; Pathways cannot know that from its records. The coordinator copies
the figures from a published source (usually the Census Bureau's population estimates for the
county) and says which source and year."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.core.exceptions import ValidationError

from pathways.audit.services import save_and_audit, snapshot
from pathways.core import clock
from pathways.core.forms import Form
from pathways.core.services import service
from pathways.core.validators import text_problem
from pathways.outcomes.models import MAX_RESIDENTS, PopulationFigures
from pathways.outcomes.reports.equity import DIMENSIONS, Dimension
from pathways.programs.models import Program

if TYPE_CHECKING:
    from pathways.accounts.models import User

SOURCE_MAX = 300
FIRST_YEAR = 1990
FIELDS = ("residents", "source", "year")
#: The form's field for a group's number (its code is what `population_save` names).
GROUP_PREFIX = "g_"


def census_groups(dimension: Dimension) -> list[tuple[str, str]]:
    """The groups a population count can have: every group but "not recorded"."""
    return [(value, label) for value, label in dimension.groups if value != "unknown"]


class PopulationForm(Form):
    """One number of residents per group (blank: no figure for that group), the source and
    the year the figures describe."""

    source = forms.CharField(
        label="Source",
        max_length=SOURCE_MAX,
        help_text="For example: U.S. Census Bureau, county population estimates by "
        "characteristics (table and vintage).",
        error_messages={"required": "Say where these figures come from."},
    )
    year = forms.IntegerField(
        label="Year the figures describe",
        error_messages={"required": "Enter the year the figures describe, such as 2024."},
    )

    def __init__(self, data: Any, *, dimension: Dimension, current: PopulationFigures | None):
        initial: dict[str, Any] = {}
        if current is not None:
            initial = {"source": current.source, "year": current.year}
            initial.update({f"{GROUP_PREFIX}{k}": v for k, v in current.residents.items()})
        super().__init__(data, initial=initial)
        self.dimension = dimension
        self.group_names: list[str] = []
        for value, label in census_groups(dimension):
            name = f"{GROUP_PREFIX}{value}"
            self.fields[name] = forms.IntegerField(
                label=label,
                required=False,
                error_messages={"invalid": "Enter the number of residents as a whole number."},
                widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
            )
            self.group_names.append(name)
        self.style_fields(*self.group_names)
        # the groups first, then source and year
        self.order_fields([*self.group_names, "source", "year"])

    @property
    def group_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.group_names]

    def values(self) -> dict[str, Any]:
        residents = {
            name.removeprefix(GROUP_PREFIX): self.cleaned_data[name]
            for name in self.group_names
            if self.cleaned_data.get(name) is not None
        }
        return {
            "residents": residents,
            "source": self.cleaned_data["source"],
            "year": self.cleaned_data["year"],
        }


def _problems(dimension: Dimension, residents: Any, source: Any, year: Any) -> dict[str, str]:
    errors: dict[str, str] = {}
    known = {value for value, _ in census_groups(dimension)}
    if not isinstance(residents, dict):
        return {"residents": "Give the residents as a number for each group."}
    for group, number in residents.items():
        if group not in known:
            errors["residents"] = f"Not a group of {dimension.label.lower()}: {group!r}."
        elif isinstance(number, bool) or not isinstance(number, int):
            errors[group] = "Enter the number of residents as a whole number."
        elif number < 0:
            errors[group] = "Enter 0 residents or more."
        elif number > MAX_RESIDENTS:
            errors[group] = f"Enter at most {MAX_RESIDENTS:,} residents."
    if not errors and not any(residents.values()):
        errors["residents"] = "Enter the number of residents of at least one group."
    text = str(source or "").strip()
    if not text:
        errors["source"] = "Say where these figures come from."
    elif problem := text_problem(text, label="source", max_length=SOURCE_MAX, one_line=True):
        errors["source"] = problem
    this_year = clock.now().year
    if isinstance(year, bool) or not isinstance(year, int):
        errors["year"] = "Enter the year the figures describe, such as 2024."
    elif not FIRST_YEAR <= year <= this_year:
        errors["year"] = f"Enter a year from {FIRST_YEAR} to {this_year}."
    return errors


@service
def population_save(
    *, actor: User | None, program: Program, dimension: str, residents: Any, source: Any, year: Any
) -> PopulationFigures:
    """Save the program's population figures for one grouping, replacing the ones before, and
    audit the old and new values. Bad values raise ValidationError naming each field (a group's
    code for its number) and change nothing; saving the same figures again writes nothing."""
    if dimension not in DIMENSIONS:
        raise ValidationError(f"Not a grouping of the equity report: {dimension!r}.")
    spec = DIMENSIONS[dimension]
    if errors := _problems(spec, residents, source, year):
        raise ValidationError(errors)
    # the program's row is the lock two first saves would race on
    Program.objects.select_for_update().get(pk=program.pk)
    current = (
        PopulationFigures.objects.select_for_update()
        .filter(program=program, dimension=dimension)
        .first()
    )
    figures = current or PopulationFigures(program=program, dimension=dimension)
    old = snapshot(figures, FIELDS) if current else None
    figures.residents = dict(sorted(residents.items()))
    figures.source = str(source).strip()
    figures.year = year
    by = actor if getattr(actor, "pk", None) else None
    save_and_audit(
        figures, actor=actor, old=old, fields=FIELDS, event="population", stamp={"updated_by": by}
    )
    return figures
