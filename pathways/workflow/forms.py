"""The field entry form: asks only what the pathway needs, validates everything server-side,
and builds the workflow's command (FieldEntry, with its NewPerson, ContactInput and
PathwayDetails) from the answers.
It composes people, directory, eligibility, encounters and, through the sections, cases, so it
lives with the page in the workflow layer (docs/decisions/0023)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from pathways.accounts.models import Agency
from pathways.core import clock
from pathways.core.forms import (
    DATETIME_LOCAL_FORMATS,
    DateInput,
    DateTimeLocalInput,
    Form,
    LocalDateTimeField,
)
from pathways.core.validators import (
    validate_birth_date,
    validate_clean_text,
    validate_not_future,
    validate_person_name,
)
from pathways.directory.forms import capacity_override_problem
from pathways.directory.models import Service
from pathways.directory.selectors import service_for_program
from pathways.eligibility.rules import Decision, Outcome, facts_used
from pathways.encounters.eligibility import (
    CHARGE_FACTS,
    asked_facts,
    decide,
    fact_field,
    rules_of,
)
from pathways.encounters.models import CallSource, Disposition
from pathways.encounters.sections import CompanionForm, CrisisForm, OverdoseForm, SurrenderForm
from pathways.linkage.duplicates import likely_duplicates
from pathways.people.models import Identity, Language, Person
from pathways.people.selectors import Candidate, people_active
from pathways.people.services import contact_details_problems, unnamed_person_problems
from pathways.programs.form_sections import default_sections
from pathways.programs.models import Pathway, PathwayConfig, Program, ProgramPathway
from pathways.programs.vocabulary import Need
from pathways.workflow.commands import (
    ContactInput,
    FieldEntry,
    KeyLookup,
    NewPerson,
    PathwayDetails,
)
from pathways.workflow.sections import section_forms, validate_sections

NEW_PERSON = "new"

FIELD_DISPOSITIONS = [
    (Disposition.REFERRED.value, Disposition.REFERRED.label),
    (Disposition.DECLINED.value, Disposition.DECLINED.label),
    (Disposition.INFORMATION.value, Disposition.INFORMATION.label),
    (Disposition.TRANSPORTED.value, Disposition.TRANSPORTED.label),
]


class FieldEntryForm(Form):
    idempotency_key = forms.UUIDField(widget=forms.HiddenInput)
    person_choice = forms.CharField(required=False, widget=forms.HiddenInput)
    identity = forms.ChoiceField(
        label="Is the person's name known?",
        choices=Identity.choices,
        required=False,
        initial=Identity.KNOWN,
        widget=forms.RadioSelect,
    )
    first_name = forms.CharField(
        label="First name",
        required=False,
        validators=[validate_person_name],
        widget=forms.TextInput(attrs={"autocomplete": "off", "maxlength": 80}),
    )
    last_name = forms.CharField(
        label="Last name",
        required=False,
        validators=[validate_person_name],
        widget=forms.TextInput(attrs={"autocomplete": "off", "maxlength": 80}),
    )
    date_of_birth = forms.DateField(
        label="Date of birth",
        required=False,
        validators=[validate_birth_date],
        widget=DateInput(),
        error_messages={"invalid": "Enter the date of birth as a real date, e.g. 1985-03-14."},
    )
    approximate_age = forms.IntegerField(
        label="Approximate age",
        required=False,
        min_value=0,
        max_value=120,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
        error_messages={
            "invalid": "Give the age as a number of years.",
            "min_value": "Give an age between 0 and 120.",
            "max_value": "Give an age between 0 and 120.",
        },
    )
    description = forms.CharField(
        label="Description",
        help_text="So the team can recognise them: apparent age, build, hair, clothing, marks",
        required=False,
        max_length=500,
        validators=[validate_clean_text],
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    contact_phone = forms.CharField(
        label="Phone",
        required=False,
        max_length=40,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off", "inputmode": "tel"}),
    )
    contact_texts_ok = forms.BooleanField(label="Texts are OK", required=False)
    contact_voicemail_ok = forms.BooleanField(label="A voicemail may be left", required=False)
    contact_best_time = forms.CharField(
        label="Best time to reach them",
        help_text="e.g. weekday mornings",
        required=False,
        max_length=100,
    )
    contact_other_way = forms.CharField(
        label="Another way to reach them",
        help_text="e.g. through the Main St shelter, a case worker or a relative",
        required=False,
        max_length=200,
    )
    contact_language = forms.ChoiceField(
        label="Preferred language",
        choices=[("", "- Select -"), *Language.choices],
        required=False,
    )
    contact_share = forms.BooleanField(
        label="The person agrees that the service they are referred to may contact them this way",
        required=False,
    )
    presenting_needs = forms.MultipleChoiceField(
        label="What does the person need?",
        choices=Need.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one need."},
    )
    location_text = forms.CharField(
        label="Where",
        help_text="Address, intersection or landmark",
        max_length=200,
        validators=[validate_clean_text],
    )
    disposition = forms.ChoiceField(
        label="Outcome of the contact", choices=FIELD_DISPOSITIONS, initial=Disposition.REFERRED
    )
    service = forms.CharField(required=False)
    warm_handoff = forms.BooleanField(
        label="Warm hand-off: I connected the person with the provider (in person or live call)",
        required=False,
    )
    capacity_override_reason = forms.CharField(
        label="Only if the chosen service has no open capacity: why refer there anyway?",
        required=False,
        max_length=300,
        validators=[validate_clean_text],
    )
    occurred_at = LocalDateTimeField(
        label="When",
        help_text="Leave empty if it is happening now.",
        required=False,
        input_formats=DATETIME_LOCAL_FORMATS,
        widget=DateTimeLocalInput(),
        validators=[validate_not_future],
        error_messages={"invalid": "Enter a real date and time."},
    )
    call_source = forms.ChoiceField(label="How the contact began", choices=CallSource.choices)
    notes = forms.CharField(
        label="Notes",
        required=False,
        max_length=2000,
        validators=[validate_clean_text],
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(
        self,
        *args: Any,
        program: Program,
        pathway: Pathway,
        config: PathwayConfig | None = None,
        **kwargs: Any,
    ) -> None:
        self.program = program
        self.pathway = pathway
        self.config = config
        self.candidates: list[Candidate] = []
        self.person: Person | None = None
        self.service_obj: Service | None = None
        self.decision: Decision | None = None
        self.answers: dict[str, Any] = {}
        initial = kwargs.setdefault("initial", {})
        initial.setdefault("idempotency_key", uuid.uuid4())
        initial.setdefault("call_source", pathway.default_call_source)
        super().__init__(*args, **kwargs)
        self.sections = section_forms(
            list(config.sections) if config is not None else default_sections(pathway.questions),
            self.data if self.is_bound else None,
            program=program,
            config=config,
        )
        self.rules = rules_of(config)
        self.fact_names: list[str] = []
        self.with_charge = "charge" in self.sections
        for fact in asked_facts(self.rules, with_charge=self.with_charge):
            name = f"fact_{fact.code}"
            self.fields[name] = fact_field(fact)
            self.fact_names.append(name)

    summary_targets = {
        "person_choice": ("duplicates", "Person"),
        "identity": ("id_identity_0", "Is the person's name known?"),
        "presenting_needs": ("need-" + Need.values[0], "What does the person need?"),
        "service": ("services", "Refer to"),
        "contact_share": ("id_contact_share", "Sharing with the service"),
    }

    def error_summary(self) -> list[tuple[str, str, str]]:
        """The form's own fields, then each pathway section's (the charge, the overdose...)."""
        entries = super().error_summary()
        for section in self.sections.values():
            if section.is_bound and hasattr(section, "error_summary") and section.errors:
                entries.extend(section.error_summary())
        return entries

    @property
    def fact_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.fact_names]

    def clean_person_choice(self) -> str:
        choice: str = self.cleaned_data.get("person_choice", "").strip()
        if choice in ("", NEW_PERSON):
            return choice
        try:
            uuid.UUID(choice)
        except ValueError as exc:
            raise ValidationError("Choose a person from the list or enter a new one.") from exc
        return choice

    @property
    def named(self) -> bool:
        return self.data.get("identity", "") in ("", Identity.KNOWN)

    def new_person(self) -> NewPerson | None:
        """The person to record, when the officer did not choose someone already in Pathways."""
        if self.person is not None:
            return None
        data = self.cleaned_data
        if not self.named:
            age = data.get("approximate_age")
            return NewPerson(
                first_name="",
                last_name="",
                date_of_birth=None,
                identity=data["identity"],
                estimated_birth_year=data["occurred_at"].year - age if age is not None else None,
                description=data.get("description", ""),
            )
        return NewPerson(
            first_name=data["first_name"],
            last_name=data["last_name"],
            date_of_birth=data["date_of_birth"],
        )

    def contact(self) -> ContactInput:
        data = self.cleaned_data
        return ContactInput(
            phone=data.get("contact_phone", ""),
            texts_ok=data.get("contact_texts_ok", False),
            voicemail_ok=data.get("contact_voicemail_ok", False),
            best_time=data.get("contact_best_time", ""),
            other_way=data.get("contact_other_way", ""),
            language=data.get("contact_language", ""),
            share_with_provider=data.get("contact_share", False),
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("occurred_at") and "occurred_at" not in self.errors:
            data["occurred_at"] = clock.now()
        self._clean_person(data)
        self._clean_contact(data)
        self._clean_sections(data)
        self._clean_eligibility(data)
        self._clean_service(data)
        return data

    def _clean_sections(self, data: dict[str, Any]) -> None:
        try:
            validate_sections(self.sections)
        except ValidationError as exc:
            self.add_error(None, exc)
            return
        crisis = self.sections.get("crisis_team")
        if crisis is not None and self.config is not None:
            members = crisis.cleaned_data.get("team_members") or []
            if self.config.requires_clinician and "clinician" not in members:
                crisis.add_error("team_members", "This program's crisis team includes a clinician.")
                self.add_error(None, "Check the answers marked below.")
            elif self.config.requires_peer and "peer" not in members:
                crisis.add_error("team_members", "This program's crisis team includes a peer.")
                self.add_error(None, "Check the answers marked below.")
        overdose = self.sections.get("overdose")
        if (
            overdose is not None
            and overdose.cleaned_data.get("fatal")
            and data.get("disposition") == Disposition.REFERRED
        ):
            self.add_error(
                "disposition",
                "After a fatal overdose there is no referral to send: choose another outcome "
                "(e.g. information only) and no service.",
            )

    def add_service_error(self, exc: ValidationError) -> None:
        """Show a refusal from the workflow: at the field when the form has it, else on top."""
        if not hasattr(exc, "error_dict"):
            self.add_error(None, exc)
            return
        for name, errors in exc.message_dict.items():
            self.add_error(name if name in self.fields else None, errors)

    def entry(
        self,
        *,
        agency: Agency,
        program_pathway: ProgramPathway,
        idempotency_digest: str,
        key_lookup: KeyLookup | None = None,
    ) -> FieldEntry:
        """The valid form's contact as the workflow's command (field_entry_submit), recorded by
        `agency` under `program_pathway` (the row the form was shown under, read in this
        request); `idempotency_digest` is the submitted body's (core.idempotency)."""
        data = self.cleaned_data
        return FieldEntry(
            agency=agency,
            pathway=self.pathway,
            program_pathway=program_pathway,
            person=self.person,
            new_person=self.new_person(),
            occurred_at=data["occurred_at"],
            call_source=data["call_source"],
            presenting_needs=tuple(data["presenting_needs"]),
            disposition=data["disposition"],
            location_text=data["location_text"],
            service=self.service_obj,
            warm_handoff=data["warm_handoff"],
            capacity_override_reason=data["capacity_override_reason"],
            notes=data["notes"],
            idempotency_key=data["idempotency_key"],
            idempotency_digest=idempotency_digest,
            key_lookup=key_lookup,
            eligibility_answers=self.answers,
            details=self.details(),
            contact=self.contact(),
        )

    def details(self) -> PathwayDetails:
        """What the pathway's sections collected, for the workflow service."""
        sections = self.sections
        overdose, surrender = sections.get("overdose"), sections.get("surrendered_items")
        companion, crisis = sections.get("companion"), sections.get("crisis_team")
        charge = sections.get("charge")
        return PathwayDetails(
            charges=[charge.charge_input()]  # type: ignore[attr-defined]
            if charge is not None
            else [],
            overdose=overdose.facts() if isinstance(overdose, OverdoseForm) else None,
            surrendered=surrender.items() if isinstance(surrender, SurrenderForm) else [],
            disposal_method=surrender.cleaned_data.get("disposal_method", "")
            if isinstance(surrender, SurrenderForm)
            else "",
            companion=companion.chosen() if isinstance(companion, CompanionForm) else None,
            crisis=crisis.crisis() if isinstance(crisis, CrisisForm) else None,
        )

    def decision_before_answers(self, now: dt.datetime) -> Decision | None:
        """When the rules ask nothing (they use only the time of the contact, like a walk-in
        program's station hours), the decision the officer will get, shown up front."""
        if not self.rules or self.fact_names or self.with_charge:
            return None
        if "age" in facts_used(self.rules):
            return None
        return decide(self.rules, {}, None, now, self.program)

    def _clean_eligibility(self, data: dict[str, Any]) -> None:
        if not self.rules or any(name in self.errors for name in self.fact_names):
            return
        born = self.person.date_of_birth if self.person else data.get("date_of_birth")
        self.answers = {name.removeprefix("fact_"): data.get(name) for name in self.fact_names}
        if self.with_charge:
            charge = self.sections["charge"]
            if not charge.is_valid():
                return  # the charge's own errors are shown; decide once it is complete
            # the offence the rules judge is the charge being held, never a second answer
            self.answers.update({code: charge.cleaned_data[code] for code in CHARGE_FACTS})
        self.decision = decide(self.rules, self.answers, born, data["occurred_at"], self.program)
        if self.decision.outcome == Outcome.INELIGIBLE and (
            data.get("disposition") == Disposition.REFERRED
        ):
            self.add_error(
                "disposition",
                "Under the program's rules this person is not eligible for this pathway: "
                + " ".join(self.decision.reasons)
                + " Record the contact with another outcome.",
            )

    def _clean_person(self, data: dict[str, Any]) -> None:
        """A named person is matched against the people already in Pathways: the officer
        chooses one of the candidates the check offers (never any other person), or confirms
        a new one. A person without a name is recorded with a description instead."""
        identity = data.get("identity") or Identity.KNOWN
        data["identity"] = identity
        if identity != Identity.KNOWN:
            problems = unnamed_person_problems(
                identity=identity,
                first_name="",
                last_name="",
                estimated_birth_year=None,
                description=data.get("description", ""),
            )
            for name, message in problems.items():
                self.add_error(name if name in self.fields else None, message)
            return
        for name, message in (
            ("first_name", "Enter the first name."),
            ("last_name", "Enter the last name."),
            ("date_of_birth", "Enter the date of birth."),
        ):
            if not data.get(name) and name not in self.errors:
                self.add_error(name, message)
        first, last = data.get("first_name"), data.get("last_name")
        if not first or not last or "date_of_birth" in self.errors:
            return
        # the same answers as the page's check (people:duplicates) reads, so the people
        # offered there are the ones that can be chosen here
        self.candidates = likely_duplicates(
            program=self.program,
            first_name=first,
            last_name=last,
            date_of_birth=data.get("date_of_birth"),
        )
        choice = data.get("person_choice", "")
        if "person_choice" in self.errors or choice in ("", NEW_PERSON):
            if self.candidates and choice != NEW_PERSON:
                self.add_error(
                    None,
                    "This may be someone already in Pathways. Choose the matching person "
                    "below, or confirm that this is a new person.",
                )
            return
        offered = {str(c.person.pk) for c in self.candidates}
        if choice not in offered:
            # only a person the duplicate check offered for these names can be chosen
            self.add_error(
                "person_choice",
                "That person does not match the name and birth date typed. Choose a person "
                "from the list or enter a new one.",
            )
            return
        self.person = people_active().filter(pk=choice).first()
        if self.person is None:
            self.add_error("person_choice", "That person is no longer in Pathways.")

    def _clean_contact(self, data: dict[str, Any]) -> None:
        problems = contact_details_problems(
            phone=data.get("contact_phone", ""),
            best_time=data.get("contact_best_time", ""),
            other_way=data.get("contact_other_way", ""),
            language=data.get("contact_language", ""),
            share_with_provider=data.get("contact_share", False),
        )
        for name, message in problems.items():
            field = "contact_share" if name == "share_with_provider" else f"contact_{name}"
            self.add_error(field if field in self.fields else None, message)

    def _clean_service(self, data: dict[str, Any]) -> None:
        raw = (data.get("service") or "").strip()
        if data.get("disposition") != Disposition.REFERRED:
            if raw:
                self.add_error("service", "Only choose a service when the outcome is a referral.")
            return
        if not raw:
            self.add_error("service", "Choose the service you are referring the person to.")
            return
        try:
            service_id = uuid.UUID(raw)
        except ValueError:
            self.add_error("service", "Choose a service from the list.")
            return
        self.service_obj = service_for_program(program=self.program, service_id=service_id)
        if self.service_obj is None:
            self.add_error("service", "That service is not available in this program.")
            return
        problem = capacity_override_problem(
            self.service_obj, data.get("capacity_override_reason", "")
        )
        if problem:
            self.add_error("capacity_override_reason", problem)
