"""Each pathway's own part of the one workflow, through the officer's field form: Naloxone Plus
(overdose → follow-up inside the recovery window), Self-Referral (items handed in, companion,
placement target), Community Response (the crisis team → follow-up)."""

from __future__ import annotations

import datetime as dt
import uuid
import zoneinfo
from typing import Any

from django.urls import reverse

from pathways.accounts.factories import member
from pathways.audit.models import AuditEvent
from pathways.core import clock
from pathways.encounters.models import CrisisResponse, Encounter, SurrenderedItem
from pathways.followups.models import WorkItem, WorkKind
from pathways.people.factories import PersonFactory
from pathways.programs.models import ProgramPathway
from pathways.programs.services import pathway_config_save
from pathways.referrals.models import Referral
from pathways.surveillance.models import OverdoseEvent

NOW = dt.datetime(2026, 11, 20, 15, 0, tzinfo=dt.UTC)  # Fri Nov 20, 9:00 CST


def url(code: str) -> str:
    return reverse("encounters:new", kwargs={"code": code})


def contact(cast: Any, **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "idempotency_key": str(uuid.uuid4()),
        "first_name": "Avery",
        "last_name": "Nakamura-Cole",
        "date_of_birth": "1991-04-12",
        "presenting_needs": ["opioid_use"],
        "location_text": "1200 block of River Rd",
        "call_source": "overdose_response",
        "disposition": "information",
        "overdose-naloxone_given": "yes",
        "overdose-naloxone_doses": "2",
        "overdose-administered_by": "ems",
        "overdose-fatal": "no",
        "overdose-transported": "yes",
        "overdose-destination": "Riverside General",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def counts() -> tuple[int, ...]:
    return (
        Encounter.objects.count(),
        OverdoseEvent.objects.count(),
        WorkItem.objects.count(),
        Referral.objects.count(),
        AuditEvent.objects.writes().count(),
    )


# --- Naloxone Plus ---------------------------------------------------------------------------


def test_overdose_opens_a_follow_up_inside_the_recovery_window(cast: Any) -> None:
    with clock.frozen(NOW):
        response = cast.client_for(cast.officer_a).post(url("naloxone_plus"), contact(cast))
    assert response.status_code == 302
    event = OverdoseEvent.objects.get()
    assert event.naloxone_given and event.naloxone_doses == 2 and event.administered_by == "ems"
    assert event.transported and event.destination == "Riverside General"
    item = WorkItem.objects.get()
    assert item.kind == WorkKind.OVERDOSE_FOLLOWUP
    assert item.due_at == NOW + dt.timedelta(hours=72)
    assert item.team == cast.police_a
    assert "Avery" not in item.title and "Nakamura" not in item.title
    assert item.title == "Follow-up after an overdose on Nov 20"


def test_the_recovery_window_and_team_come_from_the_configuration(cast: Any) -> None:
    pp = ProgramPathway.objects.get(program=cast.program, pathway__code="naloxone_plus")
    pathway_config_save(
        actor=cast.coordinator,
        program_pathway=pp,
        note="Plymouth-style 24 h visit by the provider's team",
        deadlines={"followup_hours": 24, "referral_response_hours": 24},
        followup_team_id=cast.provider_p.pk,
    )
    with clock.frozen(NOW):
        cast.client_for(cast.officer_a).post(url("naloxone_plus"), contact(cast))
    item = WorkItem.objects.get()
    assert item.due_at == NOW + dt.timedelta(hours=24)
    assert item.team == cast.provider_p


def test_fatal_overdose_opens_no_follow_up_and_cannot_be_referred(cast: Any) -> None:
    client = cast.client_for(cast.officer_a)
    before = counts()
    refused = client.post(
        url("naloxone_plus"),
        contact(
            cast,
            **{"overdose-fatal": "yes", "disposition": "referred", "service": str(cast.detox_p.pk)},
        ),
    )
    assert refused.status_code == 422
    assert "After a fatal overdose there is no referral to send" in refused.content.decode()
    assert counts() == before
    ok = client.post(url("naloxone_plus"), contact(cast, **{"overdose-fatal": "yes"}))
    assert ok.status_code == 302
    assert OverdoseEvent.objects.get().fatal
    assert WorkItem.objects.count() == 0


def test_bad_overdose_answers_are_refused_and_nothing_is_saved(cast: Any) -> None:
    client = cast.client_for(cast.officer_a)
    before = counts()
    cases: list[tuple[dict[str, Any], str]] = [
        ({"overdose-fatal": None}, "Say whether the overdose was fatal."),
        ({"overdose-naloxone_doses": "40"}, "Enter the number of doses given, 1 to 20."),
        ({"overdose-destination": ""}, "Say where the person was taken"),
        (
            {"overdose-naloxone_given": "no", "overdose-naloxone_doses": "1"},
            "Doses are recorded only when naloxone was given.",
        ),
        ({"overdose-transported": "maybe"}, "Select a valid choice"),
    ]
    for overrides, message in cases:
        response = client.post(url("naloxone_plus"), contact(cast, **overrides))
        assert response.status_code == 422, overrides
        assert message in response.content.decode(), overrides
    assert counts() == before


def test_repeat_overdose_shows_on_the_contact(cast: Any) -> None:
    client = cast.client_for(cast.officer_a)
    person = PersonFactory.create(
        created_by_agency=cast.police_b,
        first_name="Avery",
        last_name="Nakamura-Cole",
        date_of_birth=dt.date(1991, 4, 12),
    )
    chosen = {"person_choice": str(person.pk)}
    client.post(url("naloxone_plus"), contact(cast, **chosen))
    response = client.post(url("naloxone_plus"), contact(cast, **chosen))
    page = client.get(response["Location"]).content.decode()
    assert "Repeat overdose" in page
    assert "2 overdoses recorded" in page


# --- Self-Referral ---------------------------------------------------------------------------


def walk_in(cast: Any, **overrides: Any) -> dict[str, Any]:
    data = contact(
        cast,
        call_source="walk_in",
        disposition="referred",
        service=str(cast.detox_p.pk),
        warm_handoff="on",
        **{
            "surrendered_items-kinds": ["syringes", "drugs"],
            "surrendered_items-disposal_method": "Drug drop box, Station 2",
        },
    )
    data = {k: v for k, v in data.items() if not k.startswith("overdose-")}
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_walk_in_logs_items_for_disposal_pairs_a_companion_and_starts_the_placement_clock(
    cast: Any,
) -> None:
    angel = member(cast.police_a, "outreach", "angel_a")
    angel.first_name, angel.last_name = "Pat", "Volunteer"
    angel.save()
    with clock.frozen(NOW):
        response = cast.client_for(cast.officer_a).post(
            url("self_referral"), walk_in(cast, **{"companion-companion": str(angel.pk)})
        )
    assert response.status_code == 302
    encounter = Encounter.objects.get()
    assert encounter.companion == angel
    items = SurrenderedItem.objects.filter(encounter=encounter).order_by("kind")
    assert [i.kind for i in items] == ["drugs", "syringes"]
    assert all(i.disposed_at == NOW and i.disposed_by == cast.officer_a for i in items)
    placement = WorkItem.objects.get(kind=WorkKind.PLACEMENT)
    assert placement.due_at == NOW + dt.timedelta(hours=24)
    page = cast.client_for(cast.officer_a).get(response["Location"]).content.decode()
    assert "never as evidence" in page
    assert "Treatment placement" in page


def test_walk_in_refuses_a_companion_from_outside_the_list(cast: Any) -> None:
    before = counts()
    response = cast.client_for(cast.officer_a).post(
        url("self_referral"), walk_in(cast, **{"companion-companion": str(cast.officer_b.pk)})
    )
    assert response.status_code == 422
    assert "Select a valid choice" in response.content.decode()
    assert counts() == before


def test_quantity_without_items_is_refused(cast: Any) -> None:
    before = counts()
    response = cast.client_for(cast.officer_a).post(
        url("self_referral"),
        walk_in(cast, **{"surrendered_items-kinds": None, "surrendered_items-quantity": "2 g"}),
    )
    assert response.status_code == 422
    assert "Tick what was handed in" in response.content.decode()
    assert counts() == before


def test_placement_clock_closes_when_the_provider_accepts(cast: Any) -> None:
    cast.client_for(cast.officer_a).post(url("self_referral"), walk_in(cast))
    referral = Referral.objects.get()
    intake = cast.client_for(cast.intake_p)
    intake.get(reverse("referrals:detail", kwargs={"referral_id": referral.pk}))
    intake.post(
        reverse("referrals:act", kwargs={"referral_id": referral.pk, "action": "accept"}),
        {"accept-expected_status": "received"},
    )
    referral.refresh_from_db()
    assert referral.status == "accepted"
    placement = WorkItem.objects.get(kind=WorkKind.PLACEMENT)
    assert placement.completed_at is not None


# --- Community Response ----------------------------------------------------------------------


def test_crisis_call_records_the_team_and_opens_a_follow_up(cast: Any) -> None:
    team = cast.program.agencies.create(name="Mobile Crisis Team", kind="community_response")
    clinician = member(team, "outreach", "crisis_clinician")
    with clock.frozen(NOW):
        response = cast.client_for(clinician).post(
            url("community_response"),
            {
                "idempotency_key": str(uuid.uuid4()),
                "first_name": "Jordan",
                "last_name": "Obi-Lindgren",
                "date_of_birth": "1979-01-30",
                "presenting_needs": ["crisis"],
                "location_text": "Bus shelter, 5th & Pine",
                "call_source": "dispatched",
                "disposition": "information",
                "crisis_team-team_members": ["clinician", "peer"],
                "crisis_team-outcome": "resolved",
            },
        )
    assert response.status_code == 302, response.content.decode()[:2000]
    crisis = CrisisResponse.objects.get()
    assert crisis.team_members == ["clinician", "peer"]
    assert crisis.arrived_at == NOW
    item = WorkItem.objects.get()
    assert item.kind == WorkKind.CRISIS_FOLLOWUP
    assert item.team == team
    assert item.due_at == NOW + dt.timedelta(hours=72)


def test_crisis_call_without_the_team_is_refused(cast: Any) -> None:
    team = cast.program.agencies.create(name="Mobile Crisis Team", kind="community_response")
    clinician = member(team, "outreach", "crisis_clinician")
    response = cast.client_for(clinician).post(
        url("community_response"),
        {
            "idempotency_key": str(uuid.uuid4()),
            "first_name": "Jordan",
            "last_name": "Obi-Lindgren",
            "date_of_birth": "1979-01-30",
            "presenting_needs": ["crisis"],
            "location_text": "Bus shelter",
            "call_source": "dispatched",
            "disposition": "information",
        },
    )
    assert response.status_code == 422
    page = response.content.decode()
    assert "Say who responded." in page
    assert "Say how the call ended." in page
    assert Encounter.objects.count() == 0


# --- Deadlines across daylight saving, and the provider's response ---------------------------


def test_recovery_window_counts_elapsed_hours_across_the_fall_back(cast: Any) -> None:
    # Sat Oct 31 2026, 8:00 PM CDT; clocks fall back at 2:00 AM on Sun Nov 1.
    start = dt.datetime(2026, 11, 1, 1, 0, tzinfo=dt.UTC)
    with clock.frozen(start):
        cast.client_for(cast.officer_a).post(url("naloxone_plus"), contact(cast))
    item = WorkItem.objects.get()
    assert item.due_at == start + dt.timedelta(hours=72)
    local = item.due_at.astimezone(zoneinfo.ZoneInfo("America/Chicago"))
    assert (local.day, local.hour) == (3, 19)  # 72 h later reads 7:00 PM CST, not 8:00 PM
    assert item.title == "Follow-up after an overdose on Oct 31"  # the local date of the event


def test_partner_services_come_first_and_the_others_follow(cast: Any) -> None:
    """A pathway's partner services are listed first; the program's other matching services
    follow and may be chosen (issue 18: never a dead end while a matching service exists).
    Before, the partners were the only choice and other services were refused."""
    pp = ProgramPathway.objects.get(program=cast.program, pathway__code="self_referral")
    pathway_config_save(
        actor=cast.coordinator,
        program_pathway=pp,
        note="The outpatient clinic is our partner for walk-ins",
        partner_service_ids=[str(cast.outpatient_p_full.pk)],
    )
    client = cast.client_for(cast.officer_a)
    page = client.get(url("self_referral")).content.decode()
    partners = page.index("This pathway's partner services")
    others = page.index("Other services in the directory")
    # the partner (no open capacity) comes before the open detox unit, which follows
    assert partners < page.index("Harbor Outpatient") < others < page.index("Harbor Detox")
    partial = client.get(
        reverse("encounters:services"),
        {"presenting_needs": ["substance_use"], "pathway_code": "self_referral"},
    ).content.decode()
    assert partial.index("Harbor Outpatient") < partial.index("Harbor Detox")
    sent = client.post(url("self_referral"), walk_in(cast, service=str(cast.detox_p.pk)))
    assert sent.status_code == 302
    assert Referral.objects.get().service == cast.detox_p


def test_officer_prevention_with_only_a_mental_health_need_is_never_a_dead_end(
    cast: Any,
) -> None:
    """The pathway's partners answer substance use only; a person whose only need is mental
    health is offered the program's mental-health services after them, not 'no service'."""
    pp = ProgramPathway.objects.get(program=cast.program, pathway__code="officer_prevention")
    pathway_config_save(
        actor=cast.coordinator,
        program_pathway=pp,
        note="Detox partner",
        partner_service_ids=[str(cast.detox_p.pk)],
    )
    client = cast.client_for(cast.officer_a)
    partial = client.get(
        reverse("encounters:services"),
        {"presenting_needs": ["mental_health"], "pathway_code": "officer_prevention"},
    ).content.decode()
    assert "No service in the directory answers these needs" not in partial
    assert "Lakeside Crisis Stabilization" in partial
    assert "Harbor Detox" not in partial  # it does not answer a mental-health need
    assert "Other services in the directory" not in partial  # no partner heading to follow


def test_the_providers_response_deadline_closes_when_they_decline(cast: Any) -> None:
    cast.client_for(cast.officer_a).post(url("self_referral"), walk_in(cast))
    referral = Referral.objects.get()
    response = WorkItem.objects.get(kind=WorkKind.REFERRAL_RESPONSE)
    assert response.team == cast.provider_p and response.is_open
    intake = cast.client_for(cast.intake_p)
    intake.get(reverse("referrals:detail", kwargs={"referral_id": referral.pk}))
    intake.post(
        reverse("referrals:act", kwargs={"referral_id": referral.pk, "action": "decline"}),
        {"decline-expected_status": "received", "decline-reason": "no_capacity"},
    )
    referral.refresh_from_db()
    assert referral.status == "declined"
    response.refresh_from_db()
    assert not response.is_open and response.outcome_note == "Declined"
    assert WorkItem.objects.get(kind=WorkKind.PLACEMENT).is_open  # still no place


# --- Officer Intervention --------------------------------------------------------------------


def held_charge(cast: Any, **overrides: Any) -> dict[str, Any]:
    data = contact(
        cast,
        call_source="on_view",
        disposition="referred",
        service=str(cast.detox_p.pk),
        **{
            "charge-offence_type": "drug_possession",
            "charge-offence_level": "misdemeanour",
            "charge-statute": "RCW 69.50.4013",
        },
    )
    data = {k: v for k, v in data.items() if not k.startswith("overdose-")}
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_held_charge_opens_a_diversion_case_for_the_prosecutor(cast: Any) -> None:
    from pathways.cases.models import Case, HeldCharge

    pp = ProgramPathway.objects.get(program=cast.program, pathway__code="officer_intervention")
    pathway_config_save(
        actor=cast.coordinator,
        program_pathway=pp,
        note="LEAD: the prosecutor reviews every diversion",
        prosecutor_review=True,
    )
    with clock.frozen(NOW):
        response = cast.client_for(cast.officer_a).post(
            url("officer_intervention"), held_charge(cast)
        )
    assert response.status_code == 302
    case = Case.objects.get()
    assert case.status == "pending_review"
    assert case.case_agency == cast.provider_p  # the provider the person was referred to
    assert case.config is not None and case.config.version == 2
    charge = HeldCharge.objects.get()
    assert charge.mode == "abeyance" and charge.statute == "RCW 69.50.4013"
    kinds = set(WorkItem.objects.values_list("kind", flat=True))
    assert {"prosecutor_review", "intake_due", "completion_due", "referral_response"} <= kinds


def test_bad_charge_is_refused_and_nothing_is_saved(cast: Any) -> None:
    from pathways.cases.models import Case

    before = counts()
    response = cast.client_for(cast.officer_a).post(
        url("officer_intervention"), held_charge(cast, **{"charge-offence_type": ""})
    )
    assert response.status_code == 422
    assert "Choose the type of offense." in response.content.decode()
    assert counts() == before
    assert Case.objects.count() == 0


def test_a_declined_offer_opens_no_case(cast: Any) -> None:
    from pathways.cases.models import Case

    response = cast.client_for(cast.officer_a).post(
        url("officer_intervention"), held_charge(cast, disposition="declined", service="")
    )
    assert response.status_code == 302
    assert Encounter.objects.count() == 1
    assert Case.objects.count() == 0


def test_the_prosecutors_worklist_links_to_the_case(cast: Any) -> None:
    from pathways.cases.models import Case

    pp = ProgramPathway.objects.get(program=cast.program, pathway__code="officer_intervention")
    pathway_config_save(
        actor=cast.coordinator, program_pathway=pp, note="Review", prosecutor_review=True
    )
    cast.client_for(cast.officer_a).post(url("officer_intervention"), held_charge(cast))
    case = Case.objects.get()
    client = cast.client_for(cast.prosecutor)
    page = client.get(reverse("followups:list")).content.decode()
    link = reverse("cases:detail", kwargs={"case_id": case.pk})
    assert link in page and "Open the case" in page
    assert client.get(link).status_code == 200


def test_the_configured_crisis_team_is_required(cast: Any) -> None:
    pp = ProgramPathway.objects.get(program=cast.program, pathway__code="community_response")
    pathway_config_save(
        actor=cast.coordinator,
        program_pathway=pp,
        note="Always a clinician",
        requires_clinician=True,
    )
    team = cast.program.agencies.create(name="Mobile Crisis Team", kind="community_response")
    medic = member(team, "outreach", "crisis_medic")
    before = counts()
    response = cast.client_for(medic).post(
        url("community_response"),
        {
            "idempotency_key": str(uuid.uuid4()),
            "first_name": "Jordan",
            "last_name": "Obi-Lindgren",
            "date_of_birth": "1979-01-30",
            "presenting_needs": ["crisis"],
            "location_text": "Bus shelter",
            "call_source": "dispatched",
            "disposition": "information",
            "crisis_team-team_members": ["medic", "peer"],
            "crisis_team-outcome": "resolved",
        },
    )
    assert response.status_code == 422
    assert "crisis team includes a clinician" in response.content.decode()
    assert counts() == before
