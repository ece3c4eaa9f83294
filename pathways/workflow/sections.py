"""The field form's sections, composed: each section a pathway's form may add (named in
programs.form_sections and chosen in each PathwayConfig version) and the form that asks it.
The forms live with the app that owns what they collect: encounters.sections (the overdose,
items handed in, the companion, the crisis team) and cases.forms (the held charge, which is
why the composition sits here, above cases; docs/decisions/0023).

A section with no form fails loudly: the system check below stops the server from starting,
and building the field form for it raises ImproperlyConfigured."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core import checks
from django.core.exceptions import ImproperlyConfigured, ValidationError

from pathways.cases.forms import ChargeForm
from pathways.core.forms import Form
from pathways.encounters.sections import CompanionForm, CrisisForm, OverdoseForm, SurrenderForm
from pathways.programs.form_sections import FORM_SECTIONS
from pathways.programs.models import PathwayConfig, Program

#: Builds a section's form: (data or None, prefix, program, configuration) -> the form, or None
#: when the configuration leaves the section out (a pathway that holds no charges).
SectionBuilder = Callable[[Any, str, Program, PathwayConfig | None], Form | None]


def _plain(form_class: type[Form]) -> SectionBuilder:
    def build(data: Any, prefix: str, program: Program, config: PathwayConfig | None) -> Form:
        return form_class(data, prefix=prefix)

    return build


def _companion(data: Any, prefix: str, program: Program, config: PathwayConfig | None) -> Form:
    return CompanionForm(data, prefix=prefix, program=program)


def _charge(data: Any, prefix: str, program: Program, config: PathwayConfig | None) -> Form | None:
    charges = config.charges if config is not None else None
    if not charges or charges == "none":
        return None
    return ChargeForm(data, prefix=prefix, mode=charges)


#: Section name (programs.form_sections) -> how to build its form.
SECTION_FORMS: dict[str, SectionBuilder] = {
    "overdose": _plain(OverdoseForm),
    "surrendered_items": _plain(SurrenderForm),
    "companion": _companion,
    "crisis_team": _plain(CrisisForm),
    "charge": _charge,
}


def section_forms(
    names: list[str], data: Any, *, program: Program, config: PathwayConfig | None = None
) -> dict[str, Form]:
    """The forms of these sections, in order, each under its own prefix. A name without a
    form raises ImproperlyConfigured: the officer would otherwise miss what the pathway asks."""
    forms_: dict[str, Form] = {}
    for name in names:
        build = SECTION_FORMS.get(name)
        if build is None:
            raise ImproperlyConfigured(
                f"The field form has no section {name!r}: add its form to "
                "pathways.workflow.sections.SECTION_FORMS."
            )
        form = build(data, name, program, config)
        if form is not None:
            forms_[name] = form
    return forms_


def validate_sections(sections: dict[str, Form]) -> None:
    if any(not form.is_valid() for form in sections.values()):
        raise ValidationError("Check the answers marked below.")


def missing_section_forms() -> list[str]:
    """The sections a pathway's form may have (programs.form_sections) that have no form."""
    return [code for code in FORM_SECTIONS if code not in SECTION_FORMS]


def check_section_forms(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """System check: every section a program may choose has its form, and every form here is
    a section a program may choose."""
    errors: list[checks.CheckMessage] = [
        checks.Error(
            f"The field-form section {code!r} has no form.",
            hint="Add it to pathways.workflow.sections.SECTION_FORMS.",
            id="workflow.E001",
        )
        for code in missing_section_forms()
    ]
    errors += [
        checks.Error(
            f"pathways.workflow.sections.SECTION_FORMS names {code!r}, which is not a section "
            "in programs.form_sections.",
            id="workflow.E002",
        )
        for code in SECTION_FORMS
        if code not in FORM_SECTIONS
    ]
    return errors
