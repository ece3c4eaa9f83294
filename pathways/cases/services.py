"""Writes for diversion cases: opening one at the officer's contact, the prosecutor's review,
the service plan, the case log, and the three ways a case closes.

Every service is keyword-only and runs in one transaction (`@service`); each write is audited
in that transaction; a refusal raises ValidationError (bad input, wrong moment) or
PermissionDenied (wrong person) and changes nothing. Status changes take `expected_status`
(what the page showed) and lock the case row, so a stale page is refused, not applied.

Nothing here runs on a timer: a missed deadline shows as overdue on the worklist and the case
page, and only a person, deliberately, refers a charge for prosecution."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Max
from django.utils import dateformat

from pathways.accounts.models import Agency, AgencyKind, Role
from pathways.accounts.selectors import agency_ids_for, is_program_wide
from pathways.audit.services import audit_log, created, diff, snapshot
from pathways.cases.models import (
    NOTE_MAX_LENGTH,
    OFFENCE_LEVEL_CHOICES,
    OFFENCE_TYPE_CHOICES,
    OPEN_STATUSES,
    TRANSITIONS,
    Case,
    CaseEvent,
    CaseEventKind,
    CaseStatus,
    CaseStatusChange,
    ChargeOutcome,
    HeldCharge,
    HeldChargeMode,
    PlanRequirement,
    ProsecutorReview,
    RequirementKind,
    RequirementProgress,
    ReviewDecision,
    ReviewDeclineReason,
)
from pathways.cases.selectors import CASE_WORK_KINDS, can_manage, can_review
from pathways.core import clock
from pathways.core.conflicts import StaleEdit, stale_edit
from pathways.core.deadlines import due_end_of_day
from pathways.core.models import clean_fields_only
from pathways.core.services import service
from pathways.core.transitions import transition
from pathways.core.validators import clean_text_field, text_problem
from pathways.encounters.models import Encounter
from pathways.followups.models import WorkItem, WorkKind
from pathways.followups.services import work_item_cancel, work_item_complete, work_item_open
from pathways.programs.deadlines import DEADLINES
from pathways.programs.models import ChargeMode, PathwayConfig
from pathways.programs.selectors import program_for_user

CASE_FIELDS = [
    "program",
    "person",
    "encounter",
    "config",
    "diverting_agency",
    "case_agency",
    "status",
    "opened_at",
]
CHARGE_FIELDS = [
    "case",
    "position",
    "mode",
    "offence_type",
    "offence_level",
    "description",
    "statute",
    "citation_number",
    "fine_amount",
    "fee_amount",
    "outcome",
]
REQUIREMENT_FIELDS = [
    "case",
    "position",
    "kind",
    "description",
    "due_date",
    "hours_required",
    "amount_required",
    "from_template",
]
REQUIREMENT_STATE_FIELDS = [
    "hours_done",
    "amount_paid",
    "completed_at",
    "verified_by",
    "waived_at",
    "waived_by",
    "waived_reason",
]
#: Free text staff type may hold health details: the audit says it changed, the row keeps it.
REDACTED = ("note", "reason", "waived_reason", "detail")

#: What completing the plan does to a held charge, by how it was diverted: a charge held in
#: abeyance is never filed; a civil citation is closed with no criminal record.
COMPLETED_OUTCOME: dict[str, str] = {
    HeldChargeMode.ABEYANCE: ChargeOutcome.NOT_FILED,
    HeldChargeMode.CIVIL_CITATION: ChargeOutcome.DISMISSED,
}

MAX_MONEY = Decimal("99999999.99")
MAX_HOURS = Decimal("99999.99")


# --- Input ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChargeInput:
    """One charge the officer holds or cites instead of filing (from ChargeForm.charge_input)."""

    mode: str
    offence_type: str
    offence_level: str
    description: str = ""
    statute: str = ""
    citation_number: str = ""
    fine_amount: Decimal | None = None
    fee_amount: Decimal | None = None


def money_problem(value: Decimal | None, *, label: str) -> str | None:
    """Why `value` is not a sum of dollars and cents ≥ 0 (None when it is, or is empty)."""
    if value is None:
        return None
    if not value.is_finite():
        return f"Enter the {label} as a number of dollars and cents."
    if value < 0:
        return f"The {label} cannot be negative."
    if value > MAX_MONEY:
        return f"The {label} is too large."
    if value != value.quantize(Decimal("0.01")):
        return f"Enter the {label} in dollars and cents (at most 2 decimal places)."
    return None


def charge_problems(charge: ChargeInput, *, expected_mode: str | None = None) -> dict[str, str]:
    """Everything wrong with a charge, by ChargeForm field name; empty when it is fine.

    The rule for the citation number: a civil citation needs one (it is printed on the
    citation); a charge held in abeyance was never written up and must not have one."""
    problems: dict[str, str] = {}
    if charge.mode not in HeldChargeMode.values:
        problems["mode"] = "Choose whether the charge is held in abeyance or a civil citation."
    elif expected_mode is not None and charge.mode != expected_mode:
        problems["mode"] = (
            f"This pathway uses “{HeldChargeMode(expected_mode).label}” "
            f"(the program's configuration), not “{HeldChargeMode(charge.mode).label}”."
        )
    if charge.offence_type not in dict(OFFENCE_TYPE_CHOICES):
        problems["offence_type"] = "Choose the type of offense."
    if charge.offence_level not in dict(OFFENCE_LEVEL_CHOICES):
        problems["offence_level"] = "Choose the level of offense."
    for field, label, max_length in (
        ("description", "description", 200),
        ("statute", "statute", 60),
        ("citation_number", "citation number", 40),
    ):
        if problem := text_problem(
            getattr(charge, field).strip(), label=label, max_length=max_length, one_line=True
        ):
            problems[field] = problem
    citation = charge.citation_number.strip()
    if charge.mode == HeldChargeMode.CIVIL_CITATION and not citation:
        problems.setdefault(
            "citation_number", "Enter the citation number printed on the civil citation."
        )
    if charge.mode == HeldChargeMode.ABEYANCE and citation:
        problems.setdefault(
            "citation_number",
            "A charge held in abeyance has no citation number: leave this empty, or choose a "
            "civil citation.",
        )
    for field, label in (("fine_amount", "fine"), ("fee_amount", "fee")):
        if problem := money_problem(getattr(charge, field), label=label):
            problems[field] = problem
    return problems


def _hours_problem(value: Decimal | None, *, label: str = "hours") -> str | None:
    if value is None:
        return None
    if not value.is_finite() or value <= 0:
        return f"Enter the {label} as a number greater than 0."
    if value > MAX_HOURS:
        return f"The {label} are too many."
    if value != value.quantize(Decimal("0.01")):
        return f"Enter the {label} with at most 2 decimal places."
    return None


def _decimal_or_none(value: Any) -> Decimal | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() and number > 0 else None


# --- Who may do what -----------------------------------------------------------------------------


def _require_opener(actor: Any, encounter: Encounter) -> None:
    """The diverting agency's officers and supervisors (or program-wide staff) open a case.
    A system actor (None: the demo loader, an import) may too."""
    if actor is None:
        return
    if encounter.agency_id in agency_ids_for(actor, Role.OFFICER, Role.SUPERVISOR):
        return
    program = program_for_user(user=actor) if is_program_wide(user=actor) else None
    if program is not None and program.pk == encounter.program_id:
        return
    raise PermissionDenied("Only the diverting agency's officers can open a case for this contact.")


def _require_manager(actor: Any, case: Case) -> None:
    if not can_manage(user=actor, case=case):
        raise PermissionDenied(
            "Only the case agency's staff and the program's coordinators can change this case."
        )


def _require_manager_or_prosecutor(actor: Any, case: Case) -> None:
    if not (can_manage(user=actor, case=case) or can_review(user=actor, case=case)):
        raise PermissionDenied(
            "Only the case agency's staff, the program's coordinators and its prosecutors can "
            "close this case."
        )


def _require_open(case: Case) -> None:
    if case.status not in OPEN_STATUSES:
        raise ValidationError(
            f"This case is “{case.get_status_display()}”: it is closed and cannot change."
        )


# --- Deadlines -----------------------------------------------------------------------------------


def deadline_days(config: PathwayConfig, code: str) -> int:
    """The configured number of days, or the catalog default when the version lacks it."""
    value = config.deadline(code)
    return value if value is not None else DEADLINES[code].default


def _local_day(at: dt.datetime, days: int, tz: str) -> dt.date:
    return at.astimezone(zoneinfo.ZoneInfo(tz)).date() + dt.timedelta(days=days)


def _open_case_items(case: Case, *kinds: str) -> list[WorkItem]:
    return list(
        WorkItem.objects.open()
        .filter(encounter_id=case.encounter_id, kind__in=kinds or CASE_WORK_KINDS)
        .order_by("due_at", "id")
    )


def _complete_items(case: Case, *, actor: Any, note: str, kinds: Sequence[str] = ()) -> None:
    for item in _open_case_items(case, *kinds):
        work_item_complete(item, actor=actor, outcome_note=note, expected_open=False)


def _cancel_items(case: Case, *, actor: Any, reason: str, kinds: Sequence[str] = ()) -> None:
    for item in _open_case_items(case, *kinds):
        work_item_cancel(item, actor=actor, reason=reason)


# --- Opening a case ------------------------------------------------------------------------------


def prosecutor_agency_for(program: Any) -> Agency | None:
    """The program's prosecutor's office (the first by name when there are several)."""
    return (
        Agency.objects.active()
        .filter(program=program, kind=AgencyKind.PROSECUTOR)
        .order_by("name")
        .first()
    )


def _plan_from_template(config: PathwayConfig) -> list[dict[str, Any]]:
    """The requirements to create: an intake assessment always (first), then the template's.

    The template is coordinator data ({kind, description, hours?, amount?, ...}) that nothing
    validated on the way in: unknown kinds become "other", hidden characters are dropped, and a
    missing, non-positive or absurd target means "no count". Due dates come from the
    configuration's deadlines (an assessment: intake_days; anything else: completion_days); a
    template's own "due_days" is not used."""
    rows: list[dict[str, Any]] = []
    for entry in config.requirements or []:
        if not isinstance(entry, dict):
            continue
        kind = entry.get("kind")
        kind = kind if kind in RequirementKind.values else RequirementKind.OTHER
        text = "".join(c if c.isprintable() else " " for c in str(entry.get("description") or ""))
        description = " ".join(text.split())
        hours = _decimal_or_none(entry.get("hours"))
        hours = hours if hours is not None and hours <= MAX_HOURS else None
        amount = None if hours is not None else _decimal_or_none(entry.get("amount"))
        amount = amount if amount is not None and amount <= MAX_MONEY else None
        rows.append(
            {
                "kind": kind,
                "description": (description or RequirementKind(kind).label)[:300],
                "hours_required": hours.quantize(Decimal("0.01")) if hours else None,
                "amount_required": amount.quantize(Decimal("0.01")) if amount else None,
            }
        )
    if not any(row["kind"] == RequirementKind.ASSESSMENT for row in rows):
        rows.insert(
            0,
            {
                "kind": RequirementKind.ASSESSMENT,
                "description": "Attend the intake assessment with the case manager.",
                "hours_required": None,
                "amount_required": None,
            },
        )
    return rows


@service
def case_open(
    *,
    actor: Any,
    encounter: Encounter,
    charges: Sequence[ChargeInput],
    case_agency: Agency | None = None,
) -> Case:
    """Open the diversion case for a contact at which the officer held or cited a charge.

    Uses the configuration version the contact was decided under (`encounter.config`). The case
    waits for the prosecutor when that version says so, else it is active at once. Creates the
    charges, the plan (an intake assessment plus the configured requirements) and the
    deadlines on the worklists: the prosecutor's review, the intake and the completion."""
    encounter = Encounter.objects.select_related(
        "program", "agency", "person", "pathway", "config"
    ).get(pk=encounter.pk)
    config = encounter.config
    if config is None or config.charges == ChargeMode.NONE:
        raise ValidationError(
            f"Contacts under {encounter.pathway.name} hold no charge, so there is no diversion "
            "case to open: a case opens only where a charge is held in abeyance or a civil "
            "citation is issued."
        )
    _require_opener(actor, encounter)
    if encounter.is_archived:
        raise ValidationError("This contact was archived; a case cannot be opened for it.")
    if Case.objects.filter(encounter=encounter).exists():
        raise ValidationError("A diversion case was already opened for this contact.")
    program = encounter.program
    earlier = (
        Case.objects.filter(program=program, person=encounter.person, status__in=OPEN_STATUSES)
        .order_by("opened_at")
        .first()
    )
    if earlier is not None:
        opened = earlier.opened_at.astimezone(zoneinfo.ZoneInfo(program.time_zone))
        raise ValidationError(
            f"This person already has an open diversion case (opened "
            f"{dateformat.format(opened, 'M j, Y')}). Close it before diverting the person again."
        )
    if case_agency is not None and (
        case_agency.program_id != program.pk
        or case_agency.is_archived
        or case_agency.kind
        in (AgencyKind.LAW_ENFORCEMENT, AgencyKind.PROSECUTOR, AgencyKind.RESEARCH_PARTNER)
    ):
        raise ValidationError(
            {"case_agency": "Choose a provider or case-management agency of this program."}
        )
    if not charges:
        raise ValidationError("Record the charge that is held or cited.")
    rows: list[HeldCharge] = []
    errors: dict[str, list[str]] = {}
    for number, charge in enumerate(charges, start=1):
        prefix = f"Charge {number}: " if len(charges) > 1 else ""
        for field, problem in charge_problems(charge, expected_mode=config.charges).items():
            errors.setdefault(field, []).append(prefix + problem)
        rows.append(
            HeldCharge(
                position=number,
                mode=charge.mode,
                offence_type=charge.offence_type,
                offence_level=charge.offence_level,
                description=charge.description.strip(),
                statute=charge.statute.strip(),
                citation_number=charge.citation_number.strip(),
                fine_amount=charge.fine_amount,
                fee_amount=charge.fee_amount,
                outcome=ChargeOutcome.HELD,
            )
        )
    if errors:
        raise ValidationError(errors)
    reviewer = prosecutor_agency_for(program) if config.prosecutor_review else None
    if config.prosecutor_review and reviewer is None:
        raise ValidationError(
            "This pathway needs the prosecutor's review, but the program has no prosecutor's "
            "office in Pathways. Ask the coordinator to add it; nothing was saved."
        )

    now = clock.now()
    tz = program.time_zone
    status = CaseStatus.PENDING_REVIEW if config.prosecutor_review else CaseStatus.ACTIVE
    case = Case(
        program=program,
        person=encounter.person,
        encounter=encounter,
        config=config,
        diverting_agency=encounter.agency,
        case_agency=case_agency,
        status=status,
        status_changed_at=now,
        opened_at=now,
        opened_by=actor if getattr(actor, "pk", None) else None,
    )
    clean_fields_only(case)
    case.save()
    CaseStatusChange.objects.create(
        case=case, from_status="", to_status=status, changed_at=now, changed_by=case.opened_by
    )
    audit_log(
        actor=actor,
        actor_agency=encounter.agency,
        event_type="case.open",
        obj=case,
        changes=created(case, CASE_FIELDS),
    )
    for row in rows:
        row.case = case
        clean_fields_only(row)
        row.save()
        audit_log(
            actor=actor,
            event_type="held_charge.create",
            obj=row,
            changes=created(row, CHARGE_FIELDS),
        )

    intake_days = deadline_days(config, "intake_days")
    completion_days = deadline_days(config, "completion_days")
    for position, values in enumerate(_plan_from_template(config), start=1):
        days = intake_days if values["kind"] == RequirementKind.ASSESSMENT else completion_days
        requirement = PlanRequirement(
            case=case,
            position=position,
            due_date=_local_day(now, days, tz),
            from_template=True,
            added_by=case.opened_by,
            **values,
        )
        clean_fields_only(requirement)
        requirement.save()
        audit_log(
            actor=actor,
            event_type="plan_requirement.create",
            obj=requirement,
            changes=created(requirement, REQUIREMENT_FIELDS),
        )

    local_day = dateformat.format(now.astimezone(zoneinfo.ZoneInfo(tz)), "M j")
    agency_name = str(encounter.agency)
    team = case_agency or encounter.agency
    common = {
        "actor": actor,
        "program": program,
        "person": encounter.person,
        "encounter": encounter,
    }
    if reviewer is not None:
        work_item_open(
            **common,
            team=reviewer,
            kind=WorkKind.PROSECUTOR_REVIEW,
            title=f"Review a diverted charge ({agency_name}, {local_day})",
            due_at=due_end_of_day(now, deadline_days(config, "prosecutor_review_days"), tz),
        )
    work_item_open(
        **common,
        team=team,
        kind=WorkKind.INTAKE_DUE,
        title=f"Intake assessment for the diversion of {local_day} ({agency_name})",
        due_at=due_end_of_day(now, intake_days, tz),
    )
    work_item_open(
        **common,
        team=team,
        kind=WorkKind.COMPLETION_DUE,
        title=f"Service plan due for the diversion of {local_day} ({agency_name})",
        due_at=due_end_of_day(now, completion_days, tz),
    )
    return case


# --- Status changes ------------------------------------------------------------------------------


def _lock(case: Case, expected_status: str) -> Case:
    locked = Case.objects.select_for_update().get(pk=case.pk)
    if locked.status != expected_status:
        raise stale_edit("case", locked, locked.get_status_display())
    return locked


def _transition(*, actor: Any, case: Case, to_status: str, event: str, reason: str = "") -> Case:
    """Move a locked case to `to_status`: a history row, the cached status, one audit event."""
    old = snapshot(case, ["status", "closed_at"])
    now = clock.now()
    transition(
        case,
        actor=actor,
        to_status=to_status,
        allowed=TRANSITIONS,
        statuses=CaseStatus,
        noun="case",
        lock=False,  # the caller locked it (_lock) and checked the page's status
        at=now,
        history={"reason": reason},
        also_set={"closed_at": now} if to_status not in OPEN_STATUSES else {},
    )
    changes = diff(old, snapshot(case, ["status", "closed_at"]))
    if reason:
        changes.update(diff({"reason": ""}, {"reason": reason}, redact=REDACTED))
    audit_log(actor=actor, event_type=f"case.{event}", obj=case, changes=changes)
    return case


def _resolve_charges(case: Case, *, actor: Any, outcome_for: dict[str, str]) -> None:
    now = clock.now()
    for charge in HeldCharge.objects.select_for_update().filter(
        case=case, outcome=ChargeOutcome.HELD
    ):
        old = snapshot(charge, ["outcome", "outcome_at"])
        charge.outcome = outcome_for[charge.mode]
        charge.outcome_at = now
        charge.save(update_fields=["outcome", "outcome_at"])
        audit_log(
            actor=actor,
            event_type="held_charge.resolve",
            obj=charge,
            changes=diff(old, snapshot(charge, ["outcome", "outcome_at"])),
        )


@service
def prosecutor_review_decide(
    *,
    actor: Any,
    case: Case,
    decision: str,
    reason: str = "",
    detail: str = "",
    expected_status: str,
) -> Case:
    """The prosecutor accepts the diversion (the case becomes active) or declines it (the case
    closes as declined; the charge stays held and the prosecutor decides on filing outside
    Pathways)."""
    if not can_review(user=actor, case=case):
        raise PermissionDenied("Only the program's prosecutors review a diversion.")
    if decision not in ReviewDecision.values:
        raise ValidationError({"decision": "Choose whether you accept or decline the diversion."})
    detail = clean_text_field(
        detail, field="detail", label="detail", max_length=NOTE_MAX_LENGTH, required=False
    )
    if decision == ReviewDecision.DECLINED:
        if reason not in ReviewDeclineReason.values:
            raise ValidationError({"reason": "Choose why the diversion is declined."})
        if reason == ReviewDeclineReason.OTHER and not detail:
            raise ValidationError({"detail": "Explain the reason when you choose “Other”."})
    else:
        reason = ""
    locked = _lock(case, expected_status)
    if locked.status != CaseStatus.PENDING_REVIEW:
        raise ValidationError("This case is not waiting for a review.")
    review = ProsecutorReview(
        case=locked,
        decision=decision,
        decline_reason=reason,
        detail=detail,
        decided_by=actor,
        decided_at=clock.now(),
    )
    clean_fields_only(review)
    review.save()
    audit_log(
        actor=actor,
        event_type="prosecutor_review.decide",
        obj=review,
        changes=created(review, ["case", "decision", "decline_reason", "detail"], redact=REDACTED),
    )
    if decision == ReviewDecision.ACCEPTED:
        _transition(actor=actor, case=locked, to_status=CaseStatus.ACTIVE, event="accept")
        _complete_items(
            locked, actor=actor, note="Diversion accepted.", kinds=[WorkKind.PROSECUTOR_REVIEW]
        )
        return locked
    label = ReviewDeclineReason(reason).label
    _transition(
        actor=actor,
        case=locked,
        to_status=CaseStatus.DECLINED,
        event="decline",
        reason=f"{label}: {detail}" if detail else label,
    )
    _complete_items(
        locked, actor=actor, note="Diversion declined.", kinds=[WorkKind.PROSECUTOR_REVIEW]
    )
    _cancel_items(locked, actor=actor, reason="The prosecutor declined the diversion.")
    return locked


@service
def case_complete(*, actor: Any, case: Case, expected_status: str) -> Case:
    """Close the case as completed: every requirement is done or waived. Each held charge is
    resolved in the person's favour (COMPLETED_OUTCOME) and the case's deadlines come off the
    worklists."""
    _require_manager(actor, case)
    locked = _lock(case, expected_status)
    if locked.status != CaseStatus.ACTIVE:
        raise ValidationError(
            f"Only an active case can be completed; this one is “{locked.get_status_display()}”."
        )
    outstanding = [r for r in locked.requirements.order_by("position") if r.is_outstanding]
    if outstanding:
        listed = "; ".join(
            f"{r.get_kind_display()} (due {dateformat.format(r.due_date, 'M j')})"
            for r in outstanding
        )
        raise ValidationError(
            f"The plan is not finished. Still outstanding: {listed}. Mark each done or waive it "
            "with a reason first."
        )
    _transition(actor=actor, case=locked, to_status=CaseStatus.COMPLETED, event="complete")
    _resolve_charges(locked, actor=actor, outcome_for=COMPLETED_OUTCOME)
    _complete_items(locked, actor=actor, note="Case completed.")
    return locked


@service
def case_refer_for_prosecution(
    *, actor: Any, case: Case, reason: str, confirm: bool, expected_status: str
) -> Case:
    """Close an active case as not completed and refer its charges for prosecution.

    A deliberate step a person takes, with a reason and an explicit confirmation; nothing calls
    this on a timer, and a relapse or a missed deadline never triggers it."""
    _require_manager_or_prosecutor(actor, case)
    reason = clean_text_field(
        reason,
        field="reason",
        label="reason the charge is referred",
        max_length=NOTE_MAX_LENGTH,
        required=True,
    )
    if confirm is not True:
        raise ValidationError(
            {
                "confirm": "Confirm that the charge goes to the prosecutor, who may then file it. "
                "Nothing was changed."
            }
        )
    locked = _lock(case, expected_status)
    if locked.status != CaseStatus.ACTIVE:
        raise ValidationError(
            "Only an active case can be referred for prosecution; this one is "
            f"“{locked.get_status_display()}”."
        )
    _transition(
        actor=actor,
        case=locked,
        to_status=CaseStatus.NOT_COMPLETED,
        event="refer_for_prosecution",
        reason=reason,
    )
    _resolve_charges(
        locked,
        actor=actor,
        outcome_for=dict.fromkeys(HeldChargeMode.values, ChargeOutcome.REFERRED_FOR_PROSECUTION),
    )
    _cancel_items(locked, actor=actor, reason="The case closed: referred for prosecution.")
    return locked


@service
def case_withdraw(*, actor: Any, case: Case, reason: str, expected_status: str) -> Case:
    """Take an open case out of the program (e.g. opened in error, the person moved away). The
    charge stays held: what happens to it is decided outside Pathways."""
    _require_manager_or_prosecutor(actor, case)
    reason = clean_text_field(
        reason,
        field="reason",
        label="reason the case is withdrawn",
        max_length=NOTE_MAX_LENGTH,
        required=True,
    )
    locked = _lock(case, expected_status)
    _transition(
        actor=actor, case=locked, to_status=CaseStatus.WITHDRAWN, event="withdraw", reason=reason
    )
    _cancel_items(locked, actor=actor, reason="The case was withdrawn.")
    return locked


# --- The plan ------------------------------------------------------------------------------------


def _lock_requirement(requirement: PlanRequirement) -> tuple[Case, PlanRequirement]:
    """Lock the case, then the requirement (always in that order)."""
    case = Case.objects.select_for_update().get(pk=requirement.case_id)
    locked = PlanRequirement.objects.select_for_update().get(pk=requirement.pk)
    return case, locked


def _require_outstanding(requirement: PlanRequirement) -> None:
    """A requirement someone else closed since the page was shown is a stale edit."""
    if requirement.is_done:
        raise StaleEdit(
            noun="requirement",
            current="Done",
            changed_at=requirement.completed_at,
            changed_by=requirement.verified_by,
        )
    if requirement.is_waived:
        raise StaleEdit(
            noun="requirement",
            current="Waived",
            changed_at=requirement.waived_at,
            changed_by=requirement.waived_by,
        )


def _audit_requirement(
    *, actor: Any, requirement: PlanRequirement, event: str, old: dict[str, Any]
) -> None:
    audit_log(
        actor=actor,
        event_type=f"plan_requirement.{event}",
        obj=requirement,
        changes=diff(old, snapshot(requirement, REQUIREMENT_STATE_FIELDS), redact=REDACTED),
    )


@service
def requirement_progress_record(
    *,
    actor: Any,
    requirement: PlanRequirement,
    hours: Decimal | None = None,
    amount: Decimal | None = None,
    note: str = "",
) -> PlanRequirement:
    """Add hours done or an amount paid to a requirement (each entry is kept)."""
    _require_manager(actor, requirement.case)
    if hours is None and amount is None:
        raise ValidationError({"hours": "Enter the hours done or the amount paid."})
    if problem := _hours_problem(hours):
        raise ValidationError({"hours": problem})
    if problem := money_problem(amount, label="amount"):
        raise ValidationError({"amount": problem})
    if amount is not None and amount == 0:
        raise ValidationError({"amount": "Enter an amount greater than 0."})
    note = clean_text_field(
        note, field="note", label="note", max_length=NOTE_MAX_LENGTH, required=False
    )
    case, locked = _lock_requirement(requirement)
    _require_open(case)
    _require_outstanding(locked)
    if hours is not None and locked.amount_required is not None:
        raise ValidationError({"hours": "This requirement counts money paid, not hours."})
    if amount is not None and locked.hours_required is not None:
        raise ValidationError({"amount": "This requirement counts hours, not money."})
    if amount is not None and locked.amount_required is not None:
        owed = locked.amount_required - locked.amount_paid
        if amount > owed:
            raise ValidationError({"amount": f"Only ${owed:,.2f} is still owed."})
    RequirementProgress.objects.create(
        requirement=locked,
        hours=hours,
        amount=amount,
        note=note,
        recorded_at=clock.now(),
        recorded_by=actor,
    )
    old = snapshot(locked, REQUIREMENT_STATE_FIELDS)
    locked.hours_done += hours or 0
    locked.amount_paid += amount or 0
    locked.save(update_fields=["hours_done", "amount_paid"])
    changes = diff(old, snapshot(locked, REQUIREMENT_STATE_FIELDS))
    if note:
        changes.update(diff({}, {"note": note}, redact=REDACTED))
    audit_log(actor=actor, event_type="plan_requirement.progress", obj=locked, changes=changes)
    return locked


def _close_intake_item_if_assessed(case: Case, *, actor: Any, done: bool) -> None:
    """When no assessment is outstanding any more, the intake deadline comes off the list."""
    if case.requirements.filter(
        kind=RequirementKind.ASSESSMENT, completed_at__isnull=True, waived_at__isnull=True
    ).exists():
        return
    if done:
        _complete_items(case, actor=actor, note="Assessment done.", kinds=[WorkKind.INTAKE_DUE])
    else:
        _cancel_items(case, actor=actor, reason="Assessment waived.", kinds=[WorkKind.INTAKE_DUE])


@service
def requirement_complete(*, actor: Any, requirement: PlanRequirement) -> PlanRequirement:
    """Staff verify a requirement is done. One with a target of hours or money must have it
    recorded in full first (or be waived)."""
    _require_manager(actor, requirement.case)
    case, locked = _lock_requirement(requirement)
    _require_open(case)
    _require_outstanding(locked)
    if locked.hours_required is not None and locked.hours_done < locked.hours_required:
        raise ValidationError(
            f"{locked.hours_done.normalize():f} of {locked.hours_required.normalize():f} hours "
            "are recorded. Record the rest first, or waive the requirement with a reason."
        )
    if locked.amount_required is not None and locked.amount_paid < locked.amount_required:
        raise ValidationError(
            f"${locked.amount_paid:,.2f} of ${locked.amount_required:,.2f} is paid. Record the "
            "rest first, or waive the requirement with a reason."
        )
    old = snapshot(locked, REQUIREMENT_STATE_FIELDS)
    locked.completed_at = clock.now()
    locked.verified_by = actor
    locked.save(update_fields=["completed_at", "verified_by"])
    _audit_requirement(actor=actor, requirement=locked, event="complete", old=old)
    if locked.kind == RequirementKind.ASSESSMENT:
        _close_intake_item_if_assessed(case, actor=actor, done=True)
    return locked


@service
def requirement_waive(*, actor: Any, requirement: PlanRequirement, reason: str) -> PlanRequirement:
    """Waive a requirement (e.g. a fee the person cannot pay), with the reason."""
    _require_manager(actor, requirement.case)
    reason = clean_text_field(
        reason,
        field="reason",
        label="reason for the waiver",
        max_length=NOTE_MAX_LENGTH,
        required=True,
    )
    case, locked = _lock_requirement(requirement)
    _require_open(case)
    _require_outstanding(locked)
    old = snapshot(locked, REQUIREMENT_STATE_FIELDS)
    locked.waived_at = clock.now()
    locked.waived_by = actor
    locked.waived_reason = reason
    locked.save(update_fields=["waived_at", "waived_by", "waived_reason"])
    _audit_requirement(actor=actor, requirement=locked, event="waive", old=old)
    if locked.kind == RequirementKind.ASSESSMENT:
        _close_intake_item_if_assessed(case, actor=actor, done=False)
    return locked


@service
def requirement_add(
    *,
    actor: Any,
    case: Case,
    kind: str,
    description: str,
    due_date: dt.date,
    hours_required: Decimal | None = None,
    amount_required: Decimal | None = None,
) -> PlanRequirement:
    """Add a requirement to the plan of an open case."""
    _require_manager(actor, case)
    if kind not in RequirementKind.values:
        raise ValidationError({"kind": "Choose the kind of requirement."})
    description = clean_text_field(
        description, field="description", label="description", max_length=300, required=True
    )
    if "\n" in description or "\r" in description:
        raise ValidationError({"description": "The description must be on one line."})
    if hours_required is not None and amount_required is not None:
        raise ValidationError(
            {"amount_required": "Set hours or an amount, not both (add two requirements)."}
        )
    if problem := _hours_problem(hours_required, label="hours required"):
        raise ValidationError({"hours_required": problem})
    if problem := money_problem(amount_required, label="amount required"):
        raise ValidationError({"amount_required": problem})
    if amount_required is not None and amount_required == 0:
        raise ValidationError({"amount_required": "Enter an amount greater than 0."})
    locked = Case.objects.select_for_update().get(pk=case.pk)
    _require_open(locked)
    opened_day = _local_day(locked.opened_at, 0, locked.program.time_zone)
    if due_date < opened_day:
        raise ValidationError({"due_date": "The due date cannot be before the diversion."})
    position = (locked.requirements.aggregate(m=Max("position"))["m"] or 0) + 1
    requirement = PlanRequirement(
        case=locked,
        position=position,
        kind=kind,
        description=description,
        due_date=due_date,
        hours_required=hours_required,
        amount_required=amount_required,
        from_template=False,
        added_by=actor,
    )
    clean_fields_only(requirement)
    requirement.save()
    audit_log(
        actor=actor,
        event_type="plan_requirement.create",
        obj=requirement,
        changes=created(requirement, REQUIREMENT_FIELDS),
    )
    return requirement


# --- The case log --------------------------------------------------------------------------------


@service
def case_event_record(
    *, actor: Any, case: Case, kind: str, occurred_at: dt.datetime, note: str = ""
) -> CaseEvent:
    """Log something that happened during an open case. Nothing else changes: a relapse is
    part of recovery, recorded so staff can respond, never counted as failure."""
    _require_manager(actor, case)
    if kind not in CaseEventKind.values:
        raise ValidationError({"kind": "Choose what happened."})
    if occurred_at.tzinfo is None or occurred_at.utcoffset() is None:
        raise ValidationError({"occurred_at": "The time must carry a time zone."})
    if occurred_at > clock.now() + dt.timedelta(minutes=5):
        raise ValidationError({"occurred_at": "This time is in the future."})
    note = clean_text_field(
        note, field="note", label="note", max_length=NOTE_MAX_LENGTH, required=False
    )
    locked = (
        Case.objects.select_for_update(of=("self",)).select_related("encounter").get(pk=case.pk)
    )
    _require_open(locked)
    if occurred_at < locked.encounter.occurred_at - dt.timedelta(minutes=5):
        raise ValidationError({"occurred_at": "This is before the diversion; check the date."})
    event = CaseEvent(case=locked, kind=kind, occurred_at=occurred_at, note=note, recorded_by=actor)
    clean_fields_only(event)
    event.save()
    audit_log(
        actor=actor,
        event_type="case_event.record",
        obj=event,
        changes=created(event, ["case", "kind", "occurred_at", "note"], redact=REDACTED),
    )
    return event
