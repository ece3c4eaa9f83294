"""The sections a pathway's field form can add to the common part (person, needs, place,
disposition, service): what each collects, which pathways may use it, and which must.
The chosen sections live in each PathwayConfig version; their forms are composed in
workflow.sections."""

from __future__ import annotations

from dataclasses import dataclass

from pathways.programs.models import PathwayCode

P = PathwayCode


@dataclass(frozen=True)
class FormSection:
    code: str
    label: str
    help: str
    pathways: tuple[str, ...]
    """Pathways that may show it."""
    required_for: tuple[str, ...] = ()
    """Pathways that always show it (their workflow needs what it collects)."""


FORM_SECTIONS: dict[str, FormSection] = {
    s.code: s
    for s in (
        FormSection(
            "overdose",
            "The overdose",
            "Naloxone given, doses, by whom, fatal or not, transported: opens the follow-up.",
            (P.NALOXONE_PLUS,),
            (P.NALOXONE_PLUS,),
        ),
        FormSection(
            "surrendered_items",
            "Items handed in",
            "Drugs, needles or paraphernalia handed in, logged for disposal and never as evidence.",
            (P.SELF_REFERRAL, P.OFFICER_PREVENTION, P.OFFICER_INTERVENTION, P.ACTIVE_OUTREACH),
        ),
        FormSection(
            "companion",
            "Volunteer or peer paired",
            "The volunteer “angel”, guide or peer who stays with the person.",
            (P.SELF_REFERRAL, P.NALOXONE_PLUS, P.ACTIVE_OUTREACH, P.COMMUNITY_RESPONSE),
        ),
        FormSection(
            "crisis_team",
            "The crisis response",
            "Who responded, when they arrived and how the call ended.",
            (P.COMMUNITY_RESPONSE, P.OFFICER_PREVENTION),
            (P.COMMUNITY_RESPONSE,),
        ),
        FormSection(
            "charge",
            "The charge held or cited",
            "The offence, held in abeyance or cited instead of an arrest.",
            (P.OFFICER_INTERVENTION,),
            (P.OFFICER_INTERVENTION,),
        ),
    )
}

#: The questions every pathway's form asks before its own sections.
COMMON_QUESTIONS = ("presenting_needs", "location_text")


def sections_for(pathway_code: str) -> list[FormSection]:
    return [s for s in FORM_SECTIONS.values() if pathway_code in s.pathways]


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
    wanted = set(chosen) | {
        s.code for s in FORM_SECTIONS.values() if pathway_code in s.required_for
    }
    return [code for code in FORM_SECTIONS if code in wanted and code in allowed], problems
