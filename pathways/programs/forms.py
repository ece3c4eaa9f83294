"""The coordinator's pathway configuration form: who starts it, charges, team, deadlines,
partner services and the eligibility rules (a row per rule)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms

from pathways.accounts.models import Agency, AgencyKind, Role
from pathways.core.forms import Form
from pathways.core.validators import validate_clean_text
from pathways.directory.models import Service
from pathways.eligibility.rules import MAX_CONDITION, MAX_REASON, Outcome, RuleError, validate_rules
from pathways.programs.deadlines import deadlines_for
from pathways.programs.form_sections import required_sections, sections_for
from pathways.programs.models import ChargeMode, PathwayConfig, ProgramPathway
from pathways.programs.vocabulary import PlanRequirementKind

OUTCOME_CHOICES = [(o.value, o.label) for o in Outcome if o != Outcome.ELIGIBLE]


class RuleForm(Form):
    condition = forms.CharField(
        label="When",
        required=False,
        max_length=MAX_CONDITION,
        widget=forms.Textarea(attrs={"rows": 2, "spellcheck": "false"}),
    )
    outcome = forms.ChoiceField(label="Then", choices=OUTCOME_CHOICES, required=False)
    reason = forms.CharField(label="Reason the officer sees", required=False, max_length=MAX_REASON)

    def is_blank(self) -> bool:
        data = getattr(self, "cleaned_data", {}) or {}
        return not (data.get("condition") or "").strip() and not (data.get("reason") or "").strip()


RuleFormSet = forms.formset_factory(RuleForm, extra=2, max_num=40, validate_max=True)


class RequirementForm(Form):
    """One requirement of the service-plan template (Officer Intervention)."""

    kind = forms.ChoiceField(
        label="Requirement",
        choices=[("", "- None -"), *PlanRequirementKind.choices],
        required=False,
    )
    description = forms.CharField(
        label="What the person does",
        required=False,
        max_length=200,
        validators=[validate_clean_text],
    )
    hours = forms.DecimalField(
        label="Hours (optional)",
        required=False,
        min_value=Decimal("0.01"),
        max_value=Decimal(1000),
        decimal_places=2,
    )
    amount = forms.DecimalField(
        label="Amount in $ (optional)",
        required=False,
        min_value=Decimal("0.01"),
        max_value=Decimal(100000),
        decimal_places=2,
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("kind") and (
            data.get("description") or data.get("hours") or data.get("amount")
        ):
            self.add_error("kind", "Choose what is required, or clear the row.")
        if data.get("hours") and data.get("amount"):
            self.add_error("amount", "Set hours or an amount, not both (add two requirements).")
        return data

    def requirement(self) -> dict[str, Any] | None:
        data = self.cleaned_data
        if not data.get("kind"):
            return None
        item: dict[str, Any] = {"kind": data["kind"], "description": data.get("description", "")}
        if data.get("hours"):
            item["hours"] = float(data["hours"])
        if data.get("amount"):
            item["amount"] = float(data["amount"])
        return item


RequirementFormSet = forms.formset_factory(RequirementForm, extra=2, max_num=12, validate_max=True)


class PathwayConfigForm(Form):
    is_enabled = forms.BooleanField(label="The program runs this pathway", required=False)
    local_name = forms.CharField(
        label="What the program calls it",
        help_text="For example 'Angel Program' or 'Safe Stations'. Leave empty for the PTACC name.",
        required=False,
        max_length=100,
        validators=[validate_clean_text],
    )
    starter_roles = forms.MultipleChoiceField(
        label="Who may start it",
        choices=Role.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one role who may start it."},
    )
    starter_agency_kinds = forms.MultipleChoiceField(
        label="At which kinds of agency",
        choices=AgencyKind.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one kind of agency."},
    )
    charges = forms.ChoiceField(label="Charges", widget=forms.RadioSelect)
    prosecutor_review = forms.BooleanField(
        label="The prosecutor reviews every diversion and has the final say", required=False
    )
    requires_clinician = forms.BooleanField(label="A clinician is on the team", required=False)
    requires_peer = forms.BooleanField(
        label="A peer (person with lived experience) is on the team", required=False
    )
    followup_team = forms.ChoiceField(
        label="Team that follows up",
        help_text="Visits, placement and follow-up land on this team's worklist. "
        "Empty: the agency of the responder who recorded the contact.",
        required=False,
    )
    partner_services = forms.MultipleChoiceField(
        label="Partner services for this pathway",
        help_text="Offered first at the contact. Leave all unticked to offer every service.",
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    sections = forms.MultipleChoiceField(
        label="Sections of the field form",
        help_text="What the responder's form asks besides the person, needs, place and service.",
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    rule_set_source = forms.CharField(required=False, widget=forms.HiddenInput, max_length=60)
    note = forms.CharField(
        label="Why this change",
        help_text="Kept with the version, e.g. 'Board adopted the 3 g threshold on Nov 12'.",
        required=False,
        max_length=300,
        validators=[validate_clean_text],
    )

    def __init__(
        self,
        *args: Any,
        program_pathway: ProgramPathway,
        services: list[Service],
        agencies: list[Agency],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.program_pathway = program_pathway
        pathway = program_pathway.pathway
        if pathway.holds_charges:
            allowed = [ChargeMode.ABEYANCE, ChargeMode.CIVIL_CITATION]
        else:
            allowed = [ChargeMode.NONE]
        self._set_choices("charges", [(c.value, c.label) for c in allowed])
        self._set_choices(
            "followup_team",
            [("", "The responder's agency")] + [(str(a.pk), a.name) for a in agencies],
        )
        self._set_choices(
            "partner_services",
            [(str(s.pk), f"{s.name} — {s.organization.name}") for s in services],
        )
        always = required_sections(pathway.code)
        self._set_choices(
            "sections",
            [
                (
                    section.code,
                    f"{section.label}{' (always)' if section.code in always else ''}"
                    f" — {section.help}",
                )
                for section in sections_for(pathway.code)
            ],
        )
        self.deadline_names: list[str] = []
        for kind in deadlines_for(pathway.code):
            name = f"deadline_{kind.code}"
            self.fields[name] = forms.IntegerField(
                label=f"{kind.label} ({kind.unit})",
                help_text=f"{kind.help} {kind.minimum}–{kind.maximum} {kind.unit}.",
                min_value=kind.minimum,
                max_value=kind.maximum,
                widget=forms.NumberInput(attrs={"class": "usa-input usa-input--small"}),
                error_messages={
                    "min_value": f"Choose at least {kind.minimum} {kind.unit}.",
                    "max_value": f"Choose at most {kind.maximum} {kind.unit}.",
                    "required": "Enter a number.",
                    "invalid": "Enter a whole number.",
                },
            )
            self.fields[name].widget.attrs["aria-describedby"] = f"id_{name}-hint"
            self.deadline_names.append(name)

    def _set_choices(self, name: str, choices: list[tuple[str, str]]) -> None:
        field = self.fields[name]
        assert isinstance(field, forms.ChoiceField)
        field.choices = choices

    @property
    def deadline_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.deadline_names]

    def config_values(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "starter_roles": data["starter_roles"],
            "starter_agency_kinds": data["starter_agency_kinds"],
            "charges": data["charges"],
            "prosecutor_review": data["prosecutor_review"],
            "requires_clinician": data["requires_clinician"],
            "requires_peer": data["requires_peer"],
            "followup_team_id": data["followup_team"] or None,
            "deadlines": {
                name.removeprefix("deadline_"): data[name] for name in self.deadline_names
            },
            "partner_service_ids": data["partner_services"],
            "sections": data["sections"],
            "rule_set_source": data["rule_set_source"],
        }


def initial_from_config(pp: ProgramPathway, config: PathwayConfig) -> dict[str, Any]:
    initial: dict[str, Any] = {
        "is_enabled": pp.is_enabled,
        "local_name": pp.local_name,
        "starter_roles": config.starter_roles,
        "starter_agency_kinds": config.starter_agency_kinds,
        "charges": config.charges,
        "prosecutor_review": config.prosecutor_review,
        "requires_clinician": config.requires_clinician,
        "requires_peer": config.requires_peer,
        "followup_team": str(config.followup_team_id or ""),
        "partner_services": config.partner_service_ids,
        "sections": config.sections,
        "rule_set_source": config.rule_set_source,
    }
    for code, value in config.deadlines.items():
        initial[f"deadline_{code}"] = value
    return initial


def rules_from_formset(formset: Any) -> list[dict[str, str]] | None:
    """The non-blank rule rows, validated as a rule set. Problems are put on the row at fault
    and None is returned."""
    rows: list[tuple[Any, dict[str, str]]] = []
    for form in formset.forms:
        if not form.is_valid() or form.is_blank():
            continue
        rows.append(
            (
                form,
                {
                    "condition": form.cleaned_data["condition"],
                    "outcome": form.cleaned_data["outcome"],
                    "reason": form.cleaned_data["reason"],
                },
            )
        )
    raw = [row for _, row in rows]
    try:
        validate_rules(raw)
    except RuleError as exc:
        if exc.index is not None and exc.index < len(rows):
            form = rows[exc.index][0]
            field = exc.field if exc.field in ("condition", "outcome", "reason") else "condition"
            form.add_error(field, str(exc))
        else:
            formset._non_form_errors = formset.error_class([str(exc)])
        return None
    return raw


class TemplateStartForm(Form):
    """Start a program from a template: a local name and follow-up team per pathway, and a
    confirmation when it saves over a configuration the program chose."""

    note = forms.CharField(
        label="Note for the history (optional)",
        help_text="Kept with each new version, e.g. 'Agreed with the county board on Nov 3'.",
        required=False,
        max_length=200,
        validators=[validate_clean_text],
    )
    confirm_replace = forms.BooleanField(
        label="Yes, save the template's configuration over the one in force (it stays in the "
        "history)",
        required=False,
    )

    def __init__(self, *args: Any, preview: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.preview = preview
        self.pathway_fields: list[tuple[Any, forms.BoundField, forms.BoundField]] = []
        team_choices = [("", "The responder's agency")] + [
            (str(a.pk), f"{a.name} ({a.get_kind_display()})") for a in preview.agencies
        ]
        for item in preview.pathways:
            code = item.part.pathway
            name_field = f"local_name_{code}"
            team_field = f"followup_team_{code}"
            self.fields[name_field] = forms.CharField(
                label=f"What your program calls its {item.pathway.name} pathway",
                initial=item.part.local_name,
                max_length=100,
                validators=[validate_clean_text],
                error_messages={"required": "Enter the name your program uses."},
            )
            self.fields[team_field] = forms.ChoiceField(
                label="Team that follows up",
                choices=team_choices,
                required=False,
                initial=str(item.teams[0].pk) if item.teams else "",
                help_text="Visits, placement and follow-up land on this team's worklist.",
            )
            self.style_fields(name_field, team_field)
            self.pathway_fields.append((item, self[name_field], self[team_field]))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.preview.replaces_any and not data.get("confirm_replace"):
            self.add_error(
                "confirm_replace",
                "Your program already runs one of these pathways its own way: tick the box to "
                "save the template's configuration over it.",
            )
        return data

    def local_names(self) -> dict[str, str]:
        return {
            item.part.pathway: self.cleaned_data[f"local_name_{item.part.pathway}"]
            for item, _, _ in self.pathway_fields
        }

    def followup_teams(self) -> dict[str, Any]:
        return {
            item.part.pathway: self.cleaned_data[f"followup_team_{item.part.pathway}"] or None
            for item, _, _ in self.pathway_fields
        }
