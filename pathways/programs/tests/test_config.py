"""Pathway configuration: versions, validation that keeps the old version in force, audit."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError

from pathways.audit.models import AuditEvent
from pathways.programs.models import ChargeMode, PathwayConfig, ProgramPathway
from pathways.programs.selectors import config_history_with_changes
from pathways.programs.services import pathway_config_save

WARRANT_RULE = {
    "condition": "outstanding_warrant",
    "outcome": "ineligible",
    "reason": "An outstanding warrant must be cleared first.",
}


def pp_for(cast: Any, code: str) -> ProgramPathway:
    return ProgramPathway.objects.select_related("pathway", "program").get(
        program=cast.program, pathway__code=code
    )


def test_every_enabled_pathway_starts_with_version_one_from_the_catalog(cast: Any) -> None:
    pp = pp_for(cast, "officer_intervention")
    assert pp.current_config is not None
    assert pp.current_config.version == 1
    assert pp.current_config.charges == ChargeMode.ABEYANCE
    assert pp.current_config.starter_agency_kinds == ["law_enforcement"]
    assert pp.current_config.deadlines["intake_days"] == 30
    self_ref = pp_for(cast, "self_referral").current_config
    assert self_ref is not None
    assert self_ref.charges == ChargeMode.NONE
    assert self_ref.deadlines == {"referral_response_hours": 24, "placement_hours": 24}


def test_a_change_is_a_new_audited_version_and_the_old_one_is_kept(cast: Any) -> None:
    pp = pp_for(cast, "self_referral")
    before = AuditEvent.objects.filter(event_type="pathway_config.create").count()
    config = pathway_config_save(
        actor=cast.coordinator,
        program_pathway=pp,
        note="Adopt the Angel Program rules",
        rules=[WARRANT_RULE],
        deadlines={"placement_hours": 12, "referral_response_hours": 24},
    )
    assert config.version == 2
    pp.refresh_from_db()
    assert pp.current_config_id == config.pk
    assert PathwayConfig.objects.filter(program_pathway=pp).count() == 2
    event = AuditEvent.objects.filter(event_type="pathway_config.create").latest("occurred_at")
    assert AuditEvent.objects.filter(event_type="pathway_config.create").count() == before + 1
    assert event.changes["version"] == [1, 2]
    assert event.changes["deadlines"][1]["placement_hours"] == 12
    history = config_history_with_changes(program_pathway=pp)
    assert [v.config.version for v in history] == [2, 1]
    labels = [label for label, _, _ in history[0].changes]
    assert labels == ["Deadlines", "Eligibility rules"]


def test_saving_the_same_values_makes_no_version(cast: Any) -> None:
    pp = pp_for(cast, "self_referral")
    assert pp.current_config is not None
    same = pathway_config_save(
        actor=cast.coordinator, program_pathway=pp, note="", rules=[], charges="none"
    )
    assert same.pk == pp.current_config.pk
    assert PathwayConfig.objects.filter(program_pathway=pp).count() == 1


def test_a_version_is_never_edited_or_deleted(cast: Any) -> None:
    config = pp_for(cast, "self_referral").current_config
    assert config is not None
    config.note = "rewritten"
    with pytest.raises(PermissionError):
        config.save()
    with pytest.raises(PermissionError):
        config.delete()


@pytest.mark.parametrize(
    ("code", "values", "field", "message"),
    [
        (
            "self_referral",
            {
                "rules": [
                    {"condition": "outstanding_warant", "outcome": "ineligible", "reason": "x"}
                ]
            },
            "rules",
            "Rule 1",
        ),
        (
            "self_referral",
            {"rules": [{"condition": "drug_grams >", "outcome": "ineligible", "reason": "x"}]},
            "rules",
            "Rule 1",
        ),
        ("self_referral", {"charges": "abeyance"}, "charges", "involves no charges"),
        ("officer_intervention", {"charges": "none"}, "charges", "held in abeyance"),
        (
            "naloxone_plus",
            {"deadlines": {"followup_hours": 500, "referral_response_hours": 24}},
            "deadlines",
            "6–168 hours",
        ),
        ("naloxone_plus", {"deadlines": {"intake_days": 7}}, "deadlines", "Not a deadline"),
        ("naloxone_plus", {"starter_roles": []}, "starter_roles", "at least one role"),
        ("naloxone_plus", {"starter_roles": ["sheriff"]}, "starter_roles", "Unknown roles"),
        (
            "officer_intervention",
            {"starter_agency_kinds": ["law_enforcement", "fire"]},
            "starter_agency_kinds",
            "only by law enforcement",
        ),
        (
            "naloxone_plus",
            {"partner_service_ids": ["00000000-0000-0000-0000-000000000001"]},
            "partner_service_ids",
            "not active services",
        ),
    ],
)
def test_invalid_configuration_is_refused_and_the_old_version_stays(
    cast: Any, code: str, values: dict[str, Any], field: str, message: str
) -> None:
    pp = pp_for(cast, code)
    in_force = pp.current_config_id
    events = AuditEvent.objects.writes().count()
    with pytest.raises(ValidationError) as caught:
        pathway_config_save(actor=cast.coordinator, program_pathway=pp, note="try", **values)
    assert message in " ".join(caught.value.message_dict[field])
    pp.refresh_from_db()
    assert pp.current_config_id == in_force
    assert PathwayConfig.objects.filter(program_pathway=pp).count() == 1
    assert AuditEvent.objects.writes().count() == events


def test_a_change_needs_a_note(cast: Any) -> None:
    pp = pp_for(cast, "self_referral")
    with pytest.raises(ValidationError) as caught:
        pathway_config_save(actor=cast.coordinator, program_pathway=pp, rules=[WARRANT_RULE])
    assert "why" in caught.value.message_dict["note"][0]
    assert PathwayConfig.objects.filter(program_pathway=pp).count() == 1


def test_unknown_configuration_fields_are_refused(cast: Any) -> None:
    with pytest.raises(ValidationError, match="Unknown configuration fields: colour"):
        pathway_config_save(
            actor=cast.coordinator,
            program_pathway=pp_for(cast, "self_referral"),
            note="x",
            colour="blue",
        )


def _one_by_one(user: Any) -> set[str]:
    """The pathways `startable_pathway` lets the user start, asked one code at a time."""
    from pathways.programs.models import Pathway
    from pathways.programs.selectors import startable_pathway

    found = set()
    for code in Pathway.objects.values_list("code", flat=True):
        pp = startable_pathway(user=user, code=code)
        if pp is not None:
            assert pp.pathway.code == code and pp.program.pk == pp.program_id
            found.add(code)
    return found


def test_starters_come_from_the_configuration(cast: Any) -> None:
    from pathways.programs.selectors import startable_pathways

    codes = {pp.pathway.code for pp in startable_pathways(user=cast.officer_a)}
    assert "officer_prevention" in codes
    assert _one_by_one(cast.officer_a) == codes
    pathway_config_save(
        actor=cast.coordinator,
        program_pathway=pp_for(cast, "officer_prevention"),
        note="Only supervisors for now",
        starter_roles=["supervisor"],
    )
    cast.officer_a.__dict__.pop("_pathways_memberships", None)
    codes = {pp.pathway.code for pp in startable_pathways(user=cast.officer_a)}
    assert "officer_prevention" not in codes
    assert _one_by_one(cast.officer_a) == codes
    assert "officer_prevention" in {
        pp.pathway.code for pp in startable_pathways(user=cast.supervisor_a)
    }
    assert "officer_prevention" in _one_by_one(cast.supervisor_a)
    assert _one_by_one(cast.coordinator) == set()  # no starting role anywhere


@pytest.mark.parametrize(
    ("requirements", "message"),
    [
        ("fee", "must be a list"),
        (["not a requirement"], "Requirement 1: not a requirement."),
        ([{"kind": "juggling"}], "Requirement 1: choose what is required."),
        ([{"kind": "fee"}, {"kind": "course", "colour": "red"}], "Requirement 2: unknown fields"),
        ([{"kind": "course", "description": "At\x00 the clinic"}], "Requirement 1:"),
        ([{"kind": "course", "description": "x" * 201}], "over 200 characters"),
        ([{"kind": "fee", "amount": 10**12}], "at most 100000"),
        ([{"kind": "community_service", "hours": 0}], "above 0"),
        ([{"kind": "community_service", "hours": "lots"}], "above 0"),
        ([{"kind": "fee", "hours": 2, "amount": 5}], "not both"),
        ([{"kind": "fee"}] * 13, "at most 12 requirements"),
    ],
)
def test_a_messy_plan_template_is_refused(cast: Any, requirements: Any, message: str) -> None:
    pp = pp_for(cast, "officer_intervention")
    with pytest.raises(ValidationError) as caught:
        pathway_config_save(
            actor=cast.coordinator, program_pathway=pp, note="x", requirements=requirements
        )
    assert message in " ".join(caught.value.message_dict["requirements"])
    assert PathwayConfig.objects.filter(program_pathway=pp).count() == 1


def test_a_plan_template_is_saved_clean(cast: Any) -> None:
    config = pathway_config_save(
        actor=cast.coordinator,
        program_pathway=pp_for(cast, "officer_intervention"),
        note="Leon-style conditions",
        requirements=[
            {"kind": "community_service", "description": " Community service ", "hours": 20},
            {"kind": "fee", "amount": "75.5", "note": "may be reduced"},
        ],
    )
    assert config.requirements == [
        {"kind": "community_service", "description": "Community service", "hours": 20.0},
        {"kind": "fee", "description": "Program fee", "amount": 75.5},
    ]
