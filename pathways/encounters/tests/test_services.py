"""Recording a contact: encounter_create checks who may start the pathway itself, from the
program's pathway row the caller read when it has one (no second read), and a follow-up visit's
contact is checked against the visiting team's roles (docs/decisions/0026)."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from pathways.audit.models import AuditEvent
from pathways.core import clock
from pathways.encounters.models import Encounter
from pathways.encounters.services import encounter_create, followup_contact_create
from pathways.people.factories import PersonFactory
from pathways.programs.factories import ProgramFactory, enable_all_pathways
from pathways.programs.models import ProgramPathway
from pathways.programs.selectors import startable_pathway


def record(cast: Any, **overrides: Any) -> Encounter:
    facts: dict[str, Any] = {
        "actor": cast.officer_a,
        "agency": cast.police_a,
        "person": PersonFactory.create(created_by_agency=cast.police_a),
        "occurred_at": clock.now(),
        "call_source": "on_view",
        "presenting_needs": ["substance_use"],
        "disposition": "information",
    }
    facts.update(overrides)
    return encounter_create(**facts)


def programpathway_reads(queries: CaptureQueriesContext) -> int:
    return sum('FROM "programs_programpathway"' in q["sql"] for q in queries.captured_queries)


def test_the_pathway_row_the_caller_read_is_checked_not_read_again(cast: Any) -> None:
    pp = startable_pathway(user=cast.officer_a, code="officer_prevention")
    assert pp is not None
    with CaptureQueriesContext(connection) as given:
        contact = record(cast, pathway=pp.pathway, program_pathway=pp)
    assert programpathway_reads(given) == 0
    assert contact.config == pp.current_config
    with CaptureQueriesContext(connection) as alone:
        record(cast, pathway=pp.pathway)  # no row in hand: the service reads it itself
    assert programpathway_reads(alone) == 1


@pytest.mark.parametrize("given", [True, False])
def test_a_pathway_the_actor_may_not_start_is_refused_and_nothing_is_recorded(
    cast: Any, given: bool
) -> None:
    """Community response is started by community response teams only: handing the service
    the program's row for it does not let an officer start it."""
    pp = ProgramPathway.objects.select_related("pathway", "current_config").get(
        program=cast.program, pathway__code="community_response"
    )
    before = (Encounter.objects.count(), AuditEvent.objects.writes().count())
    with pytest.raises(ValidationError, match="does not allow starting"):
        record(cast, pathway=pp.pathway, program_pathway=pp if given else None)
    assert (Encounter.objects.count(), AuditEvent.objects.writes().count()) == before


def test_a_row_of_another_program_or_pathway_or_a_disabled_one_is_refused(cast: Any) -> None:
    mine = startable_pathway(user=cast.officer_a, code="officer_prevention")
    assert mine is not None
    other_program = ProgramFactory.create(name="Another County Program")
    enable_all_pathways(other_program)
    theirs = ProgramPathway.objects.select_related("pathway", "current_config").get(
        program=other_program, pathway__code="officer_prevention"
    )
    intervention = startable_pathway(user=cast.officer_a, code="officer_intervention")
    assert intervention is not None
    for row in (theirs, intervention):
        with pytest.raises(ValidationError, match="does not allow starting"):
            record(cast, pathway=mine.pathway, program_pathway=row)
    ProgramPathway.objects.filter(pk=mine.pk).update(is_enabled=False)
    mine.refresh_from_db()
    rows: tuple[ProgramPathway | None, ...] = (mine, None)
    for given in rows:  # the row as read now, or read by the service
        with pytest.raises(ValidationError, match="does not allow starting"):
            record(cast, pathway=mine.pathway, program_pathway=given)
    assert Encounter.objects.count() == 0


def test_a_visit_contact_needs_a_visit_role_at_the_team(cast: Any) -> None:
    pp = startable_pathway(user=cast.officer_a, code="naloxone_plus")
    assert pp is not None
    facts: dict[str, Any] = {
        "pathway": pp.pathway,
        "person": PersonFactory.create(created_by_agency=cast.police_a),
        "occurred_at": clock.now(),
        "call_source": "overdose_response",
        "presenting_needs": ["substance_use"],
        "disposition": "information",
    }
    contact = followup_contact_create(actor=cast.officer_a, agency=cast.police_a, **facts)
    assert contact.config == pp.current_config
    with pytest.raises(ValidationError, match="who go on visits"):
        # an officer of another agency, or a prosecutor, records no visit for the team
        followup_contact_create(actor=cast.officer_b, agency=cast.police_a, **facts)
    with pytest.raises(ValidationError, match="who go on visits"):
        followup_contact_create(actor=cast.prosecutor, agency=cast.police_a, **facts)
    assert Encounter.objects.count() == 1
