"""The program's assumptions for the cost-avoided report: what each figure is, reading them
(`cost_settings_for`), the coordinator's form (`CostSettingsForm`) and the one write
(`cost_settings_save`).

Every assumption is a pair, a low and a high figure; the report works out a low and a high
estimate from them. A program that has not saved its own figures gets the placeholders of
`models.PLACEHOLDERS`, and every page that uses them says so."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import DecimalField

from pathways.audit.services import save_and_audit, snapshot
from pathways.core.forms import Form
from pathways.core.services import service
from pathways.core.validators import text_problem, validate_clean_text
from pathways.outcomes.models import MAX_DAYS, MAX_MONEY, STEMS, CostSettings, plain
from pathways.programs.models import Program

if TYPE_CHECKING:
    from pathways.accounts.models import User

MONEY, DAYS, SHARE = "money", "days", "share"
SOURCE_NOTE_MAX = 500


@dataclass(frozen=True)
class Pair:
    """One assumption: a low and a high figure of the same thing."""

    stem: str  # the model fields are f"{stem}_low" and f"{stem}_high"
    label: str  # the question the pair answers, as the page and the report name it
    short: str  # for the field labels and error messages: "Jail booking"
    measure: str  # MONEY, DAYS or SHARE
    help: str

    @property
    def low(self) -> str:
        return f"{self.stem}_low"

    @property
    def high(self) -> str:
        return f"{self.stem}_high"

    def show(self, value: Decimal) -> str:
        """A figure of this pair as the page writes it: $500, 2.5 days, 0.6."""
        if self.measure == MONEY:
            return f"${value:,.2f}".removesuffix(".00")
        if self.measure == DAYS:
            return f"{plain(value)} days"
        return plain(value)


@dataclass(frozen=True)
class Group:
    legend: str
    intro: str
    pairs: tuple[Pair, ...]


BOOKING_COST = Pair(
    "booking_cost",
    "Cost of one jail booking",
    "Jail booking",
    MONEY,
    "Processing one person into jail: intake, screening, property and records, in dollars.",
)
JAIL_DAY_COST = Pair(
    "jail_day_cost",
    "Cost of one day in jail",
    "Jail day",
    MONEY,
    "Holding one person for a day, in dollars: for example the jail's yearly budget divided by "
    "365 and by its average daily population.",
)
DAYS_PER_BOOKING = Pair(
    "days_per_booking",
    "Days in jail for each booking avoided",
    "Days per booking",
    DAYS,
    "How long a person booked on the charges these contacts involve would typically stay, "
    "for example the jail's average length of stay for low-level charges.",
)
BOOKING_SHARE_INTERVENTION = Pair(
    "booking_share_intervention",
    "Share of diverted Officer Intervention contacts that would otherwise have been booked",
    "Officer Intervention share",
    SHARE,
    "These contacts involve a chargeable offense, so most would have been booked: for example "
    "0.6 to 0.9. A share from 0 to 1: 0.6 means 60 percent.",
)
BOOKING_SHARE_OTHER = Pair(
    "booking_share_other",
    "Share of diverted contacts on the other pathways that would otherwise have been booked",
    "Other pathways share",
    SHARE,
    "Officer Prevention, Self-Referral, Active Outreach, Naloxone Plus and Community Response "
    "contacts involve no charge; a few might have ended in an arrest: for example 0.05 to 0.2.",
)
ED_SHARE_OVERDOSE = Pair(
    "ed_share_overdose",
    "Share of Naloxone Plus contacts offered services that would otherwise have gone to an "
    "emergency department",
    "Naloxone Plus share",
    SHARE,
    "Overdose contacts where the person was offered services instead of being transported: "
    "for example 0.2 to 0.5. A share from 0 to 1.",
)
ED_VISIT_COST = Pair(
    "ed_visit_cost",
    "Cost of one emergency-department visit",
    "Emergency-department visit",
    MONEY,
    "A visit for an overdose, in dollars: the cost of care, not the amount billed.",
)
EMS_TRANSPORT_COST = Pair(
    "ems_transport_cost",
    "Cost of one ambulance (EMS) transport",
    "Ambulance transport",
    MONEY,
    "Each emergency-department visit avoided is counted as an ambulance transport avoided too. "
    "Enter 0 to leave transports out.",
)

GROUPS: tuple[Group, ...] = (
    Group(
        "Jail",
        "What a booking and a day in jail cost, and how long a booking avoided would have lasted.",
        (BOOKING_COST, JAIL_DAY_COST, DAYS_PER_BOOKING),
    ),
    Group(
        "Who would otherwise have been booked",
        "Nobody can observe what would have happened without diversion: these shares are the "
        "program's assumption, applied to the contacts offered services instead of arrest.",
        (BOOKING_SHARE_INTERVENTION, BOOKING_SHARE_OTHER),
    ),
    Group(
        "Overdoses and emergency care",
        "Naloxone Plus contacts offered services at the scene, and the emergency care they "
        "might otherwise have needed.",
        (ED_SHARE_OVERDOSE, ED_VISIT_COST, EMS_TRANSPORT_COST),
    ),
)
PAIRS: tuple[Pair, ...] = tuple(pair for group in GROUPS for pair in group.pairs)
assert sorted(p.stem for p in PAIRS) == sorted(STEMS)

#: Every value the coordinator sets, in the order of the page.
FIELDS: tuple[str, ...] = (*(name for p in PAIRS for name in (p.low, p.high)), "source_note")

PLACEHOLDER_NOTE = (
    "Placeholder figures built into Pathways, not this community's: the coordinator has not set "
    "the program's own yet."
)


# --- reading -------------------------------------------------------------------------------


def cost_settings_for(program: Program) -> CostSettings:
    """The program's saved assumptions, or unsaved placeholders (`is_placeholder`) when it has
    none yet."""
    saved = CostSettings.objects.filter(program=program).select_related("updated_by").first()
    return saved or CostSettings(program=program)


def source_text(settings: CostSettings) -> str:
    """Where the figures come from, as the report prints it."""
    return PLACEHOLDER_NOTE if settings.is_placeholder else settings.source_note


# --- the coordinator's form -----------------------------------------------------------------


def _number_field(pair: Pair, bound: str) -> forms.DecimalField:
    attrs = {"inputmode": "decimal", "aria-describedby": f"{pair.stem}-hint"}
    if pair.measure == MONEY:
        return forms.DecimalField(
            label=f"{pair.short}, {bound} ($)",
            min_value=Decimal(0),
            max_value=MAX_MONEY,
            decimal_places=2,
            widget=forms.NumberInput(attrs=attrs),
            error_messages={
                "required": "Enter an amount in dollars (0 if there is none).",
                "invalid": "Enter an amount in dollars, for example 450 or 450.50.",
                "min_value": "Enter an amount of $0 or more: a cost cannot be negative.",
                "max_value": "Enter an amount of at most $1,000,000.",
                "max_decimal_places": "Use at most 2 decimal places (cents).",
            },
        )
    if pair.measure == DAYS:
        return forms.DecimalField(
            label=f"{pair.short}, {bound} (days)",
            min_value=Decimal(0),
            max_value=MAX_DAYS,
            decimal_places=1,
            widget=forms.NumberInput(attrs=attrs),
            error_messages={
                "required": "Enter a number of days.",
                "invalid": "Enter a number of days, for example 3 or 2.5.",
                "min_value": "Enter 0 days or more.",
                "max_value": "Enter at most 365 days.",
                "max_decimal_places": "Use at most 1 decimal place.",
            },
        )
    return forms.DecimalField(
        label=f"{pair.short}, {bound} (0 to 1)",
        min_value=Decimal(0),
        max_value=Decimal(1),
        decimal_places=3,
        widget=forms.NumberInput(attrs=attrs),
        error_messages={
            "required": "Enter a share from 0 to 1 (0.6 means 60 percent).",
            "invalid": "Enter a share from 0 to 1, for example 0.6 for 60 percent.",
            "min_value": "A share cannot be below 0: enter a share from 0 to 1.",
            "max_value": "A share cannot be above 1: enter 0.6 for 60 percent, not 60.",
            "max_decimal_places": "Use at most 3 decimal places.",
        },
    )


@dataclass(frozen=True)
class BoundPair:
    pair: Pair
    low: forms.BoundField
    high: forms.BoundField


@dataclass(frozen=True)
class BoundGroup:
    legend: str
    intro: str
    pairs: list[BoundPair]


class CostSettingsForm(Form):
    """Every assumption as a low and a high figure, and where they come from. Starts from the
    program's saved figures, or from the placeholders with an empty source note (so saving
    them takes a coordinator's word for where they come from)."""

    source_note = forms.CharField(
        label="Where these figures come from",
        help_text="Name the sources, for example 'County jail FY2025 budget; state hospital "
        "association 2024 cost report'. The cost report prints it with every estimate.",
        max_length=SOURCE_NOTE_MAX,
        validators=[validate_clean_text],
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={
            "required": "Say where these figures come from, for example 'County jail FY2025 "
            "budget'.",
            "max_length": f"Keep the note to {SOURCE_NOTE_MAX} characters.",
        },
    )

    def __init__(self, data: Any = None, *, settings: CostSettings) -> None:
        initial: dict[str, Any] = {
            name: plain(value) if isinstance(value := getattr(settings, name), Decimal) else value
            for name in FIELDS
        }  # 500 and 0.6, not 500.00 and 0.600
        if settings.is_placeholder:
            initial["source_note"] = ""
        super().__init__(data, initial=initial)
        self.settings = settings
        for pair in PAIRS:
            self.fields[pair.low] = _number_field(pair, "low")
            self.fields[pair.high] = _number_field(pair, "high")
            self.style_fields(pair.low, pair.high)
        self.order_fields(FIELDS)

    @property
    def groups(self) -> list[BoundGroup]:
        return [
            BoundGroup(
                g.legend,
                g.intro,
                [BoundPair(p, self[p.low], self[p.high]) for p in g.pairs],
            )
            for g in GROUPS
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for pair in PAIRS:
            low, high = data.get(pair.low), data.get(pair.high)
            if low is not None and high is not None and low > high:
                self.add_error(
                    pair.high,
                    f"The high figure cannot be below the low one ({pair.show(low)}): enter a "
                    "high figure at least as large, or lower the low one.",
                )
        return data

    def values(self) -> dict[str, Any]:
        """The cleaned values, as `cost_settings_save` takes them."""
        return {name: self.cleaned_data[name] for name in FIELDS}


# --- the write -----------------------------------------------------------------------------


def _quantized(settings: CostSettings) -> None:
    """Each decimal at its field's places, as the database returns it (so 500 and 500.00 are
    the same value to the audit's diff)."""
    for name in FIELDS:
        field = settings._meta.get_field(name)
        value = getattr(settings, name)
        if isinstance(field, DecimalField) and isinstance(value, Decimal):
            assert field.decimal_places is not None
            setattr(settings, name, value.quantize(Decimal(1).scaleb(-field.decimal_places)))


def _problems(settings: CostSettings) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    try:
        settings.clean_fields(exclude=["program", "updated_by", "source_note"])
    except ValidationError as exc:
        errors.update({name: list(dict.fromkeys(m)) for name, m in exc.message_dict.items()})
    note = str(settings.source_note or "").strip()
    if not note:
        errors["source_note"] = [
            "Say where these figures come from, for example 'County jail FY2025 budget'."
        ]
    elif problem := text_problem(note, label="note", max_length=SOURCE_NOTE_MAX):
        errors["source_note"] = [problem]
    settings.source_note = note
    try:
        settings.clean()
    except ValidationError as exc:
        for name, messages in exc.message_dict.items():
            errors.setdefault(name, messages)
    return errors


@service
def cost_settings_save(*, actor: User, program: Program, **values: Any) -> CostSettings:
    """Save the program's assumptions (any of FIELDS; the others keep their value, or the
    placeholder on a first save) and audit the old and new values. Bad values raise
    ValidationError, naming each field at fault, and change nothing. Saving the same values
    again changes nothing and writes no event."""
    if unknown := set(values) - set(FIELDS):
        raise ValidationError(f"Not a cost setting: {', '.join(sorted(unknown))}.")
    # the program's row is the lock two first saves would race on
    Program.objects.select_for_update().get(pk=program.pk)
    current = CostSettings.objects.select_for_update().filter(program=program).first()
    settings = current or CostSettings(program=program)
    old = snapshot(settings, FIELDS) if current else None
    for name, value in values.items():
        # a float (0.6) as written, not as its binary expansion (0.59999...)
        setattr(settings, name, Decimal(str(value)) if isinstance(value, float) else value)
    if errors := _problems(settings):
        raise ValidationError(errors)
    _quantized(settings)
    by = actor if getattr(actor, "pk", None) else None
    save_and_audit(
        settings,
        actor=actor,
        old=old,
        fields=FIELDS,
        event="cost_settings",
        stamp={"updated_by": by},
    )
    return settings
