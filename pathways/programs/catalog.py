"""The six PTACC deflection pathways, as data: one typed, frozen entry per pathway holds every
fact the code keys by pathway (decision 0028). Definitions paraphrase the field guidance in
shared/seeds (PTACC, IACP, TASC). A data migration loads the descriptive part (`catalog_rows`);
`catalog_sync` keeps it current. What a form section or a deadline *is* lives in
programs.form_sections and programs.deadlines; which of them a pathway uses lives here."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

from pathways.directory.vocabulary import Need
from pathways.programs.models import PathwayCode

FIELD_ROLES = ("officer", "supervisor")
FIRST_RESPONDERS = ("law_enforcement", "fire", "ems")
#: The deadlines every pathway has (a referral is sent under each of them).
EVERY_PATHWAY_DEADLINES = ("referral_response_hours",)

#: The order services are offered in at a visit when neither the program template the pathway
#: was started from nor the pathway's entry states one: crisis-level treatment first, medication
#: for opioid use disorder before everything else (the Naloxone Plus definition).
DEFAULT_SERVICE_PRIORITY: tuple[str, ...] = (
    "moud",
    "detox",
    "medical",
    "mh_crisis",
    "residential",
    "outpatient",
    "mh_outpatient",
    "peer_support",
    "case_management",
    "housing",
    "basic_needs",
)


class ContactDeadline(NamedTuple):
    """The work item a contact under the pathway opens, due after one of its deadlines."""

    work_kind: str
    """A followups.models.WorkKind value (a plain string: programs sits below followups)."""
    deadline: str
    """The DeadlineKind code whose configured value sets the due time (hours)."""
    title: str
    """The item's title, with `{date}` for the contact's local day (never a name)."""


@dataclass(frozen=True)
class PathwaySpec:
    code: PathwayCode
    name: str
    short_name: str
    definition: str
    initiated_by: str
    starter_agency_kinds: tuple[str, ...]
    starter_roles: tuple[str, ...]
    holds_charges: bool
    target_populations: str
    typical_needs: tuple[Need, ...]
    questions: tuple[str, ...]
    """What the field form asks by default: the common questions, then the sections it shows
    unless the program's configuration chooses otherwise."""
    default_call_source: str
    sections: tuple[str, ...]
    """Form sections (programs.form_sections) the pathway's form may show."""
    required_sections: tuple[str, ...]
    """Form sections it always shows (its workflow needs what they collect); among `sections`."""
    deadlines: tuple[str, ...]
    """Deadline kinds (programs.deadlines) a coordinator configures for it."""
    contact_deadline: ContactDeadline | None = None
    """The work item a contact opens, if any (workflow.services.deadlines_open)."""
    service_priority: tuple[str, ...] = ()
    """Service types a visit offers first, in order; empty: DEFAULT_SERVICE_PRIORITY."""


P = PathwayCode

CATALOG: tuple[PathwaySpec, ...] = (
    PathwaySpec(
        code=P.SELF_REFERRAL,
        name="Self-Referral",
        short_name="Self-referral",
        definition=(
            "A person asks a police, fire or EMS station for help getting into treatment. "
            "Coming forward carries no arrest and no charge; drugs or paraphernalia handed in are "
            "logged for disposal, and a volunteer or peer is paired with the person while a "
            "treatment placement is found, usually within a day."
        ),
        initiated_by="The person, walking in or calling a participating station at any hour.",
        starter_agency_kinds=FIRST_RESPONDERS,
        starter_roles=FIELD_ROLES,
        holds_charges=False,
        target_populations="People with a substance use disorder.",
        typical_needs=(Need.SUBSTANCE_USE, Need.OPIOID_USE),
        questions=("presenting_needs", "location_text", "surrendered_items", "companion"),
        default_call_source="walk_in",
        sections=("surrendered_items", "companion"),
        required_sections=(),
        deadlines=(*EVERY_PATHWAY_DEADLINES, "placement_hours"),
        contact_deadline=ContactDeadline(
            "placement",
            "placement_hours",
            "Treatment placement for a request for help on {date}",
        ),
    ),
    PathwaySpec(
        code=P.ACTIVE_OUTREACH,
        name="Active Outreach",
        short_name="Outreach",
        definition=(
            "Responders identify people who could use treatment, and an outreach team, often a "
            "clinician and/or a peer with lived experience, seeks them out to engage them."
        ),
        initiated_by="A first responder or the outreach team, from an outreach list.",
        starter_agency_kinds=(*FIRST_RESPONDERS, "treatment", "recovery_support"),
        starter_roles=(*FIELD_ROLES, "outreach"),
        holds_charges=False,
        target_populations="People with a substance use disorder.",
        typical_needs=(Need.SUBSTANCE_USE,),
        questions=("presenting_needs", "location_text"),
        default_call_source="outreach",
        sections=("surrendered_items", "companion"),
        required_sections=(),
        deadlines=(*EVERY_PATHWAY_DEADLINES, "outreach_visit_days"),
    ),
    PathwaySpec(
        code=P.NALOXONE_PLUS,
        name="Naloxone Plus",
        short_name="Naloxone Plus",
        definition=(
            "After an overdose, a first responder with a program partner (a clinician or a peer) "
            "reaches the person, ideally within the recovery window, to engage them and link them "
            "to crisis-level treatment such as medication for opioid use disorder."
        ),
        initiated_by="An overdose response by EMS, fire or police.",
        starter_agency_kinds=(*FIRST_RESPONDERS, "treatment", "recovery_support"),
        starter_roles=(*FIELD_ROLES, "outreach"),
        holds_charges=False,
        target_populations="People with an opioid use disorder who recently overdosed.",
        typical_needs=(Need.OPIOID_USE, Need.SUBSTANCE_USE),
        questions=("presenting_needs", "location_text", "overdose"),
        default_call_source="overdose_response",
        sections=("overdose", "companion"),
        required_sections=("overdose",),
        deadlines=(*EVERY_PATHWAY_DEADLINES, "followup_hours"),
        contact_deadline=ContactDeadline(
            "overdose_followup",
            "followup_hours",
            "Follow-up after an overdose on {date}",
        ),
        service_priority=DEFAULT_SERVICE_PRIORITY,
    ),
    PathwaySpec(
        code=P.OFFICER_PREVENTION,
        name="First Responder / Officer Prevention Referral",
        short_name="Officer prevention",
        definition=(
            "During patrol or a service call, a first responder engages a person and refers them "
            "to treatment, services or a case manager. When the responder is a police officer, no "
            "charges are filed and no arrest is made."
        ),
        initiated_by="A responder on patrol or answering a call for service.",
        starter_agency_kinds=FIRST_RESPONDERS,
        starter_roles=FIELD_ROLES,
        holds_charges=False,
        target_populations=(
            "People in crisis, with mental health or substance use disorders, experiencing "
            "homelessness, or involved in sex work."
        ),
        typical_needs=(Need.MENTAL_HEALTH, Need.SUBSTANCE_USE, Need.HOUSING, Need.SEX_WORK),
        questions=("presenting_needs", "location_text"),
        default_call_source="on_view",
        sections=("surrendered_items", "crisis_team"),
        required_sections=(),
        deadlines=EVERY_PATHWAY_DEADLINES,
    ),
    PathwaySpec(
        code=P.OFFICER_INTERVENTION,
        name="Officer Intervention",
        short_name="Officer intervention",
        definition=(
            "At a point where charges would otherwise be filed, a police officer refers the person "
            "to treatment, services or a case manager, or issues a non-criminal citation to report "
            "to a program. Charges are held in abeyance until the treatment or service plan is "
            "completed."
        ),
        initiated_by="A law enforcement officer (only law enforcement).",
        starter_agency_kinds=("law_enforcement",),
        starter_roles=FIELD_ROLES,
        holds_charges=True,
        target_populations=(
            "People facing low-level, nonviolent charges who are at low to moderate risk of "
            "reoffending."
        ),
        typical_needs=(Need.SUBSTANCE_USE, Need.MENTAL_HEALTH, Need.HOUSING),
        questions=("presenting_needs", "location_text", "charge"),
        default_call_source="dispatched",
        sections=("surrendered_items", "charge"),
        required_sections=("charge",),
        deadlines=(
            *EVERY_PATHWAY_DEADLINES,
            "prosecutor_review_days",
            "intake_days",
            "completion_days",
        ),
    ),
    PathwaySpec(
        code=P.COMMUNITY_RESPONSE,
        name="Community Response",
        short_name="Community response",
        definition=(
            "A call for service is answered by a team of community-based behavioral health "
            "professionals and credible messengers, sometimes with medical staff, who de-escalate "
            "crises, mediate low-level conflicts or address quality-of-life issues and refer the "
            "person to treatment, services or a case manager."
        ),
        initiated_by="A call for service routed to a community response team.",
        starter_agency_kinds=("community_response",),
        starter_roles=(*FIELD_ROLES, "outreach"),
        holds_charges=False,
        target_populations="People in crisis, in low-level conflicts or quality-of-life calls.",
        typical_needs=(Need.CRISIS, Need.MENTAL_HEALTH, Need.CONFLICT),
        questions=("presenting_needs", "location_text", "crisis_team"),
        default_call_source="dispatched",
        sections=("companion", "crisis_team"),
        required_sections=("crisis_team",),
        deadlines=(*EVERY_PATHWAY_DEADLINES, "crisis_followup_hours"),
        contact_deadline=ContactDeadline(
            "crisis_followup",
            "crisis_followup_hours",
            "Follow-up after a crisis call on {date}",
        ),
    ),
)

#: The entries by pathway code.
PATHWAYS: dict[str, PathwaySpec] = {spec.code: spec for spec in CATALOG}


def pathway_spec(pathway_code: str) -> PathwaySpec | None:
    """The catalog entry of a pathway, or None for a code the catalog does not know."""
    return PATHWAYS.get(pathway_code)


def contact_deadline(pathway_code: str) -> ContactDeadline | None:
    """The work item a contact under the pathway opens, if it opens one."""
    spec = PATHWAYS.get(pathway_code)
    return spec.contact_deadline if spec is not None else None


def service_priority_for(pathway_code: str | None) -> tuple[str, ...]:
    """The pathway's default order of service types at a visit (DEFAULT_SERVICE_PRIORITY when
    the pathway is unknown or states none)."""
    spec = PATHWAYS.get(pathway_code) if pathway_code is not None else None
    if spec is None or not spec.service_priority:
        return DEFAULT_SERVICE_PRIORITY
    return spec.service_priority


def catalog_rows() -> list[dict[str, Any]]:
    """The descriptive part of the catalog with plain strings and lists, as the Pathway rows
    hold it (for migrations, fixtures and catalog_sync)."""
    return [
        {
            "code": str(spec.code),
            "name": spec.name,
            "short_name": spec.short_name,
            "definition": spec.definition,
            "initiated_by": spec.initiated_by,
            "starter_agency_kinds": list(spec.starter_agency_kinds),
            "starter_roles": list(spec.starter_roles),
            "holds_charges": spec.holds_charges,
            "target_populations": spec.target_populations,
            "typical_needs": [str(n) for n in spec.typical_needs],
            "questions": list(spec.questions),
            "default_call_source": spec.default_call_source,
            "display_order": order,
        }
        for order, spec in enumerate(CATALOG, start=1)
    ]
