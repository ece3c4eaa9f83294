"""Coordinator screens: the program's pathways and how each is configured."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from pathways.accounts.access import SignedInRequest, role_required
from pathways.accounts.models import Agency, Role
from pathways.directory.selectors import services_in_program
from pathways.eligibility.examples import example_rule_sets, examples_for_pathway
from pathways.eligibility.facts import FACTS
from pathways.programs.forms import (
    PathwayConfigForm,
    RequirementFormSet,
    RuleFormSet,
    TemplateStartForm,
    initial_from_config,
    rules_from_formset,
)
from pathways.programs.models import ProgramPathway
from pathways.programs.program_templates import program_template, template_catalog
from pathways.programs.selectors import (
    config_history_with_changes,
    followup_team_warning,
    program_for_user,
    program_pathways,
    template_preview,
    template_uses,
)
from pathways.programs.services import program_pathway_configure, program_template_apply

SETUP_ROLES = (Role.COORDINATOR, Role.ADMIN)
# Errors the service raises, by the form field that shows them.
SERVICE_ERROR_FIELDS = {
    "starter_roles": "starter_roles",
    "starter_agency_kinds": "starter_agency_kinds",
    "charges": "charges",
    "partner_service_ids": "partner_services",
    "followup_team_id": "followup_team",
    "sections": "sections",
    "note": "note",
}


def _get_program_pathway_for_user(request: HttpRequest, code: str) -> ProgramPathway:
    program = program_for_user(user=request.user)
    for pp in program_pathways(program=program) if program else []:
        if pp.pathway.code == code:
            return pp
    raise Http404("No such pathway in your program.")


@role_required(*SETUP_ROLES)
def pathway_list(request: SignedInRequest) -> HttpResponse:
    program = program_for_user(user=request.user)
    if program is None:
        raise Http404
    return render(
        request,
        "programs/pathway_list.html",
        {"program": program, "program_pathways": program_pathways(program=program)},
    )


@role_required(*SETUP_ROLES)
def pathway_edit(request: SignedInRequest, code: str) -> HttpResponse:
    pp = _get_program_pathway_for_user(request, code)
    config = pp.current_config
    if config is None:
        raise Http404
    initial, rules_initial, plan_initial, example = _starting_values(request, pp, config)
    data = request.POST if request.method == "POST" else None
    form = PathwayConfigForm(
        data,
        initial=initial,
        program_pathway=pp,
        services=list(services_in_program(program=pp.program).select_related("organization")),
        agencies=list(Agency.objects.filter(program=pp.program, archived_at__isnull=True)),
    )
    formset = RuleFormSet(data, initial=rules_initial, prefix="rules")
    has_plan = pp.pathway.holds_charges
    plan = RequirementFormSet(data, initial=plan_initial if has_plan else [], prefix="plan")
    if request.method == "POST" and _saved(request, pp, config, form, formset, plan):
        return redirect("programs:pathway_edit", code=code)
    return render(
        request,
        "programs/pathway_edit.html",
        {
            "program_pathway": pp,
            "pathway": pp.pathway,
            "config": config,
            "form": form,
            "formset": formset,
            "plan": plan if has_plan else None,
            "example": example,
            "team_warning": followup_team_warning(agency=config.followup_team),
            "examples": examples_for_pathway(pp.pathway.code),
            "facts": list(FACTS.values()),
        },
    )


def _starting_values(
    request: HttpRequest, pp: ProgramPathway, config: Any
) -> tuple[dict[str, Any], list[dict[str, Any]], list[dict[str, Any]], Any]:
    """The form's starting values: the current configuration, or an example rule set the
    coordinator asked to start from (?example=...). Returns the form's initial values, the rules,
    the service plan and the example (None when none was asked for or it does not fit)."""
    initial = initial_from_config(pp, config)
    rules_initial: list[dict[str, Any]] = list(config.rules)
    plan_initial: list[dict[str, Any]] = list(config.requirements)
    wanted = request.GET.get("example") if request.method == "GET" else None
    if not wanted:
        return initial, rules_initial, plan_initial, None
    example = example_rule_sets().get(wanted)
    if example is None or example.pathway != pp.pathway.code:
        messages.error(request, "That example rule set is not for this pathway.")
        return initial, rules_initial, plan_initial, None
    rules_initial = [
        {"condition": r.condition, "outcome": str(r.outcome), "reason": r.reason}
        for r in example.rules
    ]
    initial.update(
        {
            "charges": example.charges,
            "prosecutor_review": example.prosecutor_final_say,
            "rule_set_source": example.code,
        }
    )
    for code_, value in example.deadlines.items():
        initial[f"deadline_{code_}"] = value
    return initial, rules_initial, list(example.requirements), example


def _saved(
    request: SignedInRequest,
    pp: ProgramPathway,
    config: Any,
    form: PathwayConfigForm,
    formset: Any,
    plan: Any,
) -> bool:
    """Save the posted configuration as a new version when everything is valid (messages say
    what happened); False, with the errors on the forms, when not."""
    has_plan = pp.pathway.holds_charges
    form_ok = form.is_valid()
    rules = rules_from_formset(formset) if formset.is_valid() else None
    plan_ok = not has_plan or plan.is_valid()
    if not (form_ok and rules is not None and plan_ok):
        return False
    requirements = [r for f in plan.forms if (r := f.requirement()) is not None] if has_plan else []
    try:
        saved = program_pathway_configure(
            actor=request.user,
            program_pathway=pp,
            is_enabled=form.cleaned_data["is_enabled"],
            local_name=form.cleaned_data["local_name"],
            note=form.cleaned_data["note"],
            rules=rules,
            **({"requirements": requirements} if has_plan else {}),
            **form.config_values(),
        )
    except ValidationError as exc:
        _show_service_errors(form, formset, exc)
        return False
    if saved.pk == config.pk:
        messages.info(request, "Saved. The configuration itself did not change.")
    else:
        messages.success(request, f"Saved as version {saved.version}; it applies from now on.")
    if warning := followup_team_warning(agency=saved.followup_team):
        messages.warning(request, warning)
    return True


def _show_service_errors(form: PathwayConfigForm, formset: Any, exc: ValidationError) -> None:
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc)
        return
    for key, errors in exc.message_dict.items():
        if key == "rules":
            formset._non_form_errors = formset.error_class(errors)
        elif key == "requirements":
            form.add_error(None, errors)
        elif key in SERVICE_ERROR_FIELDS:
            form.add_error(SERVICE_ERROR_FIELDS[key], errors)
        else:
            form.add_error(None, errors)


@role_required(*SETUP_ROLES)
def pathway_history(request: SignedInRequest, code: str) -> HttpResponse:
    pp = _get_program_pathway_for_user(request, code)
    return render(
        request,
        "programs/pathway_history.html",
        {
            "program_pathway": pp,
            "pathway": pp.pathway,
            "versions": config_history_with_changes(program_pathway=pp),
        },
    )


@role_required(*SETUP_ROLES)
def template_list(request: SignedInRequest) -> HttpResponse:
    program = program_for_user(user=request.user)
    if program is None:
        raise Http404
    catalog = template_catalog()
    uses = template_uses(program=program)
    wanted = request.GET.get("pathway", "")
    templates = [t for t in catalog.templates if not wanted or wanted in t.pathway_codes]
    return render(
        request,
        "programs/template_list.html",
        {
            "program": program,
            "templates": [(t, uses.get(t.code, [])) for t in templates],
            "problems": catalog.problems,
            "pathways": program_pathways(program=program),
            "wanted": wanted,
        },
    )


@role_required(*SETUP_ROLES)
def template_detail(request: SignedInRequest, code: str) -> HttpResponse:
    program = program_for_user(user=request.user)
    template = program_template(code)
    if program is None or template is None:
        raise Http404("No such program template.")
    preview = template_preview(program=program, template=template)
    form = TemplateStartForm(request.POST if request.method == "POST" else None, preview=preview)
    if request.method == "POST" and form.is_valid():
        try:
            started = program_template_apply(
                actor=request.user,
                program=program,
                template=template,
                local_names=form.local_names(),
                followup_teams=form.followup_teams(),
                note=form.cleaned_data["note"],
            )
        except ValidationError as exc:
            _show_template_errors(form, exc)
        else:
            names = ", ".join(f"“{pp.local_name}”" for pp in started)
            messages.success(
                request,
                f"Started {names} from the template {template.name}. It applies to new "
                "contacts from now on; review each pathway below and adjust it to your program.",
            )
            for pp in started:
                team = pp.current_config.followup_team if pp.current_config else None
                if warning := followup_team_warning(agency=team):
                    messages.warning(request, f"{pp.local_name}: {warning}")
            return redirect("programs:pathway_list")
    return render(
        request,
        "programs/template_detail.html",
        {"program": program, "template": template, "preview": preview, "form": form},
    )


def _show_template_errors(form: TemplateStartForm, exc: ValidationError) -> None:
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc)
        return
    for key, errors in exc.message_dict.items():
        form.add_error(key if key in form.fields else None, errors)
