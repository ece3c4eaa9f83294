"""The composite write behind the field form (decision 0008)."""

from __future__ import annotations

import datetime as dt
import uuid
import zoneinfo
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError

from pathways.accounts.models import Agency, AgencyKind, Role
from pathways.accounts.selectors import agency_ids_for
from pathways.audit.services import audit_log, created
from pathways.cases.services import case_open
from pathways.core import clock
from pathways.core.deadlines import due_after_hours
from pathways.core.models import clean_fields_only
from pathways.core.services import service
from pathways.directory.models import Service
from pathways.encounters.models import Disposition, EligibilityReview, Encounter
from pathways.encounters.sections import CrisisInput, SurrenderInput
from pathways.encounters.services import (
    crisis_response_record,
    encounter_create,
    surrendered_items_log,
)
from pathways.followups.models import OutreachList, WorkItem, WorkKind, with_article
from pathways.followups.services import (
    outreach_list_create,
    placement_meet,
    work_item_complete,
    work_item_open,
)
from pathways.people.models import Person
from pathways.people.services import contact_details_record, person_create
from pathways.programs.models import PathwayCode, PathwayConfig, Program, ProgramPathway
from pathways.programs.program_templates import ProgramTemplate
from pathways.referrals.models import Referral
from pathways.referrals.services import referral_send
from pathways.surveillance.services import OverdoseFacts, overdose_record


@dataclass(frozen=True)
class NewPerson:
    first_name: str
    last_name: str
    date_of_birth: dt.date | None
    sex: str = "unknown"
    races: tuple[str, ...] = ()
    ethnicity: str = "unknown"
    identity: str = "known"  # people.models.Identity: unknown or withheld have no name
    estimated_birth_year: int | None = None
    description: str = ""


@dataclass(frozen=True)
class ContactInput:
    """How to reach the person, as they gave it at the contact."""

    phone: str = ""
    texts_ok: bool = False
    voicemail_ok: bool = False
    best_time: str = ""
    other_way: str = ""
    language: str = ""
    share_with_provider: bool = False


@dataclass(frozen=True)
class PathwayDetails:
    """What the pathway's own sections of the form collected."""

    overdose: OverdoseFacts | None = None
    surrendered: list[SurrenderInput] = field(default_factory=list)
    disposal_method: str = ""
    companion: Any = None
    crisis: CrisisInput | None = None
    charges: list[Any] = field(default_factory=list)  # cases.services.ChargeInput


KEY_REUSED = (
    "This form had already recorded a different contact, so nothing was saved. "
    "Start a new contact to record this one."
)


def key_reused(existing: Encounter, digest: str) -> bool:
    """The same idempotency key came back with a different body (not a retry)."""
    return bool(existing.idempotency_digest and digest and existing.idempotency_digest != digest)


@dataclass(frozen=True)
class FieldEntryResult:
    encounter: Encounter
    referral: Referral | None
    created: bool  # False when the same submission had already been recorded
    work_items: tuple[WorkItem, ...] = ()
    case: Any = None  # the diversion case opened for a held charge (cases.models.Case)


@service
def field_entry_submit(
    *,
    actor: Any,
    agency: Any,
    pathway: Any,
    person: Person | None,
    new_person: NewPerson | None,
    occurred_at: dt.datetime,
    call_source: str,
    presenting_needs: list[str],
    disposition: str,
    location_text: str,
    service: Service | None,
    warm_handoff: bool,
    capacity_override_reason: str = "",
    notes: str = "",
    idempotency_key: uuid.UUID | None = None,
    idempotency_digest: str = "",
    pathway_checked: bool = False,
    service_checked: bool = False,
    key_checked: bool = False,
    config: PathwayConfig | None = None,
    eligibility_answers: dict[str, Any] | None = None,
    details: PathwayDetails | None = None,
    contact: ContactInput | None = None,
) -> FieldEntryResult:
    """Record a contact under a pathway, with the pathway's own details, send the referral when
    a service was chosen, and open the deadlines the configuration sets.

    Resubmitting with the same idempotency key returns what was recorded the first time; the
    same key with a different body (`idempotency_digest`, see core.idempotency) is refused.
    `key_checked` says the caller looked the key up in this request and found nothing (the
    field view does): a second submission racing this one then fails on the contact's unique
    key, and the whole composite rolls back. `pathway_checked` and `service_checked` say the
    caller resolved the pathway and the service for this officer (see encounter_create and
    referral_send)."""
    details = details or PathwayDetails()
    if idempotency_key is not None and not key_checked:
        existing = Encounter.objects.filter(
            responder=actor, idempotency_key=idempotency_key
        ).first()
        if existing is not None:
            if key_reused(existing, idempotency_digest):
                raise ValidationError(KEY_REUSED)
            return FieldEntryResult(existing, existing.referrals.first(), created=False)
    if (person is None) == (new_person is None):
        raise ValidationError("Choose an existing person or enter a new one.")
    if disposition == Disposition.REFERRED and service is None:
        raise ValidationError({"service": "Choose the service you are referring the person to."})
    fatal = details.overdose is not None and details.overdose.fatal
    if fatal and disposition == Disposition.REFERRED:
        raise ValidationError(
            {"disposition": "After a fatal overdose there is no referral to send."}
        )
    if person is None and new_person is not None:
        person = person_create(
            actor=actor,
            agency=agency,
            first_name=new_person.first_name,
            last_name=new_person.last_name,
            date_of_birth=new_person.date_of_birth,
            sex=new_person.sex,
            races=list(new_person.races),
            ethnicity=new_person.ethnicity,
            identity=new_person.identity,
            estimated_birth_year=new_person.estimated_birth_year,
            description=new_person.description,
        )
    assert person is not None
    reach = (
        contact_details_record(
            actor=actor,
            agency=agency,
            person=person,
            phone=contact.phone,
            texts_ok=contact.texts_ok,
            voicemail_ok=contact.voicemail_ok,
            best_time=contact.best_time,
            other_way=contact.other_way,
            language=contact.language,
            share_with_provider=contact.share_with_provider,
        )
        if contact is not None
        else None
    )
    encounter = encounter_create(
        actor=actor,
        agency=agency,
        pathway=pathway,
        person=person,
        occurred_at=occurred_at,
        call_source=call_source,
        presenting_needs=presenting_needs,
        disposition=disposition,
        location_text=location_text,
        notes=notes,
        idempotency_key=idempotency_key,
        idempotency_digest=idempotency_digest,
        pathway_checked=pathway_checked,
        config=config,
        eligibility_answers=eligibility_answers,
        companion=details.companion,
        contact_details=reach,
    )
    if details.overdose is not None:
        overdose_record(
            actor=actor,
            agency=agency,
            occurred_at=occurred_at,
            facts=details.overdose,
            person=person,
            encounter=encounter,
            location_text=location_text,
        )
    if details.surrendered:
        surrendered_items_log(
            actor=actor,
            encounter=encounter,
            items=details.surrendered,
            disposal_method=details.disposal_method,
        )
    if details.crisis is not None:
        crisis_response_record(
            actor=actor,
            encounter=encounter,
            team_members=details.crisis.team_members,
            arrived_at=details.crisis.arrived_at,
            outcome=details.crisis.outcome,
        )
    referral = None
    if service is not None and disposition == Disposition.REFERRED:
        referral = referral_send(
            actor=actor,
            encounter=encounter,
            service=service,
            warm_handoff=warm_handoff,
            capacity_override_reason=capacity_override_reason,
            service_checked=service_checked,
        )
    case = None
    if details.charges and _diverted(encounter):
        case = case_open(
            actor=actor,
            encounter=encounter,
            charges=details.charges,
            case_agency=referral.receiving_agency
            if referral is not None
            else (config.followup_team if config is not None else None),
        )
    items = deadlines_open(actor=actor, encounter=encounter, details=details)
    if encounter.eligibility_outcome == "supervisor_review":
        items.append(eligibility_review_open(actor=actor, encounter=encounter))
    if referral is not None:
        response = referral_response_open(actor=actor, referral=referral)
        if response is not None:
            items.append(response)
    return FieldEntryResult(encounter, referral, created=True, work_items=tuple(items), case=case)


def _diverted(encounter: Encounter) -> bool:
    """A held charge becomes a diversion case unless the person declined or is not eligible
    (then the charge follows the usual course, outside Pathways)."""
    return encounter.disposition != Disposition.DECLINED and (
        encounter.eligibility_outcome != "ineligible"
    )


def _local_day(moment: dt.datetime, program: Any) -> str:
    """'Nov 3': the day in the program's time zone, for work-item titles (never a name)."""
    local = moment.astimezone(zoneinfo.ZoneInfo(program.time_zone))
    return f"{local:%b} {local.day}"


#: The deadline a contact opens, by pathway: (work kind, the config's deadline, title).
CONTACT_DEADLINES: dict[str, tuple[str, str, str]] = {
    PathwayCode.NALOXONE_PLUS: (
        WorkKind.OVERDOSE_FOLLOWUP,
        "followup_hours",
        "Follow-up after an overdose on {date}",
    ),
    PathwayCode.SELF_REFERRAL: (
        WorkKind.PLACEMENT,
        "placement_hours",
        "Treatment placement for a request for help on {date}",
    ),
    PathwayCode.COMMUNITY_RESPONSE: (
        WorkKind.CRISIS_FOLLOWUP,
        "crisis_followup_hours",
        "Follow-up after a crisis call on {date}",
    ),
}


#: A request for help starts the placement clock when the person goes on towards treatment: a
#: referral, or medical care first (a Safe Station's transport) with the placement after it.
PLACEMENT_DISPOSITIONS = (Disposition.REFERRED, Disposition.TRANSPORTED)


@service
def deadlines_open(*, actor: Any, encounter: Encounter, details: PathwayDetails) -> list[WorkItem]:
    """Open the follow-up a contact needs under its pathway's configuration: an overdose
    follow-up inside the recovery window (not after a fatal overdose), a placement target for a
    request for help that goes on towards treatment, a follow-up after a crisis call. Titles
    never carry a name."""
    config = encounter.config
    spec = CONTACT_DEADLINES.get(encounter.pathway.code)
    if config is None or spec is None:
        return []
    kind, deadline, title = spec
    hours = config.deadline(deadline)
    if hours is None:
        return []
    if details.overdose is not None and details.overdose.fatal:
        return []
    if kind == WorkKind.CRISIS_FOLLOWUP and details.crisis is None:
        return []
    if kind == WorkKind.PLACEMENT and encounter.disposition not in PLACEMENT_DISPOSITIONS:
        return []  # declined, information only (e.g. not eligible): there is no bed to find
    item = work_item_open(
        actor=actor,
        program=encounter.program,
        team=config.followup_team or encounter.agency,
        kind=kind,
        title=title.format(date=_local_day(encounter.occurred_at, encounter.program)),
        due_at=due_after_hours(encounter.occurred_at, hours),
        person=encounter.person,
        encounter=encounter,
    )
    return [item]


@service
def referral_response_open(*, actor: Any, referral: Referral) -> WorkItem | None:
    """Put the referral on the receiving provider's worklist, due within the pathway's
    configured response time; it closes when the provider accepts or declines."""
    encounter = referral.encounter
    config = encounter.config
    hours = config.deadline("referral_response_hours") if config is not None else None
    if hours is None:
        return None
    return work_item_open(
        actor=actor,
        program=encounter.program,
        team=referral.receiving_agency,
        kind=WorkKind.REFERRAL_RESPONSE,
        title=f"Respond to {with_article(encounter.pathway.short_name.lower())} referral sent "
        f"{_local_day(referral.created_at, encounter.program)}",
        due_at=due_after_hours(referral.created_at, hours),
        person=encounter.person,
        referral=referral,
    )


@service
def referral_answered(*, actor: Any, referral: Referral, accepted: bool) -> None:
    """The provider answered: the response item is done, and an acceptance meets the contact's
    placement target (Self-Referral)."""
    for item in WorkItem.objects.open().filter(referral=referral, kind=WorkKind.REFERRAL_RESPONSE):
        work_item_complete(
            item,
            actor=actor,
            outcome_note="Accepted" if accepted else "Declined",
            expected_open=False,
        )
    if accepted:
        placement_meet(actor=actor, referral=referral)


#: A supervisor decides within a working day.
ELIGIBILITY_REVIEW_HOURS = 24


@service
def eligibility_review_open(*, actor: Any, encounter: Encounter) -> WorkItem:
    """Put the contact on its agency's worklist for a supervisor's eligibility decision (the
    rules asked for one, or a question that mattered was not answered)."""
    return work_item_open(
        actor=actor,
        program=encounter.program,
        team=encounter.agency,
        kind=WorkKind.ELIGIBILITY_REVIEW,
        title="Eligibility decision for "
        f"{with_article(encounter.pathway.short_name.lower())} contact on "
        f"{_local_day(encounter.occurred_at, encounter.program)}",
        due_at=due_after_hours(encounter.occurred_at, ELIGIBILITY_REVIEW_HOURS),
        person=encounter.person,
        encounter=encounter,
    )


@service
def eligibility_review_decide(
    *, actor: Any, encounter: Encounter, decision: str, reason: str
) -> EligibilityReview:
    """A supervisor of the contact's agency decides what the rules left to a supervisor. The
    decision and its reason are recorded once; the agency's worklist item is done."""
    if encounter.agency_id not in agency_ids_for(actor, Role.SUPERVISOR):
        raise PermissionDenied("Only a supervisor of the contact's agency decides eligibility.")
    locked = Encounter.objects.select_for_update().get(pk=encounter.pk)
    if locked.eligibility_outcome != "supervisor_review":
        raise ValidationError("This contact does not wait for a supervisor's decision.")
    if EligibilityReview.objects.filter(encounter=locked).exists():
        raise ValidationError("A supervisor already decided; the decision is not changed.")
    errors: dict[str, str] = {}
    if decision not in EligibilityReview.Decision.values:
        errors["decision"] = "Choose eligible or not eligible."
    reason = " ".join(reason.split())
    if not reason:
        errors["reason"] = "Give the reason for the decision."
    if errors:
        raise ValidationError(errors)
    review = EligibilityReview(
        encounter=locked,
        decision=decision,
        reason=reason,
        decided_by=actor,
        decided_at=clock.now(),
    )
    clean_fields_only(review)
    review.save()
    audit_log(
        actor=actor,
        actor_agency=locked.agency,
        event_type="eligibility_review.decide",
        obj=review,
        changes=created(review, ["encounter", "decision", "reason"], redact=["reason"]),
    )
    for item in WorkItem.objects.open().filter(encounter=locked, kind=WorkKind.ELIGIBILITY_REVIEW):
        work_item_complete(
            item,
            actor=actor,
            outcome_note=f"Decided: {review.get_decision_display()}",
            expected_open=False,
        )
    return review


@service
def template_outreach_lists_create(
    *,
    actor: Any,
    program: Program,
    template: ProgramTemplate,
    started: list[ProgramPathway],
) -> list[OutreachList]:
    """Create the Active Outreach lists a program template names, once its pathways are
    started (programs.services.program_template_apply calls it through the
    `programs.template_applied` hook, in the same transaction: a refusal here leaves the
    program as it was). A list the program already has under that name is kept. The team is
    the Active Outreach pathway's follow-up team, else the program's first agency of the kind
    the template names."""
    if not template.outreach_lists:
        return []
    agencies = list(
        Agency.objects.filter(program=program, archived_at__isnull=True).order_by("name")
    )
    outreach_pp = next(pp for pp in started if pp.pathway.code == PathwayCode.ACTIVE_OUTREACH)
    assert outreach_pp.current_config is not None
    made: list[OutreachList] = []
    for wanted in template.outreach_lists:
        if OutreachList.objects.active().filter(program=program, name__iexact=wanted.name).exists():
            continue
        team = next(
            (a for a in agencies if a.pk == outreach_pp.current_config.followup_team_id), None
        ) or next((a for a in agencies if a.kind == wanted.team_kind), None)
        if team is None:
            kind = str(AgencyKind(wanted.team_kind).label).lower()
            raise ValidationError(
                {
                    "outreach_lists": f"The list “{wanted.name}” needs an outreach team: add "
                    f"a {kind} agency to the program first."
                }
            )
        made.append(
            outreach_list_create(
                actor=actor,
                program=program,
                name=wanted.name,
                team=team,
                description=wanted.description,
            )
        )
    return made
