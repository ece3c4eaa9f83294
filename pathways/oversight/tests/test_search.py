"""The coordinator's audit search: scoped to the program's staff, filtered, exported as CSV with
formulas neutralised, and the export itself audited."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from django.urls import reverse

from pathways.accounts.factories import AgencyFactory, member
from pathways.audit.models import AuditEvent
from pathways.core.exports import safe_cell
from pathways.encounters.factories import EncounterFactory
from pathways.programs.factories import ProgramFactory
from pathways.referrals.services import referral_accept, referral_send

URL = reverse("audit:search")


@pytest.fixture
def activity(cast: Any) -> Any:
    encounter = EncounterFactory.create(
        program=cast.program, agency=cast.police_a, responder=cast.officer_a
    )
    referral = referral_send(
        actor=cast.officer_a, encounter=encounter, service=cast.detox_p, warm_handoff=True
    )
    return referral_accept(actor=cast.intake_p, referral=referral)


def test_the_search_filters_the_programs_events(cast: Any, activity: Any) -> None:
    client = cast.client_for(cast.coordinator)
    page = client.get(URL).content.decode()
    assert "referral.accept" in page and "referral.send" in page
    mine = client.get(URL, {"actor": "intake_p"}).content.decode()
    assert "referral.accept" in mine and "referral.send" not in mine
    one = client.get(URL, {"object_id": str(activity.pk), "event_type": "referral.acc"})
    assert one.content.decode().count('data-testid="audit-event"') == 1
    none = client.get(URL, {"since": "2099-01-01"}).content.decode()
    assert "No event matches." in none


def test_bad_search_input_is_refused_at_the_field(cast: Any, activity: Any) -> None:
    client = cast.client_for(cast.coordinator)
    for params, message in (
        ({"since": "2026-02-31"}, "Enter a valid date."),
        ({"since": "2026-11-20", "until": "2026-11-01"}, "The end date is before the start date."),
        ({"actor": "a" * 151}, "at most 150 characters"),
        ({"event_type": "referral.\u200baccept"}, "control characters"),
    ):
        response = client.get(URL, params)
        assert response.status_code == 422, params
        assert message in response.content.decode(), params
        assert 'data-testid="audit-event"' not in response.content.decode()


def test_another_programs_coordinator_sees_none_of_it(cast: Any, activity: Any) -> None:
    office = AgencyFactory.create(
        program=ProgramFactory.create(name="Elsewhere"), kind="program_office"
    )
    other = member(office, "coordinator", "other_coordinator")
    page = cast.client_for(other).get(URL).content.decode()
    assert "referral.accept" not in page and "referral.send" not in page
    assert page.count('data-testid="audit-event"') == 1 and "auth.login" in page  # their own
    assert cast.client_for(cast.officer_a).get(URL).status_code == 403


def test_the_export_neutralises_formulas_and_is_audited(cast: Any, activity: Any) -> None:
    sly = member(cast.police_b, "officer", "@SUM(A1)")
    EncounterFactory.create(program=cast.program, agency=cast.police_b, responder=sly)
    referral_send(
        actor=sly,
        encounter=EncounterFactory.create(
            program=cast.program, agency=cast.police_b, responder=sly
        ),
        service=cast.detox_p,
        warm_handoff=False,
    )
    response = cast.client_for(cast.coordinator).get(URL, {"format": "csv"})
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][:3] == ["when (UTC)", "who", "event"]
    users = {row[1] for row in rows[1:]}
    assert "'@SUM(A1)" in users and "@SUM(A1)" not in users
    export = AuditEvent.objects.get(event_type="audit.export")
    assert export.actor == cast.coordinator and export.changes["rows"][1] == len(rows) - 1


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ("=1+2", "'=1+2"),
        ("+1", "'+1"),
        ("-2", "'-2"),
        ("@x", "'@x"),
        ("\tcmd", "'\tcmd"),
        ("\rcmd", "'\rcmd"),
        ("|calc", "'|calc"),
        ("%0A", "'%0A"),
        ("   =HYPERLINK()", "'   =HYPERLINK()"),
        ("plain", "plain"),
        ("a=b", "a=b"),
        (None, ""),
        (42, "42"),
    ],
)
def test_safe_cell(value: Any, written: str) -> None:
    assert safe_cell(value) == written
