"""Eligibility at the contact: the questions come from the configured rules, the decision is
explained, stored with the configuration version, and an ineligible person is not diverted."""

from __future__ import annotations

import uuid
from typing import Any

from django.urls import reverse

from pathways.encounters.models import Encounter
from pathways.followups.models import WorkItem
from pathways.programs.models import ProgramPathway
from pathways.programs.services import pathway_config_save
from pathways.referrals.models import Referral

URL = reverse("encounters:new", kwargs={"code": "self_referral"})
CHECK_URL = reverse("encounters:eligibility", kwargs={"code": "self_referral"})
ANGEL_RULES = [
    {
        "condition": "outstanding_warrant",
        "outcome": "ineligible",
        "reason": "An outstanding warrant must be cleared first.",
    },
    {
        "condition": "officer_safety_risk",
        "outcome": "ineligible",
        "reason": "The person is a risk to officers' safety.",
    },
    {
        "condition": "age < 18 and not parent_consent",
        "outcome": "ineligible",
        "reason": "Under 18 needs a parent's or guardian's consent.",
    },
]


def angel(cast: Any) -> ProgramPathway:
    pp = ProgramPathway.objects.get(program=cast.program, pathway__code="self_referral")
    pathway_config_save(
        actor=cast.coordinator, program_pathway=pp, note="Angel rules", rules=ANGEL_RULES
    )
    pp.refresh_from_db()
    return pp


def walk_in(cast: Any, **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "idempotency_key": str(uuid.uuid4()),
        "first_name": "Robin",
        "last_name": "Castellano",
        "date_of_birth": "1988-02-11",
        "presenting_needs": ["opioid_use"],
        "location_text": "Station 2 lobby",
        "service": str(cast.detox_p.pk),
        "call_source": "walk_in",
        "disposition": "referred",
        "fact_outstanding_warrant": "no",
        "fact_officer_safety_risk": "no",
        "fact_parent_consent": "no",
    }
    data.update(overrides)
    return data


def test_the_form_asks_only_what_the_rules_use(cast: Any) -> None:
    client = cast.client_for(cast.officer_a)
    before = client.get(URL).content.decode()
    assert "outstanding warrant" not in before.lower()
    angel(cast)
    page = client.get(URL).content.decode()
    assert 'name="fact_outstanding_warrant"' in page
    assert 'name="fact_officer_safety_risk"' in page
    assert 'name="fact_parent_consent"' in page
    assert 'name="fact_age"' not in page  # computed from the date of birth
    assert 'name="fact_drug_grams"' not in page


def test_eligible_contact_records_the_decision_and_the_version(cast: Any) -> None:
    pp = angel(cast)
    response = cast.client_for(cast.officer_a).post(URL, walk_in(cast))
    assert response.status_code == 302
    encounter = Encounter.objects.get()
    assert encounter.config_id == pp.current_config_id
    assert encounter.eligibility_outcome == "eligible"
    assert encounter.eligibility_answers == {
        "outstanding_warrant": False,
        "officer_safety_risk": False,
        "parent_consent": False,
    }
    detail = cast.client_for(cast.officer_a).get(response["Location"]).content.decode()
    assert "Eligible" in detail
    assert "rules version 2" in detail


def test_ineligible_person_is_not_referred_and_nothing_is_saved(cast: Any) -> None:
    angel(cast)
    response = cast.client_for(cast.officer_a).post(
        URL, walk_in(cast, fact_outstanding_warrant="yes")
    )
    page = response.content.decode()
    assert response.status_code == 422
    assert "not eligible" in page
    assert "An outstanding warrant must be cleared first." in page
    assert Encounter.objects.count() == 0
    assert Referral.objects.count() == 0


def test_ineligible_person_can_still_be_recorded_without_a_referral(cast: Any) -> None:
    angel(cast)
    response = cast.client_for(cast.officer_a).post(
        URL,
        walk_in(
            cast,
            fact_outstanding_warrant="yes",
            disposition="information",
            service="",
        ),
    )
    assert response.status_code == 302
    encounter = Encounter.objects.get()
    assert encounter.eligibility_outcome == "ineligible"
    assert encounter.eligibility_reasons[0] == "An outstanding warrant must be cleared first."
    assert Referral.objects.count() == 0


def test_under_18_depends_on_a_parents_consent(cast: Any) -> None:
    angel(cast)
    client = cast.client_for(cast.officer_a)
    young = {"date_of_birth": "2011-05-05", "first_name": "Sam", "last_name": "Lindqvist"}
    refused = client.post(URL, walk_in(cast, **young))
    assert "Under 18 needs a parent" in refused.content.decode()
    assert Encounter.objects.count() == 0
    accepted = client.post(URL, walk_in(cast, fact_parent_consent="yes", **young))
    assert accepted.status_code == 302
    assert Encounter.objects.get().eligibility_outcome == "eligible"


def test_unknown_answer_sends_it_to_a_supervisor(cast: Any) -> None:
    angel(cast)
    response = cast.client_for(cast.officer_a).post(URL, walk_in(cast, fact_outstanding_warrant=""))
    assert response.status_code == 302
    encounter = Encounter.objects.get()
    assert encounter.eligibility_outcome == "supervisor_review"
    assert any("Not answered" in r for r in encounter.eligibility_reasons)
    review = WorkItem.objects.get(kind="eligibility_review")
    assert review.team == cast.police_a and review.encounter == encounter
    assert "Robin" not in review.title and "Castellano" not in review.title


def test_bad_answers_are_refused_clearly(cast: Any) -> None:
    angel(cast)
    response = cast.client_for(cast.officer_a).post(
        URL, walk_in(cast, fact_outstanding_warrant="perhaps")
    )
    assert response.status_code == 422
    assert "Select a valid choice" in response.content.decode()
    assert Encounter.objects.count() == 0


def test_live_check_explains_the_decision(cast: Any) -> None:
    angel(cast)
    client = cast.client_for(cast.officer_a)
    page = client.get(
        CHECK_URL,
        {"fact_outstanding_warrant": "yes", "date_of_birth": "1988-02-11"},
    ).content.decode()
    assert "Not eligible" in page
    assert "An outstanding warrant must be cleared first." in page
    ok = client.get(
        CHECK_URL,
        {
            "fact_outstanding_warrant": "no",
            "fact_officer_safety_risk": "no",
            "fact_parent_consent": "no",
            "date_of_birth": "1988-02-11",
        },
    ).content.decode()
    assert "Eligible" in ok
    assert cast.client_for(cast.intake_p).get(CHECK_URL).status_code == 403


def test_contact_keeps_the_version_it_was_decided_under(cast: Any) -> None:
    pp = angel(cast)
    client = cast.client_for(cast.officer_a)
    client.post(URL, walk_in(cast))
    first = Encounter.objects.get()
    pathway_config_save(
        actor=cast.coordinator,
        program_pathway=pp,
        note="Drop the safety rule",
        rules=ANGEL_RULES[:1] + ANGEL_RULES[2:],
    )
    first.refresh_from_db()
    assert first.config is not None
    assert first.config.version == 2
    client.post(URL, walk_in(cast, first_name="Lee", last_name="Oyelaran"))
    second = Encounter.objects.exclude(pk=first.pk).get()
    assert second.config is not None
    assert second.config.version == 3


def review_url(encounter: Encounter) -> str:
    return reverse("encounters:eligibility_review", kwargs={"encounter_id": encounter.pk})


def waiting_for_supervisor(cast: Any) -> Encounter:
    angel(cast)
    cast.client_for(cast.officer_a).post(URL, walk_in(cast, fact_outstanding_warrant=""))
    return Encounter.objects.get()


def test_supervisor_decides_and_the_worklist_item_is_done(cast: Any) -> None:
    from pathways.audit.models import AuditEvent
    from pathways.encounters.models import EligibilityReview

    encounter = waiting_for_supervisor(cast)
    client = cast.client_for(cast.supervisor_a)
    page = client.get(reverse("encounters:detail", kwargs={"encounter_id": encounter.pk}))
    assert "Decide eligibility" in page.content.decode()
    response = client.post(
        review_url(encounter),
        {"decision": "eligible", "reason": "Warrant checked by dispatch: none."},
        follow=True,
    )
    assert "Supervisor's decision: Eligible" in response.content.decode()
    review = EligibilityReview.objects.get()
    assert review.decided_by == cast.supervisor_a
    assert not WorkItem.objects.get(kind="eligibility_review").is_open
    event = AuditEvent.objects.get(event_type="eligibility_review.decide")
    assert event.changes["reason"] == ["[redacted]", "[redacted]"]
    again = client.post(review_url(encounter), {"decision": "ineligible", "reason": "Changed"})
    assert again.status_code == 422
    assert "already decided" in again.content.decode()
    assert EligibilityReview.objects.count() == 1


def test_bad_decisions_are_refused_and_nothing_changes(cast: Any) -> None:
    from pathways.encounters.models import EligibilityReview

    encounter = waiting_for_supervisor(cast)
    client = cast.client_for(cast.supervisor_a)
    for data, message in [
        ({"decision": "eligible"}, "Give the reason for the decision."),
        ({"reason": "x"}, "Choose eligible or not eligible."),
        ({"decision": "maybe", "reason": "x"}, "Select a valid choice"),
        ({"decision": "eligible", "reason": "x" * 301}, "at most 300"),
    ]:
        response = client.post(review_url(encounter), data)
        assert response.status_code == 422, data
        assert message in response.content.decode(), data
    assert EligibilityReview.objects.count() == 0
    assert WorkItem.objects.get(kind="eligibility_review").is_open


def test_only_a_supervisor_of_the_agency_decides(cast: Any) -> None:
    from pathways.accounts.factories import member
    from pathways.encounters.models import EligibilityReview

    encounter = waiting_for_supervisor(cast)
    data = {"decision": "eligible", "reason": "ok"}
    assert cast.client_for(cast.officer_a).post(review_url(encounter), data).status_code == 403
    supervisor_b = member(cast.police_b, "supervisor", "supervisor_b")
    assert cast.client_for(supervisor_b).post(review_url(encounter), data).status_code == 404
    assert EligibilityReview.objects.count() == 0


def test_no_decision_where_the_rules_decided(cast: Any) -> None:
    angel(cast)
    cast.client_for(cast.officer_a).post(URL, walk_in(cast))
    encounter = Encounter.objects.get()
    response = cast.client_for(cast.supervisor_a).post(
        review_url(encounter), {"decision": "ineligible", "reason": "override"}
    )
    assert response.status_code == 422
    assert "does not wait for a supervisor" in response.content.decode()
