"""The equity report on hand-built contacts: group counts, the RRI and its interval worked out
here, the reference group and the form's refusals."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import pytest
from django.urls import reverse

from pathways.outcomes import extract
from pathways.outcomes.reports import equity
from pathways.outcomes.testing import T0, arrest, contact, person, report_filters
from pathways.programs.models import Pathway


def _report(cast: Any, **overrides: Any) -> Any:
    extract.refresh()
    with extract.connect() as db:
        return equity.build(db, report_filters(cast, **overrides), as_of=T0, suppress_small=False)


def _section(report: Any, heading: str) -> dict[str, Any]:
    section = next(s for s in report.sections if s.heading == heading)
    return {row.key: row for row in section.table.rows}


@pytest.fixture
def county(cast: Any) -> Any:
    # 20 White and 20 Black people offered services; 16 and 8 accept. 8 Black people arrested.
    for n in range(20):
        white = person(races=["white"], ethnicity="not_hispanic", sex="male")
        contact(cast, who=white, disposition="referred" if n < 16 else "declined")
        black = person(races=["black"], ethnicity="not_hispanic", sex="female")
        contact(cast, who=black, disposition="referred" if n < 8 else "declined")
    for _ in range(8):
        black = person(races=["black"], ethnicity="not_hispanic", sex="female")
        contact(cast, who=black, pathway="officer_intervention", disposition="arrested")
    return cast


def test_counts_by_group_at_each_stage(county: Any) -> None:
    extract.refresh()
    with extract.connect() as db:
        raw = equity.group_counts(db, report_filters(county), equity.DIMENSIONS["race_group"])
    assert raw.groups == ["white", "black"]
    assert raw.counts[("contacts", "black")] == 28
    assert raw.counts[("offered", "black")] == 20
    assert raw.counts[("accepted", "black")] == 8
    assert raw.counts[("accepted", "white")] == 16
    assert raw.counts[("diversion_base", "black")] == 28
    assert raw.counts[("diverted", "black")] == 20
    assert raw.counts[("contacts", "all")] == 48


def test_relative_rate_and_interval_against_a_worked_example(county: Any) -> None:
    accepted = _section(_report(county), "Accepted the offer")
    black = accepted["black"]
    base, events, share, rri, low, high = black.values
    assert (base.number, events.number) == (20, 8)
    assert share.number == pytest.approx(40)
    # RRI = (8/20) / (16/20) = 0.5; SE(ln RRI) = sqrt(1/8 - 1/20 + 1/16 - 1/20) = sqrt(0.0875)
    se = math.sqrt(0.0875)
    assert rri.number == pytest.approx(0.5)
    assert low.number == pytest.approx(math.exp(math.log(0.5) - 1.959964 * se), rel=1e-5)
    assert high.number == pytest.approx(math.exp(math.log(0.5) + 1.959964 * se), rel=1e-5)
    assert low.number == pytest.approx(0.2800, abs=1e-4)
    assert high.number == pytest.approx(0.8928, abs=1e-4)
    assert black.flagged  # the interval is below 1
    assert accepted["white"].values[3].number == 1.0  # the reference


def test_diversion_rather_than_arrest_is_flagged(county: Any) -> None:
    diverted = _section(_report(county), "Diverted rather than arrested")
    rri = diverted["black"].values[3].number
    assert rri == pytest.approx((20 / 28) / (20 / 20))
    assert diverted["black"].flagged
    flagged = _section(_report(county), "Flagged")
    assert any("Diverted rather than arrested" in row.label for row in flagged.values())


def _imported(cast: Any) -> None:
    """Imported arrests beside the county's contacts: 4 of Black people known to Pathways, 3 of
    White people not linked (the records' own race; arrested by Southside), 1 of a Hispanic
    person not linked; and some that do not count."""
    for _ in range(4):
        arrest(cast, who=person(races=["black"], ethnicity="not_hispanic", sex="female"))
    for _ in range(3):
        arrest(
            cast, race="white", ethnicity="not_hispanic", charge_level="violation",
            agency=cast.police_b,
        )  # fmt: skip
    arrest(cast, race="black", ethnicity="hispanic")
    # not counted: felonies, an arrest outside the dates, an archived record, and the booking
    # of an arrest made at a contact (2 hours after it)
    arrest(cast, who=person(races=["black"], ethnicity="not_hispanic"), charge_level="felony")
    arrest(cast, race="white", charge_level="felony")
    arrest(cast, race="white", at=T0 - dt.timedelta(days=400))
    arrest(cast, race="white", archived_at=T0)
    booked = person(races=["black"], ethnicity="not_hispanic", sex="female")
    contact(cast, who=booked, pathway="officer_intervention", disposition="arrested")
    arrest(cast, who=booked, at=T0 + dt.timedelta(hours=2))


def test_imported_arrests_join_the_arrested_contacts(county: Any) -> None:
    _imported(county)
    extract.refresh()
    dimension = equity.DIMENSIONS["race_group"]
    with extract.connect() as db:
        raw = equity.group_counts(db, report_filters(county), dimension)
        by_agency = equity.group_counts(
            db, report_filters(county, agency=county.police_b), dimension
        )
        by_pathway = equity.group_counts(
            db,
            report_filters(county, pathway=Pathway.objects.get(code="officer_intervention")),
            dimension,
        )
    # Black: 20 offered + 9 arrested at contacts + 4 imported; White: 20 + 3 imported
    assert raw.counts[("diversion_base", "black")] == 33
    assert raw.counts[("diversion_base", "white")] == 23
    assert raw.counts[("diversion_base", "hispanic")] == 1
    assert raw.counts[("diversion_base", "all")] == 57
    assert raw.groups == ["white", "black", "hispanic"]
    # imported arrests are not contacts, nor offers
    assert raw.counts[("contacts", "hispanic")] == 0
    assert raw.counts[("diverted", "black")] == 20
    assert raw.counts[("contacts", "all")] == 49
    # the agency filter applies to the arresting agency; a pathway filter leaves them out
    assert by_agency.counts[("diversion_base", "white")] == 3
    assert by_pathway.counts[("diversion_base", "black")] == 9
    assert by_pathway.counts.get(("diversion_base", "hispanic"), 0) == 0

    diverted = _section(_report(county), "Diverted rather than arrested")
    assert diverted["black"].values[3].number == pytest.approx((20 / 33) / (20 / 23))


def test_another_reference_group_inverts_the_index(county: Any) -> None:
    accepted = _section(_report(county, reference="black"), "Accepted the offer")
    assert accepted["white"].values[3].number == pytest.approx(2.0)
    assert accepted["black"].values[3].number == 1.0


def test_compare_by_sex_and_by_age_band(county: Any) -> None:
    by_sex = _section(_report(county, compare="sex"), "Accepted the offer")
    assert by_sex["female"].values[3].number == pytest.approx(0.5)  # female = the Black group here
    # born 12 April 1988 (the factory's), contacts on 2 March 2026: aged 37
    by_age = _section(_report(county, compare="age_band"), "Offered services")
    assert set(by_age) == {"36-45", "all"}


def test_published_report_hides_small_groups_and_their_index(cast: Any) -> None:
    for _ in range(30):
        contact(cast, who=person(races=["white"], ethnicity="not_hispanic"))
    for _ in range(4):
        contact(cast, who=person(races=["asian"], ethnicity="not_hispanic"))
    extract.refresh()
    with extract.connect() as db:
        report = equity.build(db, report_filters(cast), as_of=T0, suppress_small=True)
    offered = _section(report, "Offered services")
    asian = offered["asian"]
    assert asian.values[0].hidden and asian.values[1].hidden
    assert asian.values[3].hidden  # no relative rate from hidden counts
    assert not asian.flagged


URL = reverse("outcomes:report", kwargs={"slug": "equity"})


def test_page_and_its_refusals(county: Any) -> None:
    client = county.client_for(county.coordinator)
    page = client.get(URL, {"start": "2026-01-01", "end": "2026-12-31"})
    assert page.status_code == 200
    assert "Relative rate (RRI)" in page.content.decode()
    wrong = client.get(
        URL,
        {
            "start": "2026-01-01",
            "end": "2026-12-31",
            "compare": "sex",
            "reference": "race_group:white",
        },
    )
    assert wrong.status_code == 400
    assert "Choose a reference group of the grouping you compare by." in wrong.content.decode()
    unknown = client.get(URL, {"start": "2026-01-01", "end": "2026-12-31", "compare": "shoe_size"})
    assert unknown.status_code == 400
    assert "valid choice" in str(unknown.context["form"].errors["compare"])


# --- no hidden count can be worked out from the other sections or the totals ---------------


def _determined(
    equations: list[tuple[dict[Any, int], int]], known: dict[Any, float], hidden: set[Any]
) -> set[Any]:
    """The hidden cells a reader can solve exactly from linear equations (sum of coefficient
    times cell = constant) given the shown cells: Gaussian elimination over the fractions;
    a hidden cell is determined when its pivot row has no other unknown."""
    from fractions import Fraction

    unknowns = sorted({c for eq, _ in equations for c in eq if c not in known}, key=repr)
    index = {c: n for n, c in enumerate(unknowns)}
    rows: list[list[Fraction]] = []
    for eq, constant in equations:
        row = [Fraction(0)] * (len(unknowns) + 1)
        rest = Fraction(constant)
        for cell, coefficient in eq.items():
            if cell in known:
                rest -= Fraction(coefficient) * Fraction(known[cell])
            else:
                row[index[cell]] += coefficient
        row[-1] = rest
        rows.append(row)
    pivots: dict[int, int] = {}
    r = 0
    for col in range(len(unknowns)):
        pivot = next((i for i in range(r, len(rows)) if rows[i][col] != 0), None)
        if pivot is None:
            continue
        rows[r], rows[pivot] = rows[pivot], rows[r]
        lead = rows[r][col]
        rows[r] = [x / lead for x in rows[r]]
        for i in range(len(rows)):
            if i != r and rows[i][col] != 0:
                factor = rows[i][col]
                rows[i] = [a - factor * b for a, b in zip(rows[i], rows[r], strict=True)]
        pivots[col] = r
        r += 1
    solved = set()
    for cell in hidden:
        found = index.get(cell)
        if found is None or found not in pivots:
            continue
        col = found
        row = rows[pivots[col]]
        if all(x == 0 for n, x in enumerate(row[:-1]) if n != col):
            solved.add(cell)
    return solved


@pytest.fixture
def linked_county(cast: Any) -> dict[str, int]:
    """Four groups, everyone eligible except some of the Hispanic people offered services, 20
    arrests each. Offered (the eligible ones): Black 3 (small), Hispanic 12, Asian 15, White
    40; diverted (offered, eligible or not): 3, 32, 15, 40. Returns, per group, how many
    ineligible people were offered services (what a reader may know: often none)."""
    groups = {
        "black": ({"races": ["black"], "ethnicity": "not_hispanic"}, 3, 0),
        "hispanic": ({"races": ["white"], "ethnicity": "hispanic"}, 12, 20),
        "asian": ({"races": ["asian"], "ethnicity": "not_hispanic"}, 15, 0),
        "white": ({"races": ["white"], "ethnicity": "not_hispanic"}, 40, 0),
    }
    for fields, offered, ineligible in groups.values():
        for n in range(offered):
            contact(cast, who=person(**fields), disposition="referred" if n % 2 else "declined")
        for _ in range(ineligible):
            contact(cast, who=person(**fields), eligibility_outcome="ineligible")
        for _ in range(20):
            contact(
                cast, who=person(**fields), pathway="officer_intervention", disposition="arrested"
            )
    ineligible_offers = {g: x for g, (_, _, x) in groups.items()}
    ineligible_offers["all"] = sum(ineligible_offers.values())
    return ineligible_offers


def test_no_hidden_count_can_be_recovered_from_another_section_or_the_totals(
    cast: Any, linked_county: dict[str, int]
) -> None:
    """The reader knows every shown count, that each section's base is its events plus those
    lost, that the groups add up to "all groups", and how many ineligible people were offered
    services (diverted = offered + that): no hidden count solves out of all of it together."""
    extract.refresh()
    with extract.connect() as db:
        report = equity.build(db, report_filters(cast), as_of=T0, suppress_small=True)
    known: dict[Any, float] = {}
    hidden: set[Any] = set()
    groups: set[str] = set()
    for decision in equity.DECISIONS:
        section = next(s for s in report.sections if s.heading == decision.label)
        for row in section.table.rows:
            groups.add(row.key)
            for stage, value in ((decision.base, row.values[0]), (decision.event, row.values[1])):
                cell = (stage, row.key)
                if value.hidden:
                    hidden.add(cell)
                    assert cell not in known, f"{cell} shown in one section, hidden in another"
                else:
                    known[cell] = value.number or 0
                    assert cell not in hidden, f"{cell} hidden in one section, shown in another"
    members = sorted(groups - {"all"})
    equations: list[tuple[dict[Any, int], int]] = []
    for decision in equity.DECISIONS:
        for g in groups:
            lost = (f"lost:{decision.code}", g)
            equations.append(({(decision.base, g): 1, (decision.event, g): -1, lost: -1}, 0))
    stages = {s for d in equity.DECISIONS for s in (d.base, d.event)}
    for stage in stages:
        equation = {(stage, g): 1 for g in members}
        equation[(stage, "all")] = -1
        equations.append((equation, 0))
    for g in groups:
        equations.append(({("diverted", g): 1, ("offered", g): -1}, linked_county[g]))
    assert ("offered", "black") in hidden  # 3 offers: hidden
    assert _determined(equations, known, hidden) == set()
