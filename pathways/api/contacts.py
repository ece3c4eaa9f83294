"""A contact sent to the API, recorded exactly as the field form records it: the body becomes
the field form's data (workflow.forms.FieldEntryForm, with the pathway's sections under their
prefixes), so the form's own checks decide (the person's name or description, the duplicate
check, the sections the pathway asks, its eligibility rules, a service the program offers, the
capacity override), and the valid form builds the workflow's command for field_entry_submit.
A refusal is listed against the body's own field names."""

from __future__ import annotations

import uuid
from typing import Any

from django.core.exceptions import ValidationError

from pathways.api.schemas import ContactIn, SectionsIn
from pathways.programs.models import ProgramPathway
from pathways.workflow.forms import NEW_PERSON, FieldEntryForm

#: The form's person fields and where they are in the body.
PERSON_FIELDS = (
    "identity",
    "first_name",
    "last_name",
    "date_of_birth",
    "approximate_age",
    "description",
)
#: The form's field -> the body's field (the rest have the same name).
FORM_TO_BODY: dict[str, str] = {
    **{name: f"person.{name}" for name in PERSON_FIELDS},
    "person_choice": "person.existing_person_id",
    "service": "service_id",
    "contact_share": "reach.share_with_provider",
    "__all__": "",
}
SECTION_NAMES = tuple(SectionsIn.model_fields)
SECTIONS_MESSAGE = "Check the answers marked below."


def _yes_no(value: bool | None) -> str:
    return "" if value is None else ("yes" if value else "no")


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _section_data(sections: SectionsIn) -> dict[str, Any]:
    """The sections sent, as the section forms' data (each under its prefix)."""
    data: dict[str, Any] = {}
    if (overdose := sections.overdose) is not None:
        data |= {
            "overdose-naloxone_given": _yes_no(overdose.naloxone_given),
            "overdose-naloxone_doses": _text(overdose.naloxone_doses),
            "overdose-administered_by": overdose.administered_by or "",
            "overdose-fatal": _yes_no(overdose.fatal),
            "overdose-transported": _yes_no(overdose.transported),
            "overdose-destination": overdose.destination,
        }
    if (surrender := sections.surrendered_items) is not None:
        data |= {
            "surrendered_items-kinds": list(surrender.kinds),
            "surrendered_items-quantity": surrender.quantity,
            "surrendered_items-disposal_method": surrender.disposal_method,
        }
    if (companion := sections.companion) is not None:
        data["companion-companion"] = _text(companion.companion_id)
    if (crisis := sections.crisis_team) is not None:
        data |= {
            "crisis_team-team_members": list(crisis.team_members),
            "crisis_team-arrived_at": crisis.arrived_at,
            "crisis_team-outcome": crisis.outcome,
        }
    if (charge := sections.charge) is not None:
        data |= {
            f"charge-{name}": _text(getattr(charge, name))
            for name in (
                "mode",
                "offence_type",
                "offence_level",
                "statute",
                "citation_number",
                "description",
                "fine_amount",
                "fee_amount",
            )
        }
    return data


def form_data(payload: ContactIn, idempotency_key: uuid.UUID) -> dict[str, Any]:
    """The body as what the field form posts."""
    person, reach = payload.person, payload.reach
    choice = (
        str(person.existing_person_id)
        if person.existing_person_id is not None
        else (NEW_PERSON if person.confirm_new else "")
    )
    data: dict[str, Any] = {
        "idempotency_key": str(idempotency_key),
        "person_choice": choice,
        "identity": person.identity,
        "first_name": person.first_name,
        "last_name": person.last_name,
        "date_of_birth": person.date_of_birth,
        "approximate_age": person.approximate_age,
        "description": person.description,
        "presenting_needs": list(payload.presenting_needs),
        "location_text": payload.location_text,
        "disposition": payload.disposition,
        "service": _text(payload.service_id),
        "warm_handoff": payload.warm_handoff,
        "capacity_override_reason": payload.capacity_override_reason,
        "occurred_at": payload.occurred_at,
        "call_source": payload.call_source,
        "notes": payload.notes,
    }
    if reach is not None:
        data |= {
            "contact_phone": reach.phone,
            "contact_texts_ok": reach.texts_ok,
            "contact_voicemail_ok": reach.voicemail_ok,
            "contact_best_time": reach.best_time,
            "contact_other_way": reach.other_way,
            "contact_language": reach.language,
            "contact_share": reach.share_with_provider,
        }
    return data | _section_data(payload.sections)


def contact_form(
    payload: ContactIn, pp: ProgramPathway, idempotency_key: uuid.UUID
) -> tuple[FieldEntryForm, list[dict[str, str]]]:
    """The bound field form of the pathway for this body, and the body's own refusals (a
    section the pathway does not ask, an eligibility question it does not ask)."""
    data = form_data(payload, idempotency_key)
    form = FieldEntryForm(data, program=pp.program, pathway=pp.pathway, config=pp.current_config)
    refused: list[dict[str, str]] = []
    for name in SECTION_NAMES:
        if getattr(payload.sections, name) is not None and name not in form.sections:
            refused.append(_error(f"sections.{name}", "This pathway's form has no such section."))
    asked = {name.removeprefix("fact_"): form.fields[name] for name in form.fact_names}
    for code, answer in payload.eligibility.items():
        if code not in asked:
            refused.append(
                _error(f"eligibility.{code[:50]}", "The pathway's rules ask no such question.")
            )
            continue
        # the form reads its data when it is validated: the questions are known only now
        data[f"fact_{code}"] = _yes_no(answer) if isinstance(answer, bool) else _text(answer)
    return form, refused


def _error(field: str, message: str, code: str = "refused") -> dict[str, str]:
    return {"field": field, "in": "body", "message": message, "code": code}


def body_field(name: str) -> str:
    """Where the form's field `name` is in the body."""
    if name in FORM_TO_BODY:
        return FORM_TO_BODY[name]
    if name.startswith("contact_"):
        return f"reach.{name.removeprefix('contact_')}"
    if name.startswith("fact_"):
        return f"eligibility.{name.removeprefix('fact_')}"
    return name


def form_errors(form: FieldEntryForm) -> list[dict[str, str]]:
    """The form's and its sections' errors, against the body's field names."""
    errors: list[dict[str, str]] = []
    for section_name, section in form.sections.items():
        if section.is_bound and section.errors:
            for name, messages in section.errors.items():
                field = f"sections.{section_name}" + ("" if name == "__all__" else f".{name}")
                errors += [_error(field, str(m), "invalid") for m in messages]
    for name, messages in form.errors.items():
        for message in messages:
            if name == "__all__" and errors and message == SECTIONS_MESSAGE:
                continue  # the sections' own errors are listed
            errors.append(_error(body_field(name), str(message), "invalid"))
    return errors


def refusal_errors(exc: ValidationError) -> list[dict[str, str]]:
    """A workflow service's refusal, against the body's field names."""
    if not hasattr(exc, "error_dict"):
        return [_error("", str(m)) for m in exc.messages]
    return [
        _error(body_field(name), str(message))
        for name, messages in exc.message_dict.items()
        for message in messages
    ]
