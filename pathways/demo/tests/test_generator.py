"""The synthetic county: deterministic, referentially sane, loadable once, with working logins."""

from __future__ import annotations

import datetime as dt
import io
import itertools
from collections import Counter, defaultdict

import pytest
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command
from django.db import transaction
from django.http import HttpRequest
from django.test import RequestFactory

from pathways.accounts.models import Membership, User
from pathways.audit.models import AuditEvent
from pathways.demo import cast as demo_cast
from pathways.demo.generator import LoadResult, demo_digest, load_demo, window
from pathways.directory.models import SERVICE_TYPES_FOR_NEED, Service
from pathways.encounters.models import Encounter
from pathways.people.models import ExternalIdentifier, Person, PersonAlias
from pathways.programs.models import PathwayCode, ProgramPathway
from pathways.programs.services import program_create
from pathways.referrals.models import TRANSITIONS, Referral, ReferralStatusChange

END = dt.date(2025, 6, 30)
SIZE = 400


def _load(seed: int = 7, encounters: int = SIZE) -> LoadResult:
    return load_demo(encounters=encounters, seed=seed, end_date=END, quiet=True)


@pytest.fixture
def loaded(db: object) -> LoadResult:
    return _load()


@pytest.mark.django_db
def test_same_seed_and_end_date_give_identical_rows() -> None:
    point = transaction.savepoint()
    first = _load(seed=7)
    first_digest = demo_digest(first.program)
    transaction.savepoint_rollback(point)
    assert not Encounter.objects.exists()

    second = _load(seed=7)
    assert second.counts == first.counts
    assert demo_digest(second.program) == first_digest


@pytest.mark.django_db
def test_another_seed_gives_other_rows() -> None:
    point = transaction.savepoint()
    first = demo_digest(_load(seed=7).program)
    transaction.savepoint_rollback(point)
    assert demo_digest(_load(seed=8).program) != first


def test_size_is_exact_and_every_table_is_filled(loaded: LoadResult) -> None:
    assert Encounter.objects.count() == SIZE == loaded.counts["encounters"]
    assert Person.objects.count() == loaded.counts["people"]
    assert Referral.objects.count() == loaded.counts["referrals"]
    assert ReferralStatusChange.objects.count() == loaded.counts["status_changes"]
    assert PersonAlias.objects.exists()
    assert set(ExternalIdentifier.objects.values_list("system", flat=True)) >= {
        "rms",
        "ems",
        "hmis",
    }


def test_referral_cache_equals_its_last_history_row_and_history_follows_transitions(
    loaded: LoadResult,
) -> None:
    history: dict[object, list[ReferralStatusChange]] = defaultdict(list)
    for change in ReferralStatusChange.objects.order_by("changed_at", "id"):
        history[change.referral_id].append(change)
    referrals = list(Referral.objects.all())
    assert referrals
    for referral in referrals:
        rows = history[referral.pk]
        assert rows[0].from_status == "" and rows[0].to_status == "sent"
        assert rows[0].changed_at == referral.created_at
        for before, after in itertools.pairwise(rows):
            assert after.from_status == before.to_status
            assert after.to_status in TRANSITIONS[before.to_status], (before, after)
            assert after.changed_at >= before.changed_at
        for row in rows:
            if row.to_status == "declined":
                assert row.decline_reason
        last = rows[-1]
        assert referral.status == last.to_status
        assert referral.status_changed_at == last.changed_at
        engaged = [r for r in rows if r.to_status == "engaged"]
        assert referral.intake_at == (engaged[-1].scheduled_for if engaged else None)
        assert referral.person_id == referral.encounter.person_id
        assert referral.referring_agency_id == referral.encounter.agency_id
        assert referral.receiving_agency_id == referral.service.organization_id


def test_the_loop_shows_every_outcome_and_recent_referrals_stay_open(loaded: LoadResult) -> None:
    statuses = Counter(Referral.objects.values_list("status", flat=True))
    assert {"completed", "disengaged", "declined", "engaged"} <= set(statuses)
    assert Referral.objects.filter(warm_handoff=True).exists()
    assert Referral.objects.filter(warm_handoff=False).exists()
    _, end = window(END)
    recent = Referral.objects.filter(created_at__gte=end - dt.timedelta(days=14))
    assert any(r.is_open for r in recent)
    assert not ReferralStatusChange.objects.filter(changed_at__gt=end).exists()


def test_referrals_go_to_services_that_answer_the_needs(loaded: LoadResult) -> None:
    for referral in Referral.objects.select_related("service", "encounter"):
        answers = {
            t for need in referral.encounter.presenting_needs for t in SERVICE_TYPES_FOR_NEED[need]
        }
        assert referral.service.service_type in answers
        assert referral.encounter.disposition == "referred"


def test_responders_belong_to_their_agency_and_the_pathway_allows_it(
    loaded: LoadResult,
) -> None:
    roles = set(Membership.objects.values_list("user_id", "agency_id", "role"))
    rows = Encounter.objects.values_list(
        "responder_id",
        "agency_id",
        "agency__kind",
        "pathway__starter_agency_kinds",
        "pathway__starter_roles",
        "pathway__typical_needs",
        "presenting_needs",
        "disposition",
        "pathway__code",
        "program_id",
    )
    for (
        responder,
        agency,
        kind,
        kinds,
        starter_roles,
        typical,
        needs,
        disposition,
        code,
        prog,
    ) in rows:
        assert kind in kinds
        assert any((responder, agency, role) in roles for role in starter_roles)
        assert needs and set(needs) <= set(typical)
        assert disposition != "arrested" or code == PathwayCode.OFFICER_INTERVENTION
        assert prog == loaded.program.pk


def test_call_sources_are_mostly_the_pathway_default(loaded: LoadResult) -> None:
    by_pathway: dict[str, Counter[str]] = defaultdict(Counter)
    defaults = {}
    for code, source, default in Encounter.objects.values_list(
        "pathway__code", "call_source", "pathway__default_call_source"
    ):
        by_pathway[code][source] += 1
        defaults[code] = default
    for code, sources in by_pathway.items():
        assert sources.most_common(1)[0][0] == defaults[code], code


def test_all_six_pathways_are_enabled_and_used(loaded: LoadResult) -> None:
    enabled = set(
        ProgramPathway.objects.filter(program=loaded.program, is_enabled=True).values_list(
            "pathway__code", flat=True
        )
    )
    used = set(Encounter.objects.values_list("pathway__code", flat=True))
    assert enabled == used == set(PathwayCode.values)


def test_some_people_come_back_and_encounters_fall_in_the_window(loaded: LoadResult) -> None:
    per_person = Counter(Encounter.objects.values_list("person_id", flat=True))
    assert max(per_person.values()) >= 3
    assert sum(1 for n in per_person.values() if n > 1) >= 10
    start, end = window(END)
    times = list(Encounter.objects.values_list("occurred_at", flat=True))
    assert min(times) >= start and max(times) <= end
    for person in Person.objects.exclude(date_of_birth=None).prefetch_related("encounters")[:50]:
        first = min(e.occurred_at for e in person.encounters.all()).date()
        assert person.date_of_birth is not None
        assert 18 <= (first - person.date_of_birth).days // 365.25 <= 80


def test_directory_has_zero_capacity_services_and_every_provider_has_services(
    loaded: LoadResult,
) -> None:
    services = Service.objects.filter(organization__program=loaded.program)
    assert services.filter(capacity_open=0).exists()
    assert services.filter(capacity_open__gt=0).exists()
    assert not services.filter(capacity_updated_at=None).exists()
    providers = {a.key for a in demo_cast.AGENCIES if a.kind in demo_cast.PROVIDER_AGENCY_KINDS}
    for key in providers:
        count = sum(1 for s in demo_cast.SERVICES if s.agency_key == key)
        assert 1 <= count <= 3, key
    harbor = set(
        services.filter(organization__name="Harbor Recovery Center").values_list(
            "service_type", flat=True
        )
    )
    assert harbor == {"detox", "moud", "outpatient"}


def sign_in_request() -> HttpRequest:
    """Authentication runs for a sign-in request (the lockout backend needs one)."""
    return RequestFactory().post("/accounts/login/", REMOTE_ADDR="127.0.0.1")


def test_the_named_cast_can_sign_in_with_their_roles(loaded: LoadResult) -> None:
    for spec in demo_cast.NAMED_USERS:
        user = authenticate(
            sign_in_request(), username=spec.username, password=demo_cast.DEMO_PASSWORD
        )
        assert user is not None, spec.username
        membership = Membership.objects.get(user=user)
        assert membership.role == spec.role
        assert membership.agency.name == demo_cast.AGENCY_BY_KEY[spec.agency_key].name
    admin = User.objects.get(username="admin")
    assert admin.is_staff and admin.is_superuser
    # every provider has an intake worker; every generated user can sign in too
    generated = demo_cast.generated_users()
    assert authenticate(
        sign_in_request(), username=generated[-1].username, password=demo_cast.DEMO_PASSWORD
    )
    intake_agencies = set(
        Membership.objects.filter(role="provider_intake").values_list("agency__kind", "agency_id")
    )
    assert len(intake_agencies) == sum(
        1 for a in demo_cast.AGENCIES if a.kind in demo_cast.PROVIDER_AGENCY_KINDS
    )


def test_one_audit_event_records_the_load(loaded: LoadResult) -> None:
    events = AuditEvent.objects.filter(event_type="demo.load")
    assert events.count() == 1
    event = events.get()
    assert event.object_id == str(loaded.program.pk)
    assert event.actor is None
    assert event.changes["encounters"] == [None, SIZE]


@pytest.mark.django_db
def test_demo_load_is_idempotent() -> None:
    args = ["--encounters", "60", "--end-date", END.isoformat(), "--quiet"]
    out = io.StringIO()
    call_command("demo_load", *args, stdout=out)
    assert "rows/s" in out.getvalue()
    counts = (Encounter.objects.count(), Person.objects.count(), User.objects.count())
    again = io.StringIO()
    call_command("demo_load", *args, stdout=again)
    assert "already loaded" in again.getvalue()
    assert (Encounter.objects.count(), Person.objects.count(), User.objects.count()) == counts
    assert AuditEvent.objects.filter(event_type="demo.load").count() == 1


@pytest.mark.django_db
def test_demo_load_refuses_to_build_on_an_interrupted_load() -> None:
    program_create(
        actor=None,
        name=demo_cast.PROGRAM_NAME,
        jurisdiction=demo_cast.JURISDICTION,
        time_zone=demo_cast.TIME_ZONE,
        pathway_codes=[],
    )
    with pytest.raises(CommandError, match="never finished"):
        call_command("demo_load", "--encounters", "10", "--quiet", stdout=io.StringIO())
    assert not Encounter.objects.exists()


def test_demo_logins_prints_the_cast(loaded: LoadResult) -> None:
    out = io.StringIO()
    call_command("demo_logins", stdout=out)
    text = out.getvalue()
    for spec in demo_cast.NAMED_USERS:
        assert spec.username in text
    assert demo_cast.DEMO_PASSWORD in text
    assert "http://127.0.0.1:8000/accounts/login/" in text
    everyone = io.StringIO()
    call_command("demo_logins", "--all", stdout=everyone)
    assert all(u.username in everyone.getvalue() for u in demo_cast.generated_users())


def test_every_pathway_records_its_own_details(loaded: LoadResult) -> None:
    from pathways.encounters.models import CrisisResponse, SurrenderedItem
    from pathways.followups.models import WorkItem
    from pathways.surveillance.models import OverdoseEvent

    program = loaded.program
    naloxone = Encounter.objects.filter(program=program, pathway__code="naloxone_plus")
    assert OverdoseEvent.objects.filter(program=program).count() == naloxone.count() > 0
    assert SurrenderedItem.objects.filter(encounter__pathway__code="self_referral").exists()
    crisis = Encounter.objects.filter(program=program, pathway__code="community_response")
    assert CrisisResponse.objects.filter(encounter__program=program).count() == crisis.count()
    items = WorkItem.objects.filter(program=program)
    assert items.filter(kind="overdose_followup").count() == naloxone.count()
    assert items.filter(completed_at__isnull=True).exists()  # the worklists are not empty
    assert items.filter(completed_at__isnull=False).exists()
    for item in items.filter(kind="overdose_followup")[:50]:
        assert item.encounter is not None
        assert item.due_at == item.encounter.occurred_at + dt.timedelta(hours=72)
        assert item.person_id == item.encounter.person_id
        assert item.person is not None and item.person.last_name not in item.title


def test_casework_is_made_through_the_services(loaded: LoadResult) -> None:
    from pathways.cases.models import Case
    from pathways.followups.models import OutreachEntry
    from pathways.programs.models import ProgramPathway

    assert loaded.counts["cases"] == Case.objects.count() > 0
    assert Case.objects.filter(status="pending_review").exists()  # LEAD: the prosecutor reviews
    assert loaded.counts["outreach_entries"] == OutreachEntry.objects.count()
    angel = ProgramPathway.objects.get(program=loaded.program, pathway__code="self_referral")
    assert angel.local_name == "Riverbend Angel Program"
    assert angel.current_config is not None and angel.current_config.rules


def test_arrest_records_are_imported_and_most_later_ones_link(loaded: LoadResult) -> None:
    from pathways.linkage.models import ArrestRecord, RecordImport

    records = ArrestRecord.objects.filter(program=loaded.program)
    assert loaded.counts["arrest_records"] == records.count() > 0
    # one file, imported through the service (its audit event carries the counts)
    batch = RecordImport.objects.get(program=loaded.program)
    assert batch.rows == batch.added == records.count()
    assert AuditEvent.objects.filter(event_type="record_import.create").count() == 1
    linked = records.filter(person__isnull=False)
    assert linked.count() == batch.linked > 0
    assert records.filter(person__isnull=True).exists()  # people the program never met
    # the jail's booking of arrests made at contacts: the same person, within hours
    arrested = Encounter.objects.filter(program=loaded.program, disposition="arrested")
    booked = [
        records.filter(
            person_id=e.person_id,
            arrested_at__gt=e.occurred_at,
            arrested_at__lte=e.occurred_at + dt.timedelta(hours=4),
        ).exists()
        for e in arrested
    ]
    assert arrested and sum(booked) > 0
    assert set(records.values_list("charge_level", flat=True)) >= {"felony", "misdemeanor"}
    _start, end = window(END)
    assert not records.filter(arrested_at__gte=end).exists()
