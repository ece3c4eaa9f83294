"""The deadlines a pathway can be configured with: what each means, its unit, default and the
range a coordinator may choose. Values live in each PathwayConfig version."""

from __future__ import annotations

from dataclasses import dataclass

from pathways.programs.models import PathwayCode


@dataclass(frozen=True)
class DeadlineKind:
    code: str
    label: str
    help: str
    unit: str  # "hours" (elapsed time) or "days" (calendar days in the program's time zone)
    default: int
    minimum: int
    maximum: int
    pathways: tuple[str, ...]


ALL = tuple(PathwayCode.values)

DEADLINES: dict[str, DeadlineKind] = {
    d.code: d
    for d in (
        DeadlineKind(
            "referral_response_hours",
            "Provider responds to a referral within",
            "Time a provider has to accept or decline a referral before it shows as overdue.",
            "hours",
            24,
            1,
            168,
            ALL,
        ),
        DeadlineKind(
            "placement_hours",
            "Treatment placement target",
            "Time from a walk-in request for help to a treatment placement.",
            "hours",
            24,
            1,
            72,
            (PathwayCode.SELF_REFERRAL,),
        ),
        DeadlineKind(
            "followup_hours",
            "Overdose follow-up within (recovery window)",
            "Time from an overdose to the follow-up visit by the team.",
            "hours",
            72,
            6,
            168,
            (PathwayCode.NALOXONE_PLUS,),
        ),
        DeadlineKind(
            "outreach_visit_days",
            "Outreach visit within",
            "Calendar days to attempt a visit after a person is put on the outreach list.",
            "days",
            7,
            1,
            30,
            (PathwayCode.ACTIVE_OUTREACH,),
        ),
        DeadlineKind(
            "prosecutor_review_days",
            "Prosecutor reviews a held charge within",
            "Calendar days for the prosecutor to accept or decline a diversion.",
            "days",
            5,
            1,
            30,
            (PathwayCode.OFFICER_INTERVENTION,),
        ),
        DeadlineKind(
            "intake_days",
            "Intake assessment due within",
            "Calendar days from the diversion to the intake assessment.",
            "days",
            30,
            7,
            30,
            (PathwayCode.OFFICER_INTERVENTION,),
        ),
        DeadlineKind(
            "completion_days",
            "Service plan completed within",
            "Calendar days from the diversion to completing the plan.",
            "days",
            90,
            30,
            365,
            (PathwayCode.OFFICER_INTERVENTION,),
        ),
        DeadlineKind(
            "crisis_followup_hours",
            "Follow-up after a crisis call within",
            "Time from a community response call to the team's follow-up contact.",
            "hours",
            72,
            1,
            168,
            (PathwayCode.COMMUNITY_RESPONSE,),
        ),
    )
}


def deadlines_for(pathway_code: str) -> list[DeadlineKind]:
    return [d for d in DEADLINES.values() if pathway_code in d.pathways]


def default_deadlines(pathway_code: str) -> dict[str, int]:
    return {d.code: d.default for d in deadlines_for(pathway_code)}
