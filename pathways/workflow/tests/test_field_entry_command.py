"""The field submit takes one typed command (workflow.commands.FieldEntry) and runs every check
itself: what the page already read (the pathway's row, the service, the submission key) is
reused, never a word that the check was done (docs/decisions/0026). Naming a person recorded
without a name is one service too, which offers only the people the check found."""

from __future__ import annotations

import ast
import dataclasses
import datetime as dt
import uuid
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from pathways.audit.models import AuditEvent
from pathways.core import clock
from pathways.encounters.factories import EncounterFactory, field_entry_data
from pathways.encounters.models import Encounter
from pathways.people.factories import PersonFactory
from pathways.people.models import Identity, Person
from pathways.programs.selectors import startable_pathway
from pathways.referrals.models import Referral
from pathways.workflow.commands import FieldEntry, KeyLookup, NewPerson
from pathways.workflow.selectors import key_lookup
from pathways.workflow.services import field_entry_submit, person_identify

NEW_URL = reverse("encounters:new", kwargs={"code": "officer_prevention"})


def reads(queries: CaptureQueriesContext, table: str) -> int:
    return sum(
        q["sql"].startswith("SELECT") and f'FROM "{table}"' in q["sql"]
        for q in queries.captured_queries
    )


def command(cast: Any, **overrides: Any) -> FieldEntry:
    pp = startable_pathway(user=cast.officer_a, code="officer_prevention")
    assert pp is not None
    facts: dict[str, Any] = {
        "agency": cast.police_a,
        "pathway": pp.pathway,
        "program_pathway": pp,
        "new_person": NewPerson("Dana", "Whitfield", dt.date(1990, 6, 1)),
        "occurred_at": clock.now(),
        "call_source": "on_view",
        "presenting_needs": ("substance_use",),
        "disposition": "information",
        "idempotency_key": uuid.uuid4(),
        "idempotency_digest": "a" * 64,
    }
    facts.update(overrides)
    return FieldEntry(**facts)


def test_the_command_is_frozen(cast: Any) -> None:
    entry = command(cast)
    with pytest.raises(dataclasses.FrozenInstanceError):
        entry.disposition = "referred"  # type: ignore[misc]


def test_a_field_submit_reads_the_pathway_the_service_and_the_key_once(cast: Any) -> None:
    """The page reads the pathway's row, the chosen service and the submission key; the
    service checks them without reading them again."""
    client = cast.client_for(cast.officer_a)
    client.get(NEW_URL)  # the session's first request
    with CaptureQueriesContext(connection) as queries:
        response = client.post(NEW_URL, field_entry_data(cast.detox_p))
    assert response.status_code == 302
    assert reads(queries, "programs_programpathway") == 1
    assert reads(queries, "directory_service") == 1
    key_reads = [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].startswith("SELECT") and '"idempotency_key" =' in q["sql"]
    ]
    assert len(key_reads) == 1, key_reads
    assert Referral.objects.count() == 1


def test_the_key_lookup_in_the_command_is_reused_for_its_own_actor_and_key(cast: Any) -> None:
    entry = command(cast)
    seen = key_lookup(user=cast.officer_a, key=entry.idempotency_key)
    with CaptureQueriesContext(connection) as queries:
        result = field_entry_submit(
            actor=cast.officer_a, entry=dataclasses.replace(entry, key_lookup=seen)
        )
    assert result.created
    assert not any('"idempotency_key" =' in q["sql"] for q in queries.captured_queries)


@pytest.mark.parametrize("whose", ["another key", "another responder"])
def test_a_lookup_for_another_key_or_responder_is_not_taken_for_this_one(
    cast: Any, whose: str
) -> None:
    """A lookup that found nothing, but for another key (or another officer), does not let
    the same submission be recorded twice: the service reads its own key and lands on the
    first contact; with another body it refuses and changes nothing."""
    first = field_entry_submit(actor=cast.officer_a, entry=command(cast))
    assert first.created
    before = (
        Person.objects.count(),
        Encounter.objects.count(),
        AuditEvent.objects.writes().count(),
    )
    key = first.encounter.idempotency_key
    assert key is not None
    wrong = (
        KeyLookup(responder_id=cast.officer_a.pk, key=uuid.uuid4(), found=None)
        if whose == "another key"
        else KeyLookup(responder_id=cast.officer_b.pk, key=key, found=None)
    )
    again = field_entry_submit(
        actor=cast.officer_a,
        entry=command(cast, idempotency_key=key, key_lookup=wrong),
    )
    assert not again.created and again.encounter.pk == first.encounter.pk
    with pytest.raises(ValidationError, match="already recorded a different contact"):
        field_entry_submit(
            actor=cast.officer_a,
            entry=command(cast, idempotency_key=key, idempotency_digest="b" * 64, key_lookup=wrong),
        )
    after = (
        Person.objects.count(),
        Encounter.objects.count(),
        AuditEvent.objects.writes().count(),
    )
    assert after == before


def test_bad_commands_are_refused_clearly_and_change_nothing(cast: Any) -> None:
    person = PersonFactory.create(created_by_agency=cast.police_a)
    before = (Person.objects.count(), Encounter.objects.count())
    refusals: list[tuple[dict[str, Any], str]] = [
        ({"person": person}, "Choose an existing person or enter a new one."),
        ({"new_person": None}, "Choose an existing person or enter a new one."),
        ({"disposition": "referred"}, "Choose the service you are referring the person to."),
        # another agency's officer: the service checks the start itself
        ({"agency": cast.police_b}, "does not allow starting"),
    ]
    for overrides, message in refusals:
        with pytest.raises(ValidationError, match=message):
            field_entry_submit(actor=cast.officer_a, entry=command(cast, **overrides))
    assert (Person.objects.count(), Encounter.objects.count()) == before


def _unknown(cast: Any) -> Person:
    person = Person.objects.create(
        identity=Identity.UNKNOWN, estimated_birth_year=1996, description="Black hoodie"
    )
    EncounterFactory.create(agency=cast.police_a, responder=cast.officer_a, person=person)
    return person


def test_naming_offers_the_matches_and_only_they_can_be_chosen(cast: Any) -> None:
    unknown = _unknown(cast)
    known = PersonFactory.create(
        created_by_agency=cast.police_a,
        first_name="Rae",
        last_name="Okafor",
        date_of_birth=dt.date(1996, 3, 2),
    )
    stranger = PersonFactory.create(created_by_agency=cast.police_a)
    names: dict[str, Any] = {
        "first_name": "Rae",
        "last_name": "Okafor",
        "date_of_birth": dt.date(1996, 3, 2),
    }
    offered = person_identify(actor=cast.officer_a, person=unknown, choice="", **names)
    assert offered.person is None and [c.person for c in offered.candidates] == [known]
    with pytest.raises(ValidationError, match="Choose one of the people listed"):
        person_identify(actor=cast.officer_a, person=unknown, choice=str(stranger.pk), **names)
    unknown.refresh_from_db()
    assert not unknown.is_named and not unknown.is_archived
    linked = person_identify(actor=cast.officer_a, person=unknown, choice=str(known.pk), **names)
    assert linked.linked and linked.person == known
    unknown.refresh_from_db()
    assert unknown.merged_into_id == known.pk


#: A view that does more than decorators, a lookup, one service call and a render is too long.
VIEW_LINES = 60


def test_no_workflow_view_is_longer_than_60_lines() -> None:
    here = Path(__file__).resolve().parent.parent
    long = []
    for name in ("views.py", "contact_views.py"):
        tree = ast.parse((here / name).read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef) and node.end_lineno is not None:
                start = min([node.lineno, *(d.lineno for d in node.decorator_list)])
                if node.end_lineno - start + 1 > VIEW_LINES:
                    long.append(f"{name}:{node.name}")
    assert long == []
