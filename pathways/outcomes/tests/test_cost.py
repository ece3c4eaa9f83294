"""The cost-avoided report on hand-built contacts whose right answer is worked out here, and the
coordinator's form and service for the assumptions it uses."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.forms.models import model_to_dict
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.urls import reverse

from pathways.audit.models import AuditEvent
from pathways.core.forms import show_service_errors
from pathways.outcomes import extract
from pathways.outcomes.costs import (
    FIELDS,
    PLACEHOLDER_NOTE,
    CostSettingsForm,
    cost_settings_for,
    cost_settings_save,
)
from pathways.outcomes.models import PLACEHOLDERS, CostSettings
from pathways.outcomes.reports import cost
from pathways.outcomes.tables import Report, Value
from pathways.outcomes.testing import T0, contact, report_filters
from pathways.programs.models import Pathway

AS_OF = T0 + dt.timedelta(days=30)

#: Round assumptions the arithmetic below is worked out with.
ASSUMED: dict[str, Any] = {
    "booking_cost_low": Decimal(500),
    "booking_cost_high": Decimal(800),
    "jail_day_cost_low": Decimal(100),
    "jail_day_cost_high": Decimal(150),
    "ed_visit_cost_low": Decimal(1000),
    "ed_visit_cost_high": Decimal(2000),
    "ems_transport_cost_low": Decimal(400),
    "ems_transport_cost_high": Decimal(600),
    "days_per_booking_low": Decimal(2),
    "days_per_booking_high": Decimal(5),
    "booking_share_intervention_low": Decimal("0.6"),
    "booking_share_intervention_high": Decimal("0.9"),
    "booking_share_other_low": Decimal("0.1"),
    "booking_share_other_high": Decimal("0.2"),
    "ed_share_overdose_low": Decimal("0.5"),
    "ed_share_overdose_high": Decimal("0.8"),
    "source_note": "County jail FY2025 budget; county hospital cost report 2024",
}


def _build(cast: Any, *, suppress_small: bool = True, **overrides: Any) -> Report:
    extract.refresh()
    with extract.connect() as db:
        return cost.build(
            db, report_filters(cast, **overrides), as_of=AS_OF, suppress_small=suppress_small
        )


def _table(report: Report, heading: str) -> dict[str, dict[str, Value]]:
    """A section's table as {row key: {column label: value}}."""
    section = next(s for s in report.sections if s.heading == heading)
    labels = [c.label for c in section.table.columns[1:]]
    return {row.key: dict(zip(labels, row.values, strict=True)) for row in section.table.rows}


def _contacts(cast: Any, n: int, pathway: str, disposition: str = "referred") -> None:
    for _ in range(n):
        contact(cast, pathway=pathway, disposition=disposition)


def _assume(cast: Any, **changes: Any) -> CostSettings:
    return cost_settings_save(
        actor=cast.coordinator, program=cast.program, **{**ASSUMED, **changes}
    )


# --- the arithmetic ------------------------------------------------------------------------


@pytest.fixture
def county(cast: Any) -> Any:
    _assume(cast)
    _contacts(cast, 12, "officer_intervention")
    _contacts(cast, 8, "officer_intervention", "declined")  # offered, said no: diverted too
    _contacts(cast, 3, "officer_intervention", "arrested")  # not diverted
    _contacts(cast, 25, "officer_prevention")
    _contacts(cast, 2, "officer_prevention", "information")  # nothing offered: not diverted
    _contacts(cast, 15, "naloxone_plus")
    _contacts(cast, 4, "naloxone_plus", "transported")  # went to the ED anyway: not diverted
    # outside the date range
    contact(cast, pathway="officer_intervention", at=dt.datetime(2025, 6, 1, tzinfo=dt.UTC))
    return cast


def test_counts_only_diverted_contacts_by_pathway(county: Any) -> None:
    # exact here (the arithmetic); published reports round shown counts to ten
    counts = _table(_build(county, suppress_small=False), "Contacts diverted")
    shown = {key: row["Diverted contacts"].shown for key, row in counts.items()}
    assert shown == {
        "naloxone_plus": 15,
        "officer_prevention": 25,
        "officer_intervention": 20,
        "all": 60,
    }
    assert list(counts) == ["naloxone_plus", "officer_prevention", "officer_intervention", "all"]


def test_each_step_of_the_calculation(county: Any) -> None:
    steps = _table(_build(county, suppress_small=False), "The calculation, step by step")

    def line(key: str, bound: str) -> list[float | None]:
        row = steps[key]
        return [
            row[f"{name}, {bound}"].shown
            for name in ("Number", "Share or days", "Avoided", "Unit cost", "Dollars")
        ]

    # Officer Intervention: 20 diverted × 60% = 12 bookings × $500 = $6,000
    #                                  × 90% = 18 bookings × $800 = $14,400
    assert line("bookings_oi", "low") == [20, 60, 12, 500, 6000]
    assert line("bookings_oi", "high") == [20, 90, 18, 800, 14400]
    # the other pathways: 25 + 15 = 40 diverted × 10% = 4 × $500 = $2,000
    #                                         × 20% = 8 × $800 = $6,400
    assert line("bookings_other", "low") == [40, 10, 4, 500, 2000]
    assert line("bookings_other", "high") == [40, 20, 8, 800, 6400]
    # jail days: 12 + 4 = 16 bookings × 2 days = 32 days × $100 = $3,200
    #            18 + 8 = 26 bookings × 5 days = 130 days × $150 = $19,500
    assert line("jail_days", "low") == [16, 2, 32, 100, 3200]
    assert line("jail_days", "high") == [26, 5, 130, 150, 19500]
    # Naloxone Plus: 15 offered services × 50% = 7.5 ED visits × $1,000 = $7,500
    #                                    × 80% = 12 ED visits × $2,000 = $24,000
    assert line("ed_visits", "low") == [15, 50, 7.5, 1000, 7500]
    assert line("ed_visits", "high") == [15, 80, 12, 2000, 24000]
    # one ambulance transport per ED visit: 7.5 × $400 = $3,000; 12 × $600 = $7,200
    assert line("ems", "low") == [7.5, 100, 7.5, 400, 3000]
    assert line("ems", "high") == [12, 100, 12, 600, 7200]
    # 6,000 + 2,000 + 3,200 + 7,500 + 3,000 = 21,700
    # 14,400 + 6,400 + 19,500 + 24,000 + 7,200 = 71,500
    assert steps["all"]["Dollars, low"].shown == 21700
    assert steps["all"]["Dollars, high"].shown == 71500


def test_totals_by_category_and_chart(county: Any) -> None:
    report = _build(county, suppress_small=False)
    totals = _table(report, "Estimated cost avoided")
    got = {key: (row["Low"].shown, row["High"].shown) for key, row in totals.items()}
    assert got == {
        "bookings": (8000, 20800),  # 6,000 + 2,000 and 14,400 + 6,400
        "jail_days": (3200, 19500),
        "ed_visits": (7500, 24000),
        "ems": (3000, 7200),
        "all": (21700, 71500),
    }
    assert totals["all"]["Low"].display() == "$21,700"
    chart = next(s for s in report.sections if s.heading == "Estimated cost avoided").chart
    assert chart is not None
    bars = {bar.label: bar.value.shown for bar in chart.bars}  # type: ignore[union-attr]
    assert bars["Jail bookings, low"] == 8000
    assert bars["Jail bookings, high"] == 20800
    assert bars["EMS transports, high"] == 7200
    assert report.slug == "cost"
    assert report.title == "Cost avoided"


def test_the_filter_narrows_the_contacts(county: Any) -> None:
    oi = Pathway.objects.get(code="officer_intervention")
    steps = _table(_build(county, pathway=oi), "The calculation, step by step")
    assert steps["bookings_oi"]["Number, low"].shown == 20
    assert steps["bookings_other"]["Number, low"].shown == 0
    assert steps["ed_visits"]["Dollars, high"].shown == 0
    # 20 × 0.6 × 500 + (12 × 2) × 100 = 6,000 + 2,400
    assert steps["all"]["Dollars, low"].shown == 8400


def test_method_states_the_assumptions_and_limits(county: Any) -> None:
    report = _build(county)
    method = " ".join(report.method)
    assert "not money saved in anyone's budget" in method
    assert "counterfactual is assumed, not observed" in method
    assert "treatment" in method and "not subtracted" in method
    assert ASSUMED["source_note"] in method
    assert "placeholder" not in method.lower()
    assumptions = _table(report, "Assumptions")
    assert assumptions["booking_share_intervention"]["Low"].display() == "60.0%"
    assert assumptions["jail_day_cost"]["High"].display() == "$150"


# --- suppression ----------------------------------------------------------------------------


def test_a_hidden_overdose_count_hides_the_emergency_care_money(cast: Any) -> None:
    _assume(cast)
    _contacts(cast, 20, "officer_intervention")
    _contacts(cast, 30, "officer_prevention")
    _contacts(cast, 5, "naloxone_plus")  # a small count
    report = _build(cast)
    counts = _table(report, "Contacts diverted")
    assert counts["naloxone_plus"]["Diverted contacts"].hidden
    # and its complement among the other pathways, so 35 - x cannot give it away
    assert counts["officer_prevention"]["Diverted contacts"].hidden
    steps = _table(report, "The calculation, step by step")
    for key in ("ed_visits", "ems"):
        for bound in ("low", "high"):
            for name in ("Number", "Avoided", "Dollars"):
                assert steps[key][f"{name}, {bound}"].hidden, (key, bound, name)
            # the assumptions are not worked out from the count: they stay shown
            assert not steps[key][f"Unit cost, {bound}"].hidden
    assert steps["all"]["Dollars, low"].hidden
    totals = _table(report, "Estimated cost avoided")
    for key in ("ed_visits", "ems", "all"):
        assert totals[key]["Low"].hidden and totals[key]["High"].hidden
    # the bookings rest on Officer Intervention (20) and the other pathways together (35,
    # published as 40: shown counts are rounded to ten, and the money follows the rounded count)
    assert steps["bookings_other"]["Number, low"].shown == 40
    assert totals["bookings"]["Low"].shown == 20 * 0.6 * 500 + 40 * 0.1 * 500
    bars = {b.label: b.value for b in report.sections[0].chart.bars}  # type: ignore[union-attr]
    assert bars["ED visits, high"].hidden
    assert bars["ED visits, high"].shown is None
    # without suppression every figure is there
    exact = _table(_build(cast, suppress_small=False), "Estimated cost avoided")
    assert exact["ed_visits"]["Low"].shown == 5 * 0.5 * 1000
    assert not any(v.hidden for row in exact.values() for v in row.values())


def test_a_hidden_intervention_count_hides_every_booking_figure(cast: Any) -> None:
    _assume(cast)
    _contacts(cast, 4, "officer_intervention")  # a small count
    _contacts(cast, 15, "officer_prevention")
    _contacts(cast, 30, "naloxone_plus")
    report = _build(cast)
    counts = _table(report, "Contacts diverted")
    assert counts["officer_intervention"]["Diverted contacts"].hidden
    assert counts["all"]["Diverted contacts"].shown == 50  # 49, rounded to ten
    steps = _table(report, "The calculation, step by step")
    # 49 - other would give 4 away: the other pathways' number is hidden too; and 49 - 30 -
    # Officer Prevention would: that count is hidden as well (the smaller complement)
    assert counts["officer_prevention"]["Diverted contacts"].hidden
    for key in ("bookings_oi", "bookings_other", "jail_days"):
        for bound in ("low", "high"):
            assert steps[key][f"Number, {bound}"].hidden, key
            assert steps[key][f"Avoided, {bound}"].hidden, key
            assert steps[key][f"Dollars, {bound}"].hidden, key
    totals = _table(report, "Estimated cost avoided")
    assert totals["bookings"]["High"].hidden
    assert totals["jail_days"]["Low"].hidden
    assert totals["all"]["Low"].hidden
    assert totals["ed_visits"]["Low"].shown == 30 * 0.5 * 1000  # not worked out from it


# --- placeholders ---------------------------------------------------------------------------


def test_placeholders_work_without_a_saved_row(cast: Any) -> None:
    settings = cost_settings_for(cast.program)
    assert settings.is_placeholder
    assert settings.pk is not None and not CostSettings.objects.exists()
    assert {name: getattr(settings, name) for name in PLACEHOLDERS} == PLACEHOLDERS
    _contacts(cast, 20, "officer_intervention")
    report = _build(cast)
    assert not CostSettings.objects.exists()  # reading never saves
    steps = _table(report, "The calculation, step by step")
    # 20 × 0.6 × $250 = $3,000
    assert steps["bookings_oi"]["Dollars, low"].shown == 3000
    assert "placeholder" in " ".join(report.method).lower()
    assert "placeholder" in report.sections[0].intro.lower()
    assumptions = next(s for s in report.sections if s.heading == "Assumptions")
    assert f"Source: {PLACEHOLDER_NOTE}" in assumptions.table.notes
    # the form starts from the placeholders, with the source left for the coordinator
    form = CostSettingsForm(settings=settings)
    assert form["booking_cost_low"].value() == "250"
    assert form["booking_share_other_low"].value() == "0.05"
    assert form["source_note"].value() == ""


# --- the form and the service ----------------------------------------------------------------


def _post(settings: CostSettings, **changes: Any) -> dict[str, str]:
    data = {name: str(getattr(settings, name)) for name in FIELDS}
    data.update({k: str(v) for k, v in changes.items()})
    return data


def _row(cast: Any) -> dict[str, Any]:
    return model_to_dict(CostSettings.objects.get(program=cast.program))


BAD_INPUT = [
    ("booking_cost_low", {"booking_cost_low": "-5"}, "cannot be negative"),
    ("ems_transport_cost_high", {"ems_transport_cost_high": "-0.01"}, "cannot be negative"),
    ("jail_day_cost_high", {"jail_day_cost_low": "200", "jail_day_cost_high": "150"},
     "high figure cannot be below the low one ($200)"),
    ("booking_share_other_high",
     {"booking_share_other_low": "0.3", "booking_share_other_high": "0.2"},
     "cannot be below the low one (0.3)"),
    ("booking_share_intervention_high", {"booking_share_intervention_high": "90"},
     "cannot be above 1"),
    ("ed_share_overdose_low", {"ed_share_overdose_low": "-0.1"}, "cannot be below 0"),
    ("days_per_booking_low", {"days_per_booking_low": "-1"}, "0 days or more"),
    ("source_note", {"source_note": "   "}, "Say where these figures come from"),
    ("booking_cost_low", {"booking_cost_low": "12.345"}, "2 decimal places"),
    ("booking_cost_low", {"booking_cost_low": "lots"}, "Enter an amount in dollars"),
]  # fmt: skip


@pytest.mark.parametrize(("field", "changes", "message"), BAD_INPUT)
def test_the_form_refuses_bad_input_at_the_field(
    cast: Any, field: str, changes: dict[str, str], message: str
) -> None:
    saved = _assume(cast)
    before, events = _row(cast), AuditEvent.objects.count()
    form = CostSettingsForm(_post(saved, **changes), settings=cost_settings_for(cast.program))
    if form.is_valid():  # what the view does
        cost_settings_save(actor=cast.coordinator, program=cast.program, **form.values())
    assert list(form.errors) == [field]
    assert message in " ".join(str(e) for e in form.errors[field])
    assert _row(cast) == before
    assert AuditEvent.objects.count() == events
    page = _render(form, saved)
    assert f'id="id_{field}-error"' in page  # the message sits at the field
    assert 'aria-invalid="true"' in page


SERVICE_BAD = [
    ("booking_cost_low", {"booking_cost_low": -5}),
    ("jail_day_cost_high", {"jail_day_cost_low": 200, "jail_day_cost_high": 150}),
    ("booking_share_intervention_high", {"booking_share_intervention_high": 1.5}),
    ("ed_share_overdose_low", {"ed_share_overdose_low": "-0.1"}),
    ("source_note", {"source_note": ""}),
    ("days_per_booking_high", {"days_per_booking_high": "forever"}),
]


@pytest.mark.parametrize(("field", "changes"), SERVICE_BAD)
def test_the_service_refuses_bad_values_and_changes_nothing(
    cast: Any, field: str, changes: dict[str, Any]
) -> None:
    _assume(cast)
    before, events = _row(cast), AuditEvent.objects.count()
    with pytest.raises(ValidationError) as refused:
        cost_settings_save(
            actor=cast.coordinator, program=cast.program, booking_cost_high=900, **changes
        )
    assert field in refused.value.message_dict
    assert _row(cast) == before
    assert AuditEvent.objects.count() == events


def test_the_service_refuses_a_first_save_without_a_source(cast: Any) -> None:
    with pytest.raises(ValidationError) as refused:
        cost_settings_save(actor=cast.coordinator, program=cast.program, booking_cost_low=300)
    assert list(refused.value.message_dict) == ["source_note"]
    assert not CostSettings.objects.exists()
    with pytest.raises(ValidationError):
        cost_settings_save(actor=cast.coordinator, program=cast.program, unknown_cost=1)


def test_the_service_audits_old_and_new_values(cast: Any) -> None:
    first = cost_settings_save(
        actor=cast.coordinator,
        program=cast.program,
        booking_cost_low=Decimal(300),
        source_note="County jail FY2025 budget",
    )
    assert not first.is_placeholder
    assert first.updated_by == cast.coordinator
    created = AuditEvent.objects.get(event_type="cost_settings.create")
    assert created.actor == cast.coordinator
    assert created.object_id == str(first.pk)
    assert created.changes["booking_cost_low"] == [None, "300.00"]
    assert created.changes["booking_cost_high"] == [None, "500.00"]  # the placeholder kept
    assert created.changes["source_note"] == [None, "County jail FY2025 budget"]

    form = CostSettingsForm(
        _post(first, booking_cost_low="350", booking_share_other_high="0.15"),
        settings=cost_settings_for(cast.program),
    )
    assert form.is_valid(), form.errors
    cost_settings_save(actor=cast.coordinator, program=cast.program, **form.values())
    updated = AuditEvent.objects.get(event_type="cost_settings.update")
    assert updated.changes == {
        "booking_cost_low": ["300.00", "350.00"],
        "booking_share_other_high": ["0.200", "0.150"],
    }
    row = CostSettings.objects.get(program=cast.program)
    assert row.booking_cost_low == Decimal("350.00")

    # the same values again (written differently) change nothing and write no event
    cost_settings_save(
        actor=cast.coordinator,
        program=cast.program,
        booking_cost_low=350,
        source_note=" County jail FY2025 budget ",
    )
    assert AuditEvent.objects.filter(event_type__startswith="cost_settings.").count() == 2


def test_service_errors_land_at_the_fields_of_the_form(cast: Any) -> None:
    settings = cost_settings_for(cast.program)
    form = CostSettingsForm(_post(settings, source_note="Jail budget"), settings=settings)
    assert form.is_valid()
    with pytest.raises(ValidationError) as refused:
        cost_settings_save(
            actor=cast.coordinator,
            program=cast.program,
            **{**form.values(), "booking_cost_low": Decimal(-1)},
        )
    show_service_errors(form, refused.value)
    assert list(form.errors) == ["booking_cost_low"]


def _render(form: CostSettingsForm, settings: CostSettings) -> str:
    request = RequestFactory().get("/")
    request.user = AnonymousUser()
    return render_to_string(
        "outcomes/cost_settings.html", {"form": form, "settings": settings}, request=request
    )


def test_the_page_groups_the_pairs_and_says_when_they_are_placeholders(cast: Any) -> None:
    settings = cost_settings_for(cast.program)
    page = _render(CostSettingsForm(settings=settings), settings)
    assert 'data-testid="placeholder-alert"' in page
    assert page.count("<legend") == 4 + 8  # three groups and the source; eight pairs
    assert 'aria-describedby="booking_cost-hint"' in page
    assert 'id="booking_cost-hint"' in page
    assert 'name="booking_share_intervention_high"' in page
    saved = _assume(cast)
    page = _render(CostSettingsForm(settings=cost_settings_for(cast.program)), saved)
    assert 'data-testid="placeholder-alert"' not in page
    assert "Last changed" in page
    assert "County jail FY2025 budget" in page


COST_URL = reverse("outcomes:cost_settings")


def test_settings_page_saves_good_figures_and_refuses_bad_ones(cast: Any) -> None:
    client = cast.client_for(cast.coordinator)
    page = client.get(COST_URL)
    assert page.status_code == 200
    good = {k: str(v) for k, v in ASSUMED.items()}
    response = client.post(COST_URL, good)
    assert response.status_code == 302
    saved = _row(cast)
    assert AuditEvent.objects.filter(object_type="outcomes.costsettings").exists()
    bad = client.post(COST_URL, {**good, "booking_cost_low": "-5"})
    assert bad.status_code == 400
    assert "cannot be negative" in bad.content.decode()
    assert _row(cast) == saved  # nothing changed


def test_only_the_program_office_sets_costs(cast: Any) -> None:
    for user in (cast.researcher, cast.prosecutor, cast.officer_a):
        assert cast.client_for(user).post(COST_URL, {}).status_code == 403


def test_who_changed_the_figures_is_named_not_their_username(cast: Any) -> None:
    """Reports and settings pages name the staff member who last changed the assumptions (and
    the population figures), with the date's year, not their login."""
    from pathways.outcomes.population import population_save

    cast.coordinator.first_name, cast.coordinator.last_name = "Imelda", "Okonkwo-Barrett"
    cast.coordinator.save()
    _assume(cast)
    client = cast.client_for(cast.coordinator)
    page = client.get(COST_URL).content.decode()
    assert "by Imelda Okonkwo-Barrett" in page
    assert f"by {cast.coordinator.username}" not in page
    report = _build(cast)
    notes = " ".join(n for s in report.sections for n in s.table.notes)
    assert "by Imelda Okonkwo-Barrett" in notes and cast.coordinator.username not in notes
    assert "Last changed 20" in notes  # the year, first
    population_save(
        actor=cast.coordinator,
        program=cast.program,
        dimension="sex",
        source="Census",
        year=2024,
        residents={"male": 1000, "female": 1000},
    )
    page = client.get(reverse("outcomes:population") + "?dimension=sex").content.decode()
    assert "by Imelda Okonkwo-Barrett" in page
    assert f"by {cast.coordinator.username}" not in page
