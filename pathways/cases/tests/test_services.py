"""Case services: opening (with and without the prosecutor's review, deadlines in Chicago across
DST), the review, the plan, the log, the three ways a case closes, and refusals that change
nothing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from pathways.accounts.factories import AgencyFactory, member
from pathways.audit.models import AuditEvent
from pathways.cases import services
from pathways.cases.factories import (
    LEON_PLAN,
    abeyance_charge,
    citation_charge,
    intervention_config,
    intervention_encounter,
    open_case,
)
from pathways.cases.models import (
    Case,
    CaseStatus,
    CaseStatusChange,
    HeldCharge,
    PlanRequirement,
    RequirementKind,
)
from pathways.cases.tests.helpers import NOW, messages_of, refused, unchanged
from pathways.core import clock
from pathways.encounters.factories import EncounterFactory
from pathways.followups.models import WorkItem, WorkKind
from pathways.programs.factories import ProgramFactory, enable_all_pathways
from pathways.programs.models import ProgramPathway

UTC = dt.UTC


def items(case: Case) -> dict[str, WorkItem]:
    return {i.kind: i for i in WorkItem.objects.filter(encounter=case.encounter)}


def open_at(at: dt.datetime, cast: Any, **kwargs: Any) -> Case:
    kwargs.setdefault("case_agency", cast.provider_p)
    with clock.frozen(at):
        return open_case(actor=cast.officer_a, agency=cast.police_a, **kwargs)


def req(case: Case, kind: str) -> PlanRequirement:
    return case.requirements.get(kind=kind)


@pytest.fixture
def leon(cast: Any) -> Any:
    """Civil citations, no prosecutor review, the Leon plan with 20 hours and a $50 fee."""
    return intervention_config(cast.program, charges="civil_citation", requirements=LEON_PLAN)


@pytest.fixture
def lead(cast: Any) -> Any:
    """Charges held in abeyance, every diversion reviewed by the prosecutor."""
    return intervention_config(
        cast.program,
        prosecutor_review=True,
        charges="abeyance",
        requirements=[
            {"kind": "treatment", "description": "Attend treatment as the assessment advises."},
            {"kind": "community_service", "description": "Community service.", "hours": 20},
        ],
    )


@pytest.fixture
def active_case(cast: Any, leon: Any) -> Case:
    return open_at(NOW, cast)


# --- Opening -------------------------------------------------------------------------------------


def test_open_without_review_is_active_with_plan_charges_and_deadlines(
    cast: Any, leon: Any
) -> None:
    case = open_at(NOW, cast)
    assert case.status == CaseStatus.ACTIVE
    assert case.config == leon
    assert case.diverting_agency == cast.police_a
    assert case.case_agency == cast.provider_p
    assert case.opened_at == NOW
    assert case.closed_at is None
    [change] = case.history.all()
    assert (change.from_status, change.to_status, change.changed_by) == (
        "",
        "active",
        cast.officer_a,
    )
    [charge] = case.charges.all()
    assert (charge.mode, charge.citation_number, charge.outcome) == (
        "civil_citation",
        "CC-2026-0042",
        "held",
    )
    plan = list(case.requirements.order_by("position"))
    assert [r.kind for r in plan] == ["assessment", "fee", "community_service", "course"]
    # intake_days 30 and completion_days 90 (the defaults), as dates in Chicago
    assert plan[0].due_date == dt.date(2026, 12, 3)
    assert {r.due_date for r in plan[1:]} == {dt.date(2027, 2, 1)}
    assert plan[1].amount_required == Decimal("50.00")
    assert plan[2].hours_required == Decimal("20.00")
    assert plan[3].hours_required is None and plan[3].amount_required is None
    work = items(case)
    assert set(work) == {WorkKind.INTAKE_DUE, WorkKind.COMPLETION_DUE}
    # end of the local day: 23:59:59 CST = 05:59:59 UTC the next day
    assert work[WorkKind.INTAKE_DUE].due_at == dt.datetime(2026, 12, 4, 5, 59, 59, tzinfo=UTC)
    assert work[WorkKind.COMPLETION_DUE].due_at == dt.datetime(2027, 2, 2, 5, 59, 59, tzinfo=UTC)
    assert all(i.team == cast.provider_p for i in work.values())
    for item in work.values():
        assert case.person.last_name not in item.title
        assert case.person.first_name not in item.title
    events = set(
        AuditEvent.objects.filter(actor=cast.officer_a).values_list("event_type", flat=True)
    )
    assert {
        "case.open",
        "held_charge.create",
        "plan_requirement.create",
        "work_item.open",
    } <= events


def test_open_with_review_waits_and_puts_the_review_on_the_prosecutors_list(
    cast: Any, lead: Any
) -> None:
    case = open_at(NOW, cast)
    assert case.status == CaseStatus.PENDING_REVIEW
    work = items(case)
    review = work[WorkKind.PROSECUTOR_REVIEW]
    assert review.team.kind == "prosecutor"
    assert review.team.memberships.filter(user=cast.prosecutor).exists()
    # prosecutor_review_days 5: the end of Sun Nov 8 in Chicago
    assert review.due_at == dt.datetime(2026, 11, 9, 5, 59, 59, tzinfo=UTC)
    assert case.person.last_name not in review.title
    assert [r.kind for r in case.requirements.order_by("position")] == [
        "assessment",
        "treatment",
        "community_service",
    ]


def test_due_dates_cross_the_spring_dst_change_in_chicago(cast: Any, lead: Any) -> None:
    # Thu Mar 5 2026, 10:00 CST; clocks spring forward on Sun Mar 8.
    case = open_at(dt.datetime(2026, 3, 5, 16, 0, tzinfo=UTC), cast)
    work = items(case)
    # Tue Mar 10, 23:59:59 CDT (UTC-5), not CST
    assert work[WorkKind.PROSECUTOR_REVIEW].due_at == dt.datetime(
        2026, 3, 11, 4, 59, 59, tzinfo=UTC
    )
    assert work[WorkKind.INTAKE_DUE].due_at == dt.datetime(2026, 4, 5, 4, 59, 59, tzinfo=UTC)
    assert req(case, "assessment").due_date == dt.date(2026, 4, 4)
    assert req(case, "treatment").due_date == dt.date(2026, 6, 3)


def test_due_dates_cross_the_autumn_dst_change_and_use_the_local_day(cast: Any, lead: Any) -> None:
    # Wed Oct 28 2026, 23:30 CDT, already Oct 29 in UTC; clocks fall back on Sun Nov 1.
    case = open_at(dt.datetime(2026, 10, 29, 4, 30, tzinfo=UTC), cast)
    review = items(case)[WorkKind.PROSECUTOR_REVIEW]
    # five days from the local date Oct 28: Mon Nov 2, 23:59:59 CST (UTC-6)
    assert review.due_at == dt.datetime(2026, 11, 3, 5, 59, 59, tzinfo=UTC)
    assert req(case, "assessment").due_date == dt.date(2026, 11, 27)


def test_plan_kinds_are_the_configurations_requirement_kinds() -> None:
    # The configuration service refuses a messy template (programs tests); both name the same kinds.
    from pathways.cases.models import RequirementKind
    from pathways.programs.vocabulary import PlanRequirementKind

    assert RequirementKind.choices == PlanRequirementKind.choices


def test_open_without_a_case_agency_gives_the_deadlines_to_the_diverting_agency(
    cast: Any, leon: Any
) -> None:
    case = open_at(NOW, cast, case_agency=None)
    assert {i.team for i in items(case).values()} == {cast.police_a}


def test_open_refused_for_a_pathway_that_holds_no_charge(cast: Any) -> None:
    encounter = EncounterFactory.create(
        agency=cast.police_a,
        responder=cast.officer_a,
        config=ProgramPathway.objects.get(
            program=cast.program, pathway__code="officer_prevention"
        ).current_config,
    )
    with refused(ValidationError, "hold no charge"):
        services.case_open(actor=cast.officer_a, encounter=encounter, charges=[abeyance_charge()])


@pytest.mark.parametrize(
    ("charge", "field", "message"),
    [
        (citation_charge(citation_number=""), "citation_number", "Enter the citation number"),
        (citation_charge(mode="abeyance"), "mode", "This pathway uses"),
        (citation_charge(fine_amount=Decimal("-1")), "fine_amount", "cannot be negative"),
        (citation_charge(fee_amount=Decimal("1.005")), "fee_amount", "at most 2 decimal"),
        (citation_charge(statute="x" * 61), "statute", "at most 60 characters"),
        (citation_charge(statute="Fla.\x00Stat."), "statute", "control characters"),
        (citation_charge(offence_type="none"), "offence_type", "type of offense"),
        (citation_charge(offence_level="loud"), "offence_level", "level of offense"),
    ],
)
def test_open_refuses_a_bad_charge_and_changes_nothing(
    cast: Any, leon: Any, charge: Any, field: str, message: str
) -> None:
    encounter = intervention_encounter(agency=cast.police_a, responder=cast.officer_a)
    with refused(ValidationError) as info:
        services.case_open(
            actor=cast.officer_a, encounter=encounter, charges=[charge], case_agency=None
        )
    assert message in " ".join(info.value.message_dict[field])


def test_an_abeyance_charge_has_no_citation_number(cast: Any, lead: Any) -> None:
    encounter = intervention_encounter(agency=cast.police_a, responder=cast.officer_a)
    with refused(ValidationError) as info:
        services.case_open(
            actor=cast.officer_a,
            encounter=encounter,
            charges=[abeyance_charge(), abeyance_charge(citation_number="X-1")],
        )
    assert info.value.message_dict["citation_number"] == [
        "Charge 2: A charge held in abeyance has no citation number: leave this empty, or "
        "choose a civil citation."
    ]


def test_open_refusals_wrong_officer_no_charge_twice_and_foreign_case_agency(
    cast: Any, leon: Any
) -> None:
    encounter = intervention_encounter(agency=cast.police_a, responder=cast.officer_a)
    with refused(PermissionDenied):
        services.case_open(actor=cast.officer_b, encounter=encounter, charges=[citation_charge()])
    with refused(PermissionDenied):
        services.case_open(
            actor=cast.case_manager_p, encounter=encounter, charges=[citation_charge()]
        )
    with refused(ValidationError, "Record the charge"):
        services.case_open(actor=cast.officer_a, encounter=encounter, charges=[])
    other_program = AgencyFactory.create(
        program=ProgramFactory.create(name="Elsewhere"), kind="treatment"
    )
    with refused(ValidationError):
        services.case_open(
            actor=cast.officer_a,
            encounter=encounter,
            charges=[citation_charge()],
            case_agency=other_program,
        )
    with refused(ValidationError):
        services.case_open(
            actor=cast.officer_a,
            encounter=encounter,
            charges=[citation_charge()],
            case_agency=cast.police_b,
        )
    services.case_open(actor=cast.officer_a, encounter=encounter, charges=[citation_charge()])
    with refused(ValidationError, "already opened for this contact"):
        services.case_open(actor=cast.officer_a, encounter=encounter, charges=[citation_charge()])


def test_review_config_without_a_prosecutors_office_is_refused(cast: Any) -> None:
    program = ProgramFactory.create(name="No Prosecutor County")
    enable_all_pathways(program)
    police = AgencyFactory.create(program=program, name="Town Police", kind="law_enforcement")
    officer = member(police, "officer", "town_officer")
    intervention_config(program, prosecutor_review=True)
    encounter = intervention_encounter(agency=police, responder=officer)
    with refused(ValidationError, "no prosecutor's office"):
        services.case_open(actor=officer, encounter=encounter, charges=[abeyance_charge()])


# --- Re-diversion --------------------------------------------------------------------------------


def test_re_diversion_after_close_is_allowed_but_not_two_open_cases(
    cast: Any, active_case: Case
) -> None:
    person = active_case.person
    second = intervention_encounter(agency=cast.police_b, responder=cast.officer_b, person=person)
    with refused(ValidationError, "already has an open diversion case"):
        services.case_open(actor=cast.officer_b, encounter=second, charges=[citation_charge()])
    services.case_withdraw(
        actor=cast.case_manager_p,
        case=active_case,
        reason="Entered under the wrong person.",
        expected_status="active",
    )
    again = services.case_open(actor=cast.officer_b, encounter=second, charges=[citation_charge()])
    assert again.status == CaseStatus.ACTIVE
    assert list(
        Case.objects.filter(person=person)
        .values_list("status", flat=True)
        .order_by("opened_at", "status")
    ) in (["withdrawn", "active"], ["active", "withdrawn"])


def test_the_database_refuses_two_open_cases_for_one_person(cast: Any, active_case: Case) -> None:
    other = intervention_encounter(
        agency=cast.police_a, responder=cast.officer_a, person=active_case.person
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        Case.objects.create(
            program=cast.program,
            person=active_case.person,
            encounter=other,
            config=active_case.config,
            diverting_agency=cast.police_a,
            status=CaseStatus.PENDING_REVIEW,
        )


# --- The prosecutor's review ---------------------------------------------------------------------


def test_prosecutor_accepts_the_case_becomes_active_and_the_review_item_is_done(
    cast: Any, lead: Any
) -> None:
    case = open_at(NOW, cast)
    with clock.frozen(NOW + dt.timedelta(days=1)):
        services.prosecutor_review_decide(
            actor=cast.prosecutor,
            case=case,
            decision="accepted",
            expected_status="pending_review",
        )
    case.refresh_from_db()
    assert case.status == CaseStatus.ACTIVE
    [review] = case.reviews.all()
    assert (review.decision, review.decided_by) == ("accepted", cast.prosecutor)
    work = items(case)
    assert work[WorkKind.PROSECUTOR_REVIEW].completed_by == cast.prosecutor
    assert work[WorkKind.INTAKE_DUE].is_open
    assert AuditEvent.objects.filter(event_type="case.accept", object_id=str(case.pk)).exists()


def test_prosecutor_declines_the_charge_stays_held_and_the_deadlines_go(
    cast: Any, lead: Any
) -> None:
    case = open_at(NOW, cast)
    services.prosecutor_review_decide(
        actor=cast.prosecutor,
        case=case,
        decision="declined",
        reason="criminal_history",
        detail="Two open cases in another county.",
        expected_status="pending_review",
    )
    case.refresh_from_db()
    assert case.status == CaseStatus.DECLINED
    assert case.closed_at is not None
    assert list(case.charges.values_list("outcome", flat=True)) == ["held"]
    work = items(case)
    assert work[WorkKind.PROSECUTOR_REVIEW].completed_at is not None
    assert work[WorkKind.INTAKE_DUE].cancelled_at is not None
    assert work[WorkKind.COMPLETION_DUE].cancelled_at is not None
    last = case.history.last()
    assert last is not None
    assert last.reason == "Criminal history: Two open cases in another county."


def test_only_the_programs_prosecutors_review(cast: Any, lead: Any) -> None:
    case = open_at(NOW, cast)
    elsewhere = ProgramFactory.create(name="Other County")
    other_office = AgencyFactory.create(program=elsewhere, kind="prosecutor")
    outsider = member(other_office, "prosecutor", "other_prosecutor")
    # a "prosecutor" role at an agency that is not a prosecutor's office does not count
    not_an_office = member(cast.police_a, "prosecutor", "police_prosecutor")
    for user in (cast.case_manager_p, cast.coordinator, cast.officer_a, outsider, not_an_office):
        with refused(PermissionDenied):
            services.prosecutor_review_decide(
                actor=user, case=case, decision="accepted", expected_status="pending_review"
            )


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"decision": "maybe"}, "accept or decline"),
        ({"decision": "declined"}, "why the diversion is declined"),
        ({"decision": "declined", "reason": "other"}, "Explain the reason"),
        ({"decision": "accepted", "expected_status": "active"}, "changed to “Waiting for review”"),
    ],
)
def test_review_refusals_change_nothing(
    cast: Any, lead: Any, kwargs: dict[str, Any], message: str
) -> None:
    case = open_at(NOW, cast)
    kwargs = {"expected_status": "pending_review", **kwargs}
    with refused(ValidationError) as info:
        services.prosecutor_review_decide(actor=cast.prosecutor, case=case, **kwargs)
    assert message in messages_of(info)


def test_an_active_case_cannot_be_reviewed_again(cast: Any, lead: Any) -> None:
    case = open_at(NOW, cast)
    services.prosecutor_review_decide(
        actor=cast.prosecutor, case=case, decision="accepted", expected_status="pending_review"
    )
    with refused(ValidationError, "not waiting for a review"):
        services.prosecutor_review_decide(
            actor=cast.prosecutor,
            case=case,
            decision="declined",
            reason="seriousness",
            expected_status="active",
        )


# --- The plan ------------------------------------------------------------------------------------


def test_progress_then_completion_of_hours_and_fee(cast: Any, active_case: Case) -> None:
    service_hours = req(active_case, "community_service")
    services.requirement_progress_record(
        actor=cast.case_manager_p, requirement=service_hours, hours=Decimal("12"), note="Food bank"
    )
    with refused(ValidationError, "12 of 20 hours are recorded"):
        services.requirement_complete(actor=cast.case_manager_p, requirement=service_hours)
    services.requirement_progress_record(
        actor=cast.case_manager_p, requirement=service_hours, hours=Decimal("8.5")
    )
    done = services.requirement_complete(actor=cast.case_manager_p, requirement=service_hours)
    assert done.hours_done == Decimal("20.5")
    assert done.verified_by == cast.case_manager_p
    assert done.progress.count() == 2
    fee = req(active_case, "fee")
    with refused(ValidationError, r"Only \$50.00 is still owed"):
        services.requirement_progress_record(
            actor=cast.case_manager_p, requirement=fee, amount=Decimal("60")
        )
    with refused(ValidationError, "counts money paid, not hours"):
        services.requirement_progress_record(
            actor=cast.case_manager_p, requirement=fee, hours=Decimal("1")
        )
    services.requirement_progress_record(
        actor=cast.case_manager_p, requirement=fee, amount=Decimal("50.00")
    )
    assert services.requirement_complete(
        actor=cast.case_manager_p, requirement=fee
    ).amount_paid == Decimal("50.00")
    with refused(ValidationError, "changed to “Done” while you were looking"):
        services.requirement_progress_record(
            actor=cast.case_manager_p, requirement=fee, amount=Decimal("1")
        )
    event = (
        AuditEvent.objects.filter(
            event_type="plan_requirement.progress", object_id=str(service_hours.pk)
        )
        .order_by("occurred_at")
        .first()
    )
    assert event is not None
    assert event.changes["note"] == ["[redacted]", "[redacted]"]


@pytest.mark.parametrize(
    ("kwargs", "field", "message"),
    [
        ({}, "hours", "Enter the hours done or the amount paid"),
        ({"hours": Decimal("0")}, "hours", "greater than 0"),
        ({"hours": Decimal("-2")}, "hours", "greater than 0"),
        ({"hours": Decimal("1.255")}, "hours", "2 decimal places"),
        ({"amount": Decimal("5")}, "amount", "counts hours, not money"),
        ({"hours": Decimal("1"), "note": "a\x07b"}, "note", "control characters"),
    ],
)
def test_progress_refusals_change_nothing(
    cast: Any, active_case: Case, kwargs: dict[str, Any], field: str, message: str
) -> None:
    requirement = req(active_case, "community_service")
    with refused(ValidationError) as info:
        services.requirement_progress_record(
            actor=cast.case_manager_p, requirement=requirement, **kwargs
        )
    assert message in " ".join(info.value.message_dict[field])


def test_only_the_case_agency_and_coordinators_work_the_plan(cast: Any, active_case: Case) -> None:
    requirement = req(active_case, "community_service")
    for user in (cast.intake_q, cast.officer_a, cast.prosecutor, cast.researcher):
        with refused(PermissionDenied):
            services.requirement_progress_record(
                actor=user, requirement=requirement, hours=Decimal("1")
            )
    services.requirement_progress_record(
        actor=cast.intake_p, requirement=requirement, hours=Decimal("1")
    )
    services.requirement_progress_record(
        actor=cast.coordinator, requirement=requirement, hours=Decimal("1")
    )


def test_assessment_done_takes_the_intake_deadline_off_the_list(
    cast: Any, active_case: Case
) -> None:
    services.requirement_complete(
        actor=cast.case_manager_p, requirement=req(active_case, "assessment")
    )
    work = items(active_case)
    assert work[WorkKind.INTAKE_DUE].completed_by == cast.case_manager_p
    assert work[WorkKind.COMPLETION_DUE].is_open


def test_waive_needs_a_reason_and_a_waived_assessment_cancels_the_intake_item(
    cast: Any, active_case: Case
) -> None:
    assessment = req(active_case, "assessment")
    with refused(ValidationError, "Enter the reason for the waiver"):
        services.requirement_waive(actor=cast.case_manager_p, requirement=assessment, reason=" ")
    waived = services.requirement_waive(
        actor=cast.case_manager_p,
        requirement=assessment,
        reason="Assessed at the jail clinic last week.",
    )
    assert waived.waived_by == cast.case_manager_p
    assert items(active_case)[WorkKind.INTAKE_DUE].cancelled_at is not None
    with refused(ValidationError, "changed to “Waived” while you were looking"):
        services.requirement_complete(actor=cast.case_manager_p, requirement=assessment)


def test_requirement_add(cast: Any, active_case: Case) -> None:
    added = services.requirement_add(
        actor=cast.case_manager_p,
        case=active_case,
        kind=RequirementKind.RESTITUTION,
        description="Pay back the store.",
        due_date=dt.date(2027, 1, 15),
        amount_required=Decimal("35.50"),
    )
    assert added.position == 5
    assert not added.from_template
    with refused(ValidationError, "before the diversion"):
        services.requirement_add(
            actor=cast.case_manager_p,
            case=active_case,
            kind="course",
            description="A course.",
            due_date=dt.date(2020, 1, 1),
        )
    with refused(ValidationError, "not both"):
        services.requirement_add(
            actor=cast.case_manager_p,
            case=active_case,
            kind="other",
            description="Both.",
            due_date=dt.date(2027, 1, 1),
            hours_required=Decimal("2"),
            amount_required=Decimal("2"),
        )


# --- The log -------------------------------------------------------------------------------------


def test_a_relapse_is_logged_and_changes_nothing_else(cast: Any, active_case: Case) -> None:
    history = CaseStatusChange.objects.count()
    open_items = WorkItem.objects.open().count()
    with clock.frozen(NOW + dt.timedelta(days=10)):
        event = services.case_event_record(
            actor=cast.case_manager_p,
            case=active_case,
            kind="relapse",
            occurred_at=NOW + dt.timedelta(days=9),
            note="Used over the weekend; back at group on Monday.",
        )
    active_case.refresh_from_db()
    assert active_case.status == CaseStatus.ACTIVE
    assert CaseStatusChange.objects.count() == history
    assert WorkItem.objects.open().count() == open_items
    assert list(active_case.charges.values_list("outcome", flat=True)) == ["held"]
    audit = AuditEvent.objects.get(event_type="case_event.record", object_id=str(event.pk))
    assert audit.changes["note"] == ["[redacted]", "[redacted]"]
    assert audit.changes["kind"] == [None, "relapse"]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"kind": "arrest"}, "Choose what happened"),
        ({"occurred_at": NOW + dt.timedelta(days=2)}, "in the future"),
        ({"occurred_at": NOW - dt.timedelta(days=2)}, "before the diversion"),
        ({"occurred_at": dt.datetime(2026, 11, 3, 12, 0)}, "time zone"),  # noqa: DTZ001
    ],
)
def test_event_refusals_change_nothing(
    cast: Any, active_case: Case, kwargs: dict[str, Any], message: str
) -> None:
    values = {"kind": "contact", "occurred_at": NOW, **kwargs}
    with clock.frozen(NOW + dt.timedelta(hours=1)), refused(ValidationError) as info:
        services.case_event_record(actor=cast.case_manager_p, case=active_case, **values)
    assert message in messages_of(info)


# --- Closing -------------------------------------------------------------------------------------


def _finish_plan(cast: Any, case: Case) -> None:
    for requirement in case.requirements.order_by("position"):
        if requirement.hours_required:
            services.requirement_progress_record(
                actor=cast.case_manager_p, requirement=requirement, hours=requirement.hours_required
            )
        if requirement.amount_required:
            services.requirement_progress_record(
                actor=cast.case_manager_p,
                requirement=requirement,
                amount=requirement.amount_required,
            )
        services.requirement_complete(actor=cast.case_manager_p, requirement=requirement)


def test_completion_refused_while_requirements_are_outstanding(
    cast: Any, active_case: Case
) -> None:
    services.requirement_complete(
        actor=cast.case_manager_p, requirement=req(active_case, "assessment")
    )
    with refused(ValidationError) as info:
        services.case_complete(
            actor=cast.case_manager_p, case=active_case, expected_status="active"
        )
    assert messages_of(info) == (
        "The plan is not finished. Still outstanding: Program fee (due Feb 1); Community service "
        "(due Feb 1); Course or class (due Feb 1). Mark each done or waive it with a reason first."
    )


def test_completing_a_civil_citation_case_dismisses_the_citation(
    cast: Any, active_case: Case
) -> None:
    _finish_plan(cast, active_case)
    with clock.frozen(NOW + dt.timedelta(days=60)):
        services.case_complete(
            actor=cast.case_manager_p, case=active_case, expected_status="active"
        )
    active_case.refresh_from_db()
    assert active_case.status == CaseStatus.COMPLETED
    assert active_case.closed_at == NOW + dt.timedelta(days=60)
    [charge] = active_case.charges.all()
    assert (charge.outcome, charge.outcome_at) == ("dismissed", NOW + dt.timedelta(days=60))
    assert not WorkItem.objects.open().filter(encounter=active_case.encounter).exists()
    assert items(active_case)[WorkKind.COMPLETION_DUE].completed_by == cast.case_manager_p
    with refused(ValidationError, "changed to “Completed”"):
        services.case_withdraw(
            actor=cast.case_manager_p, case=active_case, reason="x", expected_status="active"
        )


def test_completing_an_abeyance_case_means_the_charge_is_never_filed(cast: Any, lead: Any) -> None:
    case = open_at(NOW, cast)
    with refused(ValidationError, "Only an active case can be completed"):
        services.case_complete(
            actor=cast.case_manager_p, case=case, expected_status="pending_review"
        )
    services.prosecutor_review_decide(
        actor=cast.prosecutor, case=case, decision="accepted", expected_status="pending_review"
    )
    _finish_plan(cast, case)
    services.case_complete(actor=cast.case_manager_p, case=case, expected_status="active")
    assert list(HeldCharge.objects.filter(case=case).values_list("outcome", flat=True)) == [
        "not_filed"
    ]


def test_refer_for_prosecution_needs_a_reason_and_a_confirmation(
    cast: Any, active_case: Case
) -> None:
    refer = services.case_refer_for_prosecution
    with refused(ValidationError) as info:
        refer(
            actor=cast.case_manager_p,
            case=active_case,
            reason="Stopped attending.",
            confirm=False,
            expected_status="active",
        )
    assert "confirm" in info.value.message_dict
    with refused(ValidationError) as info:
        refer(
            actor=cast.case_manager_p,
            case=active_case,
            reason="  ",
            confirm=True,
            expected_status="active",
        )
    assert "reason" in info.value.message_dict
    with refused(PermissionDenied):
        refer(
            actor=cast.officer_a,
            case=active_case,
            reason="Stopped attending.",
            confirm=True,
            expected_status="active",
        )
    refer(
        actor=cast.case_manager_p,
        case=active_case,
        reason="No contact for 60 days despite four outreach attempts.",
        confirm=True,
        expected_status="active",
    )
    active_case.refresh_from_db()
    assert active_case.status == CaseStatus.NOT_COMPLETED
    assert list(active_case.charges.values_list("outcome", flat=True)) == [
        "referred_for_prosecution"
    ]
    audit = AuditEvent.objects.get(
        event_type="case.refer_for_prosecution", object_id=str(active_case.pk)
    )
    assert audit.actor == cast.case_manager_p
    assert audit.changes["status"] == ["active", "not_completed"]
    assert AuditEvent.objects.filter(event_type="held_charge.resolve").count() == 1
    assert not WorkItem.objects.open().filter(encounter=active_case.encounter).exists()


def test_prosecutors_may_refer_and_withdraw(cast: Any, active_case: Case) -> None:
    services.case_withdraw(
        actor=cast.prosecutor,
        case=active_case,
        reason="Opened under the wrong contact.",
        expected_status="active",
    )
    active_case.refresh_from_db()
    assert active_case.status == CaseStatus.WITHDRAWN
    assert list(active_case.charges.values_list("outcome", flat=True)) == ["held"]
    with refused(ValidationError):
        services.case_event_record(
            actor=cast.case_manager_p, case=active_case, kind="note", occurred_at=clock.now()
        )


def test_nothing_happens_to_an_overdue_case_on_its_own(cast: Any, active_case: Case) -> None:
    with clock.frozen(NOW + dt.timedelta(days=400)), unchanged():
        assert Case.objects.get(pk=active_case.pk).status == CaseStatus.ACTIVE
        assert all(i.is_overdue(clock.now()) for i in items(active_case).values())


def test_history_is_append_only(cast: Any, active_case: Case) -> None:
    change = active_case.history.get()
    change.reason = "rewritten"
    with pytest.raises(PermissionError):
        change.save()
    with pytest.raises(PermissionError):
        change.delete()
    with pytest.raises(PermissionError):
        active_case.delete()
    with pytest.raises(PermissionError):
        active_case.charges.get().delete()
