"""Follow-up visits: a visit that does not reach the person keeps the item open; meeting the
person records a contact (and a referral to treatment) and closes it; the program's required
team is enforced; another agency cannot see or record visits."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.urls import reverse

from pathways.audit.models import AuditEvent
from pathways.core import clock
from pathways.encounters.models import Encounter
from pathways.followups.models import Visit, WorkItem, WorkKind
from pathways.programs.models import ProgramPathway
from pathways.programs.services import pathway_config_save
from pathways.referrals.models import Referral

NOW = dt.datetime(2026, 11, 20, 15, 0, tzinfo=dt.UTC)


def overdose_item(cast: Any) -> WorkItem:
    with clock.frozen(NOW):
        response = cast.client_for(cast.officer_a).post(
            reverse("encounters:new", kwargs={"code": "naloxone_plus"}),
            {
                "idempotency_key": str(uuid.uuid4()),
                "first_name": "Casey",
                "last_name": "Vandermolen",
                "date_of_birth": "1987-07-07",
                "presenting_needs": ["opioid_use"],
                "location_text": "Motel 9, room 12",
                "call_source": "overdose_response",
                "disposition": "information",
                "overdose-naloxone_given": "yes",
                "overdose-administered_by": "police",
                "overdose-fatal": "no",
                "overdose-transported": "no",
            },
        )
    assert response.status_code == 302
    return WorkItem.objects.get(kind=WorkKind.OVERDOSE_FOLLOWUP)


def visit_url(item: WorkItem) -> str:
    return reverse("followups:visit", kwargs={"item_id": item.pk})


def counts() -> tuple[int, ...]:
    return (
        Visit.objects.count(),
        Encounter.objects.count(),
        Referral.objects.count(),
        WorkItem.objects.open().count(),
        AuditEvent.objects.writes().count(),
    )


def test_not_found_keeps_the_item_open_for_another_attempt(cast: Any) -> None:
    item = overdose_item(cast)
    client = cast.client_for(cast.officer_a)
    page = client.get(visit_url(item)).content.decode()
    assert "Casey Vandermolen" in page
    assert "Naloxone given" in page
    with clock.frozen(NOW + dt.timedelta(hours=20)):
        response = client.post(
            visit_url(item), {"members": ["officer", "peer"], "outcome": "not_found"}
        )
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.is_open
    visit = Visit.objects.get()
    assert visit.contact is None
    assert visit.members == ["officer", "peer"]
    assert Encounter.objects.count() == 1  # only the overdose contact
    again = client.get(visit_url(item)).content.decode()
    assert "Earlier attempts" in again


def test_meeting_the_person_and_referring_to_moud_closes_the_item(cast: Any) -> None:
    item = overdose_item(cast)
    with clock.frozen(NOW + dt.timedelta(hours=30)):
        response = cast.client_for(cast.officer_a).post(
            visit_url(item),
            {
                "members": ["officer", "clinician"],
                "outcome": "referred",
                "service": str(cast.detox_p.pk),
                "warm_handoff": "on",
                "family_resources": "on",
            },
        )
    assert response.status_code == 302
    item.refresh_from_db()
    assert not item.is_open
    visit = Visit.objects.get()
    assert visit.contact is not None
    assert visit.contact.pathway.code == "naloxone_plus"
    assert visit.contact.call_source == "overdose_response"
    assert visit.contact.person_id == item.person_id
    referral = Referral.objects.get()
    assert referral.encounter_id == visit.contact.pk
    assert referral.warm_handoff
    assert visit.family_resources


def test_required_clinician_is_enforced_when_the_person_is_met(cast: Any) -> None:
    pp = ProgramPathway.objects.get(program=cast.program, pathway__code="naloxone_plus")
    pathway_config_save(
        actor=cast.coordinator,
        program_pathway=pp,
        note="QRT with a clinician",
        requires_clinician=True,
    )
    item = overdose_item(cast)
    before = counts()
    response = cast.client_for(cast.officer_a).post(
        visit_url(item), {"members": ["officer"], "outcome": "engaged"}
    )
    assert response.status_code == 422
    assert "include a clinician" in response.content.decode()
    assert counts() == before


def test_bad_visits_are_refused_and_change_nothing(cast: Any) -> None:
    item = overdose_item(cast)
    client = cast.client_for(cast.officer_a)
    before = counts()
    for data, message in [
        ({"outcome": "engaged"}, "Say who went on the visit."),
        ({"members": ["officer"]}, "Choose what happened."),
        ({"members": ["officer"], "outcome": "referred"}, "Choose the service you referred"),
        (
            {"members": ["officer"], "outcome": "engaged", "service": str(cast.detox_p.pk)},
            "Choose a service only when the outcome is a referral.",
        ),
        (
            {"members": ["officer"], "outcome": "engaged", "visited_at": "2099-01-01T10:00"},
            "This time is in the future.",
        ),
        ({"members": ["sheriff"], "outcome": "engaged"}, "Select a valid choice"),
    ]:
        response = client.post(visit_url(item), data)
        assert response.status_code == 422, data
        assert message in response.content.decode(), data
    assert counts() == before


def test_another_agency_cannot_see_or_record_visits(cast: Any) -> None:
    item = overdose_item(cast)
    for user in (cast.officer_b, cast.intake_q):
        client = cast.client_for(user)
        assert client.get(visit_url(item)).status_code == 404
        assert (
            client.post(visit_url(item), {"members": ["officer"], "outcome": "engaged"}).status_code
            == 404
        )
    assert Visit.objects.count() == 0


def test_a_closed_item_takes_no_more_visits(cast: Any) -> None:
    item = overdose_item(cast)
    client = cast.client_for(cast.officer_a)
    client.post(visit_url(item), {"members": ["officer"], "outcome": "declined"})
    before = counts()
    response = client.post(visit_url(item), {"members": ["officer"], "outcome": "engaged"})
    assert response.status_code == 422
    assert "already marked done" in response.content.decode()
    assert counts() == before


#: The visit page's queries before it was split into a selector and the view (issue 19).
VISIT_PAGE_QUERIES = 17


def test_the_visit_page_takes_a_fixed_number_of_queries(
    cast: Any, django_assert_max_num_queries: Any
) -> None:
    item = overdose_item(cast)
    client = cast.client_for(cast.officer_a)
    with django_assert_max_num_queries(VISIT_PAGE_QUERIES):
        assert client.get(visit_url(item)).status_code == 200
    before = counts()
    with django_assert_max_num_queries(VISIT_PAGE_QUERIES):
        response = client.post(visit_url(item), {"members": [], "outcome": "referred"})
    assert response.status_code == 422
    assert counts() == before
    # an earlier attempt adds no query
    client.post(visit_url(item), {"members": ["officer"], "outcome": "not_found"})
    with django_assert_max_num_queries(VISIT_PAGE_QUERIES):
        assert "Earlier attempts" in client.get(visit_url(item)).content.decode()
