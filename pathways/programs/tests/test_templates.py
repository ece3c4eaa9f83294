"""Program templates: every shipped template loads; a broken one is refused naming the field;
starting one is all or nothing, audited and shown as the pathways' provenance; the screens."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from pathways.accounts.factories import AgencyFactory, member
from pathways.audit.models import AuditEvent
from pathways.followups.models import OutreachList
from pathways.programs.factories import ProgramFactory, enable_all_pathways
from pathways.programs.models import PathwayConfig, ProgramPathway
from pathways.programs.program_templates import (
    DATA_DIRECTORY,
    TemplateError,
    load_templates,
    parse_template,
    program_template,
    program_templates,
    template_catalog,
)
from pathways.programs.services import pathway_config_save, program_template_apply

DATA = Path(__file__).resolve().parents[1] / DATA_DIRECTORY
LIST_URL = reverse("programs:template_list")


def detail_url(code: str) -> str:
    return reverse("programs:template_detail", kwargs={"code": code})


def raw(code: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((DATA / f"{code}.json").read_text("utf-8"))
    return data


def state() -> tuple[Any, ...]:
    """Everything starting a template can touch."""
    return (
        PathwayConfig.objects.count(),
        sorted(
            ProgramPathway.objects.values_list(
                "pathway__code",
                "is_enabled",
                "local_name",
                "template_code",
                "template_version",
                "current_config_id",
            )
        ),
        OutreachList.objects.count(),
        AuditEvent.objects.writes().count(),
    )


# --- the shipped templates ---------------------------------------------------------------------

#: Every program of issue 4's table, by the template that carries it, with its pathways.
EXPECTED = {
    "lead_king_county": ["officer_intervention", "officer_prevention"],
    "lead_santa_fe": ["officer_intervention"],
    "angel_program": ["self_referral"],
    "a_way_out_lake_county": ["self_referral"],
    "safe_passage": ["self_referral"],
    "safe_stations": ["self_referral"],
    "hope_not_handcuffs": ["self_referral"],
    "hope_initiative_nashville": ["self_referral"],
    "blue_hart_ocean_county": ["self_referral"],
    "mercy_project": ["self_referral"],
    "steer_montgomery_county": ["officer_intervention", "officer_prevention"],
    "leon_civil_citation": ["officer_intervention"],
    "qrt_hamilton_county": ["naloxone_plus"],
    "plymouth_county_outreach": ["naloxone_plus"],
    "dart_lucas_county": ["naloxone_plus", "active_outreach"],
    "arlington_opiate_outreach": ["active_outreach"],
    "yellow_line_blue_earth": ["officer_prevention", "officer_intervention"],
    "cit_memphis": ["officer_prevention"],
    "community_response_team": ["community_response"],
}


def test_every_shipped_template_loads_without_a_problem() -> None:
    catalog = template_catalog()
    assert catalog.problems == ()
    templates = program_templates()
    assert set(templates) == set(EXPECTED)
    for code, pathways in EXPECTED.items():
        assert sorted(templates[code].pathway_codes) == sorted(pathways), code
    names = [t.name for t in templates.values()]
    assert names == sorted(names, key=str.lower)


def test_templates_carry_their_distinctive_settings() -> None:
    def part(code: str, pathway: str) -> Any:
        template = program_template(code)
        assert template is not None
        return next(p for p in template.pathways if p.pathway == pathway)

    assert part("qrt_hamilton_county", "naloxone_plus").config["deadlines"]["followup_hours"] == 72
    assert (
        part("plymouth_county_outreach", "naloxone_plus").config["deadlines"]["followup_hours"]
        == 24
    )
    lead = part("lead_king_county", "officer_intervention").config
    assert lead["prosecutor_review"] and lead["charges"] == "abeyance"
    assert any("drug_grams > 3" in r["condition"] for r in lead["rules"])
    leon = part("leon_civil_citation", "officer_intervention").config
    assert leon["charges"] == "civil_citation"
    assert any(r["condition"] == 'offence_type == "dui"' for r in leon["rules"])
    assert "surrendered_items" in part("safe_passage", "self_referral").config["sections"]
    assert part("safe_passage", "self_referral").config["deadlines"]["placement_hours"] == 24
    assert part("cit_memphis", "officer_prevention").config["sections"] == ["crisis_team"]
    assert part("safe_stations", "self_referral").config["starter_agency_kinds"] == [
        "law_enforcement",
        "fire",
        "ems",
    ]
    dart = program_template("dart_lucas_county")
    assert dart is not None and [x.name for x in dart.outreach_lists] == [
        "Parents working toward reunification"
    ]


# --- a broken template is refused, naming the field --------------------------------------------


def broken(change: Any) -> str:
    data = copy.deepcopy(raw("qrt_hamilton_county"))
    change(data)
    with pytest.raises(TemplateError) as info:
        parse_template("qrt_hamilton_county.json", data)
    return str(info.value)


def _set(path: list[Any], value: Any) -> Any:
    def change(data: Any) -> None:
        target = data
        for key in path[:-1]:
            target = target[key]
        if value is KeyError:
            del target[path[-1]]
        else:
            target[path[-1]] = value

    return change


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (["name"], KeyError, "name is missing"),
        (["name"], "  ", "name must not be empty"),
        (["colour"], "blue", "colour is not a template field"),
        (["code"], "other_code", "does not match the file name"),
        (["pathways"], [], "pathways must name at least one pathway"),
        (["pathways", 0, "pathway"], "teleportation", "pathways[0].pathway 'teleportation'"),
        (["pathways", 0, "requires_clinician"], "yes", "pathways[0].requires_clinician must be"),
        (
            ["pathways", 0, "deadlines"],
            {"followup_hours": 400},
            "pathways[0].deadlines: Overdose follow-up within (recovery window): choose 6–168",
        ),
        (
            ["pathways", 0, "deadlines"],
            {"intake_days": 30},
            "pathways[0].deadlines: Not a deadline of this pathway: intake_days",
        ),
        (["pathways", 0, "charges"], "abeyance", "pathways[0].charges: Naloxone Plus involves"),
        (["pathways", 0, "starter_roles"], [], "pathways[0].starter_roles: Choose at least one"),
        (["pathways", 0, "starter_roles"], "officer", "pathways[0].starter_roles must be a list"),
        (["pathways", 0, "sections"], ["charge"], "pathways[0].sections: Not a section"),
        (["pathways", 0, "service_types"], ["spa"], "pathways[0].service_types: 'spa'"),
        (["pathways", 0, "followup_team_kind"], "navy", "pathways[0].followup_team_kind 'navy'"),
        (
            ["pathways", 0, "rules"],
            [{"condition": "shoe_size > 9", "outcome": "ineligible", "reason": "x"}],
            "pathways[0].rules:",
        ),
        (["pathways", 0, "rule_set"], "lead_seattle", "written for another pathway"),
        (["pathways", 0, "rule_set"], "nowhere", "pathways[0].rule_set 'nowhere'"),
        (
            ["pathways", 0, "requirements"],
            [{"kind": "fee", "description": "Pay"}],
            "pathways[0].requirements: a service plan needs a charge",
        ),
        (["pathways", 0, "local_name"], "x" * 101, "pathways[0].local_name is over 100"),
        (["partners", 0, "kind"], "guild", "partners[0].kind 'guild'"),
        (
            ["outreach_lists"],
            [{"name": "A list", "description": "", "team_kind": "law_enforcement"}],
            "outreach_lists[0]: outreach lists need the Active Outreach pathway",
        ),
        (["adjust"], ["", "x"], "adjust must be a list of non-empty sentences"),
    ],
)
def test_a_broken_template_is_refused_naming_the_field(
    path: list[Any], value: Any, message: str
) -> None:
    problem = broken(_set(path, value))
    assert problem.startswith("Template qrt_hamilton_county.json: ")
    assert message in problem


def test_a_broken_file_is_refused_whole_and_the_others_still_load(tmp_path: Path) -> None:
    (tmp_path / "qrt_hamilton_county.json").write_text(
        (DATA / "qrt_hamilton_county.json").read_text("utf-8"), "utf-8"
    )
    bad = raw("safe_passage")
    bad["pathways"][0]["deadlines"] = {"placement_hours": 0}
    (tmp_path / "safe_passage.json").write_text(json.dumps(bad), "utf-8")
    (tmp_path / "half_written.json").write_text('{"code": "half_written", ', "utf-8")
    (tmp_path / "README.txt").write_text("not a template", "utf-8")
    catalog = load_templates(tmp_path)
    assert [t.code for t in catalog.templates] == ["qrt_hamilton_county"]
    assert catalog.problems == (
        "Template half_written.json: not valid JSON (line 1: Expecting property name enclosed "
        "in double quotes).",
        "Template safe_passage.json: pathways[0].deadlines: Treatment placement target: "
        "choose 1–72 hours.",
    )


# --- starting a program from a template --------------------------------------------------------


def test_starting_a_template_configures_its_pathways_with_provenance(cast: Any) -> None:
    template = program_template("lead_king_county")
    assert template is not None
    before_events = AuditEvent.objects.writes().count()
    started = program_template_apply(
        actor=cast.coordinator,
        program=cast.program,
        template=template,
        local_names={"officer_intervention": "LEAD Test County"},
    )
    assert [pp.pathway.code for pp in started] == ["officer_intervention", "officer_prevention"]
    oi = ProgramPathway.objects.select_related("current_config").get(
        program=cast.program, pathway__code="officer_intervention"
    )
    assert oi.local_name == "LEAD Test County"
    assert oi.template_code == "lead_king_county"
    assert oi.template_name == template.name
    config = oi.current_config
    assert config is not None and oi.template_version == config.version == 2
    assert config.note == f"Started from the template “{template.name}”."
    assert config.created_by == cast.coordinator
    assert config.prosecutor_review and config.charges == "abeyance"
    assert config.rule_set_source == "lead_seattle"
    assert config.sections == ["charge"]
    # partner services: the program's services of the template's types only (not the crisis unit)
    assert config.partner_service_ids == [str(cast.detox_p.pk), str(cast.outpatient_p_full.pk)]
    op = ProgramPathway.objects.get(program=cast.program, pathway__code="officer_prevention")
    assert op.local_name == "LEAD social contact" and op.template_code == "lead_king_county"
    events = AuditEvent.objects.filter(pk__gt=0).order_by("occurred_at")[before_events:]
    kinds = [e.event_type for e in events]
    assert kinds.count("pathway_config.create") == 2
    assert kinds.count("program_pathway.template") == 2
    assert all(e.actor_id == cast.coordinator.pk for e in events)


def test_starting_the_same_template_again_changes_nothing(cast: Any) -> None:
    template = program_template("qrt_hamilton_county")
    assert template is not None
    program_template_apply(actor=cast.coordinator, program=cast.program, template=template)
    before = state()
    program_template_apply(actor=cast.coordinator, program=cast.program, template=template)
    assert state() == before


def test_the_follow_up_team_is_the_coordinators_choice_or_the_templates_kind(cast: Any) -> None:
    template = program_template("qrt_hamilton_county")
    assert template is not None
    program_template_apply(actor=cast.coordinator, program=cast.program, template=template)
    pp = ProgramPathway.objects.get(program=cast.program, pathway__code="naloxone_plus")
    assert pp.current_config is not None
    # the first law enforcement agency by name (the template's kind)
    assert pp.current_config.followup_team_id == cast.police_a.pk
    program_template_apply(
        actor=cast.coordinator,
        program=cast.program,
        template=template,
        followup_teams={"naloxone_plus": cast.provider_p.pk},
    )
    pp.refresh_from_db()
    assert pp.current_config is not None
    assert pp.current_config.followup_team_id == cast.provider_p.pk
    program_template_apply(
        actor=cast.coordinator,
        program=cast.program,
        template=template,
        followup_teams={"naloxone_plus": None},
    )
    pp.refresh_from_db()
    assert pp.current_config is not None and pp.current_config.followup_team_id is None


def test_a_failure_in_any_pathway_leaves_nothing_half_created(cast: Any) -> None:
    """LEAD configures two pathways; the second one's team belongs to another program, so the
    first one's new version, provenance and audit must all be rolled back."""
    template = program_template("lead_king_county")
    assert template is not None
    elsewhere = AgencyFactory.create(
        program=ProgramFactory.create(name="Another County Program"), kind="social_services"
    )
    before = state()
    with pytest.raises(ValidationError) as info:
        program_template_apply(
            actor=cast.coordinator,
            program=cast.program,
            template=template,
            followup_teams={"officer_prevention": elsewhere.pk},
        )
    assert "Choose an active agency of this program as the follow-up team." in str(info.value)
    assert state() == before


def test_an_outreach_list_without_a_team_refuses_the_whole_template(db: Any) -> None:
    program = ProgramFactory.create(name="Empty County Program")
    enable_all_pathways(program)
    template = program_template("arlington_opiate_outreach")
    assert template is not None
    before = state()
    with pytest.raises(ValidationError) as info:
        program_template_apply(actor=None, program=program, template=template)
    assert "needs an outreach team: add a law enforcement agency" in str(info.value)
    assert state() == before


@pytest.mark.parametrize(
    ("name", "message"),
    [("   ", "Enter the local name."), ("LEAD\x00", "control characters"), ("x" * 101, "100")],
)
def test_a_bad_local_name_is_refused_and_nothing_changes(
    cast: Any, name: str, message: str
) -> None:
    template = program_template("lead_santa_fe")
    assert template is not None
    before = state()
    with pytest.raises(ValidationError) as info:
        program_template_apply(
            actor=cast.coordinator,
            program=cast.program,
            template=template,
            local_names={"officer_intervention": name},
        )
    assert message in str(info.value)
    assert state() == before


# --- the screens --------------------------------------------------------------------------------


def test_only_coordinators_and_admins_see_templates(cast: Any) -> None:
    for user in (cast.officer_a, cast.intake_p, cast.prosecutor, cast.researcher):
        client = cast.client_for(user)
        assert client.get(LIST_URL).status_code == 403
        assert client.get(detail_url("qrt_hamilton_county")).status_code == 403
        assert client.post(detail_url("qrt_hamilton_county"), {}).status_code == 403
    assert cast.client_for(cast.coordinator).get(detail_url("no_such_thing")).status_code == 404


def test_the_list_offers_every_template_and_filters_by_pathway(cast: Any) -> None:
    client = cast.client_for(cast.coordinator)
    page = client.get(LIST_URL).content.decode()
    for template in program_templates().values():
        assert detail_url(template.code) in page
    assert "19 templates" in page
    narrowed = client.get(LIST_URL, {"pathway": "naloxone_plus"}).content.decode()
    assert "3 templates" in narrowed
    assert detail_url("qrt_hamilton_county") in narrowed
    assert detail_url("angel_program") not in narrowed


def test_the_detail_shows_what_it_sets_up_against_the_program(cast: Any) -> None:
    page = cast.client_for(cast.coordinator).get(detail_url("qrt_hamilton_county"))
    html = page.content.decode()
    assert "Overdose follow-up within (recovery window) <strong>72 hours</strong>" in html
    assert "A clinician on the team" in html
    assert "Northside Police Department, Southside Police Department" in html
    # the template needs a social-services partner the test program does not have
    assert "Your program has no social services agency yet" in html
    assert 'value="Quick Response Team"' in html


def test_starting_from_the_browser_form_and_seeing_the_provenance(cast: Any) -> None:
    client = cast.client_for(cast.coordinator)
    response = client.post(
        detail_url("qrt_hamilton_county"),
        {
            "local_name_naloxone_plus": "Test County QRT",
            "followup_team_naloxone_plus": str(cast.police_b.pk),
            "note": "Approved by the task force",
        },
    )
    assert response.status_code == 302 and response["Location"] == reverse("programs:pathway_list")
    pp = ProgramPathway.objects.get(program=cast.program, pathway__code="naloxone_plus")
    assert pp.local_name == "Test County QRT" and pp.current_config is not None
    assert pp.current_config.followup_team_id == cast.police_b.pk
    assert pp.current_config.note.endswith("Approved by the task force")
    listing = client.get(reverse("programs:pathway_list")).content.decode()
    assert "Based on: <a" in listing and "Quick Response Team (Hamilton County, OH)" in listing
    edit = client.get(reverse("programs:pathway_edit", kwargs={"code": "naloxone_plus"}))
    assert "as the template set it (version 2)" in edit.content.decode()
    # the coordinator adapts it: the page says so
    pathway_config_save(
        actor=cast.coordinator,
        program_pathway=pp,
        note="Our team visits within 48 h",
        deadlines={"followup_hours": 48, "referral_response_hours": 24},
    )
    edit = client.get(reverse("programs:pathway_edit", kwargs={"code": "naloxone_plus"}))
    assert "adjusted since (template's version 2, now 3)" in edit.content.decode()


def test_bad_form_input_is_refused_with_a_message_and_nothing_changes(cast: Any) -> None:
    client = cast.client_for(cast.coordinator)
    elsewhere = AgencyFactory.create(
        program=ProgramFactory.create(name="Another County Program"), kind="law_enforcement"
    )
    before = state()
    cases = [
        ({"local_name_naloxone_plus": ""}, "Enter the name your program uses."),
        (
            {"local_name_naloxone_plus": "QRT", "followup_team_naloxone_plus": str(elsewhere.pk)},
            "Select a valid choice.",
        ),
        ({"local_name_naloxone_plus": "QRT", "note": "x" * 201}, "at most 200 characters"),
    ]
    for data, message in cases:
        response = client.post(detail_url("qrt_hamilton_county"), data)
        assert response.status_code == 200, data
        assert message in response.content.decode(), data
    assert state() == before


def test_replacing_a_configuration_the_program_chose_needs_confirmation(cast: Any) -> None:
    client = cast.client_for(cast.coordinator)
    angel = program_template("angel_program")
    assert angel is not None
    program_template_apply(actor=cast.coordinator, program=cast.program, template=angel)
    page = client.get(detail_url("safe_stations")).content.decode()
    assert "Your program runs Self-Referral now as “Angel Program walk-in”" in page
    before = state()
    refused = client.post(detail_url("safe_stations"), {"local_name_self_referral": "Safe Station"})
    assert "tick the box to save the template" in refused.content.decode()
    assert state() == before
    done = client.post(
        detail_url("safe_stations"),
        {"local_name_self_referral": "Safe Station", "confirm_replace": "on"},
    )
    assert done.status_code == 302
    pp = ProgramPathway.objects.get(program=cast.program, pathway__code="self_referral")
    assert pp.template_code == "safe_stations" and pp.local_name == "Safe Station"
    assert PathwayConfig.objects.filter(program_pathway=pp).count() == 3  # v1, Angel, Safe Stations


def test_a_coordinator_only_starts_templates_in_their_own_program(cast: Any) -> None:
    other = ProgramFactory.create(name="Another County Program")
    enable_all_pathways(other)
    office = AgencyFactory.create(program=other, name="Other Office", kind="program_office")
    other_coordinator = member(office, "coordinator", "other_coordinator")
    before = sorted(
        ProgramPathway.objects.filter(program=cast.program).values_list(
            "pathway__code", "current_config_id"
        )
    )
    response = cast.client_for(other_coordinator).post(
        detail_url("qrt_hamilton_county"), {"local_name_naloxone_plus": "Their QRT"}
    )
    assert response.status_code == 302
    assert (
        sorted(
            ProgramPathway.objects.filter(program=cast.program).values_list(
                "pathway__code", "current_config_id"
            )
        )
        == before
    )
    assert ProgramPathway.objects.get(program=other, pathway__code="naloxone_plus").local_name == (
        "Their QRT"
    )
