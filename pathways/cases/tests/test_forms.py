"""ChargeForm, the part of the officer's field form that records the held charge."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.template.loader import render_to_string

from pathways.cases.forms import ChargeForm
from pathways.cases.services import ChargeInput


def charge_data(prefix: str = "charge", **overrides: str) -> dict[str, str]:
    data = {
        "mode": "civil_citation",
        "offence_type": "theft",
        "offence_level": "misdemeanour",
        "statute": "Fla. Stat. 812.014",
        "citation_number": "CC-2026-0042",
        "description": "Took two items from a store.",
        "fine_amount": "",
        "fee_amount": "50",
    }
    data.update(overrides)
    return {f"{prefix}-{k}": v for k, v in data.items()}


def test_a_valid_citation_gives_a_charge_input() -> None:
    form = ChargeForm(charge_data(), prefix="charge")
    assert form.is_valid(), form.errors
    assert form.charge_input() == ChargeInput(
        mode="civil_citation",
        offence_type="theft",
        offence_level="misdemeanour",
        description="Took two items from a store.",
        statute="Fla. Stat. 812.014",
        citation_number="CC-2026-0042",
        fine_amount=None,
        fee_amount=Decimal("50"),
    )


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"citation_number": ""}, "citation_number", "Enter the citation number printed"),
        (
            {"mode": "abeyance"},
            "citation_number",
            "A charge held in abeyance has no citation number",
        ),
        ({"mode": ""}, "mode", "Choose whether the charge is held"),
        ({"offence_type": "none"}, "offence_type", "Select a valid choice"),
        ({"offence_level": ""}, "offence_level", "Choose the level of offense."),
        ({"fee_amount": "-5"}, "fee_amount", "The fee cannot be negative."),
        ({"fine_amount": "10.505"}, "fine_amount", "at most 2 decimal places"),
        ({"fine_amount": "ten"}, "fine_amount", "Enter the fine as a number"),
        ({"statute": "x" * 61}, "statute", "at most 60 characters (it has 61)"),
        ({"statute": "Fla. Stat.\u200b 812"}, "statute", "control characters"),
        ({"description": "line\u0007"}, "description", "control characters"),
    ],
)
def test_bad_charges_get_a_message_at_the_field(
    overrides: dict[str, str], field: str, message: str
) -> None:
    form = ChargeForm(charge_data(**overrides), prefix="charge")
    assert not form.is_valid()
    assert message in " ".join(str(e) for e in form.errors[field]), form.errors


def test_the_configurations_mode_is_fixed_and_hidden() -> None:
    form = ChargeForm(charge_data(mode="", citation_number=""), prefix="charge", mode="abeyance")
    assert form.is_valid(), form.errors
    assert form.charge_input().mode == "abeyance"
    assert not form.shows_citation_number
    # a posted mode cannot override the configuration's
    form = ChargeForm(charge_data(citation_number="X"), prefix="charge", mode="abeyance")
    assert not form.is_valid()
    assert "citation_number" in form.errors
    cited = ChargeForm(charge_data(citation_number=""), prefix="charge", mode="civil_citation")
    assert not cited.is_valid()
    assert cited.errors["citation_number"] == [
        "Enter the citation number printed on the civil citation."
    ]


def test_charge_input_needs_a_valid_form() -> None:
    with pytest.raises(ValueError, match="valid"):
        ChargeForm(charge_data(offence_type=""), prefix="charge").charge_input()


def test_the_partial_renders_with_prefixed_accessible_ids() -> None:
    form = ChargeForm(charge_data(citation_number=""), prefix="charge", mode="civil_citation")
    form.is_valid()
    html = render_to_string("cases/_charge_fields.html", {"form": form})
    assert '<legend class="usa-legend usa-legend--large">The civil citation</legend>' in html
    assert 'for="id_charge-citation_number"' in html
    assert 'id="id_charge-citation_number-error"' in html
    assert (
        'aria-describedby="id_charge-citation_number-hint id_charge-citation_number-error"' in html
    )
    assert 'name="charge-mode"' in html and 'type="hidden"' in html
    abeyance = ChargeForm(prefix="charge", mode="abeyance")
    html = render_to_string("cases/_charge_fields.html", {"form": abeyance})
    assert "The charge held in abeyance" in html
    assert 'for="id_charge-citation_number"' not in html


def test_unfixed_form_renders_the_mode_choice() -> None:
    html = render_to_string("cases/_charge_fields.html", {"form": ChargeForm(prefix="c2")})
    assert '<select name="c2-mode"' in html
    assert 'for="id_c2-citation_number"' in html
