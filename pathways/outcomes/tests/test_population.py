"""Population figures and the equity report's first decision point, contact: contacts per 1,000
residents of each group against the reference group, with the rate ratio's interval worked out
here; the coordinator's form and service, their refusals, the audit and who may use them."""

from __future__ import annotations

import math
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from pathways.accounts.factories import AgencyFactory, member
from pathways.accounts.testing import verified_client
from pathways.audit.models import AuditEvent
from pathways.outcomes import extract
from pathways.outcomes.equity import rate_ratio
from pathways.outcomes.models import PopulationFigures
from pathways.outcomes.population import population_save
from pathways.outcomes.reports import equity
from pathways.outcomes.testing import T0, contact, person, report_filters
from pathways.programs.factories import ProgramFactory

CONTACT = "Contacts per 1,000 residents"
SOURCE = "U.S. Census Bureau, county population estimates by characteristics, vintage 2024"
URL = reverse("outcomes:population")


def _report(cast: Any, *, suppress_small: bool = False, **overrides: Any) -> Any:
    extract.refresh()
    with extract.connect() as db:
        return equity.build(
            db, report_filters(cast, **overrides), as_of=T0, suppress_small=suppress_small
        )


def _section(report: Any, heading: str) -> Any:
    return next(s for s in report.sections if s.heading == heading)


def _rows(report: Any, heading: str) -> dict[str, Any]:
    return {row.key: row for row in _section(report, heading).table.rows}


def _save(cast: Any, residents: dict[str, Any], **overrides: Any) -> PopulationFigures:
    values: dict[str, Any] = {"source": SOURCE, "year": 2024, "dimension": "race_group"}
    values.update(overrides)
    return population_save(
        actor=cast.coordinator, program=cast.program, residents=residents, **values
    )


@pytest.fixture
def county(cast: Any) -> Any:
    """20 contacts with White people and 28 with Black people."""
    for _ in range(20):
        contact(cast, who=person(races=["white"], ethnicity="not_hispanic", sex="male"))
    for _ in range(28):
        contact(cast, who=person(races=["black"], ethnicity="not_hispanic", sex="female"))
    return cast


def test_contact_rate_ratio_against_a_worked_example(county: Any) -> None:
    _save(county, {"white": 10_000, "black": 2_000, "asian": 1_500})
    report = _report(county)
    rows = _rows(report, CONTACT)
    white, black = rows["white"].values, rows["black"].values
    # White: 20 contacts / 10,000 residents = 2.0 per 1,000 (the reference)
    assert [white[0].number, white[1].number, white[2].number, white[3].number] == [
        10_000,
        20,
        pytest.approx(2.0),
        1.0,
    ]
    # Black: 28 / 2,000 = 14.0 per 1,000; ratio 14 / 2 = 7.0
    # SE(ln ratio) = sqrt(1/28 + 1/20) = sqrt(0.0857143) = 0.292770
    assert black[2].number == pytest.approx(14.0)
    assert black[3].number == pytest.approx(7.0)
    se = math.sqrt(1 / 28 + 1 / 20)
    assert black[4].number == pytest.approx(7.0 * math.exp(-1.959964 * se), rel=1e-5)
    assert black[5].number == pytest.approx(7.0 * math.exp(1.959964 * se), rel=1e-5)
    assert black[4].number == pytest.approx(3.9435, abs=1e-3)
    assert black[5].number == pytest.approx(12.4256, abs=1e-3)
    assert rows["black"].flagged
    # a group with residents but no contacts: rate 0, a ratio of 0 and no interval
    asian = rows["asian"].values
    assert asian[1].number == 0 and asian[2].number == 0 and asian[3].number == 0
    assert asian[4].number is None and not rows["asian"].flagged
    # all groups: 48 contacts over 13,500 residents
    assert rows["all"].values[0].number == 13_500
    assert rows["all"].values[2].number == pytest.approx(48_000 / 13_500)
    # the source and year are under the table, and the flag reaches the summary
    assert _section(report, CONTACT).table.notes == [f"Residents: {SOURCE}, 2024."]
    flagged = [row.label for row in _section(report, "Flagged").table.rows]
    assert f"{CONTACT}: Black or African American (not Hispanic)" in flagged


def test_without_figures_the_section_says_how_to_get_them(county: Any) -> None:
    report = _report(county)
    section = _section(report, CONTACT)
    assert section.chart is None
    assert "No population figures by race and ethnicity yet" in section.table.rows[0].label
    # figures by race do not answer for another grouping
    _save(county, {"white": 10_000})
    by_sex = _section(_report(county, compare="sex"), CONTACT)
    assert "No population figures by sex yet" in by_sex.table.rows[0].label


def test_a_reference_group_without_a_figure_gives_no_ratio(county: Any) -> None:
    _save(county, {"black": 2_000})
    rows = _rows(_report(county), CONTACT)
    assert rows["white"].values[0].text == "–"  # no residents given
    assert rows["white"].values[3].number is None
    assert rows["black"].values[3].number is None and not rows["black"].flagged


def test_small_contact_counts_hide_their_rate_and_ratio(cast: Any) -> None:
    for _ in range(30):
        contact(cast, who=person(races=["white"], ethnicity="not_hispanic"))
    for _ in range(4):
        contact(cast, who=person(races=["asian"], ethnicity="not_hispanic"))
    _save(cast, {"white": 9_000, "asian": 700})
    rows = _rows(_report(cast, suppress_small=True), CONTACT)
    asian = rows["asian"].values
    assert asian[0].number == 700 and not asian[0].hidden  # a published figure, not a count
    assert asian[1].hidden and asian[2].hidden and asian[3].hidden
    assert asian[2].shown is None and asian[3].shown is None
    assert not rows["asian"].flagged


def test_rate_ratio_edges() -> None:
    assert rate_ratio(5, 0, 10, 100).rri is None
    assert rate_ratio(5, 100, 0, 100).why_none == "The reference group's rate is 0."
    assert rate_ratio(0, 100, 10, 100).rri == 0.0
    # contacts may outnumber residents (repeat contacts): still a rate
    assert rate_ratio(300, 100, 10, 100).rri == pytest.approx(30.0)
    with pytest.raises(ValueError, match="cannot be negative"):
        rate_ratio(-1, 100, 10, 100)


# --- the service ---------------------------------------------------------------------------


def test_the_service_saves_and_audits_old_and_new_values(cast: Any) -> None:
    figures = _save(cast, {"white": 10_000, "black": 2_000})
    event = AuditEvent.objects.get(event_type="population.create")
    assert event.changes["residents"] == [None, {"black": 2_000, "white": 10_000}]
    assert event.changes["year"] == [None, 2024]
    _save(cast, {"white": 10_500, "black": 2_000}, year=2025)
    update = AuditEvent.objects.get(event_type="population.update")
    assert update.changes["residents"][0] == {"black": 2_000, "white": 10_000}
    assert update.changes["residents"][1] == {"black": 2_000, "white": 10_500}
    assert update.changes["year"] == [2024, 2025]
    assert "source" not in update.changes
    # the same figures again: nothing written
    _save(cast, {"white": 10_500, "black": 2_000}, year=2025)
    assert AuditEvent.objects.filter(event_type__startswith="population.").count() == 2
    figures.refresh_from_db()
    assert figures.residents == {"black": 2_000, "white": 10_500}


BAD: list[tuple[dict[str, Any], dict[str, Any], str, str]] = [
    ({"white": -5}, {}, "white", "Enter 0 residents or more."),
    ({"white": 60_000_000}, {}, "white", "Enter at most 50,000,000 residents."),
    ({"white": "lots"}, {}, "white", "whole number"),
    ({"white": 1.5}, {}, "white", "whole number"),
    ({"martian": 5}, {}, "residents", "Not a group of race and ethnicity"),
    ({"unknown": 5}, {}, "residents", "Not a group of race and ethnicity"),
    ({}, {}, "residents", "at least one group"),
    ({"white": 0}, {}, "residents", "at least one group"),
    ({"white": 10}, {"source": "  "}, "source", "Say where these figures come from."),
    ({"white": 10}, {"source": "Census\x00"}, "source", "control"),
    ({"white": 10}, {"source": "x" * 301}, "source", "300"),
    ({"white": 10}, {"year": 1850}, "year", "Enter a year from 1990"),
    ({"white": 10}, {"year": 2999}, "year", "Enter a year from 1990"),
    ({"white": 10}, {"year": "2024"}, "year", "such as 2024"),
]


@pytest.mark.parametrize(("residents", "overrides", "field", "message"), BAD)
def test_the_service_refuses_bad_values_and_changes_nothing(
    cast: Any, residents: dict[str, Any], overrides: dict[str, Any], field: str, message: str
) -> None:
    kept = _save(cast, {"white": 10_000})
    with pytest.raises(ValidationError) as refused:
        _save(cast, residents, **overrides)
    assert message in " ".join(refused.value.message_dict[field])
    kept.refresh_from_db()
    assert kept.residents == {"white": 10_000} and kept.year == 2024 and kept.source == SOURCE
    assert AuditEvent.objects.filter(event_type__startswith="population.").count() == 1


def test_the_service_refuses_an_unknown_grouping(cast: Any) -> None:
    with pytest.raises(ValidationError, match="Not a grouping"):
        _save(cast, {"white": 10}, dimension="shoe_size")
    assert not PopulationFigures.objects.exists()


# --- the page ------------------------------------------------------------------------------


def _form(**groups: Any) -> dict[str, Any]:
    return {"source": SOURCE, "year": "2024", **{f"g_{k}": v for k, v in groups.items()}}


def test_the_page_saves_good_figures_and_refuses_bad_ones(cast: Any) -> None:
    client = cast.client_for(cast.coordinator)
    page = client.get(URL)
    assert page.status_code == 200
    body = page.content.decode()
    assert 'data-testid="no-figures"' in body
    assert "Black or African American (not Hispanic)" in body
    assert 'name="g_unknown"' not in body  # "not recorded" has no census figure
    response = client.post(URL, _form(white="10000", black="2000", asian=""))
    assert response.status_code == 302 and response["Location"].endswith("?dimension=race_group")
    saved = PopulationFigures.objects.get(program=cast.program)
    assert saved.residents == {"black": 2000, "white": 10000}
    assert client.get(URL).content.decode().count(SOURCE) >= 1
    # bad input: each message at its field, and the saved figures unchanged
    for data, field, message in (
        (_form(white="-3"), "g_white", "Enter 0 residents or more."),
        (_form(white="ten"), "g_white", "whole number"),
        ({**_form(white="10"), "year": ""}, "year", "Enter the year the figures describe"),
        ({**_form(white="10"), "year": "3000"}, "year", "Enter a year from 1990"),
        ({**_form(white="10"), "source": ""}, "source", "Say where these figures come from."),
        (_form(), "__all__", "at least one group"),
    ):
        bad = client.post(URL, data)
        assert bad.status_code == 400, data
        errors = bad.context["form"].errors
        assert message in " ".join(errors[field]), (field, errors)
        saved.refresh_from_db()
        assert saved.residents == {"black": 2000, "white": 10000}
    assert AuditEvent.objects.filter(event_type__startswith="population.").count() == 1


def test_each_grouping_has_its_own_figures(cast: Any) -> None:
    client = cast.client_for(cast.coordinator)
    response = client.post(f"{URL}?dimension=sex", _form(female="51000", male="49000"))
    assert response.status_code == 302
    assert PopulationFigures.objects.get(dimension="sex").residents == {
        "female": 51000,
        "male": 49000,
    }
    assert 'name="g_36-45"' in client.get(f"{URL}?dimension=age_band").content.decode()
    assert client.get(f"{URL}?dimension=shoe_size").status_code == 404


def test_only_the_program_office_sets_population_figures(cast: Any) -> None:
    for user in (cast.researcher, cast.prosecutor, cast.officer_a, cast.intake_p):
        client = cast.client_for(user)
        assert client.get(URL).status_code == 403
        assert client.post(URL, _form(white="10")).status_code == 403
    assert not PopulationFigures.objects.exists()


def test_another_programs_coordinator_sees_and_changes_only_their_own(cast: Any) -> None:
    _save(cast, {"white": 10_000})
    other = ProgramFactory.create(name="Other County Program")
    office = AgencyFactory.create(program=other, name="Other Office", kind="program_office")
    theirs = verified_client(member(office, "coordinator", "other_coordinator"))
    page = theirs.get(URL)
    assert page.status_code == 200 and SOURCE not in page.content.decode()
    assert theirs.post(URL, _form(white="99")).status_code == 302
    mine = PopulationFigures.objects.get(program=cast.program)
    assert mine.residents == {"white": 10_000}
    assert PopulationFigures.objects.get(program=other).residents == {"white": 99}
