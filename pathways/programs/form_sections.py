"""The sections a pathway's field form can add to the common part (person, needs, place,
disposition, service): what each collects. Which pathways may show a section, and which must,
is the pathway's catalog entry (programs.catalog, decision 0028). The chosen sections live in
each PathwayConfig version; their forms are composed in workflow.sections."""

from __future__ import annotations

from dataclasses import dataclass

from pathways.programs.catalog import pathway_spec


@dataclass(frozen=True)
class FormSection:
    code: str
    label: str
    help: str


FORM_SECTIONS: dict[str, FormSection] = {
    s.code: s
    for s in (
        FormSection(
            "overdose",
            "The overdose",
            "Naloxone given, doses, by whom, fatal or not, transported: opens the follow-up.",
        ),
        FormSection(
            "surrendered_items",
            "Items handed in",
            "Drugs, needles or paraphernalia handed in, logged for disposal and never as evidence.",
        ),
        FormSection(
            "companion",
            "Volunteer or peer paired",
            "The volunteer “angel”, guide or peer who stays with the person.",
        ),
        FormSection(
            "crisis_team",
            "The crisis response",
            "Who responded, when they arrived and how the call ended.",
        ),
        FormSection(
            "charge",
            "The charge held or cited",
            "The offence, held in abeyance or cited instead of an arrest.",
        ),
    )
}

#: The questions every pathway's form asks before its own sections.
COMMON_QUESTIONS = ("presenting_needs", "location_text")


def sections_for(pathway_code: str) -> list[FormSection]:
    """The sections the pathway's form may show, in FORM_SECTIONS order."""
    spec = pathway_spec(pathway_code)
    allowed = set(spec.sections) if spec is not None else set()
    return [s for s in FORM_SECTIONS.values() if s.code in allowed]


def required_sections(pathway_code: str) -> list[str]:
    """The sections the pathway's form always shows, in FORM_SECTIONS order."""
    spec = pathway_spec(pathway_code)
    required = set(spec.required_sections) if spec is not None else set()
    return [code for code in FORM_SECTIONS if code in required]


def default_sections(questions: list[str]) -> list[str]:
    """The sections the pathway catalog's questions name, in catalog order."""
    return [q for q in questions if q in FORM_SECTIONS]


def checked_sections(pathway_code: str, chosen: list[str]) -> tuple[list[str], list[str]]:
    """(sections in catalog order with the required ones added, problems)."""
    problems: list[str] = []
    allowed = {s.code for s in sections_for(pathway_code)}
    if not isinstance(chosen, list) or not all(isinstance(c, str) for c in chosen):
        return [], ["The form sections must be a list of section names."]
    if unknown := [c for c in chosen if c not in allowed]:
        problems.append(
            "Not a section this pathway's form can have: "
            + ", ".join(sorted(set(unknown)))
            + f" (choose from {', '.join(sorted(allowed)) or 'none'})."
        )
    wanted = set(chosen) | set(required_sections(pathway_code))
    return [code for code in FORM_SECTIONS if code in wanted and code in allowed], problems
