from __future__ import annotations

from typing import Any

from django.urls import reverse

from pathways.encounters.factories import EncounterFactory
from pathways.programs.models import Pathway
from pathways.referrals import services
from pathways.referrals.factories import make_referral


def test_dashboard_counts_encounters_and_referrals_by_pathway_and_status(cast: Any) -> None:
    prevention = Pathway.objects.get(code="officer_prevention")
    self_referral = Pathway.objects.get(code="self_referral")
    e1 = EncounterFactory.create(agency=cast.police_a, responder=cast.officer_a, pathway=prevention)
    e2 = EncounterFactory.create(agency=cast.police_b, responder=cast.officer_b, pathway=prevention)
    EncounterFactory.create(agency=cast.police_a, responder=cast.officer_a, pathway=self_referral)
    r1 = make_referral(actor=cast.officer_a, encounter=e1, service=cast.detox_p)
    make_referral(actor=cast.officer_b, encounter=e2, service=cast.crisis_q)
    services.referral_accept(actor=cast.intake_p, referral=r1)

    response = cast.client_for(cast.coordinator).get(reverse("outcomes:dashboard"))
    assert response.status_code == 200
    pipeline = response.context["pipeline"]
    rows = {row.pathway.code: row for row in pipeline.rows}
    assert rows["officer_prevention"].encounters == 2
    assert rows["officer_prevention"].referrals == 2
    assert rows["officer_prevention"].by_status == {"accepted": 1, "sent": 1}
    assert rows["self_referral"].encounters == 1
    assert rows["self_referral"].referrals == 0
    assert pipeline.total_encounters == 3
    html = response.content.decode()
    assert 'data-testid="total-encounters">3<' in html
    assert "<svg" in html  # the chart


def test_dashboard_is_for_program_wide_roles(cast: Any) -> None:
    url = reverse("outcomes:dashboard")
    assert cast.client_for(cast.officer_a).get(url).status_code == 403
    assert cast.client_for(cast.intake_p).get(url).status_code == 403
    assert cast.client_for(cast.researcher).get(url).status_code == 200


def test_home_sends_each_role_to_its_page(cast: Any) -> None:
    expected = {
        cast.officer_a: reverse("encounters:start"),
        cast.intake_p: reverse("referrals:queue"),
        cast.coordinator: reverse("outcomes:dashboard"),
    }
    for user, target in expected.items():
        assert cast.client_for(user).get(reverse("home"))["Location"] == target


def test_researchers_and_prosecutors_see_small_counts_suppressed(cast: Any) -> None:
    """One accepted referral among 12 sent: the coordinator (the program office) sees every
    count; the researcher and the prosecutor see no count of 1-10, nor one that gives it away."""
    prevention = Pathway.objects.get(code="officer_prevention")
    referrals = [
        make_referral(
            actor=cast.officer_a,
            encounter=EncounterFactory.create(
                agency=cast.police_a, responder=cast.officer_a, pathway=prevention
            ),
            service=cast.detox_p,
        )
        for _ in range(12)
    ]
    services.referral_accept(actor=cast.intake_p, referral=referrals[0])
    url = reverse("outcomes:dashboard")

    office = cast.client_for(cast.coordinator).get(url).content.decode()
    assert 'data-testid="suppressed"' not in office
    assert 'data-testid="total-encounters">12<' in office

    for user in (cast.researcher, cast.prosecutor):
        response = cast.client_for(user).get(url)
        published = response.context["published"]
        row = next(r for r in published.rows if r.row.pathway.code == "officer_prevention")
        by_status = dict(zip([s for s, _ in response.context["statuses"]], row.cells, strict=True))
        assert by_status["accepted"].hidden and by_status["sent"].hidden  # 1, and 11 beside it
        shown = [
            c.value
            for r in published.rows
            for c in (r.encounters, r.referrals, *r.cells)
            if not c.hidden
        ]
        assert all(v % 10 == 0 for v in shown)  # rounded to ten: 12 encounters show as 10
        html = response.content.decode()
        assert 'data-testid="suppression-note"' in html
        assert '<span class="usa-sr-only"> suppressed</span>' in html


def test_dashboard_shows_this_quarters_figures_and_trend(cast: Any) -> None:
    from pathways.core import clock
    from pathways.outcomes.testing import contact

    for _ in range(12):
        contact(cast, at=clock.now(), steps=[("accepted", 0.1)])
    response = cast.client_for(cast.coordinator).get(reverse("outcomes:dashboard"))
    assert response.status_code == 200
    quarter = response.context["quarter"]
    summary = quarter.sections[0].table
    contacts = next(row for row in summary.rows if row.label.startswith("Contacts"))
    assert contacts.values[0].number == 12  # the program office sees exact counts
    html = response.content.decode()
    assert 'data-testid="this-quarter"' in html
    assert html.count("<svg") >= 2  # the trend chart beside the pathway bars
    research = cast.client_for(cast.researcher).get(reverse("outcomes:dashboard"))
    row = next(
        r
        for r in research.context["quarter"].sections[0].table.rows
        if r.label.startswith("Contacts")
    )
    assert row.values[0].display() == "10"  # outside the office: rounded to the nearest ten


def test_outside_the_office_the_page_shows_the_last_refresh_rounded(cast: Any) -> None:
    """A prosecutor must not watch one intake happen (200, then 201): outside the program
    office the counts are the extract's as of its last refresh (with the time, and the year),
    rounded to ten, so a new contact shows neither at once nor, alone, after the refresh. The
    program office keeps live exact counts."""
    import datetime as dt

    from django.test import override_settings

    from pathways.core import clock
    from pathways.outcomes.testing import contact

    url = reverse("outcomes:dashboard")
    for _ in range(24):
        contact(cast, at=clock.now())
    with override_settings(PATHWAYS_ANALYTICS_MAX_AGE=300):
        before = cast.client_for(cast.prosecutor).get(url)
        html = before.content.decode()
        assert before.context["published"].total_encounters.value == 20  # 24, rounded
        assert 'data-testid="total-encounters">20<' in html
        as_of = before.context["pipeline_as_of"]
        assert as_of is not None
        year = clock.local_date(cast.program.time_zone).year
        for testid in ("pipeline-as-of", "quarter-as-of"):  # local time, with the year
            line = html.split(f'data-testid="{testid}">', 1)[1].split("</p>", 1)[0]
            assert "figures as of" in line and f", {year} " in line, line
        contact(cast, at=clock.now())  # the 25th contact
        office = cast.client_for(cast.coordinator).get(url)
        assert 'data-testid="total-encounters">25<' in office.content.decode()  # live
        assert office.context["pipeline_as_of"] is None
        same = cast.client_for(cast.prosecutor).get(url)
        assert same.context["published"].total_encounters.value == 20  # not refreshed yet
        with clock.frozen(clock.now() + dt.timedelta(minutes=6)):
            later = cast.client_for(cast.prosecutor).get(url)
        assert later.context["pipeline_as_of"] > as_of
        assert later.context["published"].total_encounters.value == 30  # 25, rounded
        for user in (cast.researcher, cast.prosecutor):
            shown = cast.client_for(user).get(url).context["published"]
            values = [
                c.value
                for r in shown.rows
                for c in (r.encounters, r.referrals, *r.cells)
                if not c.hidden
            ]
            assert all(v % 10 == 0 for v in values)
