"""The deadlines a pathway can be configured with: what each means, its unit, default and the
range a coordinator may choose. Which pathways use a deadline is the pathway's catalog entry
(programs.catalog, decision 0028). Values live in each PathwayConfig version."""

from __future__ import annotations

from dataclasses import dataclass

from pathways.programs.catalog import pathway_spec


@dataclass(frozen=True)
class DeadlineKind:
    code: str
    label: str
    help: str
    unit: str  # "hours" (elapsed time) or "days" (calendar days in the program's time zone)
    default: int
    minimum: int
    maximum: int


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
        ),
        DeadlineKind(
            "placement_hours",
            "Treatment placement target",
            "Time from a walk-in request for help to a treatment placement.",
            "hours",
            24,
            1,
            72,
        ),
        DeadlineKind(
            "followup_hours",
            "Overdose follow-up within (recovery window)",
            "Time from an overdose to the follow-up visit by the team.",
            "hours",
            72,
            6,
            168,
        ),
        DeadlineKind(
            "outreach_visit_days",
            "Outreach visit within",
            "Calendar days to attempt a visit after a person is put on the outreach list.",
            "days",
            7,
            1,
            30,
        ),
        DeadlineKind(
            "prosecutor_review_days",
            "Prosecutor reviews a held charge within",
            "Calendar days for the prosecutor to accept or decline a diversion.",
            "days",
            5,
            1,
            30,
        ),
        DeadlineKind(
            "intake_days",
            "Intake assessment due within",
            "Calendar days from the diversion to the intake assessment.",
            "days",
            30,
            7,
            30,
        ),
        DeadlineKind(
            "completion_days",
            "Service plan completed within",
            "Calendar days from the diversion to completing the plan.",
            "days",
            90,
            30,
            365,
        ),
        DeadlineKind(
            "crisis_followup_hours",
            "Follow-up after a crisis call within",
            "Time from a community response call to the team's follow-up contact.",
            "hours",
            72,
            1,
            168,
        ),
    )
}


def deadlines_for(pathway_code: str) -> list[DeadlineKind]:
    """The deadlines the pathway is configured with, in DEADLINES order."""
    spec = pathway_spec(pathway_code)
    used = set(spec.deadlines) if spec is not None else set()
    return [d for d in DEADLINES.values() if d.code in used]


def default_deadlines(pathway_code: str) -> dict[str, int]:
    return {d.code: d.default for d in deadlines_for(pathway_code)}
