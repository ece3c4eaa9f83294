"""Who sees which outreach lists, and what the list page reads: the team and the program office
see everything; the program's responders see the lists with statuses only; another team and
another program see nothing."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pathways.core import clock
from pathways.followups.models import OutreachStatus
from pathways.followups.selectors import (
    OutreachAccess,
    entries_of,
    outreach_access,
    outreach_list_for_user,
    outreach_lists_for,
    outreach_teams_for,
    status_counts,
    status_counts_of,
    team_members,
)
from pathways.followups.services import (
    outreach_entry_add,
    outreach_entry_close,
    outreach_list_create,
    outreach_visit_record,
)
from pathways.followups.tests.conftest import Outreach
from pathways.people.factories import PersonFactory

NOW = dt.datetime(2026, 11, 20, 15, 0, tzinfo=dt.UTC)


def test_who_sees_which_list(cast: Any, outreach: Outreach) -> None:
    westside = outreach_list_create(
        actor=cast.coordinator, program=cast.program, name="Westside", team=outreach.other_team
    )
    east = outreach.outreach_list

    def names(user: Any) -> list[str]:
        return [ol.name for ol in outreach_lists_for(user=user)]

    assert names(outreach.worker) == ["East side repeat overdoses"]
    assert names(outreach.other_worker) == ["Westside"]
    assert names(cast.coordinator) == ["East side repeat overdoses", "Westside"]
    assert names(cast.officer_b) == ["East side repeat overdoses", "Westside"]
    assert names(cast.intake_p) == []
    assert names(outreach.elsewhere_coordinator) == []
    assert names(outreach.elsewhere_officer) == []

    assert outreach_access(user=outreach.worker, outreach_list=east) == OutreachAccess.TEAM
    assert outreach_access(user=cast.coordinator, outreach_list=east) == OutreachAccess.PROGRAM
    assert outreach_access(user=cast.supervisor_a, outreach_list=east) == OutreachAccess.STATUS
    assert outreach_access(user=outreach.other_worker, outreach_list=east) is None
    assert outreach_access(user=outreach.elsewhere_coordinator, outreach_list=east) is None
    assert outreach_list_for_user(user=outreach.other_worker, list_id=east.pk) is None
    assert outreach_list_for_user(user=outreach.elsewhere_coordinator, list_id=westside.pk) is None
    assert outreach_list_for_user(user=cast.officer_b, list_id=east.pk) == east


def test_teams_a_user_may_start_a_list_for(cast: Any, outreach: Outreach) -> None:
    program_teams = {a.name for a in outreach_teams_for(user=cast.coordinator)}
    # Agencies whose kind may record Active Outreach contacts: responders, treatment and
    # recovery support; not the prosecutor, the program office or the research partner.
    assert program_teams == {
        "Harbor Peer Outreach",
        "Westside Outreach",
        "Northside Police Department",
        "Southside Police Department",
        "Harbor Test Recovery",
        "Lakeside Crisis Center",
    }
    assert [a.name for a in outreach_teams_for(user=outreach.worker)] == ["Harbor Peer Outreach"]
    assert outreach_teams_for(user=cast.intake_p) == []
    assert {u.username for u in team_members(team=outreach.team)} == {"outreach_w", "peer_w"}


def test_entries_carry_attempts_latest_visit_and_next_due(cast: Any, outreach: Outreach) -> None:
    with clock.frozen(NOW):
        casey = outreach_entry_add(
            actor=cast.officer_a,
            outreach_list=outreach.outreach_list,
            person=outreach.person,
            reason="repeat_overdose",
        )
        other = outreach_entry_add(
            actor=cast.officer_a,
            outreach_list=outreach.outreach_list,
            person=PersonFactory.create(),
            reason="family_request",
        )
        gone = outreach_entry_add(
            actor=cast.officer_a,
            outreach_list=outreach.outreach_list,
            person=PersonFactory.create(),
            reason="other",
        )
        outreach_entry_close(actor=outreach.worker, entry=gone, reason="Moved away")
    for hours, outcome in ((1, "not_found"), (30, "not_found"), (50, "engaged")):
        at = NOW + dt.timedelta(hours=hours)
        with clock.frozen(at):
            outreach_visit_record(
                actor=outreach.worker,
                entry=casey,
                visited_at=at,
                members=["peer"],
                outcome=outcome,
                note=f"visit at {hours} h",
            )
    rows = {row.entry.pk: row for row in entries_of(outreach_list=outreach.outreach_list)}
    assert set(rows) == {casey.pk, other.pk}
    assert rows[casey.pk].attempts == 3
    latest = rows[casey.pk].latest_visit
    assert latest is not None and latest.note == "visit at 50 h"
    assert rows[casey.pk].open_item is not None  # the next visit after engaging
    assert rows[other.pk].attempts == 0 and rows[other.pk].latest_visit is None
    # Soonest visit first: the untouched entry's visit is due before Casey's next one.
    assert [r.entry.pk for r in entries_of(outreach_list=outreach.outreach_list)] == [
        other.pk,
        casey.pk,
    ]
    assert [r.entry.pk for r in entries_of(outreach_list=outreach.outreach_list, closed=True)] == [
        gone.pk
    ]

    summary = status_counts(outreach_list=outreach.outreach_list)
    assert summary.total == 3
    assert summary.count(OutreachStatus.ENGAGED) == 1
    assert summary.count(OutreachStatus.IDENTIFIED) == 1
    assert summary.count(OutreachStatus.CLOSED) == 1
    assert [c.status for c in summary.shown] == ["identified", "engaged", "closed"]
    assert abs(sum(c.width for c in summary.shown) - 100) < 0.01
    assert status_counts_of(lists=[outreach.outreach_list])[outreach.outreach_list.pk].total == 3


def test_an_empty_list_has_an_empty_summary(cast: Any, outreach: Outreach) -> None:
    summary = status_counts(outreach_list=outreach.outreach_list)
    assert summary.total == 0
    assert summary.shown == []
    assert len(summary.counts) == len(OutreachStatus)
