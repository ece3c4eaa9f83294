"""The six PTACC deflection pathways, as data. Definitions paraphrase the field guidance in
shared/seeds (PTACC, IACP, TASC). A data migration loads them; `catalog_sync` keeps them current."""

from __future__ import annotations

from typing import Any

from pathways.directory.vocabulary import Need
from pathways.programs.models import PathwayCode

FIELD_ROLES = ["officer", "supervisor"]
FIRST_RESPONDERS = ["law_enforcement", "fire", "ems"]

CATALOG: list[dict[str, Any]] = [
    {
        "code": PathwayCode.SELF_REFERRAL,
        "name": "Self-Referral",
        "short_name": "Self-referral",
        "definition": (
            "A person asks a police, fire or EMS station for help getting into treatment. "
            "Coming forward carries no arrest and no charge; drugs or paraphernalia handed in are "
            "logged for disposal, and a volunteer or peer is paired with the person while a "
            "treatment placement is found, usually within a day."
        ),
        "initiated_by": "The person, walking in or calling a participating station at any hour.",
        "starter_agency_kinds": FIRST_RESPONDERS,
        "starter_roles": FIELD_ROLES,
        "holds_charges": False,
        "target_populations": "People with a substance use disorder.",
        "typical_needs": [Need.SUBSTANCE_USE, Need.OPIOID_USE],
        "questions": ["presenting_needs", "location_text", "surrendered_items", "companion"],
        "default_call_source": "walk_in",
    },
    {
        "code": PathwayCode.ACTIVE_OUTREACH,
        "name": "Active Outreach",
        "short_name": "Outreach",
        "definition": (
            "Responders identify people who could use treatment, and an outreach team, often a "
            "clinician and/or a peer with lived experience, seeks them out to engage them."
        ),
        "initiated_by": "A first responder or the outreach team, from an outreach list.",
        "starter_agency_kinds": [*FIRST_RESPONDERS, "treatment", "recovery_support"],
        "starter_roles": [*FIELD_ROLES, "outreach"],
        "holds_charges": False,
        "target_populations": "People with a substance use disorder.",
        "typical_needs": [Need.SUBSTANCE_USE],
        "questions": ["presenting_needs", "location_text"],
        "default_call_source": "outreach",
    },
    {
        "code": PathwayCode.NALOXONE_PLUS,
        "name": "Naloxone Plus",
        "short_name": "Naloxone Plus",
        "definition": (
            "After an overdose, a first responder with a program partner (a clinician or a peer) "
            "reaches the person, ideally within the recovery window, to engage them and link them "
            "to crisis-level treatment such as medication for opioid use disorder."
        ),
        "initiated_by": "An overdose response by EMS, fire or police.",
        "starter_agency_kinds": [*FIRST_RESPONDERS, "treatment", "recovery_support"],
        "starter_roles": [*FIELD_ROLES, "outreach"],
        "holds_charges": False,
        "target_populations": "People with an opioid use disorder who recently overdosed.",
        "typical_needs": [Need.OPIOID_USE, Need.SUBSTANCE_USE],
        "questions": ["presenting_needs", "location_text", "overdose"],
        "default_call_source": "overdose_response",
    },
    {
        "code": PathwayCode.OFFICER_PREVENTION,
        "name": "First Responder / Officer Prevention Referral",
        "short_name": "Officer prevention",
        "definition": (
            "During patrol or a service call, a first responder engages a person and refers them "
            "to treatment, services or a case manager. When the responder is a police officer, no "
            "charges are filed and no arrest is made."
        ),
        "initiated_by": "A responder on patrol or answering a call for service.",
        "starter_agency_kinds": FIRST_RESPONDERS,
        "starter_roles": FIELD_ROLES,
        "holds_charges": False,
        "target_populations": (
            "People in crisis, with mental health or substance use disorders, experiencing "
            "homelessness, or involved in sex work."
        ),
        "typical_needs": [Need.MENTAL_HEALTH, Need.SUBSTANCE_USE, Need.HOUSING, Need.SEX_WORK],
        "questions": ["presenting_needs", "location_text"],
        "default_call_source": "on_view",
    },
    {
        "code": PathwayCode.OFFICER_INTERVENTION,
        "name": "Officer Intervention",
        "short_name": "Officer intervention",
        "definition": (
            "At a point where charges would otherwise be filed, a police officer refers the person "
            "to treatment, services or a case manager, or issues a non-criminal citation to report "
            "to a program. Charges are held in abeyance until the treatment or service plan is "
            "completed."
        ),
        "initiated_by": "A law enforcement officer (only law enforcement).",
        "starter_agency_kinds": ["law_enforcement"],
        "starter_roles": FIELD_ROLES,
        "holds_charges": True,
        "target_populations": (
            "People facing low-level, nonviolent charges who are at low to moderate risk of "
            "reoffending."
        ),
        "typical_needs": [Need.SUBSTANCE_USE, Need.MENTAL_HEALTH, Need.HOUSING],
        "questions": ["presenting_needs", "location_text", "charge"],
        "default_call_source": "dispatched",
    },
    {
        "code": PathwayCode.COMMUNITY_RESPONSE,
        "name": "Community Response",
        "short_name": "Community response",
        "definition": (
            "A call for service is answered by a team of community-based behavioral health "
            "professionals and credible messengers, sometimes with medical staff, who de-escalate "
            "crises, mediate low-level conflicts or address quality-of-life issues and refer the "
            "person to treatment, services or a case manager."
        ),
        "initiated_by": "A call for service routed to a community response team.",
        "starter_agency_kinds": ["community_response"],
        "starter_roles": [*FIELD_ROLES, "outreach"],
        "holds_charges": False,
        "target_populations": "People in crisis, in low-level conflicts or quality-of-life calls.",
        "typical_needs": [Need.CRISIS, Need.MENTAL_HEALTH, Need.CONFLICT],
        "questions": ["presenting_needs", "location_text", "crisis_team"],
        "default_call_source": "dispatched",
    },
]


def catalog_rows() -> list[dict[str, Any]]:
    """The catalog with plain strings (for migrations and fixtures)."""
    rows = []
    for order, entry in enumerate(CATALOG, start=1):
        row = {k: (str(v) if hasattr(v, "value") else v) for k, v in entry.items()}
        row["typical_needs"] = [str(n) for n in entry["typical_needs"]]
        row["display_order"] = order
        rows.append(row)
    return rows
