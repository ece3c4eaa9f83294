"""The coordinator's configuration screens: who may see them, saving, refusals, examples."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from pathways.programs.models import PathwayConfig, ProgramPathway
from pathways.programs.services import pathway_config_save

LIST_URL = reverse("programs:pathway_list")


def edit_url(code: str) -> str:
    return reverse("programs:pathway_edit", kwargs={"code": code})


def form_data(cast: Any, **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "is_enabled": "on",
        "local_name": "Angel Program",
        "starter_roles": ["officer", "supervisor"],
        "starter_agency_kinds": ["law_enforcement", "fire", "ems"],
        "charges": "none",
        "sections": ["surrendered_items", "companion"],
        "deadline_referral_response_hours": "24",
        "deadline_placement_hours": "24",
        "rules-TOTAL_FORMS": "3",
        "rules-INITIAL_FORMS": "0",
        "rules-MIN_NUM_FORMS": "0",
        "rules-MAX_NUM_FORMS": "40",
        "rules-0-condition": "outstanding_warrant",
        "rules-0-outcome": "ineligible",
        "rules-0-reason": "An outstanding warrant must be cleared first.",
        "rules-1-condition": "age < 18 and not parent_consent",
        "rules-1-outcome": "ineligible",
        "rules-1-reason": "Under 18 needs a parent's consent.",
        "note": "Adopted the Angel Program rules",
    }
    data.update(overrides)
    return data


def versions(code: str) -> int:
    return PathwayConfig.objects.filter(program_pathway__pathway__code=code).count()


def test_only_coordinators_and_admins_configure(cast: Any) -> None:
    assert cast.client_for(cast.coordinator).get(LIST_URL).status_code == 200
    for user in (cast.officer_a, cast.intake_p, cast.prosecutor, cast.researcher):
        client = cast.client_for(user)
        assert client.get(LIST_URL).status_code == 403
        assert client.get(edit_url("self_referral")).status_code == 403
        assert client.post(edit_url("self_referral"), form_data(cast)).status_code == 403
    assert versions("self_referral") == 1


def test_list_shows_every_pathway_with_its_version(cast: Any) -> None:
    page = cast.client_for(cast.coordinator).get(LIST_URL).content.decode()
    for name in ("Self-Referral", "Active Outreach", "Naloxone Plus", "Officer Intervention"):
        assert name in page
    assert "v1" in page


def test_coordinator_saves_rules_as_a_new_version(cast: Any) -> None:
    client = cast.client_for(cast.coordinator)
    response = client.post(edit_url("self_referral"), form_data(cast), follow=True)
    assert response.status_code == 200
    assert "Saved as version 2" in response.content.decode()
    pp = ProgramPathway.objects.get(program=cast.program, pathway__code="self_referral")
    assert pp.local_name == "Angel Program"
    assert pp.current_config is not None
    assert [r["condition"] for r in pp.current_config.rules] == [
        "outstanding_warrant",
        "age < 18 and not parent_consent",
    ]
    history = client.get(reverse("programs:pathway_history", kwargs={"code": "self_referral"}))
    assert "Adopted the Angel Program rules" in history.content.decode()


def test_an_invalid_rule_is_shown_on_its_row_and_nothing_changes(cast: Any) -> None:
    client = cast.client_for(cast.coordinator)
    response = client.post(
        edit_url("self_referral"),
        form_data(cast, **{"rules-1-condition": "age < 18 and not parental_consent"}),
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "Rule 2" in page
    assert "parental_consent" in page
    assert versions("self_referral") == 1
    pp = ProgramPathway.objects.get(program=cast.program, pathway__code="self_referral")
    assert pp.local_name == ""


def test_bad_deadline_and_missing_roles_are_refused(cast: Any) -> None:
    client = cast.client_for(cast.coordinator)
    response = client.post(
        edit_url("self_referral"),
        form_data(cast, deadline_placement_hours="500", starter_roles=[]),
    )
    page = response.content.decode()
    assert "Choose at most 72 hours." in page
    assert "Choose at least one role who may start it." in page
    assert versions("self_referral") == 1


def test_the_field_form_sections_are_configuration(cast: Any) -> None:
    client = cast.client_for(cast.coordinator)
    new_url = reverse("encounters:new", kwargs={"code": "self_referral"})
    before = client.get(edit_url("self_referral")).content.decode()
    assert 'value="companion" checked' in before
    assert 'name="companion-' in cast.client_for(cast.officer_a).get(new_url).content.decode()
    client.post(edit_url("self_referral"), form_data(cast, sections=["surrendered_items"]))
    pp = ProgramPathway.objects.get(program=cast.program, pathway__code="self_referral")
    assert pp.current_config is not None and pp.current_config.sections == ["surrendered_items"]
    form = cast.client_for(cast.officer_a).get(new_url).content.decode()
    assert 'name="companion-' not in form and 'name="surrendered_items-' in form


def test_a_section_the_pathway_cannot_have_is_refused(cast: Any) -> None:
    client = cast.client_for(cast.coordinator)
    response = client.post(edit_url("self_referral"), form_data(cast, sections=["overdose"]))
    assert "Select a valid choice. overdose is not one of the available choices." in (
        response.content.decode()
    )
    assert versions("self_referral") == 1
    # the service refuses it too (an API or import would reach it without the form)
    pp = ProgramPathway.objects.get(program=cast.program, pathway__code="self_referral")
    with pytest.raises(ValidationError) as info:
        pathway_config_save(
            actor=cast.coordinator, program_pathway=pp, note="x", sections=["charge"]
        )
    assert "Not a section this pathway's form can have: charge" in str(info.value)
    assert versions("self_referral") == 1


def test_required_sections_stay_whatever_is_ticked(cast: Any) -> None:
    pp = ProgramPathway.objects.get(program=cast.program, pathway__code="naloxone_plus")
    config = pathway_config_save(
        actor=cast.coordinator, program_pathway=pp, note="Add the peer", sections=["companion"]
    )
    assert config.sections == ["overdose", "companion"]


def test_a_change_without_a_note_is_refused(cast: Any) -> None:
    client = cast.client_for(cast.coordinator)
    response = client.post(edit_url("self_referral"), form_data(cast, note=""))
    assert "Say briefly why the configuration changes." in response.content.decode()
    assert versions("self_referral") == 1


def test_loading_an_example_fills_the_form_but_saves_nothing(cast: Any) -> None:
    client = cast.client_for(cast.coordinator)
    page = client.get(edit_url("officer_intervention") + "?example=lead_seattle").content.decode()
    assert "Loaded" in page
    assert "drug_grams &gt; 3" in page
    assert versions("officer_intervention") == 1
    wrong = client.get(edit_url("self_referral") + "?example=lead_seattle", follow=True)
    assert "not for this pathway" in wrong.content.decode()


def test_unknown_pathway_is_404(cast: Any) -> None:
    client = cast.client_for(cast.coordinator)
    assert client.get(edit_url("no_such_pathway")).status_code == 404


def test_officer_intervention_plan_from_the_leon_example(cast: Any) -> None:
    client = cast.client_for(cast.coordinator)
    page = client.get(edit_url("officer_intervention") + "?example=leon_civil_citation")
    text = page.content.decode()
    assert 'name="plan-0-kind"' in text
    assert "Pay the program fee." in text
    data = {
        "is_enabled": "on",
        "starter_roles": ["officer", "supervisor"],
        "starter_agency_kinds": ["law_enforcement"],
        "charges": "civil_citation",
        "deadline_referral_response_hours": "24",
        "deadline_prosecutor_review_days": "5",
        "deadline_intake_days": "30",
        "deadline_completion_days": "90",
        "rules-TOTAL_FORMS": "0",
        "rules-INITIAL_FORMS": "0",
        "plan-TOTAL_FORMS": "2",
        "plan-INITIAL_FORMS": "0",
        "plan-0-kind": "community_service",
        "plan-0-description": "Community service",
        "plan-0-hours": "25",
        "plan-1-kind": "fee",
        "plan-1-amount": "50",
        "note": "Civil citation with 25 hours and a $50 fee",
    }
    response = client.post(edit_url("officer_intervention"), data, follow=True)
    assert "Saved as version 2" in response.content.decode()
    pp = ProgramPathway.objects.get(program=cast.program, pathway__code="officer_intervention")
    assert pp.current_config is not None
    assert pp.current_config.charges == "civil_citation"
    assert [r["kind"] for r in pp.current_config.requirements] == ["community_service", "fee"]
    bad = client.post(
        edit_url("officer_intervention"),
        {**data, "plan-1-hours": "3", "note": "both"},
    )
    assert "Set hours or an amount, not both" in bad.content.decode()
    assert versions("officer_intervention") == 2
