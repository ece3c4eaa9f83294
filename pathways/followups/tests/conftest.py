"""The outreach set-up the outreach tests share: an outreach team (a recovery-support agency)
with two workers, a second team, a list the coordinator started for the first team, a person
to put on it, and a program next door whose users must see none of it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from pathways.accounts.factories import AgencyFactory, member
from pathways.accounts.models import Agency, User
from pathways.followups.factories import outreach_team
from pathways.followups.models import OutreachList
from pathways.followups.services import outreach_list_create
from pathways.people.factories import PersonFactory
from pathways.people.models import Person
from pathways.programs.factories import ProgramFactory, enable_all_pathways


@dataclass
class Outreach:
    team: Agency
    worker: User
    peer: User
    other_team: Agency
    other_worker: User
    outreach_list: OutreachList
    person: Person
    elsewhere_coordinator: User
    elsewhere_officer: User


@pytest.fixture
def outreach(cast: Any) -> Outreach:
    team, worker = outreach_team(cast.program, name="Harbor Peer Outreach", username="outreach_w")
    peer = member(team, "outreach", "peer_w")
    other_team, other_worker = outreach_team(
        cast.program, name="Westside Outreach", username="outreach_x"
    )
    elsewhere = ProgramFactory.create(name="Other County Program", jurisdiction="Other County")
    enable_all_pathways(elsewhere)
    office = AgencyFactory.create(program=elsewhere, name="Other Office", kind="program_office")
    police = AgencyFactory.create(program=elsewhere, name="Other Police", kind="law_enforcement")
    return Outreach(
        team=team,
        worker=worker,
        peer=peer,
        other_team=other_team,
        other_worker=other_worker,
        outreach_list=outreach_list_create(
            actor=cast.coordinator,
            program=cast.program,
            name="East side repeat overdoses",
            team=team,
            description="People with two or more overdoses east of the river",
        ),
        person=PersonFactory.create(
            first_name="Casey", last_name="Vandermolen", created_by_agency=team
        ),
        elsewhere_coordinator=member(office, "coordinator", "coordinator_elsewhere"),
        elsewhere_officer=member(police, "officer", "officer_elsewhere"),
    )
