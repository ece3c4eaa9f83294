"""Each program template, started in the shared cast's program and run end to end through the
real views: the roles the template involves record the contact and act on it, and the template's
distinctive rule or deadline holds (exact due times, exact refusals, nothing saved on a refusal).

Times are UTC; the program's time zone is America/Chicago (CST, UTC-6, in late November)."""

from __future__ import annotations

import datetime as dt
import html
import uuid
import zoneinfo
from typing import Any

from django.test import Client
from django.urls import reverse

from pathways.accounts.factories import AgencyFactory, member
from pathways.accounts.models import Agency, User
from pathways.audit.models import AuditEvent
from pathways.cases.models import Case, HeldCharge, PlanRequirement
from pathways.core import clock
from pathways.directory.factories import ServiceFactory
from pathways.directory.models import Service, ServiceType
from pathways.encounters.models import CrisisResponse, Encounter, SurrenderedItem
from pathways.followups.models import (
    OutreachEntry,
    OutreachList,
    Visit,
    WorkItem,
    WorkKind,
)
from pathways.people.factories import PersonFactory
from pathways.people.models import Person
from pathways.programs.models import PathwayConfig, ProgramPathway
from pathways.programs.program_templates import ProgramTemplate, program_template
from pathways.programs.services import program_template_apply
from pathways.referrals.models import Referral
from pathways.surveillance.models import OverdoseEvent
from pathways.testing import Cast

CHICAGO = zoneinfo.ZoneInfo("America/Chicago")
NOW = dt.datetime(2026, 11, 18, 16, 0, tzinfo=dt.UTC)  # Wed Nov 18 2026, 10:00 CST
HOUR = dt.timedelta(hours=1)

#: People the tests enter, each with their own surname and birth date (no duplicate prompt).
PEOPLE: dict[str, tuple[str, str, str]] = {
    "avery": ("Avery", "Nakamura-Cole", "1991-04-12"),
    "robin": ("Robin", "Castellano", "1988-02-11"),
    "jordan": ("Jordan", "Obi-Lindgren", "1979-01-30"),
    "dana": ("Dana", "Whitfield", "1984-06-01"),
}


# --- Shared helpers ------------------------------------------------------------------------------


def start(cast: Cast, code: str) -> ProgramTemplate:
    """Start the cast's program from the template, as its coordinator."""
    template = program_template(code)
    assert template is not None, code
    program_template_apply(actor=cast.coordinator, program=cast.program, template=template)
    return template


def config_of(cast: Cast, pathway_code: str) -> PathwayConfig:
    pp = ProgramPathway.objects.select_related("current_config").get(
        program=cast.program, pathway__code=pathway_code
    )
    assert pp.current_config is not None
    return pp.current_config


def agency(cast: Cast, name: str, kind: str) -> Agency:
    return AgencyFactory.create(program=cast.program, name=name, kind=kind)


def service_at(organization: Agency, name: str, service_type: str, open_now: int = 4) -> Service:
    return ServiceFactory.create(
        organization=organization,
        name=name,
        service_type=service_type,
        capacity_total=10,
        capacity_open=open_now,
    )


def form_url(pathway_code: str) -> str:
    return reverse("encounters:new", kwargs={"code": pathway_code})


def contact(who: str, **fields: Any) -> dict[str, Any]:
    """The common part of the field form for one of PEOPLE; None drops a field."""
    first, last, born = PEOPLE[who]
    data: dict[str, Any] = {
        "idempotency_key": str(uuid.uuid4()),
        "first_name": first,
        "last_name": last,
        "date_of_birth": born,
        "presenting_needs": ["opioid_use"],
        "location_text": "Station 2 lobby",
        "call_source": "walk_in",
        "disposition": "information",
    }
    data.update(fields)
    return {k: v for k, v in data.items() if v is not None}


def referred_to(service: Service) -> dict[str, Any]:
    return {"disposition": "referred", "service": str(service.pk), "warm_handoff": "on"}


def overdose(**fields: str) -> dict[str, Any]:
    data = {
        "call_source": "overdose_response",
        "overdose-naloxone_given": "yes",
        "overdose-naloxone_doses": "2",
        "overdose-administered_by": "ems",
        "overdose-fatal": "no",
        "overdose-transported": "yes",
        "overdose-destination": "Riverside General",
    }
    return {**data, **fields}


def surrendered(*kinds: str) -> dict[str, Any]:
    return {
        "surrendered_items-kinds": list(kinds),
        "surrendered_items-disposal_method": "Drug drop box, Station 2",
    }


def paired_with(companion: User) -> dict[str, Any]:
    return {"companion-companion": str(companion.pk)}


def crisis(*members: str, outcome: str = "resolved") -> dict[str, Any]:
    return {"crisis_team-team_members": list(members), "crisis_team-outcome": outcome}


def charge(offence_type: str, level: str = "misdemeanour", **fields: str) -> dict[str, Any]:
    data = {"charge-offence_type": offence_type, "charge-offence_level": level}
    return {**data, **{f"charge-{k}": v for k, v in fields.items()}}


def facts(**answers: str) -> dict[str, Any]:
    return {f"fact_{code}": value for code, value in answers.items()}


def submit(client: Client, pathway_code: str, data: dict[str, Any], at: dt.datetime = NOW) -> Any:
    with clock.frozen(at):
        return client.post(form_url(pathway_code), data)


def text(response: Any) -> str:
    return html.unescape(response.content.decode())


def saved() -> tuple[int, ...]:
    """Row counts of everything a field entry, a visit or a case writes."""
    return tuple(
        model.objects.count()
        for model in (
            Person,
            Encounter,
            Referral,
            WorkItem,
            Case,
            HeldCharge,
            SurrenderedItem,
            CrisisResponse,
            OverdoseEvent,
            Visit,
            OutreachEntry,
            AuditEvent,
        )
    )


def end_of_local_day(moment: dt.datetime, days: int) -> dt.datetime:
    """23:59:59 in Chicago on the `days`-th calendar day after `moment`, in UTC."""
    day = moment.astimezone(CHICAGO).date() + dt.timedelta(days=days)
    return dt.datetime.combine(day, dt.time(23, 59, 59), tzinfo=CHICAGO).astimezone(dt.UTC)


def local_date(moment: dt.datetime, days: int) -> dt.date:
    return moment.astimezone(CHICAGO).date() + dt.timedelta(days=days)


def assert_refused(
    client: Client, pathway_code: str, data: dict[str, Any], message: str, at: dt.datetime = NOW
) -> None:
    """The field form refuses the submission with `message` and saves nothing."""
    before = saved()
    response = submit(client, pathway_code, data, at)
    assert response.status_code == 422, text(response)[:2000]
    assert message in text(response)
    assert saved() == before


def only_item(kind: str, **filters: Any) -> WorkItem:
    return WorkItem.objects.get(kind=kind, **filters)


def provider_accepts(cast: Cast, intake: User, referral: Referral, at: dt.datetime) -> None:
    """The receiving provider's intake opens the referral (received) and accepts it."""
    client = cast.client_for(intake)
    with clock.frozen(at):
        client.get(reverse("referrals:detail", kwargs={"referral_id": referral.pk}))
        response = client.post(
            reverse("referrals:act", kwargs={"referral_id": referral.pk, "action": "accept"}),
            {"accept-expected_status": "received"},
        )
    assert response.status_code == 302, text(response)[:2000]
    referral.refresh_from_db()
    assert referral.status == "accepted"


def visit_url(item: WorkItem) -> str:
    return reverse("followups:visit", kwargs={"item_id": item.pk})


def prosecutors(cast: Cast) -> Agency:
    return Agency.objects.get(program=cast.program, kind="prosecutor")


def outreach_list_named(cast: Cast, name: str) -> OutreachList:
    return OutreachList.objects.get(program=cast.program, name=name)


def add_to_list(cast: Cast, user: User, outreach_list: OutreachList, person: Person) -> Any:
    with clock.frozen(NOW):
        return cast.client_for(user).post(
            reverse("followups:outreach_add", kwargs={"list_id": outreach_list.pk}),
            {
                # the person as the team finds them: name and birth date (issue 18)
                "q": person.last_name,
                "dob": person.date_of_birth.isoformat() if person.date_of_birth else "",
                "person": str(person.pk),
                "reason": "referred_by_responder",
            },
        )


# --- Quick Response Team (Hamilton County) -------------------------------------------------------


def test_qrt_follow_up_is_due_inside_the_72_hour_recovery_window_and_needs_a_clinician(
    cast: Cast,
) -> None:
    fire = agency(cast, "Green Township Fire", "fire")
    firefighter = member(fire, "officer", "firefighter_g")
    start(cast, "qrt_hamilton_county")
    reported = submit(cast.client_for(firefighter), "naloxone_plus", contact("avery", **overdose()))
    assert reported.status_code == 302, text(reported)[:2000]
    assert OverdoseEvent.objects.get().reporting_agency == fire
    item = only_item(WorkKind.OVERDOSE_FOLLOWUP)
    assert item.due_at == NOW + 72 * HOUR
    assert item.team == cast.police_a  # the template's law-enforcement team, not the reporter

    officer = cast.client_for(cast.officer_a)
    before = saved()
    with clock.frozen(NOW + 30 * HOUR):
        alone = officer.post(visit_url(item), {"members": ["officer"], "outcome": "engaged"})
    assert alone.status_code == 422
    assert "This program's visits include a clinician or social worker." in text(alone)
    assert saved() == before
    with clock.frozen(NOW + 30 * HOUR):
        visited = officer.post(
            visit_url(item),
            {
                "members": ["officer", "clinician"],
                "outcome": "referred",
                **referred_to(cast.detox_p),
            },
        )
    assert visited.status_code == 302, text(visited)[:2000]
    item.refresh_from_db()
    assert not item.is_open and item.completed_at == NOW + 30 * HOUR
    assert Referral.objects.get().encounter.pathway.code == "naloxone_plus"


# --- LEAD (King County) --------------------------------------------------------------------------


def lead_facts(grams: str) -> dict[str, Any]:
    return facts(
        drug_grams=grams,
        drug_type="heroin",
        dealing_above_subsistence="no",
        exploits_minors="no",
        promotes_prostitution="no",
        offence_type="drug_possession",
    )


def test_lead_king_county_refuses_more_than_3_g_and_sends_the_diversion_to_the_prosecutor(
    cast: Cast,
) -> None:
    start(cast, "lead_king_county")
    officer = cast.client_for(cast.officer_a)
    held = {"call_source": "on_view", **referred_to(cast.detox_p), **charge("drug_possession")}
    assert_refused(
        officer,
        "officer_intervention",
        contact("avery", **held, **lead_facts("4")),
        "Presumptively not eligible: more than 3 g of drugs",
    )

    diverted = submit(officer, "officer_intervention", contact("avery", **held, **lead_facts("2")))
    assert diverted.status_code == 302, text(diverted)[:2000]
    case = Case.objects.get()
    assert case.status == "pending_review"
    assert case.case_agency == cast.provider_p
    assert HeldCharge.objects.get(case=case).mode == "abeyance"
    review = only_item(WorkKind.PROSECUTOR_REVIEW)
    assert review.team == prosecutors(cast)
    assert review.due_at == end_of_local_day(NOW, 5)
    assert only_item(WorkKind.COMPLETION_DUE).due_at == end_of_local_day(NOW, 180)
    with clock.frozen(NOW + 26 * HOUR):
        accepted = cast.client_for(cast.prosecutor).post(
            reverse("cases:act", args=[case.pk, "accept"]),
            {"accept-expected_status": "pending_review"},
        )
    assert accepted.status_code == 302
    case.refresh_from_db()
    assert case.status == "active"
    review.refresh_from_db()
    assert not review.is_open

    # A social contact: Officer Prevention, a referral and no charge at all.
    social = submit(
        officer,
        "officer_prevention",
        contact("robin", presenting_needs=["substance_use"], **referred_to(cast.detox_p)),
    )
    assert social.status_code == 302, text(social)[:2000]
    contact_row = Encounter.objects.get(pathway__code="officer_prevention")
    assert Case.objects.count() == 1 and not Case.objects.filter(encounter=contact_row).exists()
    response = only_item(WorkKind.REFERRAL_RESPONSE, referral__encounter=contact_row)
    assert response.due_at == NOW + 48 * HOUR


# --- LEAD (Santa Fe) -----------------------------------------------------------------------------


def test_lead_santa_fe_diverts_5_g_under_its_6_g_line_with_the_intake_due_in_30_days(
    cast: Cast,
) -> None:
    start(cast, "lead_santa_fe")
    officer = cast.client_for(cast.officer_a)
    held = {"call_source": "on_view", **referred_to(cast.detox_p), **charge("drug_possession")}
    over = lead_facts("7")
    del over["fact_offence_type"]  # Santa Fe's rules do not ask for the offense
    assert_refused(
        officer,
        "officer_intervention",
        contact("avery", **held, **over),
        "Presumptively not eligible: more than 6 g of drugs",
    )

    five = {k: v for k, v in lead_facts("5").items() if k != "fact_offence_type"}
    diverted = submit(officer, "officer_intervention", contact("avery", **held, **five))
    assert diverted.status_code == 302, text(diverted)[:2000]
    encounter = Encounter.objects.get()
    assert encounter.eligibility_outcome == "eligible"
    case = Case.objects.get()
    assert case.status == "pending_review"
    assessment = PlanRequirement.objects.get(case=case, kind="assessment")
    assert assessment.description == "Intake assessment with the LEAD case manager"
    assert assessment.due_date == local_date(NOW, 30)
    assert only_item(WorkKind.INTAKE_DUE).due_at == end_of_local_day(NOW, 30)


# --- Angel Program (Gloucester) ------------------------------------------------------------------


def test_angel_program_walk_in_is_police_only_and_placed_inside_24_hours(cast: Cast) -> None:
    firefighter = member(agency(cast, "Gloucester Fire", "fire"), "officer", "firefighter_g")
    angel = member(agency(cast, "Angel Volunteers", "recovery_support"), "outreach", "angel_v")
    start(cast, "angel_program")
    assert cast.client_for(firefighter).get(form_url("self_referral")).status_code == 404

    officer = cast.client_for(cast.officer_a)
    walk_in = {
        **referred_to(cast.detox_p),
        **surrendered("drugs", "syringes"),
        **paired_with(angel),
        **facts(officer_safety_risk="no"),
    }
    assert_refused(
        officer,
        "self_referral",
        contact("avery", **walk_in, fact_outstanding_warrant="yes"),
        "The person has an outstanding warrant.",
    )

    helped = submit(
        officer, "self_referral", contact("avery", **walk_in, fact_outstanding_warrant="no")
    )
    assert helped.status_code == 302, text(helped)[:2000]
    encounter = Encounter.objects.get()
    assert encounter.companion == angel
    assert sorted(i.kind for i in encounter.surrendered_items.all()) == ["drugs", "syringes"]
    placement = only_item(WorkKind.PLACEMENT)
    assert placement.due_at == NOW + 24 * HOUR and placement.team == cast.police_a
    assert only_item(WorkKind.REFERRAL_RESPONSE).due_at == NOW + 4 * HOUR

    provider_accepts(cast, cast.intake_p, Referral.objects.get(), NOW + 3 * HOUR)
    placement.refresh_from_db()
    assert placement.completed_at == NOW + 3 * HOUR
    assert not only_item(WorkKind.REFERRAL_RESPONSE).is_open


# --- A Way Out (Lake County) ---------------------------------------------------------------------


def test_a_way_out_takes_walk_ins_at_police_stations_only_without_questions(cast: Cast) -> None:
    paramedic = member(agency(cast, "Lake County EMS", "ems"), "officer", "paramedic_l")
    volunteer = member(agency(cast, "Lake County Peers", "recovery_support"), "outreach", "peer_l")
    start(cast, "a_way_out_lake_county")
    assert cast.client_for(paramedic).get(form_url("self_referral")).status_code == 404

    officer = cast.client_for(cast.officer_b)
    page = text(officer.get(form_url("self_referral")))
    assert "A Way Out walk-in" in page
    assert 'name="fact_' not in page  # no eligibility question: anyone asking for help
    helped = submit(
        officer,
        "self_referral",
        contact(
            "robin",
            **referred_to(cast.detox_p),
            **surrendered("drugs", "paraphernalia"),
            **paired_with(volunteer),
        ),
    )
    assert helped.status_code == 302, text(helped)[:2000]
    encounter = Encounter.objects.get()
    assert encounter.agency == cast.police_b and encounter.companion == volunteer
    assert SurrenderedItem.objects.filter(encounter=encounter).count() == 2
    placement = only_item(WorkKind.PLACEMENT)
    assert placement.due_at == NOW + 24 * HOUR and placement.team == cast.police_b

    provider_accepts(cast, cast.intake_p, Referral.objects.get(), NOW + 20 * HOUR)
    placement.refresh_from_db()
    assert not placement.is_open and placement.completed_at == NOW + 20 * HOUR


# --- Safe Passage (Illinois) ---------------------------------------------------------------------


def test_safe_passage_logs_items_for_disposal_and_pairs_a_volunteer_guide(cast: Cast) -> None:
    guide = member(agency(cast, "Safe Passage Guides", "recovery_support"), "outreach", "guide_s")
    start(cast, "safe_passage")
    officer = cast.client_for(cast.officer_a)
    helped = submit(
        officer,
        "self_referral",
        contact(
            "jordan",
            **referred_to(cast.detox_p),
            **surrendered("drugs", "syringes"),
            **paired_with(guide),
        ),
    )
    assert helped.status_code == 302, text(helped)[:2000]
    encounter = Encounter.objects.get()
    assert encounter.companion == guide
    items = list(SurrenderedItem.objects.filter(encounter=encounter))
    assert len(items) == 2
    assert all(i.disposal_method == "Drug drop box, Station 2" for i in items)
    assert all(i.disposed_at == NOW and i.disposed_by == cast.officer_a for i in items)
    assert Case.objects.count() == 0 and HeldCharge.objects.count() == 0  # never evidence
    assert "never as evidence" in text(officer.get(helped["Location"]))
    assert only_item(WorkKind.REFERRAL_RESPONSE).due_at == NOW + 8 * HOUR

    placement = only_item(WorkKind.PLACEMENT)
    assert placement.due_at == NOW + 24 * HOUR
    provider_accepts(cast, cast.intake_p, Referral.objects.get(), NOW + 6 * HOUR)
    placement.refresh_from_db()
    assert placement.completed_at == NOW + 6 * HOUR


# --- Safe Stations (Manchester) ------------------------------------------------------------------


def test_safe_stations_firefighters_take_walk_ins_and_send_medical_needs_to_care_first(
    cast: Cast,
) -> None:
    station = agency(cast, "Manchester Fire Station 1", "fire")
    firefighter = member(station, "officer", "firefighter_m")
    coach = member(agency(cast, "Recovery Coaches", "recovery_support"), "outreach", "coach_m")
    start(cast, "safe_stations")
    client = cast.client_for(firefighter)

    before = saved()
    refused = submit(
        client,
        "self_referral",
        contact("avery", **referred_to(cast.detox_p), fact_needs_emergency_medical_care="yes"),
    )
    assert refused.status_code == 422
    assert "Medical care comes first: arrange transport to an appropriate medical facility" in (
        text(refused)
    )
    assert saved() == before
    transported = submit(
        client,
        "self_referral",
        contact("avery", disposition="transported", fact_needs_emergency_medical_care="yes"),
    )
    assert transported.status_code == 302, text(transported)[:2000]
    sent_to_care = Encounter.objects.get()
    assert sent_to_care.eligibility_outcome == "ineligible"
    assert Referral.objects.count() == 0

    helped = submit(
        client,
        "self_referral",
        contact(
            "robin",
            **referred_to(cast.detox_p),
            **surrendered("syringes", "paraphernalia"),
            **paired_with(coach),
            fact_needs_emergency_medical_care="no",
        ),
    )
    assert helped.status_code == 302, text(helped)[:2000]
    walk_in = Encounter.objects.exclude(pk=sent_to_care.pk).get()
    assert walk_in.agency == station and walk_in.companion == coach
    assert sorted(i.kind for i in walk_in.surrendered_items.all()) == ["paraphernalia", "syringes"]
    placement = only_item(WorkKind.PLACEMENT, encounter=walk_in)
    assert placement.team == station and placement.due_at == NOW + 24 * HOUR


# --- Hope Not Handcuffs (Michigan) ---------------------------------------------------------------


def test_hope_not_handcuffs_records_the_volunteer_greeter_and_the_placement(cast: Cast) -> None:
    greeter = member(
        agency(cast, "Families Against Narcotics", "recovery_support"), "outreach", "fan"
    )
    start(cast, "hope_not_handcuffs")
    officer = cast.client_for(cast.officer_a)
    page = text(officer.get(form_url("self_referral")))
    assert 'name="companion-companion"' in page
    assert 'name="surrendered_items-kinds"' not in page  # the template leaves that section out

    helped = submit(
        officer,
        "self_referral",
        contact("dana", **referred_to(cast.detox_p), **paired_with(greeter)),
    )
    assert helped.status_code == 302, text(helped)[:2000]
    assert Encounter.objects.get().companion == greeter
    placement = only_item(WorkKind.PLACEMENT)
    assert placement.due_at == NOW + 24 * HOUR
    assert only_item(WorkKind.REFERRAL_RESPONSE).due_at == NOW + 4 * HOUR
    provider_accepts(cast, cast.intake_p, Referral.objects.get(), NOW + 2 * HOUR)
    placement.refresh_from_db()
    assert placement.completed_at == NOW + 2 * HOUR


# --- HOPE Initiative (Nashville, NC) -------------------------------------------------------------


def test_hope_initiative_refers_any_substance_use_to_its_partner_services_only(
    cast: Cast,
) -> None:
    hospital = agency(cast, "Nash General Hospital", "treatment")
    medical = service_at(hospital, "Nash Emergency Medicine", ServiceType.MEDICAL)
    start(cast, "hope_initiative_nashville")
    config = config_of(cast, "self_referral")
    assert set(config.partner_service_ids) == {
        str(cast.detox_p.pk),
        str(cast.outpatient_p_full.pk),
        str(medical.pk),
    }

    officer = cast.client_for(cast.officer_a)
    meth = {
        "presenting_needs": ["substance_use"],
        "notes": "Methamphetamine and alcohol; no opioids.",
        **surrendered("paraphernalia"),
    }
    # the partners come first; the program's other services would follow them (issue 18:
    # before, a service outside the partners was refused)
    page = text(officer.get(form_url("self_referral")))
    assert page.index("This pathway's partner services") < page.index("Harbor Detox")

    helped = submit(
        officer, "self_referral", contact("jordan", **meth, **referred_to(cast.detox_p))
    )
    assert helped.status_code == 302, text(helped)[:2000]
    referral = Referral.objects.get()
    assert referral.service == cast.detox_p
    assert referral.encounter.presenting_needs == ["substance_use"]
    placement = only_item(WorkKind.PLACEMENT)
    provider_accepts(cast, cast.intake_p, referral, NOW + 5 * HOUR)
    placement.refresh_from_db()
    assert placement.completed_at == NOW + 5 * HOUR


# --- Blue HART (Ocean County) --------------------------------------------------------------------


def test_blue_hart_takes_walk_ins_only_on_wednesdays_from_9_to_3_local_time(cast: Cast) -> None:
    start(cast, "blue_hart_ocean_county")
    officer = cast.client_for(cast.officer_a)
    hours = "Blue HART takes walk-ins on Wednesdays from 9 a.m. to 3 p.m."
    wednesday_4_pm = dt.datetime(2026, 11, 18, 22, 0, tzinfo=dt.UTC)
    thursday_10_am = dt.datetime(2026, 11, 19, 16, 0, tzinfo=dt.UTC)
    walk_in = {**referred_to(cast.detox_p), **surrendered("drugs")}
    before = saved()
    for moment in (wednesday_4_pm, thursday_10_am):
        refused = submit(officer, "self_referral", contact("avery", **walk_in), at=moment)
        assert refused.status_code == 422, moment
        assert hours in text(refused), moment
    assert saved() == before

    helped = submit(officer, "self_referral", contact("avery", **walk_in), at=NOW)  # Wed 10:00
    assert helped.status_code == 302, text(helped)[:2000]
    assert Encounter.objects.get().eligibility_outcome == "eligible"
    assert Referral.objects.get().service == cast.detox_p
    assert only_item(WorkKind.PLACEMENT).due_at == NOW + 24 * HOUR


# --- Mercy Project (Tift County) -----------------------------------------------------------------


def test_mercy_project_refuses_warrants_and_pending_drug_charges_and_never_arrests(
    cast: Cast,
) -> None:
    start(cast, "mercy_project")
    officer = cast.client_for(cast.officer_a)
    walk_in = {**referred_to(cast.detox_p), **surrendered("drugs", "medication")}
    before = saved()
    for answers, reason in (
        (facts(outstanding_warrant="yes", pending_drug_charges="no"), "outstanding warrant"),
        (
            facts(outstanding_warrant="no", pending_drug_charges="yes"),
            "The person has drug charges pending in court.",
        ),
    ):
        refused = submit(officer, "self_referral", contact("dana", **walk_in, **answers))
        assert refused.status_code == 422, answers
        assert reason in text(refused), answers
    assert saved() == before

    clear = facts(outstanding_warrant="no", pending_drug_charges="no")
    helped = submit(officer, "self_referral", contact("dana", **walk_in, **clear))
    assert helped.status_code == 302, text(helped)[:2000]
    encounter = Encounter.objects.get()
    assert encounter.disposition == "referred"
    assert SurrenderedItem.objects.filter(encounter=encounter).count() == 2
    assert Case.objects.count() == 0 and HeldCharge.objects.count() == 0
    assert only_item(WorkKind.PLACEMENT).due_at == NOW + 72 * HOUR  # Mercy's consultation time


# --- STEER (Montgomery County) -------------------------------------------------------------------


def test_steer_diverts_only_a_screening_score_of_3_or_more_with_an_assessment_in_14_days(
    cast: Cast,
) -> None:
    start(cast, "steer_montgomery_county")
    officer = cast.client_for(cast.officer_a)
    held = {"call_source": "on_view", **referred_to(cast.detox_p), **charge("drug_possession")}
    assert_refused(
        officer,
        "officer_intervention",
        contact("avery", **held, fact_drug_screen_score="2"),
        "so the person is not a STEER candidate",
    )

    diverted = submit(
        officer, "officer_intervention", contact("avery", **held, fact_drug_screen_score="4")
    )
    assert diverted.status_code == 302, text(diverted)[:2000]
    case = Case.objects.get()
    assert case.status == "active"  # no prosecutor review in STEER
    assert HeldCharge.objects.get(case=case).mode == "abeyance"
    assessment = PlanRequirement.objects.get(case=case, kind="assessment")
    assert assessment.description == "Full clinical assessment with the STEER care coordinator"
    assert assessment.due_date == local_date(NOW, 14)
    assert only_item(WorkKind.INTAKE_DUE).due_at == end_of_local_day(NOW, 14)
    assert not WorkItem.objects.filter(kind=WorkKind.PROSECUTOR_REVIEW).exists()

    prevention = contact("robin", presenting_needs=["substance_use"], **referred_to(cast.detox_p))
    low = submit(officer, "officer_prevention", {**prevention, "fact_drug_screen_score": "2"})
    assert low.status_code == 422
    assert "so a STEER referral does not fit" in text(low)
    referred = submit(officer, "officer_prevention", {**prevention, "fact_drug_screen_score": "4"})
    assert referred.status_code == 302, text(referred)[:2000]
    assert Referral.objects.filter(encounter__pathway__code="officer_prevention").count() == 1
    assert Case.objects.count() == 1


# --- Adult civil citation (Leon County) ----------------------------------------------------------


def test_leon_civil_citation_excludes_violent_and_dui_offenses_and_cites_a_first_theft(
    cast: Cast,
) -> None:
    counseling = service_at(cast.provider_q, "Lakeside Counseling", ServiceType.MH_OUTPATIENT)
    start(cast, "leon_civil_citation")
    officer = cast.client_for(cast.officer_a)
    # the offence is the charge's: the eligibility questions do not ask it a second time
    page = text(officer.get(form_url("officer_intervention")))
    assert 'name="fact_first_offence"' in page and 'name="fact_offence_type"' not in page
    cited = {"call_source": "on_view", **referred_to(counseling)}
    before = saved()
    for offence, reason in (
        ("battery", "Battery and other violent offenses are excluded."),
        ("dui", "Driving under the influence (DUI) is excluded."),
    ):
        # a stray "theft" answer (an old form, a crafted post) cannot hide the charge's offence
        answers = facts(first_offence="yes", offence_level="misdemeanour", offence_type="theft")
        refused = submit(
            officer,
            "officer_intervention",
            contact("robin", **cited, **charge(offence, citation_number="LC-1"), **answers),
        )
        assert refused.status_code == 422, offence
        assert reason in text(refused), offence
    assert saved() == before

    theft = facts(first_offence="yes")
    ok = submit(
        officer,
        "officer_intervention",
        contact("robin", **cited, **charge("theft", citation_number="LC-2026-0042"), **theft),
    )
    assert ok.status_code == 302, text(ok)[:2000]
    case = Case.objects.get()
    assert case.status == "active" and case.case_agency == cast.provider_q
    held = HeldCharge.objects.get(case=case)
    assert (held.mode, held.citation_number) == ("civil_citation", "LC-2026-0042")
    plan = list(PlanRequirement.objects.filter(case=case).order_by("position"))
    assert [r.kind for r in plan] == ["assessment", "treatment", "community_service", "fee"]
    service_hours = plan[2]
    assert service_hours.hours_required == 20
    assert service_hours.due_date == local_date(NOW, 90)
    assert only_item(WorkKind.INTAKE_DUE).due_at == end_of_local_day(NOW, 14)


# --- Plymouth County Outreach --------------------------------------------------------------------


def test_plymouth_home_visit_is_due_24_hours_after_the_overdose(cast: Cast) -> None:
    coach = member(agency(cast, "Plymouth Recovery Coaches", "recovery_support"), "outreach", "pc")
    start(cast, "plymouth_county_outreach")
    officer = cast.client_for(cast.officer_b)
    reported = submit(
        officer, "naloxone_plus", contact("jordan", **overdose(), **paired_with(coach))
    )
    assert reported.status_code == 302, text(reported)[:2000]
    assert Encounter.objects.get().companion == coach
    item = only_item(WorkKind.OVERDOSE_FOLLOWUP)
    assert item.due_at == NOW + 24 * HOUR
    assert item.team == cast.police_a  # the county's first police department does the visits

    with clock.frozen(NOW + 23 * HOUR):
        visited = cast.client_for(cast.officer_a).post(
            visit_url(item), {"members": ["officer", "clinician", "peer"], "outcome": "engaged"}
        )
    assert visited.status_code == 302, text(visited)[:2000]
    item.refresh_from_db()
    assert not item.is_open and item.completed_at == NOW + 23 * HOUR
    assert Visit.objects.get().contact is not None


# --- DART (Lucas County) -------------------------------------------------------------------------


def test_dart_follows_up_overdoses_in_24_hours_and_keeps_a_reunification_list(
    cast: Cast,
) -> None:
    agency(cast, "Lucas County Children Services", "social_services")
    firefighter = member(agency(cast, "Toledo Fire", "fire"), "officer", "firefighter_t")
    start(cast, "dart_lucas_county")
    reunification = outreach_list_named(cast, "Parents working toward reunification")
    assert reunification.team == cast.police_a

    reported = submit(cast.client_for(firefighter), "naloxone_plus", contact("dana", **overdose()))
    assert reported.status_code == 302, text(reported)[:2000]
    index = Encounter.objects.get()
    follow_up = only_item(WorkKind.OVERDOSE_FOLLOWUP)
    assert follow_up.due_at == NOW + 24 * HOUR
    assert follow_up.team == cast.police_a  # DART officers follow up what fire reports

    added = add_to_list(cast, cast.officer_a, reunification, index.person)
    assert added.status_code == 302, text(added)[:2000]
    entry = OutreachEntry.objects.get(outreach_list=reunification)
    assert entry.status == "identified" and entry.work_item is not None
    visit = entry.work_item
    assert visit.kind == WorkKind.OUTREACH_VISIT and visit.team == cast.police_a
    assert visit.due_at == end_of_local_day(NOW, 3)
    assert visit.encounter == index  # the visit follows up the overdose contact


# --- Arlington Opiate Outreach -------------------------------------------------------------------


def test_arlington_outreach_visits_need_the_clinician_and_fall_due_within_7_days(
    cast: Cast,
) -> None:
    clinician = member(cast.police_a, "outreach", "clinician_arl")
    start(cast, "arlington_opiate_outreach")
    known = outreach_list_named(cast, "Known to use opioids")
    assert known.team == cast.police_a
    person = PersonFactory.create(
        first_name="Casey", last_name="Vandermolen", created_by_agency=cast.police_a
    )
    added = add_to_list(cast, cast.officer_a, known, person)
    assert added.status_code == 302, text(added)[:2000]
    entry = OutreachEntry.objects.get(outreach_list=known)
    item = entry.work_item
    assert item is not None and item.due_at == end_of_local_day(NOW, 7)

    client = cast.client_for(clinician)
    visited_at = NOW + 50 * HOUR
    before = saved()
    with clock.frozen(visited_at):
        alone = client.post(visit_url(item), {"members": ["officer"], "outcome": "engaged"})
    assert alone.status_code == 422
    assert "This program's visits include a clinician or social worker." in text(alone)
    assert saved() == before
    with clock.frozen(visited_at):
        met = client.post(visit_url(item), {"members": ["clinician"], "outcome": "engaged"})
    assert met.status_code == 302, text(met)[:2000]
    entry.refresh_from_db()
    assert entry.status == "engaged"
    assert entry.work_item is not None and entry.work_item.pk != item.pk
    assert entry.work_item.due_at == end_of_local_day(visited_at, 7)
    recorded = Visit.objects.get().contact
    assert recorded is not None and recorded.pathway.code == "active_outreach"


# --- Yellow Line (Blue Earth County) -------------------------------------------------------------


def test_yellow_line_puts_referrals_and_diversions_on_human_services_worklist(
    cast: Cast,
) -> None:
    human_services = agency(cast, "Blue Earth County Human Services", "social_services")
    case_manager = member(human_services, "case_manager", "hs_case_manager")
    coordination = service_at(human_services, "Care Coordination", ServiceType.CASE_MANAGEMENT)
    start(cast, "yellow_line_blue_earth")
    officer = cast.client_for(cast.officer_a)

    referred = submit(
        officer,
        "officer_prevention",
        contact("avery", presenting_needs=["mental_health"], **referred_to(coordination)),
    )
    assert referred.status_code == 302, text(referred)[:2000]
    response = only_item(WorkKind.REFERRAL_RESPONSE)
    assert response.team == human_services and response.due_at == NOW + 24 * HOUR

    # A held charge with no referral yet: the configured follow-up team takes the case.
    diverted = submit(
        officer,
        "officer_intervention",
        contact("robin", call_source="on_view", **charge("trespass")),
    )
    assert diverted.status_code == 302, text(diverted)[:2000]
    case = Case.objects.get()
    assert case.case_agency == human_services and case.status == "active"
    intake = only_item(WorkKind.INTAKE_DUE)
    assert intake.team == human_services and intake.due_at == end_of_local_day(NOW, 30)
    with clock.frozen(NOW):
        worklist = text(cast.client_for(case_manager).get(reverse("followups:list")))
        police = text(cast.client_for(cast.officer_a).get(reverse("followups:list")))
    assert intake.title in worklist and response.title in worklist
    assert intake.title not in police


# --- Crisis Intervention Team (Memphis) ----------------------------------------------------------


def test_cit_officer_records_the_crisis_outcome_and_offers_mental_health_services_only(
    cast: Cast,
) -> None:
    start(cast, "cit_memphis")
    assert config_of(cast, "officer_prevention").partner_service_ids == [str(cast.crisis_q.pk)]
    officer = cast.client_for(cast.officer_a)
    page = text(officer.get(form_url("officer_prevention")))
    assert "The crisis response" in page and 'name="crisis_team-team_members"' in page

    call = {
        "presenting_needs": ["mental_health", "crisis"],
        "call_source": "dispatched",
        **crisis("officer", outcome="crisis_center"),
    }
    # the crisis unit is the partner and comes first (issue 18: other services follow it and
    # may be chosen; before, they were refused)
    assert page.index("This pathway's partner services") < page.index(
        "Lakeside Crisis Stabilization"
    )

    ok = submit(
        officer, "officer_prevention", contact("jordan", **call, **referred_to(cast.crisis_q))
    )
    assert ok.status_code == 302, text(ok)[:2000]
    response = CrisisResponse.objects.get()
    assert response.team_members == ["officer"] and response.outcome == "crisis_center"
    assert response.arrived_at == NOW
    assert list(WorkItem.objects.values_list("kind", "team")) == [
        (WorkKind.REFERRAL_RESPONSE, cast.provider_q.pk)
    ]


# --- Community response team ---------------------------------------------------------------------


def test_community_response_team_needs_clinician_and_peer_and_follows_up_within_24_hours(
    cast: Cast,
) -> None:
    team = agency(cast, "Mobile Crisis Team", "community_response")
    clinician = member(team, "outreach", "crisis_clinician")
    start(cast, "community_response_team")
    assert cast.client_for(cast.officer_a).get(form_url("community_response")).status_code == 404

    client = cast.client_for(clinician)
    call = {
        "presenting_needs": ["crisis"],
        "call_source": "dispatched",
        "location_text": "Bus shelter, 5th & Pine",
        **referred_to(cast.crisis_q),
    }
    assert_refused(
        client,
        "community_response",
        contact("dana", **call, **crisis("clinician", "medic")),
        "This program's crisis team includes a peer.",
    )

    ok = submit(
        client,
        "community_response",
        contact("dana", **call, **crisis("clinician", "peer", outcome="referred")),
    )
    assert ok.status_code == 302, text(ok)[:2000]
    assert CrisisResponse.objects.get().team_members == ["clinician", "peer"]
    follow_up = only_item(WorkKind.CRISIS_FOLLOWUP)
    assert follow_up.team == team and follow_up.due_at == NOW + 24 * HOUR
    assert only_item(WorkKind.REFERRAL_RESPONSE).team == cast.provider_q


# --- What the templates showed about the shared workflow ----------------------------------------


def test_the_live_check_judges_the_offence_of_the_charge_being_entered(cast: Cast) -> None:
    start(cast, "leon_civil_citation")
    officer = cast.client_for(cast.officer_a)
    url = reverse("encounters:eligibility", kwargs={"code": "officer_intervention"})
    with clock.frozen(NOW):
        battery = officer.get(
            url, {"fact_first_offence": "yes", **charge("battery"), "date_of_birth": "1990-01-01"}
        )
        theft = officer.get(
            url, {"fact_first_offence": "yes", **charge("theft"), "date_of_birth": "1990-01-01"}
        )
    assert "Battery and other violent offenses are excluded." in text(battery)
    assert "Not eligible" in text(battery)
    assert "Eligible" in text(theft) and "excluded" not in text(theft)


def test_a_rule_on_the_time_of_day_shows_its_decision_before_any_answer(cast: Cast) -> None:
    start(cast, "blue_hart_ocean_county")
    officer = cast.client_for(cast.officer_a)
    with clock.frozen(NOW + 24 * HOUR):  # Thursday 10:00 in Chicago
        closed = text(officer.get(form_url("self_referral")))
    with clock.frozen(NOW):  # Wednesday 10:00
        open_ = text(officer.get(form_url("self_referral")))
    assert 'data-testid="eligibility-decision"' in closed
    assert "Blue HART takes walk-ins on Wednesdays from 9 a.m. to 3 p.m." in closed
    assert "Eligible" in open_ and "Blue HART takes walk-ins" not in open_


def test_a_walk_in_that_goes_no_further_starts_no_placement_clock(cast: Cast) -> None:
    start(cast, "safe_passage")
    officer = cast.client_for(cast.officer_a)
    for who, disposition in (("avery", "declined"), ("robin", "information")):
        done = submit(officer, "self_referral", contact(who, disposition=disposition))
        assert done.status_code == 302, text(done)[:2000]
    assert not WorkItem.objects.filter(kind=WorkKind.PLACEMENT).exists()
    transported = submit(officer, "self_referral", contact("jordan", disposition="transported"))
    assert transported.status_code == 302
    assert only_item(WorkKind.PLACEMENT).due_at == NOW + 24 * HOUR
