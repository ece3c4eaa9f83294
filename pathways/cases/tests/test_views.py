"""The case pages and actions: who may see and do what (other agencies get 404), bad input gets a
message at the field with status 422 and changes nothing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import dateformat
from django.utils.html import escape

from pathways.cases import services
from pathways.cases.factories import LEON_PLAN, intervention_config, open_case
from pathways.cases.models import Case, PlanRequirement
from pathways.cases.tests.helpers import NOW, state, unchanged
from pathways.consent.selectors import NOT_SHARED
from pathways.core import clock

STATUS_ACTIONS = {"accept", "decline", "complete", "refer", "withdraw"}


@pytest.fixture
def case(cast: Any) -> Case:
    """A LEAD-style case waiting for the prosecutor, with a 20-hour community service."""
    intervention_config(
        cast.program,
        prosecutor_review=True,
        requirements=[
            {"kind": "community_service", "description": "Community service.", "hours": 20}
        ],
    )
    return open_case(actor=cast.officer_a, agency=cast.police_a, case_agency=cast.provider_p)


@pytest.fixture
def active(cast: Any) -> Case:
    """A civil citation case, active at once, with the Leon plan."""
    intervention_config(cast.program, charges="civil_citation", requirements=LEON_PLAN)
    return open_case(actor=cast.officer_a, agency=cast.police_a, case_agency=cast.provider_p)


def detail_url(case: Case) -> str:
    return reverse("cases:detail", args=[case.pk])


def act(cast: Any, user: Any, case: Case, action: str, **data: Any) -> Any:
    payload = {f"{action}-{k}": v for k, v in data.items()}
    if action in STATUS_ACTIONS:
        payload.setdefault(f"{action}-expected_status", Case.objects.get(pk=case.pk).status)
    return cast.client_for(user).post(reverse("cases:act", args=[case.pk, action]), payload)


def act_on(cast: Any, user: Any, requirement: PlanRequirement, action: str, **data: Any) -> Any:
    prefix = f"r{requirement.position}-{action}"
    payload = {f"{prefix}-{k}": v for k, v in data.items()}
    url = reverse("cases:requirement_act", args=[requirement.case_id, requirement.pk, action])
    return cast.client_for(user).post(url, payload)


def status_of(case: Case) -> str:
    return Case.objects.get(pk=case.pk).status


# --- Seeing --------------------------------------------------------------------------------------


def test_list_shows_each_user_only_their_cases(cast: Any, case: Case) -> None:
    name = case.person.last_name.encode()
    for user in (cast.case_manager_p, cast.intake_p, cast.prosecutor, cast.coordinator):
        page = cast.client_for(user).get(reverse("cases:list"))
        assert page.status_code == 200
        assert name in page.content, user
    for user in (cast.intake_q, cast.officer_b):
        page = cast.client_for(user).get(reverse("cases:list"))
        assert page.status_code == 200
        assert name not in page.content, user
    assert cast.client_for(cast.researcher).get(reverse("cases:list")).status_code == 403
    closed = cast.client_for(cast.case_manager_p).get(reverse("cases:list") + "?show=closed")
    assert name not in closed.content


def test_detail_404_for_other_agencies_and_403_without_a_case_role(cast: Any, case: Case) -> None:
    url = detail_url(case)
    for user in (cast.officer_b, cast.intake_q):
        assert cast.client_for(user).get(url).status_code == 404, user
    assert cast.client_for(cast.researcher).get(url).status_code == 403
    for user in (
        cast.officer_a,
        cast.supervisor_a,
        cast.intake_p,
        cast.case_manager_p,
        cast.prosecutor,
        cast.coordinator,
    ):
        assert cast.client_for(user).get(url).status_code == 200, user


def test_the_diverting_officer_sees_status_and_due_dates_but_not_the_log(
    cast: Any, active: Case
) -> None:
    requirement = active.requirements.get(kind="community_service")
    services.requirement_progress_record(
        actor=cast.case_manager_p, requirement=requirement, hours=Decimal("4")
    )
    services.case_event_record(
        actor=cast.case_manager_p,
        case=active,
        kind="relapse",
        occurred_at=clock.now(),
        note="PRIVATE-NOTE-7 at group",
    )
    officer = cast.client_for(cast.officer_a).get(detail_url(active)).content.decode()
    assert 'data-testid="case-status">Active' in officer
    due = dateformat.format(requirement.due_date, "D M j, Y")
    assert f"Due {due}" in officer
    assert "PRIVATE-NOTE-7" not in officer
    assert "Relapse" not in officer
    assert "4 of 20 hours" not in officer
    assert "Mark done" not in officer
    prosecutor = cast.client_for(cast.prosecutor).get(detail_url(active)).content.decode()
    assert "4 of 20 hours" in prosecutor
    assert "PRIVATE-NOTE-7" not in prosecutor
    manager = cast.client_for(cast.case_manager_p).get(detail_url(active)).content.decode()
    assert "4 of 20 hours" in manager
    assert "PRIVATE-NOTE-7" in manager
    assert "Mark done" in manager


def test_deadlines_show_overdue_but_nothing_changes(cast: Any, active: Case) -> None:
    with clock.frozen(clock.now() + dt.timedelta(days=40)):
        page = cast.client_for(cast.case_manager_p).get(detail_url(active))
    content = page.content.decode()
    assert "Overdue by" in content
    assert "Overdue" in content
    assert status_of(active) == "active"


def test_review_queue_only_for_prosecutors(cast: Any, case: Case) -> None:
    page = cast.client_for(cast.prosecutor).get(reverse("cases:review_queue"))
    assert page.status_code == 200
    assert case.person.last_name.encode() in page.content
    assert b"Drug possession" in page.content
    for user in (cast.case_manager_p, cast.officer_b, cast.intake_q, cast.coordinator):
        assert cast.client_for(user).get(reverse("cases:review_queue")).status_code == 403


def test_nav_links(cast: Any, case: Case) -> None:
    prosecutor = cast.client_for(cast.prosecutor).get(reverse("cases:list")).content
    assert b">Prosecutor review<" in prosecutor and b">Cases<" in prosecutor
    manager = cast.client_for(cast.case_manager_p).get(reverse("cases:list")).content
    assert b">Cases<" in manager and b">Prosecutor review<" not in manager


# --- The review ----------------------------------------------------------------------------------


def test_prosecutor_accepts_others_get_403_or_404(cast: Any, case: Case) -> None:
    for user in (cast.officer_b, cast.intake_q):
        with unchanged():
            assert act(cast, user, case, "accept").status_code == 404, user
    for user in (cast.case_manager_p, cast.officer_a, cast.coordinator):
        with unchanged():
            assert act(cast, user, case, "accept").status_code == 403, user
    assert (
        cast.client_for(cast.researcher)
        .post(reverse("cases:act", args=[case.pk, "accept"]))
        .status_code
        == 403
    )
    response = act(cast, cast.prosecutor, case, "accept")
    assert response.status_code == 302
    assert status_of(case) == "active"


def test_decline_without_a_reason_gets_a_message_at_the_field(cast: Any, case: Case) -> None:
    with unchanged():
        response = act(cast, cast.prosecutor, case, "decline", reason="")
    assert response.status_code == 422
    assert b"Choose why the diversion is declined." in response.content
    assert b'id="id_decline-reason-error"' in response.content
    with unchanged():
        response = act(cast, cast.prosecutor, case, "decline", reason="other", detail="")
    assert response.status_code == 422
    assert b"Explain the reason" in response.content
    response = act(cast, cast.prosecutor, case, "decline", reason="victim_objects")
    assert response.status_code == 302
    page = cast.client_for(cast.prosecutor).get(detail_url(case)).content
    assert b"decides whether to file it, outside Pathways" in page


def test_a_stale_page_is_refused_with_a_message(cast: Any, case: Case) -> None:
    act(cast, cast.prosecutor, case, "accept")
    with unchanged():
        response = act(
            cast,
            cast.prosecutor,
            case,
            "decline",
            reason="seriousness",
            expected_status="pending_review",
        )
    # the conflict screen: what changed, by whom, and that nothing was saved
    assert response.status_code == 409
    page = response.content.decode()
    assert "Someone changed this case while you had it open" in page
    assert "Nothing you sent was saved." in page
    assert "Decline the diversion" in page
    assert "Active" in page
    assert f"by {cast.prosecutor}" in page
    assert detail_url(case) in page


def test_two_case_managers_withdraw_from_the_same_page(cast: Any, active: Case) -> None:
    """The second, from a page showing the case active, gets the conflict screen with the
    reason they typed handed back, and nothing of theirs is saved."""
    first = act(
        cast,
        cast.case_manager_p,
        active,
        "withdraw",
        reason="Opened in error.",
        expected_status="active",
    )
    assert first.status_code == 302
    with unchanged():
        second = act(
            cast,
            cast.case_manager_p,
            active,
            "withdraw",
            reason="Moved out of <b>county</b>.",
            expected_status="active",
        )
    assert second.status_code == 409
    page = second.content.decode()
    assert "Withdraw the case" in page
    assert "Moved out of &lt;b&gt;county&lt;/b&gt;." in page  # handed back, escaped
    assert "<b>county</b>" not in page
    history = list(active.history.order_by("changed_at").values_list("reason", flat=True))
    assert history[-1] == "Opened in error."


def test_a_requirement_closed_by_a_colleague_is_a_conflict(cast: Any, active: Case) -> None:
    requirement = active.requirements.order_by("position").first()
    assert requirement is not None
    assert (
        act_on(cast, cast.case_manager_p, requirement, "waive", reason="Hardship.").status_code
        == 302
    )
    with unchanged():
        response = act_on(cast, cast.case_manager_p, requirement, "waive", reason="Also hardship.")
    assert response.status_code == 409
    page = response.content.decode()
    assert "Someone changed this requirement while you had it open" in page
    assert "Waived" in page
    assert "Also hardship." in page
    assert PlanRequirement.objects.get(pk=requirement.pk).waived_reason == "Hardship."


# --- The plan ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("hours", "message"),
    [
        ("", b"Enter the hours done."),
        ("abc", b"Enter the hours as a number"),
        ("-3", b"greater than 0"),
        ("1.234", b"2 decimal places"),
    ],
)
def test_progress_bad_input_is_refused_at_the_field(
    cast: Any, active: Case, hours: str, message: bytes
) -> None:
    requirement = active.requirements.get(kind="community_service")
    with unchanged():
        response = act_on(cast, cast.case_manager_p, requirement, "progress", hours=hours)
    assert response.status_code == 422
    assert message in response.content
    assert b'id="id_r3-progress-hours-error"' in response.content


def test_record_hours_mark_done_and_complete_the_case(cast: Any, active: Case) -> None:
    hours = active.requirements.get(kind="community_service")
    response = act_on(cast, cast.case_manager_p, hours, "progress", hours="12", note="Food bank")
    assert response.status_code == 302
    assert response.url.endswith(f"#req-{hours.position}")
    with unchanged():
        response = act_on(cast, cast.case_manager_p, hours, "done")
    assert response.status_code == 422
    assert b"12 of 20 hours are recorded" in response.content
    with unchanged():
        response = act(cast, cast.case_manager_p, active, "complete")
    assert response.status_code == 422
    assert b"The plan is not finished. Still outstanding: Intake assessment" in response.content
    act_on(cast, cast.case_manager_p, hours, "progress", hours="8")
    for requirement in active.requirements.order_by("position"):
        if requirement.kind == "fee":
            act_on(cast, cast.case_manager_p, requirement, "waive", reason="Fee waived: hardship.")
            continue
        assert act_on(cast, cast.case_manager_p, requirement, "done").status_code == 302
    assert act(cast, cast.case_manager_p, active, "complete").status_code == 302
    assert status_of(active) == "completed"
    page = cast.client_for(cast.officer_a).get(detail_url(active)).content.decode()
    assert "Citation dismissed" in page
    assert "Fee waived: hardship." not in page  # reasons are for staff and prosecutors


def test_requirement_actions_404_for_other_agencies_403_for_the_officer(
    cast: Any, active: Case
) -> None:
    requirement = active.requirements.get(kind="community_service")
    for user in (cast.intake_q, cast.officer_b):
        with unchanged():
            assert act_on(cast, user, requirement, "progress", hours="1").status_code == 404
            assert act_on(cast, user, requirement, "done").status_code == 404
            assert act_on(cast, user, requirement, "waive", reason="x").status_code == 404
    with unchanged():
        assert act_on(cast, cast.officer_a, requirement, "progress", hours="1").status_code == 403
        assert act_on(cast, cast.prosecutor, requirement, "done").status_code == 403


def test_waive_without_a_reason_is_refused(cast: Any, active: Case) -> None:
    requirement = active.requirements.get(kind="fee")
    with unchanged():
        response = act_on(cast, cast.case_manager_p, requirement, "waive", reason="")
    assert response.status_code == 422
    assert b"Say why the requirement is waived." in response.content


def test_add_a_requirement(cast: Any, active: Case) -> None:
    with unchanged():
        response = act(
            cast, cast.case_manager_p, active, "requirement", kind="", description="", due_date=""
        )
    assert response.status_code == 422
    assert b"Choose the kind of requirement." in response.content
    assert b"Enter the due date." in response.content
    response = act(
        cast,
        cast.case_manager_p,
        active,
        "requirement",
        kind="restitution",
        description="Pay back the store.",
        due_date="2027-01-15",
        amount_required="35.50",
    )
    assert response.status_code == 302
    added = active.requirements.get(kind="restitution")
    assert added.amount_required == Decimal("35.50")
    assert added.due_date == dt.date(2027, 1, 15)


# --- The log and closing -------------------------------------------------------------------------


def test_log_a_relapse_changes_no_status(cast: Any, active: Case) -> None:
    now_local = clock.now().astimezone(ZoneInfo("America/Chicago"))
    future = (clock.now() + dt.timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    with unchanged():
        response = act(
            cast, cast.case_manager_p, active, "event", kind="relapse", occurred_at=future
        )
    assert response.status_code == 422
    assert b"This time is in the future." in response.content
    before = state()
    response = act(
        cast,
        cast.case_manager_p,
        active,
        "event",
        kind="relapse",
        occurred_at=now_local.strftime("%Y-%m-%dT%H:%M"),
        note="Back at group on Monday.",
    )
    assert response.status_code == 302
    after = state()
    assert after["events"] == before["events"] + 1
    assert after["cases"] == before["cases"]
    assert after["history"] == before["history"]
    assert after["open_work_items"] == before["open_work_items"]


def test_refer_for_prosecution_needs_the_box_ticked(cast: Any, active: Case) -> None:
    with unchanged():
        response = act(cast, cast.case_manager_p, active, "refer", reason="Stopped attending.")
    assert response.status_code == 422
    assert b"Confirm that the charge goes to the prosecutor" in response.content
    assert b'id="id_refer-confirm-error"' in response.content
    with unchanged():
        response = act(cast, cast.case_manager_p, active, "refer", reason="", confirm="on")
    assert response.status_code == 422
    assert b"Enter the reason the charge is referred." in response.content
    for user in (cast.officer_b, cast.intake_q):
        with unchanged():
            assert act(cast, user, active, "refer", reason="x", confirm="on").status_code == 404
    with unchanged():
        assert (
            act(cast, cast.officer_a, active, "refer", reason="x", confirm="on").status_code == 403
        )
    response = act(
        cast, cast.case_manager_p, active, "refer", reason="No contact for 60 days.", confirm="on"
    )
    assert response.status_code == 302
    assert status_of(active) == "not_completed"


def test_withdraw_and_other_agencies(cast: Any, case: Case) -> None:
    for user in (cast.officer_b, cast.intake_q):
        with unchanged():
            assert act(cast, user, case, "withdraw", reason="x").status_code == 404
    with unchanged():
        response = act(cast, cast.case_manager_p, case, "withdraw", reason="")
    assert response.status_code == 422
    assert b"Enter the reason the case is withdrawn." in response.content
    response = act(cast, cast.case_manager_p, case, "withdraw", reason="Opened in error.")
    assert response.status_code == 302
    assert status_of(case) == "withdrawn"


@pytest.mark.parametrize(
    "action", ["accept", "decline", "event", "requirement", "complete", "refer", "withdraw"]
)
def test_every_case_action_is_404_for_other_agencies(cast: Any, case: Case, action: str) -> None:
    for user in (cast.officer_b, cast.intake_q):
        with unchanged():
            response = act(
                cast,
                user,
                case,
                action,
                reason="other",
                detail="x",
                kind="note",
                description="x",
                due_date="2027-01-01",
                occurred_at="2026-11-03T09:00",
                confirm="on",
            )
        assert response.status_code == 404, (user, action)


def test_unknown_action_is_404(cast: Any, case: Case) -> None:
    assert act(cast, cast.case_manager_p, case, "explode").status_code == 404
    assert (
        cast.client_for(cast.case_manager_p)
        .get(reverse("cases:act", args=[case.pk, "accept"]))
        .status_code
        == 405
    )


def test_times_are_shown_in_the_programs_zone(cast: Any) -> None:
    intervention_config(cast.program)
    with clock.frozen(NOW):
        case = open_case(actor=cast.officer_a, agency=cast.police_a, case_agency=cast.provider_p)
    page = cast.client_for(cast.case_manager_p).get(detail_url(case)).content.decode()
    assert "Tue Nov 3, 2026, 9:00 AM" in page  # 15:00 UTC in Chicago


# --- Treatment information on the case (42 CFR Part 2) ------------------------------------------


@pytest.fixture
def treated(cast: Any) -> Case:
    """A LEAD-style case at provider P with treatment, an assessment and community service."""
    intervention_config(
        cast.program,
        prosecutor_review=True,
        requirements=[
            {"kind": "assessment", "description": "Intake assessment.", "due_days": 14},
            {"kind": "treatment", "description": "Outpatient treatment.", "due_days": 90},
            {"kind": "community_service", "description": "Community service.", "hours": 20},
        ],
    )
    case = open_case(actor=cast.officer_a, agency=cast.police_a, case_agency=cast.provider_p)
    act(cast, cast.prosecutor, case, "accept")
    treatment = case.requirements.get(kind="treatment")
    assert act_on(cast, cast.case_manager_p, treatment, "done").status_code == 302
    return case


def _states(cast: Any, user: Any, case: Case) -> dict[str, str]:
    page = cast.client_for(user).get(detail_url(case))
    assert page.status_code == 200
    html = page.content.decode()
    states = {}
    for kind in ("Intake assessment", "Treatment", "Community service"):
        block = html.split(f'<h3 class="margin-0 font-sans-md">{kind}</h3>', 1)[1]
        states[kind] = block.split('data-testid="requirement-state">', 1)[1].split("</p>", 1)[0]
    return states


def cj_consent(cast: Any, case: Case, **overrides: Any) -> Any:
    """Provider P's criminal-justice consent (2.35) for the prosecutor monitoring the case."""
    from pathways.consent.factories import consent_values
    from pathways.consent.services import consent_record

    return consent_record(
        **consent_values(
            actor=cast.intake_p,
            person=case.person,
            disclosing_agency=cast.provider_p,
            recipient_agency=cast.prosecutor.memberships.get().agency,
            **{
                "kind": "criminal_justice",
                "categories": ["progress", "assessment"],
                "recipient_roles": ["prosecutor"],
                "purpose": "So the prosecutor holding the charge can monitor treatment progress.",
                "revocation_statement": "You may revoke this consent after the case closes.",
                "expires_on": None,
                "expiry_event": "case_closed",
                "revocable_after_event": "case_closed",
                **overrides,
            },
        )
    )


def test_without_consent_the_prosecutor_and_officer_see_no_treatment_state(
    cast: Any, treated: Case
) -> None:
    for user in (cast.prosecutor, cast.officer_a):
        states = _states(cast, user, treated)
        assert "Not shared" in states["Treatment"] and "Done" not in states["Treatment"]
        assert escape(NOT_SHARED) in states["Treatment"]  # the one refusal (consent 0018)
        assert "Not shared" in states["Intake assessment"]
        assert "Not shared" not in states["Community service"]  # not treatment information
    # nor does the intake deadline or an "overdue" tag tell whether the assessment happened
    with clock.frozen(clock.now() + dt.timedelta(days=45)):
        own = cast.client_for(cast.case_manager_p).get(detail_url(treated)).content.decode()
        page = cast.client_for(cast.prosecutor).get(detail_url(treated)).content.decode()
    own_deadlines = own.split('data-testid="deadlines"', 1)[1].split("</ul>", 1)[0]
    assert "Overdue" in own_deadlines.split("Intake", 1)[1].split("</li>", 1)[0]
    deadlines = page.split('data-testid="deadlines"', 1)[1].split("</ul>", 1)[0]
    intake = deadlines.split("Intake", 1)[1].split("</li>", 1)[0]
    assert "Not shared" in intake and "Overdue" not in intake
    plan = page.split('data-testid="plan"', 1)[1]
    assessment = plan.split("Intake assessment", 1)[1].split("</li>", 1)[0]
    assert "Overdue" not in assessment and "OVERDUE" not in assessment
    # the case agency sees its own record
    assert "Done" in _states(cast, cast.case_manager_p, treated)["Treatment"]


def test_a_criminal_justice_consent_shows_the_prosecutor_treatment_with_the_notice(
    cast: Any, treated: Case
) -> None:
    from pathways.consent.models import Disclosure

    consent = cj_consent(cast, treated, categories=["progress"])
    page = cast.client_for(cast.prosecutor).get(detail_url(treated)).content.decode()
    assert 'data-testid="part2-notice"' in page
    states = _states(cast, cast.prosecutor, treated)
    assert "Done" in states["Treatment"]
    assert escape(NOT_SHARED) in states["Intake assessment"]  # the one refusal
    disclosure = Disclosure.objects.filter(consent=consent).latest("disclosed_at")
    assert disclosure.recipient_user == cast.prosecutor
    assert disclosure.categories == ["progress"]
    # the officer is not named in it
    assert "Not shared" in _states(cast, cast.officer_a, treated)["Treatment"]
    # the case closes: the consent (ending with the case) ends at once
    act(cast, cast.prosecutor, treated, "withdraw", reason="Opened in error.")
    assert "Not shared" in _states(cast, cast.prosecutor, treated)["Treatment"]


def test_the_case_list_does_not_tell_outsiders_that_treatment_is_overdue(
    cast: Any, treated: Case
) -> None:
    """45 days on, the assessment (due within the 30-day intake deadline) is overdue and the
    community service (90 days) is not: the case manager's list says overdue; the prosecutor's
    and the officer's lists show the next non-treatment date instead."""
    later = clock.now() + dt.timedelta(days=45)
    with clock.frozen(later):
        own = cast.client_for(cast.case_manager_p).get(reverse("cases:list")).content.decode()
        assert "Overdue" in own
        for user in (cast.prosecutor, cast.officer_a):
            page = cast.client_for(user).get(reverse("cases:list")).content.decode()
            assert treated.person.display_name in page
            assert "Overdue" not in page, user


# --- Queries -------------------------------------------------------------------------------------

#: The case page's queries for each viewer of `treated` under the prosecutor's consent: a fixed
#: number whatever the plan's length (the page was split into a selector and the view, issue 19;
#: these are the counts before the split).
DETAIL_QUERIES = {"case_manager_p": 19, "prosecutor": 25, "officer_a": 20, "coordinator": 19}


@pytest.mark.parametrize("who", sorted(DETAIL_QUERIES))
def test_the_case_page_takes_a_fixed_number_of_queries(
    cast: Any, treated: Case, who: str, django_assert_max_num_queries: Any
) -> None:
    from pathways.consent.models import Disclosure

    cj_consent(cast, treated, categories=["progress"])
    client = cast.client_for(getattr(cast, who))
    disclosures = Disclosure.objects.count()
    with django_assert_max_num_queries(DETAIL_QUERIES[who]):
        page = client.get(detail_url(treated))
    assert page.status_code == 200
    # only the prosecutor, named in the consent, is shown treatment under it: one disclosure
    assert Disclosure.objects.count() == disclosures + (who == "prosecutor")
    treated.requirements.create(
        kind="community_service",
        description="More community service.",
        due_date=treated.requirements.get(kind="community_service").due_date,
        position=9,
        hours_required=10,
    )
    with django_assert_max_num_queries(DETAIL_QUERIES[who]):
        assert client.get(detail_url(treated)).status_code == 200


def test_a_refused_action_shows_the_page_in_no_more_queries(
    cast: Any, case: Case, django_assert_max_num_queries: Any
) -> None:
    client = cast.client_for(cast.prosecutor)
    url = reverse("cases:act", args=[case.pk, "decline"])
    with unchanged(), django_assert_max_num_queries(20):
        response = client.post(url, {"decline-expected_status": "pending_review"})
    assert response.status_code == 422
    assert b"Choose why the diversion is declined." in response.content
