"""Setting a pathway's follow-up team (docs/decisions/0017): an agency whose staff never go on
visits (a prosecutor's office, the program office, a research partner) is refused, by the
coordinator's form and by a template alike, and nothing changes; a team nobody there can record
visits for yet is saved with a clear warning."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from pathways.accounts.factories import AgencyFactory
from pathways.accounts.models import Agency
from pathways.audit.models import AuditEvent
from pathways.programs.models import PathwayConfig, ProgramPathway
from pathways.programs.program_templates import program_template
from pathways.programs.services import pathway_config_save, program_template_apply
from pathways.programs.tests.test_views import edit_url, form_data, versions

QRT_URL = reverse("programs:template_detail", kwargs={"code": "qrt_hamilton_county"})


def state() -> tuple[Any, ...]:
    return (
        PathwayConfig.objects.count(),
        AuditEvent.objects.writes().count(),
        sorted(ProgramPathway.objects.values_list("local_name", "template_code")),
    )


def agency_of_kind(cast: Any, kind: str) -> Agency:
    return Agency.objects.get(program=cast.program, kind=kind)


@pytest.mark.parametrize("kind", ["prosecutor", "program_office", "research_partner"])
def test_an_agency_whose_staff_never_visit_is_refused_as_follow_up_team(
    cast: Any, kind: str
) -> None:
    pp = ProgramPathway.objects.get(program=cast.program, pathway__code="naloxone_plus")
    before = state()
    with pytest.raises(ValidationError) as refused:
        pathway_config_save(
            actor=cast.coordinator,
            program_pathway=pp,
            note="Follow-ups to them",
            followup_team_id=agency_of_kind(cast, kind).pk,
        )
    assert "do not go on follow-up visits" in refused.value.message_dict["followup_team_id"][0]
    assert state() == before


def test_the_coordinators_form_shows_the_refusal_at_the_team_and_saves_nothing(cast: Any) -> None:
    client = cast.client_for(cast.coordinator)
    prosecutors = agency_of_kind(cast, "prosecutor")
    response = client.post(
        edit_url("self_referral"), form_data(cast, followup_team=str(prosecutors.pk))
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "County Attorney is a prosecutor / city attorney: its staff do not go on" in page
    assert versions("self_referral") == 1


def test_a_template_is_refused_with_such_a_team_and_nothing_changes(cast: Any) -> None:
    template = program_template("qrt_hamilton_county")
    assert template is not None
    office = agency_of_kind(cast, "program_office")
    before = state()
    with pytest.raises(ValidationError) as refused:
        program_template_apply(
            actor=cast.coordinator,
            program=cast.program,
            template=template,
            followup_teams={"naloxone_plus": office.pk},
        )
    assert "followup_team_naloxone_plus" in refused.value.message_dict
    assert state() == before
    # the same through the template's form: the message sits at the pathway's team choice
    response = cast.client_for(cast.coordinator).post(
        QRT_URL, {"local_name_naloxone_plus": "QRT", "followup_team_naloxone_plus": str(office.pk)}
    )
    assert response.status_code == 200
    assert "Naloxone Plus: Program Office is a program office" in response.content.decode()
    assert state() == before


def test_a_team_nobody_can_visit_for_yet_is_saved_with_a_warning(cast: Any) -> None:
    empty = AgencyFactory.create(
        program=cast.program, name="New Peer Recovery Center", kind="recovery_support"
    )
    client = cast.client_for(cast.coordinator)
    response = client.post(
        QRT_URL,
        {"local_name_naloxone_plus": "QRT", "followup_team_naloxone_plus": str(empty.pk)},
        follow=True,
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "QRT: Nobody at New Peer Recovery Center can record follow-up visits yet" in page
    edit = client.get(edit_url("naloxone_plus")).content.decode()
    assert 'data-testid="team-warning"' in edit
    # a team with staff who visit: no warning
    response = client.post(
        edit_url("self_referral"), form_data(cast, followup_team=str(cast.police_a.pk)), follow=True
    )
    assert "can record follow-up visits yet" not in response.content.decode()
    assert (
        'data-testid="team-warning"' not in client.get(edit_url("self_referral")).content.decode()
    )
