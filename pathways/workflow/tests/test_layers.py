"""The calls up into the workflow (and into cases) go through hooks the apps above fill, never
through an import hidden in a function (docs/decisions/0023): each hook is filled once the apps
are ready, an unfilled one fails loudly and changes nothing, and what the old local imports did
still happens. The contact pages are served by the workflow layer under their old names."""

from __future__ import annotations

import importlib.util
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.urls import resolve, reverse

from pathways.audit.models import AuditEvent
from pathways.cases import worklist_links
from pathways.cases.forms import ChargeForm
from pathways.cases.models import Case
from pathways.core.hooks import Hook, check_hooks
from pathways.followups import hooks as followup_hooks
from pathways.followups.models import OutreachList, WorkItem, WorkKind
from pathways.programs import hooks as program_hooks
from pathways.programs.models import ProgramPathway
from pathways.programs.program_templates import program_template
from pathways.programs.services import pathway_config_save, program_template_apply
from pathways.referrals import hooks as referral_hooks
from pathways.referrals.models import Referral
from pathways.referrals.services import referral_accept, referral_decline
from pathways.workflow import sections, services
from pathways.workflow.tests.test_pathways import held_charge, url, walk_in


def unfill(monkeypatch: pytest.MonkeyPatch, hook: Hook[Any]) -> None:
    """As if the app that fills `hook` were not installed (restored after the test)."""
    monkeypatch.setattr(hook, "_function", None)


# --- the hooks -----------------------------------------------------------------------------------


def test_every_hook_is_filled_by_the_app_above_once_the_apps_are_ready() -> None:
    assert referral_hooks.answered.function is services.referral_answered
    assert program_hooks.template_applied.function is services.template_outreach_lists_create
    assert followup_hooks.cases_of_contacts.function is worklist_links.case_ids_of_contacts
    assert all(hook.registered for hook in Hook.declared)
    assert check_hooks() == []


def test_an_unfilled_hook_fails_loudly_and_a_second_filler_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(Hook, "declared", [])
    hook: Hook[Any] = Hook("tests.event", filled_by="pathways.tests")
    with pytest.raises(ImproperlyConfigured, match=r"'tests.event'.*pathways.tests registers"):
        hook.function  # noqa: B018 - the lookup is what fails
    (error,) = check_hooks()
    assert error.id == "core.E101" and "tests.event" in error.msg

    def first() -> None: ...

    def second() -> None: ...

    hook.register(first)
    hook.register(first)  # the same function again: nothing to refuse
    with pytest.raises(ImproperlyConfigured, match=r"already filled by .*first"):
        hook.register(second)
    assert hook.function is first and check_hooks() == []


# --- a referral answered closes its follow-up -----------------------------------------------------


def answered_referral_setup(cast: Any) -> tuple[Referral, WorkItem, WorkItem]:
    """A Self-Referral walk-in: a referral, its response deadline and the placement target."""
    cast.client_for(cast.officer_a).post(url("self_referral"), walk_in(cast))
    referral = Referral.objects.get()
    response = WorkItem.objects.get(kind=WorkKind.REFERRAL_RESPONSE, referral=referral)
    placement = WorkItem.objects.get(kind=WorkKind.PLACEMENT)
    assert response.is_open and placement.is_open
    return referral, response, placement


def test_accepting_through_the_service_closes_the_response_deadline_and_the_placement(
    cast: Any,
) -> None:
    """Any caller of referral_accept (a view, the API, a command) gets the follow-up: it is
    the referral service that calls the hook, not the page."""
    referral, response, placement = answered_referral_setup(cast)
    referral_accept(actor=cast.intake_p, referral=referral)
    response.refresh_from_db()
    placement.refresh_from_db()
    assert not response.is_open and response.outcome_note == "Accepted"
    assert placement.completed_at is not None


def test_declining_through_the_service_closes_the_response_deadline_only(cast: Any) -> None:
    referral, response, placement = answered_referral_setup(cast)
    referral_decline(actor=cast.intake_p, referral=referral, reason="no_capacity")
    response.refresh_from_db()
    placement.refresh_from_db()
    assert not response.is_open and response.outcome_note == "Declined"
    assert placement.is_open


@pytest.mark.parametrize("accept", [True, False])
def test_without_the_workflow_an_answer_is_refused_and_changes_nothing(
    cast: Any, monkeypatch: pytest.MonkeyPatch, accept: bool
) -> None:
    """No answered referral misses its follow-up: with nothing to close the deadline, the
    answer itself rolls back."""
    referral, response, _ = answered_referral_setup(cast)
    unfill(monkeypatch, referral_hooks.answered)
    writes = AuditEvent.objects.writes().count()
    capacity = referral.service.capacity_open
    with pytest.raises(ImproperlyConfigured, match=r"referrals.answered"):
        if accept:
            referral_accept(actor=cast.intake_p, referral=referral)
        else:
            referral_decline(actor=cast.intake_p, referral=referral, reason="no_capacity")
    referral.refresh_from_db()
    response.refresh_from_db()
    referral.service.refresh_from_db()
    assert referral.status == "sent" and response.is_open
    assert referral.service.capacity_open == capacity
    assert AuditEvent.objects.writes().count() == writes


# --- the field form's sections --------------------------------------------------------------------


def test_every_section_a_program_may_choose_has_its_form() -> None:
    assert sections.check_section_forms() == []


def test_a_section_without_a_form_fails_loudly(cast: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Before, an unknown section was skipped: the officer never saw what the pathway asks."""
    with pytest.raises(ImproperlyConfigured, match=r"no section 'breathalyser'"):
        sections.section_forms(["overdose", "breathalyser"], None, program=cast.program)
    without_charge = {k: v for k, v in sections.SECTION_FORMS.items() if k != "charge"}
    monkeypatch.setattr(sections, "SECTION_FORMS", without_charge)
    (missing,) = sections.check_section_forms()
    assert missing.id == "workflow.E001" and "'charge'" in missing.msg
    monkeypatch.setattr(sections, "SECTION_FORMS", {**sections.SECTION_FORMS, "x": None})
    assert [e.id for e in sections.check_section_forms()] == ["workflow.E001", "workflow.E002"]


def test_the_charge_section_is_the_held_charge_form_of_cases_when_the_pathway_holds_charges(
    cast: Any,
) -> None:
    pp = ProgramPathway.objects.get(program=cast.program, pathway__code="officer_intervention")
    built = sections.section_forms(["charge"], None, program=cast.program, config=pp.current_config)
    assert isinstance(built["charge"], ChargeForm)
    assert sections.section_forms(["charge"], None, program=cast.program, config=None) == {}


# --- the worklist's link to the case --------------------------------------------------------------


def test_without_cases_the_worklist_of_a_case_deadline_fails_loudly(
    cast: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    pp = ProgramPathway.objects.get(program=cast.program, pathway__code="officer_intervention")
    pathway_config_save(
        actor=cast.coordinator, program_pathway=pp, note="Review", prosecutor_review=True
    )
    cast.client_for(cast.officer_a).post(url("officer_intervention"), held_charge(cast))
    case = Case.objects.get()
    assert worklist_links.case_ids_of_contacts({case.encounter_id}) == {case.encounter_id: case.pk}
    assert worklist_links.case_ids_of_contacts(set()) == {}
    unfill(monkeypatch, followup_hooks.cases_of_contacts)
    with pytest.raises(ImproperlyConfigured, match=r"followups.cases_of_contacts"):
        cast.client_for(cast.prosecutor).get(reverse("followups:list"))


# --- a program template's outreach lists ----------------------------------------------------------


def test_a_template_gets_its_outreach_lists_from_the_workflow(cast: Any) -> None:
    dart = program_template("dart_lucas_county")
    assert dart is not None
    program_template_apply(actor=cast.coordinator, program=cast.program, template=dart)
    names = list(OutreachList.objects.filter(program=cast.program).values_list("name", flat=True))
    assert names == ["Parents working toward reunification"]


def test_without_the_workflow_a_template_starts_nothing(
    cast: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    dart = program_template("dart_lucas_county")
    assert dart is not None
    unfill(monkeypatch, program_hooks.template_applied)
    before = (
        list(ProgramPathway.objects.values_list("pk", "is_enabled", "current_config_id")),
        OutreachList.objects.count(),
        AuditEvent.objects.writes().count(),
    )
    with pytest.raises(ImproperlyConfigured, match=r"programs.template_applied"):
        program_template_apply(actor=cast.coordinator, program=cast.program, template=dart)
    after = (
        list(ProgramPathway.objects.values_list("pk", "is_enabled", "current_config_id")),
        OutreachList.objects.count(),
        AuditEvent.objects.writes().count(),
    )
    assert after == before


# --- the contact pages ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "kwargs", "path"),
    [
        ("list", {}, "/encounters/"),
        ("start", {}, "/encounters/new/"),
        ("services", {}, "/encounters/new/services/"),
        ("new", {"code": "self_referral"}, "/encounters/new/self_referral/"),
        ("eligibility", {"code": "self_referral"}, "/encounters/new/self_referral/eligibility/"),
        (
            "detail",
            {"encounter_id": "6f1c1e9e-0000-4000-8000-000000000001"},
            "/encounters/6f1c1e9e-0000-4000-8000-000000000001/",
        ),
        (
            "eligibility_review",
            {"encounter_id": "6f1c1e9e-0000-4000-8000-000000000001"},
            "/encounters/6f1c1e9e-0000-4000-8000-000000000001/eligibility-review/",
        ),
    ],
)
def test_the_contact_pages_keep_their_names_and_paths_and_are_served_by_the_workflow(
    name: str, kwargs: dict[str, str], path: str
) -> None:
    assert reverse(f"encounters:{name}", kwargs=kwargs) == path
    assert resolve(path).func.__module__ == "pathways.workflow.contact_views"


def test_encounters_has_no_pages_of_its_own_any_more() -> None:
    assert importlib.util.find_spec("pathways.encounters.views") is None
    assert importlib.util.find_spec("pathways.encounters.urls") is None
