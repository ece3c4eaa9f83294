"""manage.py program_create (a new community's program from templates) and program_templates."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from pathways.accounts.models import Agency, Membership, User
from pathways.accounts.testing import verified_client
from pathways.audit.models import AuditEvent
from pathways.followups.models import OutreachList
from pathways.programs.models import PathwayConfig, Program, ProgramPathway

pytestmark = pytest.mark.django_db

BASE = [
    "--name",
    "Lake County Deflection Program",
    "--jurisdiction",
    "Lake County, Illinois",
    "--office",
    "Lake County Opioid Initiative",
    "--coordinator",
    "jmorgan",
    "--coordinator-email",
    "jmorgan@example.gov",
]


def run(*args: str) -> str:
    out = StringIO()
    call_command("program_create", *args, stdout=out)
    return out.getvalue()


def rows() -> tuple[int, ...]:
    return tuple(
        model.objects.count()
        for model in (
            Program,
            ProgramPathway,
            PathwayConfig,
            Agency,
            User,
            Membership,
            OutreachList,
            AuditEvent,
        )
    )


def test_a_new_community_program_starts_from_templates(client: Any) -> None:
    out = run(
        *BASE,
        "--agency",
        "Lake County Sheriff's Office=law_enforcement",
        "--agency",
        "Nicasa Behavioral Health=treatment",
        "--template",
        "a_way_out_lake_county",
        "--template",
        "arlington_opiate_outreach",
    )
    assert "Created Lake County Deflection Program" in out
    assert "python manage.py changepassword jmorgan" in out
    program = Program.objects.get(name="Lake County Deflection Program")
    pathways = {pp.pathway.code: pp for pp in ProgramPathway.objects.filter(program=program)}
    assert len(pathways) == 6
    running = sorted(code for code, pp in pathways.items() if pp.is_enabled)
    assert running == ["active_outreach", "self_referral"]
    assert pathways["self_referral"].template_code == "a_way_out_lake_county"
    assert pathways["self_referral"].local_name == "A Way Out walk-in"
    sheriff = Agency.objects.get(program=program, kind="law_enforcement")
    assert OutreachList.objects.get(program=program).team == sheriff
    coordinator = User.objects.get(username="jmorgan")
    assert not coordinator.has_usable_password()
    assert coordinator.memberships.get().role == "coordinator"
    verified_client(coordinator, client)  # signed in, second step passed
    setup = client.get(reverse("programs:pathway_list")).content.decode()
    assert "Based on: <a" in setup and "A Way Out (Lake County, IL)" in setup
    events = set(AuditEvent.objects.values_list("event_type", flat=True))
    assert {"program.create", "agency.create", "user.create", "membership.create"} <= events


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--template", "lead_atlantis"], "No program template 'lead_atlantis'"),
        (["--agency", "Harbor=spa"], "--agency 'Harbor=spa': give name=kind"),
        (["--agency", "=treatment"], "give name=kind"),
        (["--time-zone", "Mars/Olympus"], "'Mars/Olympus' is not a known time zone"),
        (
            ["--agency", "Lake County Opioid Initiative=treatment"],
            "already has an agency called Lake County Opioid Initiative",
        ),
        (
            ["--template", "arlington_opiate_outreach"],
            "needs an outreach team: add a law enforcement agency",
        ),
    ],
)
def test_bad_input_stops_with_a_message_and_creates_nothing(extra: list[str], message: str) -> None:
    before = rows()
    with pytest.raises(CommandError) as info:
        run(*BASE, *extra)
    assert message in str(info.value)
    assert rows() == before


def test_a_taken_name_or_username_creates_nothing() -> None:
    run(*BASE)
    before = rows()
    with pytest.raises(CommandError) as info:
        run(*BASE)
    assert "name" in str(info.value) and "already exists" in str(info.value)
    assert rows() == before
    other = [a if a != "Lake County Deflection Program" else "Other Program" for a in BASE]
    with pytest.raises(CommandError) as info:
        run(*other)
    assert "user_username" in str(info.value)
    assert rows() == before


def test_program_templates_lists_every_template() -> None:
    out = StringIO()
    call_command("program_templates", stdout=out)
    lines = out.getvalue().splitlines()
    assert len(lines) == 19
    assert any(line.startswith("qrt_hamilton_county") for line in lines)
