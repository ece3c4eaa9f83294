"""The composite write behind the field form (decision 0008), taking one typed command
(workflow.commands.FieldEntry, decision 0026), and the workflow's other writes."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError

from pathways.accounts.models import Agency, AgencyKind, Role, User
from pathways.accounts.selectors import agency_ids_for
from pathways.audit.services import audit_log, created
from pathways.cases.services import case_open
from pathways.core import clock
from pathways.core.deadlines import due_after_hours
from pathways.core.models import clean_fields_only
from pathways.core.services import service
from pathways.encounters.models import Disposition, EligibilityReview, Encounter
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
from pathways.people.models import ContactDetails, Person
from pathways.people.selectors import Candidate
from pathways.people.services import contact_details_record, person_create, person_link, person_name
from pathways.programs.catalog import contact_deadline
from pathways.programs.models import PathwayCode, Program, ProgramPathway
from pathways.programs.program_templates import ProgramTemplate
from pathways.referrals.models import Referral
from pathways.referrals.services import referral_send
from pathways.surveillance.services import overdose_record
from pathways.workflow.commands import FieldEntry, PathwayDetails
from pathways.workflow.selectors import acting_agency, identify_candidates, key_lookup

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
def field_entry_submit(*, actor: User, entry: FieldEntry) -> FieldEntryResult:
    """Record a contact under a pathway, with the pathway's own details, send the referral when
    a service was chosen, and open the deadlines the configuration sets.

    Resubmitting with the same idempotency key returns what was recorded the first time; the
    same key with a different body (`entry.idempotency_digest`, see core.idempotency) is
    refused. The key is looked up here, or taken from `entry.key_lookup` when that lookup was
    made for this actor and this key in this request (the field page makes it before the form):
    a second submission racing this one then fails on the contact's unique key, and the whole
    composite rolls back. encounter_create checks the actor may start the pathway (from
    `entry.program_pathway` when given) and referral_send that the service is the program's
    (docs/decisions/0026)."""
    details = entry.details
    if entry.idempotency_key is not None:
        seen = entry.key_lookup
        if seen is None or seen.responder_id != actor.pk or seen.key != entry.idempotency_key:
            seen = key_lookup(user=actor, key=entry.idempotency_key)
        existing = seen.found if seen is not None else None
        if existing is not None:
            if key_reused(existing, entry.idempotency_digest):
                raise ValidationError(KEY_REUSED)
            return FieldEntryResult(existing, existing.referrals.first(), created=False)
    person, new_person = entry.person, entry.new_person
    if (person is None) == (new_person is None):
        raise ValidationError("Choose an existing person or enter a new one.")
    if entry.disposition == Disposition.REFERRED and entry.service is None:
        raise ValidationError({"service": "Choose the service you are referring the person to."})
    fatal = details.overdose is not None and details.overdose.fatal
    if fatal and entry.disposition == Disposition.REFERRED:
        raise ValidationError(
            {"disposition": "After a fatal overdose there is no referral to send."}
        )
    if new_person is not None:
        person = person_create(
            actor=actor,
            agency=entry.agency,
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
    encounter = encounter_create(
        actor=actor,
        agency=entry.agency,
        pathway=entry.pathway,
        program_pathway=entry.program_pathway,
        person=person,
        occurred_at=entry.occurred_at,
        call_source=entry.call_source,
        presenting_needs=list(entry.presenting_needs),
        disposition=entry.disposition,
        location_text=entry.location_text,
        notes=entry.notes,
        idempotency_key=entry.idempotency_key,
        idempotency_digest=entry.idempotency_digest,
        eligibility_answers=dict(entry.eligibility_answers),
        companion=details.companion,
        contact_details=_reach(actor=actor, entry=entry, person=person),
    )
    _pathway_details_record(actor=actor, entry=entry, encounter=encounter)
    referral = None
    if entry.service is not None and entry.disposition == Disposition.REFERRED:
        referral = referral_send(
            actor=actor,
            encounter=encounter,
            service=entry.service,
            warm_handoff=entry.warm_handoff,
            capacity_override_reason=entry.capacity_override_reason,
        )
    case = None
    if details.charges and _diverted(encounter):
        config = encounter.config
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


def _reach(*, actor: User, entry: FieldEntry, person: Person) -> ContactDetails | None:
    """How to reach the person, when the form asked (part of field_entry_submit)."""
    contact = entry.contact
    if contact is None:
        return None
    return contact_details_record(
        actor=actor,
        agency=entry.agency,
        person=person,
        phone=contact.phone,
        texts_ok=contact.texts_ok,
        voicemail_ok=contact.voicemail_ok,
        best_time=contact.best_time,
        other_way=contact.other_way,
        language=contact.language,
        share_with_provider=contact.share_with_provider,
    )


def _pathway_details_record(*, actor: User, entry: FieldEntry, encounter: Encounter) -> None:
    """What the pathway's own sections collected: the overdose, the surrendered items, the
    crisis team's response (part of field_entry_submit)."""
    details = entry.details
    if details.overdose is not None:
        overdose_record(
            actor=actor,
            agency=entry.agency,
            occurred_at=entry.occurred_at,
            facts=details.overdose,
            person=encounter.person,
            encounter=encounter,
            location_text=entry.location_text,
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


#: The identify page's answer for "a new person": name this record, link it to nobody.
NEW_PERSON = "new"


@dataclass(frozen=True)
class Identification:
    """What naming a person recorded without a name did: `person` is the record that now
    carries the name (the one linked to, or the same record); None when the name matches
    people already in Pathways and none was chosen yet (`candidates`: the ones offered)."""

    candidates: list[Candidate]
    person: Person | None = None
    linked: bool = False


@service
def person_identify(
    *,
    actor: User,
    person: Person,
    first_name: str,
    last_name: str,
    date_of_birth: dt.date | None,
    choice: str,
) -> Identification:
    """Name a person recorded without one. When the name and birth date match people already
    in Pathways, one of them may be chosen (`choice`, their id): every contact moves to them
    (people.services.person_link); `NEW_PERSON` names this record (person_name). Only the
    people the check offers for these names can be chosen; with matches and no choice,
    nothing changes and the matches are returned to choose from."""
    candidates = identify_candidates(
        viewer=actor,
        person=person,
        first_name=first_name,
        last_name=last_name,
        date_of_birth=date_of_birth,
    )
    offered = {str(c.person.pk): c.person for c in candidates}
    agency = acting_agency(viewer=actor, person=person)
    if choice in offered:
        target = person_link(
            actor=actor, agency=agency, unidentified=person, person=offered[choice]
        )
        return Identification(candidates, target, linked=True)
    if choice == NEW_PERSON or (not candidates and not choice):
        person_name(
            actor=actor,
            agency=agency,
            person=person,
            first_name=first_name,
            last_name=last_name,
            date_of_birth=date_of_birth,
        )
        return Identification(candidates, person)
    if choice:
        raise ValidationError("Choose one of the people listed, or a new person.")
    return Identification(candidates)


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
    spec = contact_deadline(encounter.pathway.code)  # the pathway's catalog entry
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
def referral_response_open(*, actor: User, referral: Referral) -> WorkItem | None:
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
def referral_answered(*, actor: User, referral: Referral, accepted: bool) -> None:
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
def eligibility_review_open(*, actor: User, encounter: Encounter) -> WorkItem:
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
    *, actor: User, encounter: Encounter, decision: str, reason: str
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
    actor: User | None,
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
