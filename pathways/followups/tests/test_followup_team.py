"""The follow-up team's visits (docs/decisions/0017): the program's configured follow-up team
records its visits whatever the pathway's starting roles are (a visit is not the start of a
pathway); another team or a member without a visit role is refused and nothing changes. The
visit form offers services in the pathway's stated priority and says before sending what the
program requires of the team."""

from __future__ import annotations

import datetime as dt
import html
import uuid
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from pathways.accounts.factories import member
from pathways.audit.models import AuditEvent
from pathways.core import clock
from pathways.directory.factories import ServiceFactory
from pathways.directory.models import ServiceType
from pathways.encounters.models import Encounter
from pathways.followups.factories import WorkItemFactory, outreach_team
from pathways.followups.models import Visit, WorkItem, WorkKind
from pathways.followups.services import visit_record
from pathways.programs.models import ProgramPathway
from pathways.programs.program_templates import program_template
from pathways.programs.services import pathway_config_save, program_template_apply
from pathways.referrals.models import Referral

NOW = dt.datetime(2026, 11, 20, 15, 0, tzinfo=dt.UTC)  # Fri Nov 20, 09:00 CST
LATER = NOW + dt.timedelta(hours=20)


def record_overdose(cast: Any, **extra: str) -> WorkItem:
    """An officer of police A records a Naloxone Plus overdose; the follow-up item opens."""
    data = {
        "idempotency_key": str(uuid.uuid4()),
        "first_name": "Casey",
        "last_name": "Vandermolen",
        "date_of_birth": "1987-07-07",
        "presenting_needs": ["opioid_use"],
        "location_text": "Motel 9, room 12",
        "call_source": "overdose_response",
        "disposition": "information",
        "overdose-naloxone_given": "yes",
        "overdose-naloxone_doses": "2",
        "overdose-administered_by": "ems",
        "overdose-fatal": "no",
        "overdose-transported": "no",
        **extra,
    }
    with clock.frozen(NOW):
        response = cast.client_for(cast.officer_a).post(
            reverse("encounters:new", kwargs={"code": "naloxone_plus"}), data
        )
    assert response.status_code == 302, response.content.decode()[:2000]
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


@pytest.fixture
def qrt(cast: Any) -> Any:
    """The Quick Response Team template (only police, fire and EMS start Naloxone Plus) with a
    recovery-support agency chosen as the follow-up team, and its outreach worker."""
    team, worker = outreach_team(cast.program, name="Harbor Peer Recovery", username="peer_r")
    template = program_template("qrt_hamilton_county")
    assert template is not None
    program_template_apply(
        actor=cast.coordinator,
        program=cast.program,
        template=template,
        followup_teams={"naloxone_plus": team.pk},
    )
    moud = ServiceFactory.create(
        organization=cast.provider_p,
        name="Harbor Bridge Clinic",
        service_type=ServiceType.MOUD,
        capacity_total=5,
        capacity_open=1,
    )
    return team, worker, moud


def test_the_recovery_support_follow_up_team_records_an_engaged_visit(cast: Any, qrt: Any) -> None:
    team, worker, _ = qrt
    item = record_overdose(cast)
    assert item.team == team
    client = cast.client_for(worker)
    assert client.get(visit_url(item)).status_code == 200
    with clock.frozen(LATER):
        response = client.post(
            visit_url(item), {"members": ["peer", "clinician"], "outcome": "engaged"}
        )
    # before the fix: 422 "Your agency's role does not allow starting Naloxone Plus."
    assert response.status_code == 302, html.unescape(response.content.decode())[-3000:]
    visit = Visit.objects.get()
    assert visit.team == team
    assert visit.contact is not None
    assert visit.contact.agency == team
    assert visit.contact.pathway.code == "naloxone_plus"
    item.refresh_from_db()
    assert not item.is_open


def test_the_recovery_support_follow_up_team_records_a_referral(cast: Any, qrt: Any) -> None:
    _, worker, moud = qrt
    item = record_overdose(cast)
    with clock.frozen(LATER):
        response = cast.client_for(worker).post(
            visit_url(item),
            {
                "members": ["peer", "clinician"],
                "outcome": "referred",
                "service": str(moud.pk),
                "warm_handoff": "on",
            },
        )
    assert response.status_code == 302, html.unescape(response.content.decode())[-3000:]
    referral = Referral.objects.get()
    assert referral.service == moud
    assert referral.encounter_id == Visit.objects.get().contact_id


def test_a_team_that_is_not_the_follow_up_team_is_refused_and_nothing_changes(
    cast: Any, qrt: Any
) -> None:
    item = record_overdose(cast)
    # an item of the same contact on another team's worklist (not the configured team)
    stray = WorkItemFactory.create(
        team=cast.police_b,
        kind=WorkKind.OVERDOSE_FOLLOWUP,
        encounter=item.encounter,
        person=item.person,
        due_at=NOW + dt.timedelta(hours=72),
    )
    before = counts()
    with clock.frozen(LATER):
        response = cast.client_for(cast.officer_b).post(
            visit_url(stray), {"members": ["officer", "clinician"], "outcome": "engaged"}
        )
    assert response.status_code == 422
    assert "is not the follow-up team for this item" in html.unescape(response.content.decode())
    assert counts() == before


def test_a_member_without_a_visit_role_may_not_record_visits(cast: Any, qrt: Any) -> None:
    team, _, _ = qrt
    item = record_overdose(cast)
    analyst = member(team, "researcher", "analyst_r")
    before = counts()
    assert cast.client_for(analyst).get(visit_url(item)).status_code == 403
    with pytest.raises(ValidationError, match="who go on visits record them"):
        visit_record(
            actor=analyst,
            work_item=item,
            visited_at=LATER,
            members=["peer", "clinician"],
            outcome="engaged",
        )
    assert counts() == before


def test_the_form_says_who_must_go_before_it_is_sent(cast: Any, qrt: Any) -> None:
    _, worker, _ = qrt
    item = record_overdose(cast)
    page = html.unescape(cast.client_for(worker).get(visit_url(item)).content.decode())
    # QRT requires a clinician: said on the form, not only in the refusal after sending
    assert (
        "This program's visits include a clinician or social worker when the team meets the "
        "person." in page
    )


def test_services_follow_the_pathways_priority_then_open_capacity(cast: Any, qrt: Any) -> None:
    _, worker, moud = qrt
    full_moud = ServiceFactory.create(
        organization=cast.provider_q,
        name="Lakeside MOUD",
        service_type=ServiceType.MOUD,
        capacity_total=5,
        capacity_open=0,
    )
    peers = ServiceFactory.create(
        organization=cast.provider_q,
        name="Lakeside Peer Support",
        service_type=ServiceType.PEER_SUPPORT,
        capacity_total=20,
        capacity_open=9,
    )
    item = record_overdose(cast)
    page = html.unescape(cast.client_for(worker).get(visit_url(item)).content.decode())
    # detox has 3 open, the open MOUD clinic 1: MOUD still comes first (the template's
    # order: MOUD, detox, residential, outpatient, peer support), the full one after it
    order = [page.index(s.name + "</strong>") for s in (moud, full_moud, cast.detox_p, peers)]
    assert order == sorted(order)
    assert "In this pathway's order: Medication for opioid use disorder (MOUD), " in page
    # the prescriber hint sits with each MOUD service, and with no other
    assert page.count('data-testid="needs-prescriber"') == 2
    moud_block = page[page.index(moud.name) : page.index(full_moud.name)]
    assert "Needs a prescriber or clinician to start" in moud_block
    detox_block = page[page.index(cast.detox_p.name) : page.index(peers.name)]
    assert "Needs a prescriber" not in detox_block


def test_without_a_template_moud_comes_first_too(cast: Any) -> None:
    moud = ServiceFactory.create(
        organization=cast.provider_q,
        name="Lakeside MOUD",
        service_type=ServiceType.MOUD,
        capacity_total=5,
        capacity_open=1,
    )
    item = record_overdose(cast)
    page = cast.client_for(cast.officer_a).get(visit_url(item)).content.decode()
    assert page.index(moud.name) < page.index(cast.detox_p.name)


def test_the_overdose_says_who_gave_naloxone_in_plain_words(cast: Any) -> None:
    item = record_overdose(cast)
    page = cast.client_for(cast.officer_a).get(visit_url(item)).content.decode()
    assert "Naloxone given (2 doses) by EMS" in page
    assert "by ems" not in page


def test_a_met_visit_message_names_no_one(cast: Any) -> None:
    item = record_overdose(cast)
    client = cast.client_for(cast.officer_a)
    with clock.frozen(LATER):
        response = client.post(
            visit_url(item), {"members": ["officer"], "outcome": "engaged"}, follow=True
        )
    page = response.content.decode()
    assert "Visit recorded. The item is done." in page
    assert "Vandermolen" not in page.split("<main", 1)[1].split("</div>", 3)[0]


def test_a_required_peer_is_stated_too(cast: Any) -> None:
    pp = ProgramPathway.objects.get(program=cast.program, pathway__code="naloxone_plus")
    pathway_config_save(
        actor=cast.coordinator, program_pathway=pp, note="Peer on visits", requires_peer=True
    )
    item = record_overdose(cast)
    page = html.unescape(cast.client_for(cast.officer_a).get(visit_url(item)).content.decode())
    assert "This program's visits include a peer recovery coach when the team meets" in page
