"""The outreach pages: lists with counts, a list's people, adding a person found by name, the
visit page routed to the outreach service, lead and close; bad input gets a message at the
field (422) and changes nothing; other teams and programs get 404."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.urls import reverse

from pathways.audit.models import AuditEvent
from pathways.consent.factories import SIGNATURE
from pathways.consent.models import Disclosure
from pathways.consent.services import consent_record
from pathways.core import clock
from pathways.encounters.models import Encounter
from pathways.followups.models import (
    OutreachEntry,
    OutreachList,
    OutreachStatus,
    OutreachStatusChange,
    Visit,
    WorkItem,
)
from pathways.followups.services import outreach_entry_add, outreach_visit_record
from pathways.followups.tests.conftest import Outreach
from pathways.people.factories import PersonFactory

LISTS_URL = reverse("followups:outreach_lists")
NOW = dt.datetime(2026, 11, 20, 15, 0, tzinfo=dt.UTC)  # Fri Nov 20, 09:00 CST


def list_url(o: Outreach) -> str:
    return reverse("followups:outreach_list", kwargs={"list_id": o.outreach_list.pk})


def add_url(o: Outreach) -> str:
    return reverse("followups:outreach_add", kwargs={"list_id": o.outreach_list.pk})


def assign_url(entry: OutreachEntry) -> str:
    return reverse("followups:outreach_assign", kwargs={"entry_id": entry.pk})


def close_url(entry: OutreachEntry) -> str:
    return reverse("followups:outreach_close", kwargs={"entry_id": entry.pk})


def visit_url(entry: OutreachEntry) -> str:
    assert entry.work_item_id is not None
    return reverse("followups:visit", kwargs={"item_id": entry.work_item_id})


def counts() -> tuple[int, ...]:
    return (
        OutreachList.objects.count(),
        OutreachEntry.objects.count(),
        OutreachStatusChange.objects.count(),
        WorkItem.objects.count(),
        WorkItem.objects.open().count(),
        Visit.objects.count(),
        Encounter.objects.count(),
        AuditEvent.objects.writes().count(),
    )


def put_on_list(cast: Any, o: Outreach) -> OutreachEntry:
    with clock.frozen(NOW):
        return outreach_entry_add(
            actor=cast.officer_a,
            outreach_list=o.outreach_list,
            person=o.person,
            reason="repeat_overdose",
            note="Two overdoses in October",
        )


# --- The lists page ----------------------------------------------------------------------------


def test_lists_page_shows_each_list_with_counts_by_status(cast: Any, outreach: Outreach) -> None:
    entry = put_on_list(cast, outreach)
    with clock.frozen(NOW):
        outreach_visit_record(
            actor=outreach.worker,
            entry=entry,
            visited_at=NOW,
            members=["peer"],
            outcome="engaged",
        )
        outreach_entry_add(
            actor=cast.officer_a,
            outreach_list=outreach.outreach_list,
            person=PersonFactory.create(),
            reason="frequent_contacts",
        )
    response = cast.client_for(outreach.worker).get(LISTS_URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1>Outreach lists</h1>" in html
    assert "East side repeat overdoses" in html
    assert "Team: Harbor Peer Outreach" in html
    assert "2 people" in html
    assert 'data-status="engaged"' in html and 'data-status="identified"' in html
    assert "<svg" in html
    assert 'href="/worklist/outreach/"' in html  # the nav link
    assert "New list" in html


def test_a_team_member_starts_a_list(cast: Any, outreach: Outreach) -> None:
    response = cast.client_for(outreach.worker).post(
        LISTS_URL, {"name": "Downtown frequent contacts", "team": str(outreach.team.pk)}
    )
    created = OutreachList.objects.get(name="Downtown frequent contacts")
    assert response.status_code == 302
    assert response["Location"] == reverse(
        "followups:outreach_list", kwargs={"list_id": created.pk}
    )
    assert created.team == outreach.team
    assert created.created_by == outreach.worker


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": "  "}, "Enter the list name."),
        ({"name": "East Side Repeat Overdoses"}, "There is already a list called"),
        ({"name": "x" * 121}, "The list name can have at most 120 characters (it has 121)."),
        ({"name": "Fine", "description": "d" * 501}, "at most 500 characters"),
        ({"name": "Fine", "team": "not-a-team"}, "Choose the team that works the list."),
    ],
)
def test_bad_new_lists_get_a_message_and_change_nothing(
    cast: Any, outreach: Outreach, data: dict[str, str], message: str
) -> None:
    before = counts()
    post = {"team": str(outreach.team.pk), **data}
    response = cast.client_for(cast.coordinator).post(LISTS_URL, post)
    assert response.status_code == 422
    html = response.content.decode()
    assert message in html
    assert "usa-error-message" in html
    assert counts() == before


def test_a_worker_cannot_start_a_list_for_another_team(cast: Any, outreach: Outreach) -> None:
    before = counts()
    response = cast.client_for(outreach.worker).post(
        LISTS_URL, {"name": "Theirs", "team": str(outreach.other_team.pk)}
    )
    assert response.status_code == 422
    assert "Choose the team that works the list." in response.content.decode()
    assert counts() == before


def test_without_active_outreach_there_is_no_new_list_form(cast: Any, outreach: Outreach) -> None:
    from pathways.programs.models import Pathway
    from pathways.programs.services import program_pathway_set_enabled

    OutreachList.objects.filter(pk=outreach.outreach_list.pk).update(archived_at=NOW)
    program_pathway_set_enabled(
        actor=cast.coordinator,
        program=cast.program,
        pathway=Pathway.objects.get(code="active_outreach"),
        enabled=False,
    )
    client = cast.client_for(cast.coordinator)
    html = client.get(LISTS_URL).content.decode()
    assert "This program does not run Active Outreach." in html
    assert "Start the list" not in html
    assert client.post(LISTS_URL, {"name": "x"}).status_code == 403


def test_roles_without_outreach_get_403_and_no_nav_link(cast: Any, outreach: Outreach) -> None:
    client = cast.client_for(cast.intake_p)
    assert client.get(LISTS_URL).status_code == 403
    assert client.get(list_url(outreach)).status_code == 403
    home = client.get(reverse("followups:list")).content.decode()
    assert 'href="/worklist/outreach/"' not in home


# --- A list's page -----------------------------------------------------------------------------


def test_the_team_sees_people_status_lead_attempts_and_next_visit(
    cast: Any, outreach: Outreach
) -> None:
    entry = put_on_list(cast, outreach)
    with clock.frozen(NOW + dt.timedelta(hours=2)):
        outreach_visit_record(
            actor=outreach.worker,
            entry=entry,
            visited_at=NOW + dt.timedelta(hours=2),
            members=["peer"],
            outcome="not_found",
            note="Left a card at the door",
        )
        response = cast.client_for(outreach.worker).get(list_url(outreach))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Casey Vandermolen" in html
    assert "Attempting" in html and "Visits under way" in html
    assert "1 visit<" in html
    assert "Lead: nobody yet" in html
    assert "Next visit <strong>due Fri Nov 27, 2026, 11:59 PM</strong>" in html
    assert "Left a card at the door" in html
    assert "Two overdoses in October" in html
    assert visit_url(entry) in html  # Record visit
    assert "Lead or close" in html


def test_responders_see_statuses_but_not_visit_notes(cast: Any, outreach: Outreach) -> None:
    entry = put_on_list(cast, outreach)
    with clock.frozen(NOW):
        outreach_visit_record(
            actor=outreach.worker,
            entry=entry,
            visited_at=NOW,
            members=["peer"],
            outcome="not_found",
            note="Left a card at the door",
        )
    html = cast.client_for(cast.officer_b).get(list_url(outreach)).content.decode()
    assert "Casey Vandermolen" in html
    assert "Attempting" in html
    assert "Visit notes stay with the outreach team." in html
    assert "Left a card at the door" not in html
    assert "Two overdoses in October" not in html
    assert "Record visit" not in html
    assert "Lead or close" not in html
    # and they cannot record, assign or close
    client = cast.client_for(cast.officer_b)
    assert client.get(visit_url(entry)).status_code == 404
    assert client.post(assign_url(entry), {"assigned_to": ""}).status_code == 403
    assert client.post(close_url(entry), {"reason": "x"}).status_code == 403


def test_the_program_office_watches_without_recording_visits(cast: Any, outreach: Outreach) -> None:
    entry = put_on_list(cast, outreach)
    html = cast.client_for(cast.coordinator).get(list_url(outreach)).content.decode()
    assert "Two overdoses in October" in html
    assert "Lead or close" in html
    assert visit_url(entry) not in html


def test_another_team_and_another_program_get_404_everywhere(cast: Any, outreach: Outreach) -> None:
    entry = put_on_list(cast, outreach)
    before = counts()
    for user in (outreach.other_worker, outreach.elsewhere_coordinator, outreach.elsewhere_officer):
        client = cast.client_for(user)
        assert client.get(list_url(outreach)).status_code == 404, user
        assert client.get(list_url(outreach) + "?q=vander").status_code == 404, user
        assert client.post(add_url(outreach), {"person": str(outreach.person.pk)}).status_code == (
            404
        )
        assert client.post(assign_url(entry), {"assigned_to": ""}).status_code == 404
        assert client.post(close_url(entry), {"reason": "Moved"}).status_code == 404
        assert client.get(visit_url(entry)).status_code == 404
        assert (
            client.post(visit_url(entry), {"members": ["peer"], "outcome": "engaged"}).status_code
            == 404
        )
        index = client.get(LISTS_URL)
        assert index.status_code == 200
        assert list_url(outreach) not in index.content.decode()
    assert counts() == before


# --- Adding a person ---------------------------------------------------------------------------


DOB = "1988-04-12"  # PersonFactory's birth date


def test_a_person_the_search_did_not_offer_cannot_be_added(cast: Any, outreach: Outreach) -> None:
    """Issue 18: any person's id posted was put on the list, showing their name and birth date."""
    stranger = PersonFactory.create(first_name="Sam", last_name="Okoro")
    with clock.frozen(NOW):
        response = cast.client_for(outreach.worker).post(
            add_url(outreach),
            {"q": "vander", "dob": DOB, "person": str(stranger.pk), "reason": "repeat_overdose"},
        )
    assert response.status_code == 422
    assert "We could not find that person." in response.content.decode()
    assert "Okoro" not in response.content.decode()
    assert not OutreachEntry.objects.exists()


def test_a_search_with_a_birth_date_that_is_no_date_is_refused(
    cast: Any, outreach: Outreach
) -> None:
    response = cast.client_for(cast.officer_a).get(list_url(outreach) + "?q=vander&dob=1988-02-31")
    html = response.content.decode()
    assert response.status_code == 422
    assert "Enter the date of birth as a real date" in html
    assert "Casey Vandermolen" not in html


def test_search_then_add_a_person(cast: Any, outreach: Outreach) -> None:
    client = cast.client_for(cast.officer_a)
    # a responder types the birth date as well as the name (issue 18: the search once gave
    # anyone in the system, name and birth date, to any officer)
    refused = client.get(list_url(outreach) + "?q=vander")
    assert refused.status_code == 422
    assert "date of birth as well as the name" in refused.content.decode()
    assert "Casey Vandermolen" not in refused.content.decode()
    page = client.get(list_url(outreach) + f"?q=vander&dob={DOB}").content.decode()
    assert f'value="{outreach.person.pk}"' in page
    assert "Casey Vandermolen" in page
    assert "cannot be added here" in page
    assert reverse("encounters:new", kwargs={"code": "active_outreach"}) in page
    assert 'name="assigned_to"' not in page  # responders do not pick the team's lead
    with clock.frozen(NOW):
        response = client.post(
            add_url(outreach),
            {
                "q": "vander",
                "dob": DOB,
                "person": str(outreach.person.pk),
                "reason": "repeat_overdose",
            },
        )
    assert response.status_code == 302
    entry = OutreachEntry.objects.get()
    assert entry.person == outreach.person
    assert entry.added_by == cast.officer_a
    assert entry.status == OutreachStatus.IDENTIFIED
    again = client.get(list_url(outreach) + f"?q=vander&dob={DOB}").content.decode()
    assert "(already on the list)" in again


def test_the_team_adds_with_a_lead(cast: Any, outreach: Outreach) -> None:
    client = cast.client_for(outreach.worker)
    with clock.frozen(NOW):
        response = client.post(
            add_url(outreach),
            {
                "q": "vandermolen",
                "dob": DOB,
                "person": str(outreach.person.pk),
                "reason": "family_request",
                "assigned_to": str(outreach.peer.pk),
            },
        )
    assert response.status_code == 302
    assert OutreachEntry.objects.get().assigned_to == outreach.peer


def test_search_without_a_match_says_so(cast: Any, outreach: Outreach) -> None:
    html = cast.client_for(outreach.worker).get(list_url(outreach) + "?q=zzyzx").content.decode()
    assert "No one in Pathways matches “zzyzx”." in html


def test_bad_additions_get_a_message_at_the_field_and_change_nothing(
    cast: Any, outreach: Outreach
) -> None:
    put_on_list(cast, outreach)
    other = PersonFactory.create(last_name="Vanderbilt", created_by_agency=outreach.team)
    client = cast.client_for(outreach.worker)
    before = counts()
    for data, message in [
        ({"person": str(outreach.person.pk)}, "Casey Vandermolen is already on this list."),
        ({"person": "9b0e7a55-8e7f-4c4e-9d55-000000000000"}, "We could not find that person."),
        ({"person": "not-an-id"}, "We could not find that person."),
        ({"person": ""}, "Search by name and choose the person."),
        ({"person": str(other.pk), "reason": ""}, "Choose why the person is on the list."),
        (
            {"person": str(other.pk), "note": "n" * 301},
            "The note can have at most 300 characters (it has 301).",
        ),
        (
            {"person": str(other.pk), "assigned_to": str(cast.officer_b.pk)},
            "Choose a member of the team.",
        ),
    ]:
        post = {"reason": "repeat_overdose", "q": "vander", "dob": DOB, **data}
        response = client.post(add_url(outreach), post)
        assert response.status_code == 422, data
        html = response.content.decode()
        assert message in html, data
        assert "usa-error-message" in html, data
    assert counts() == before


# --- Visits from the list ----------------------------------------------------------------------


def test_a_visit_on_an_outreach_item_moves_the_status_and_returns_to_the_list(
    cast: Any, outreach: Outreach
) -> None:
    entry = put_on_list(cast, outreach)
    client = cast.client_for(outreach.worker)
    page = client.get(visit_url(entry)).content.decode()
    assert "No further visit needed" in page
    assert "Outreach status: <strong>Identified</strong>" in page
    assert list_url(outreach) in page  # breadcrumb back to the list
    with clock.frozen(NOW + dt.timedelta(hours=3)):
        response = client.post(visit_url(entry), {"members": ["peer"], "outcome": "not_found"})
    assert response.status_code == 302
    assert response["Location"] == list_url(outreach)
    entry.refresh_from_db()
    assert entry.status == OutreachStatus.ATTEMPTING
    with clock.frozen(NOW + dt.timedelta(days=1)):
        response = client.post(
            visit_url(entry),
            {"members": ["peer", "clinician"], "outcome": "engaged", "no_further_visit": "on"},
        )
    assert response.status_code == 302
    entry.refresh_from_db()
    assert entry.status == OutreachStatus.ENGAGED
    assert entry.work_item is None
    visit = Visit.objects.get(outcome="engaged")
    assert visit.contact is not None and visit.contact.pathway.code == "active_outreach"
    html = client.get(list_url(outreach)).content.decode()
    assert "Engaged" in html and "No visit planned." in html


def test_a_bad_visit_on_an_outreach_item_changes_nothing(cast: Any, outreach: Outreach) -> None:
    entry = put_on_list(cast, outreach)
    before = counts()
    response = cast.client_for(outreach.worker).post(visit_url(entry), {"outcome": "engaged"})
    assert response.status_code == 422
    assert "Say who went on the visit." in response.content.decode()
    assert counts() == before


# --- Lead and close ----------------------------------------------------------------------------


def test_lead_and_close_from_the_list(cast: Any, outreach: Outreach) -> None:
    entry = put_on_list(cast, outreach)
    client = cast.client_for(outreach.worker)
    response = client.post(assign_url(entry), {"assigned_to": str(outreach.peer.pk)})
    assert response.status_code == 302
    entry.refresh_from_db()
    assert entry.assigned_to == outreach.peer
    response = client.post(close_url(entry), {"reason": "Moved out of state"})
    assert response.status_code == 302
    entry.refresh_from_db()
    assert entry.status == OutreachStatus.CLOSED
    html = client.get(list_url(outreach)).content.decode()
    assert "Closed (1)" in html


def test_bad_lead_or_close_gets_a_message_and_changes_nothing(
    cast: Any, outreach: Outreach
) -> None:
    entry = put_on_list(cast, outreach)
    client = cast.client_for(cast.coordinator)
    before = counts()
    response = client.post(assign_url(entry), {"assigned_to": str(cast.officer_a.pk)})
    assert response.status_code == 422
    assert "Choose a member of the team." in response.content.decode()
    for data, message in [
        ({"reason": ""}, "Say why the outreach ends."),
        ({"reason": "r" * 301}, "The reason can have at most 300 characters (it has 301)."),
    ]:
        response = client.post(close_url(entry), data)
        assert response.status_code == 422
        html = response.content.decode()
        assert message in html
        assert f'id="id_{entry.pk.hex}_reason-error"' in html
    assert counts() == before


# --- How the person responded is the team's record (42 CFR Part 2) ------------------------------


def engaged_entry(cast: Any, outreach: Outreach) -> OutreachEntry:
    entry = put_on_list(cast, outreach)
    with clock.frozen(NOW):
        outreach_visit_record(
            actor=outreach.worker, entry=entry, visited_at=NOW, members=["peer"], outcome="engaged"
        )
    return entry


def test_viewers_outside_the_team_see_reached_not_how_the_person_responded(
    cast: Any, outreach: Outreach
) -> None:
    engaged_entry(cast, outreach)
    officer = cast.client_for(cast.officer_a)
    page = officer.get(list_url(outreach)).content.decode()
    assert 'data-testid="entry-status">Reached</span>' in page
    assert 'data-status="reached"' in page and 'data-status="engaged"' not in page
    assert "Engaged" not in page
    lists = officer.get(LISTS_URL).content.decode()
    assert 'data-status="reached"' in lists and 'data-status="engaged"' not in lists
    # the team sees its own record
    team_page = cast.client_for(outreach.worker).get(list_url(outreach)).content.decode()
    assert 'data-testid="entry-status">Engaged</span>' in team_page
    assert Disclosure.objects.count() == 0


def test_with_the_persons_consent_the_officer_sees_the_status_and_it_is_accounted(
    cast: Any, outreach: Outreach
) -> None:
    entry = engaged_entry(cast, outreach)
    with clock.frozen(NOW):
        consent_record(
            actor=cast.coordinator,
            person=entry.person,
            kind="general",
            disclosing_agency=outreach.team,
            categories=["progress"],
            recipient_agency=cast.police_a,
            recipient_roles=["officer"],
            intermediary="Pathways",
            purpose="So the officer knows the person was reached and is engaged.",
            revocation_statement="You may revoke this consent at any time.",
            expires_on=dt.date(2027, 11, 20),
            signature_method="on_screen",
            signed_by="The person",
            signed_on=dt.date(2026, 11, 20),
            signature_image=SIGNATURE,
        )
    page = cast.client_for(cast.officer_a).get(list_url(outreach)).content.decode()
    assert 'data-testid="entry-status">Engaged</span>' in page
    disclosure = Disclosure.objects.get()
    assert disclosure.recipient_user == cast.officer_a and disclosure.categories == ["progress"]
    # another agency's officer, not named in the consent, still sees "Reached"
    other = cast.client_for(cast.officer_b).get(list_url(outreach)).content.decode()
    assert 'data-testid="entry-status">Reached</span>' in other


# --- Queries -----------------------------------------------------------------------------------

#: The list page's and the outreach visit page's queries before they were split into selectors
#: and the views (issue 19): a fixed number whatever the number of people on the list.
LIST_PAGE_QUERIES = 13
OUTREACH_VISIT_QUERIES = 16


@pytest.mark.parametrize("who", ["worker", "officer", "coordinator"])
def test_the_list_page_takes_a_fixed_number_of_queries(
    cast: Any, outreach: Outreach, who: str, django_assert_max_num_queries: Any
) -> None:
    user = {"worker": outreach.worker, "officer": cast.officer_a, "coordinator": cast.coordinator}
    client = cast.client_for(user[who])
    engaged_entry(cast, outreach)
    with django_assert_max_num_queries(LIST_PAGE_QUERIES):
        assert client.get(list_url(outreach)).status_code == 200
    with clock.frozen(NOW):
        outreach_entry_add(
            actor=cast.officer_a,
            outreach_list=outreach.outreach_list,
            person=PersonFactory.create(first_name="Robin", last_name="Okafor"),
            reason="repeat_overdose",
        )
    with django_assert_max_num_queries(LIST_PAGE_QUERIES):
        page = client.get(list_url(outreach)).content.decode()
    assert "Robin Okafor" in page and "Casey Vandermolen" in page


def test_the_outreach_visit_page_takes_a_fixed_number_of_queries(
    cast: Any, outreach: Outreach, django_assert_max_num_queries: Any
) -> None:
    entry = put_on_list(cast, outreach)
    client = cast.client_for(outreach.worker)
    with django_assert_max_num_queries(OUTREACH_VISIT_QUERIES):
        assert client.get(visit_url(entry)).status_code == 200
    before = counts()
    with django_assert_max_num_queries(OUTREACH_VISIT_QUERIES):
        response = client.post(visit_url(entry), {"members": [], "outcome": "engaged"})
    assert response.status_code == 422
    assert counts() == before
