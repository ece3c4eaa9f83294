"""The worklist page and marking an item done: sections, scoping, bad input."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.messages import get_messages
from django.urls import reverse

from pathways.audit.models import AuditEvent
from pathways.core import clock
from pathways.encounters.factories import EncounterFactory
from pathways.followups.factories import WorkItemFactory
from pathways.followups.models import WorkItem, WorkKind

LIST_URL = reverse("followups:list")
NOW = dt.datetime(2026, 11, 20, 18, 0, tzinfo=dt.UTC)  # Fri Nov 20, 12:00 CST


def done_url(item: WorkItem) -> str:
    return reverse("followups:complete", kwargs={"item_id": item.pk})


def section(html: str, key: str) -> str:
    start = html.index(f'data-testid="section-{key}"')
    end = html.find("</section>", start)
    return html[start:end]


def test_page_shows_the_three_sections_with_local_times_and_descriptions(cast: Any) -> None:
    encounter = EncounterFactory.create(agency=cast.police_a, responder=cast.officer_a)
    WorkItemFactory.create(
        team=cast.police_a,
        kind=WorkKind.OVERDOSE_FOLLOWUP,
        title="Follow-up after overdose on Nov 17",
        due_at=NOW - dt.timedelta(hours=3),
        encounter=encounter,
        person=encounter.person,
    )
    WorkItemFactory.create(
        team=cast.police_a, title="Outreach visit, east side", due_at=NOW + dt.timedelta(minutes=45)
    )
    WorkItemFactory.create(
        team=cast.police_a,
        kind=WorkKind.PROSECUTOR_REVIEW,
        title="Held charge review",
        due_at=dt.datetime(2026, 11, 24, 20, 0, tzinfo=dt.UTC),
    )
    WorkItemFactory.create(team=cast.police_b, title="Southside only", due_at=NOW)
    with clock.frozen(NOW):
        response = cast.client_for(cast.officer_a).get(LIST_URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1>Worklist</h1>" in html

    overdue = section(html, "overdue")
    assert "Overdue" in overdue
    assert "Follow-up after overdose on Nov 17" in overdue
    assert "Overdose follow-up visit" in overdue
    assert "Overdue by 3 h" in overdue
    assert "Fri Nov 20, 2026, 9:00 AM" in overdue  # 15:00 UTC shown in Chicago time
    assert "bg-secondary-dark" in overdue
    assert f'href="/encounters/{encounter.pk}/"' in overdue
    # the team's own page names whom to visit (titles and e-mails never do)
    assert encounter.person.display_name in overdue

    soon = section(html, "due-soon")
    assert "Due in the next 24 hours" in soon
    assert "Outreach visit, east side" in soon
    assert "Due in 45 min" in soon

    later = section(html, "later")
    assert "Held charge review" in later
    assert "Prosecutor review" in later
    assert "Due Tue Nov 24, 2026, 2:00 PM" in later

    assert "Southside only" not in html
    assert "Team:" not in html  # one team: no team label
    assert html.count('action="/worklist/') == 3


def test_empty_worklist_says_so(cast: Any) -> None:
    response = cast.client_for(cast.intake_q).get(LIST_URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Nothing is due" in html
    assert 'data-testid="section-overdue"' not in html


def test_coordinator_sees_teams_but_gets_no_done_button(cast: Any) -> None:
    WorkItemFactory.create(team=cast.police_a, title="North item", due_at=NOW)
    WorkItemFactory.create(team=cast.provider_p, title="Harbor item", due_at=NOW)
    with clock.frozen(NOW - dt.timedelta(hours=1)):
        html = cast.client_for(cast.coordinator).get(LIST_URL).content.decode()
    assert "Team: Northside Police Department" in html
    assert "Team: Harbor Test Recovery" in html
    assert 'action="/worklist/' not in html


def test_signed_out_users_are_sent_to_sign_in(cast: Any, client: Any) -> None:
    response = client.get(LIST_URL)
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_nav_links_to_the_worklist(cast: Any) -> None:
    html = cast.client_for(cast.officer_a).get(LIST_URL).content.decode()
    assert f'href="{LIST_URL}"><span>Worklist</span>' in html


def test_mark_done_with_a_note(cast: Any) -> None:
    item = WorkItemFactory.create(team=cast.police_a, title="Outreach visit, east side")
    client = cast.client_for(cast.officer_a)
    with clock.frozen(NOW):
        response = client.post(done_url(item), {"outcome_note": "Visited; left a card."})
    assert response.status_code == 302
    assert response["Location"] == LIST_URL
    item.refresh_from_db()
    assert item.completed_at == NOW
    assert item.completed_by == cast.officer_a
    assert item.outcome_note == "Visited; left a card."
    assert AuditEvent.objects.filter(event_type="work_item.complete").count() == 1
    page = client.get(LIST_URL)
    assert "Marked done: Outreach visit, east side." in page.content.decode()
    assert "Nothing is due" in page.content.decode()


def test_mark_done_without_a_note(cast: Any) -> None:
    item = WorkItemFactory.create(team=cast.police_a)
    response = cast.client_for(cast.supervisor_a).post(done_url(item), {})
    assert response.status_code == 302
    assert WorkItem.objects.get(pk=item.pk).completed_by == cast.supervisor_a


def test_over_long_note_is_refused_with_a_message_and_changes_nothing(cast: Any) -> None:
    item = WorkItemFactory.create(team=cast.police_a, title="Outreach visit, east side")
    response = cast.client_for(cast.officer_a).post(done_url(item), {"outcome_note": "n" * 301})
    assert response.status_code == 422
    html = response.content.decode()
    assert "at most 300 characters (it has 301)" in html
    assert "“Outreach visit, east side” was not marked done" in html
    assert 'aria-invalid="true"' in html
    assert '<details class="margin-top-1" open>' in html
    assert WorkItem.objects.get(pk=item.pk).is_open
    assert not AuditEvent.objects.filter(event_type="work_item.complete").exists()


def test_control_characters_in_the_note_are_refused(cast: Any) -> None:
    item = WorkItemFactory.create(team=cast.police_a)
    response = cast.client_for(cast.officer_a).post(done_url(item), {"outcome_note": "ok\u0000"})
    assert response.status_code == 422
    assert WorkItem.objects.get(pk=item.pk).is_open


def test_already_done_is_refused_with_a_message_and_changes_nothing(cast: Any) -> None:
    item = WorkItemFactory.create(team=cast.police_a)
    client = cast.client_for(cast.officer_a)
    client.post(done_url(item), {"outcome_note": "first"})
    response = client.post(done_url(item), {"outcome_note": "second"})
    assert response.status_code == 302
    messages = [str(m) for m in get_messages(response.wsgi_request)]
    assert "This item was already marked done. Nothing was changed." in messages
    item.refresh_from_db()
    assert item.outcome_note == "first"
    assert AuditEvent.objects.filter(event_type="work_item.complete").count() == 1


def test_another_agencys_item_is_404_and_unchanged(cast: Any) -> None:
    item = WorkItemFactory.create(team=cast.police_a)
    for user in (cast.officer_b, cast.intake_p, cast.researcher):
        response = cast.client_for(user).post(done_url(item), {})
        assert response.status_code == 404
    assert WorkItem.objects.get(pk=item.pk).is_open


def test_coordinator_may_not_mark_another_teams_item_done(cast: Any) -> None:
    item = WorkItemFactory.create(team=cast.police_a)
    response = cast.client_for(cast.coordinator).post(done_url(item), {})
    assert response.status_code == 403
    assert WorkItem.objects.get(pk=item.pk).is_open


def test_done_needs_post(cast: Any) -> None:
    item = WorkItemFactory.create(team=cast.police_a)
    assert cast.client_for(cast.officer_a).get(done_url(item)).status_code == 405


# --- Reading the worklist: whom, when, in plain words -----------------------------------------


def test_each_item_names_the_person_and_gives_its_due_date_once_with_the_year(cast: Any) -> None:
    encounter = EncounterFactory.create(agency=cast.police_a, responder=cast.officer_a)
    WorkItemFactory.create(
        team=cast.police_a,
        kind=WorkKind.OVERDOSE_FOLLOWUP,
        title="Follow-up after an overdose on Nov 20",
        due_at=NOW + dt.timedelta(hours=5),
        encounter=encounter,
        person=encounter.person,
    )
    WorkItemFactory.create(
        team=cast.police_a,
        kind=WorkKind.PROSECUTOR_REVIEW,
        title="Held charge review",
        due_at=dt.datetime(2026, 12, 7, 20, 0, tzinfo=dt.UTC),
        person=encounter.person,
    )
    with clock.frozen(NOW):
        html = cast.client_for(cast.officer_a).get(LIST_URL).content.decode()
    soon = section(html, "due-soon")
    assert f'data-testid="item-person">{encounter.person.display_name}</span>' in soon
    assert "Due in 5 h" in soon
    assert soon.count("Fri Nov 20, 2026, 5:00 PM") == 1
    due = soon[soon.index('data-testid="item-due"') :].split("</p>", 1)[0]
    assert due.lower().count("due ") == 1  # the time left, then the date: "due" is said once
    later = section(html, "later")
    assert later.count("Dec 7, 2026") == 1
    assert encounter.person.display_name in later


def test_titles_take_the_right_article(cast: Any) -> None:
    from pathways.encounters.factories import EncounterFactory as Contact
    from pathways.programs.models import Pathway, ProgramPathway
    from pathways.referrals.factories import make_referral
    from pathways.workflow.services import eligibility_review_open, referral_response_open

    pathway = Pathway.objects.get(code="active_outreach")
    pp = ProgramPathway.objects.get(program=cast.program, pathway=pathway)
    encounter = Contact.create(
        agency=cast.police_a,
        responder=cast.officer_a,
        pathway=pathway,
        config=pp.current_config,
        presenting_needs=["substance_use"],
    )
    with clock.frozen(NOW):
        referral = make_referral(actor=cast.officer_a, encounter=encounter, service=cast.detox_p)
        response = referral_response_open(actor=cast.officer_a, referral=referral)
        review = eligibility_review_open(actor=cast.officer_a, encounter=encounter)
    assert response is not None
    assert response.title.startswith("Respond to an outreach referral sent")
    assert review.title.startswith("Eligibility decision for an outreach contact on")


def test_an_outreach_visit_message_names_no_one(cast: Any) -> None:
    from pathways.followups.factories import outreach_team
    from pathways.followups.services import outreach_entry_add, outreach_list_create
    from pathways.people.factories import PersonFactory

    team, worker = outreach_team(cast.program, name="Harbor Peer Outreach", username="ow")
    outreach_list = outreach_list_create(
        actor=cast.coordinator, program=cast.program, name="East side", team=team
    )
    person = PersonFactory.create(first_name="Casey", last_name="Vandermolen")
    with clock.frozen(NOW):
        entry = outreach_entry_add(
            actor=worker, outreach_list=outreach_list, person=person, reason="repeat_overdose"
        )
        response = cast.client_for(worker).post(
            reverse("followups:visit", kwargs={"item_id": entry.work_item_id}),
            {"members": ["peer"], "outcome": "engaged"},
        )
    assert response.status_code == 302
    said = [str(m) for m in get_messages(response.wsgi_request)]
    assert said and said[0].startswith("Visit recorded. Outreach status: engaged")
    assert not any("Vandermolen" in m or "Casey" in m for m in said)


#: The worklist page's queries before it was split into a selector and the view (issue 19).
WORKLIST_PAGE_QUERIES = 8


def test_the_worklist_page_takes_a_fixed_number_of_queries(
    cast: Any, django_assert_max_num_queries: Any
) -> None:
    def add(n: int) -> None:
        for hours in range(-n, n):
            encounter = EncounterFactory.create(agency=cast.police_a, responder=cast.officer_a)
            WorkItemFactory.create(
                team=cast.police_a,
                kind=WorkKind.OVERDOSE_FOLLOWUP,
                due_at=clock.now() + dt.timedelta(hours=hours * 13),
                encounter=encounter,
                person=encounter.person,
            )

    clients = [cast.client_for(cast.officer_a), cast.client_for(cast.coordinator)]
    for n in (1, 3):
        add(n)
        for client in clients:
            with django_assert_max_num_queries(WORKLIST_PAGE_QUERIES):
                assert client.get(LIST_URL).status_code == 200
