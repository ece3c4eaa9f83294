"""The synthetic county: a seeded, streaming generator of a realistic deflection program.

`load_demo()` creates Riverbend County's program, agencies, directory and demo logins (from
`cast.py`), then streams people, encounters, referrals and their status history into the database
in batches. It is deterministic: the same seed and end date give the same rows, ids included
(every id is a uuid5 of a fixed namespace, the seed and a running index). Memory stays flat at
any size: people are generated one at a time together with all their contacts, so nothing refers
back to earlier rows and nothing is kept once a batch is written.

The loader is a system job: it writes the records directly, without the per-record services
(executemany on SQLite, COPY on PostgreSQL; see `Table`), and records one `demo.load` audit event
for the whole load. Only the program itself is made by `program_create`, so its id (and its
audit rows) are the one random part.
"""

from __future__ import annotations

import bisect
import contextlib
import datetime as dt
import functools
import hashlib
import math
import random
import sys
import time
import uuid
import zoneinfo
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Generic, TextIO, TypeVar

from django.conf import settings
from django.db import connection, models, reset_queries, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models.fields import AutoFieldMixin
from faker import Faker
from tqdm import tqdm

from pathways.accounts.models import Agency, Membership, User
from pathways.audit.models import AuditEvent
from pathways.audit.services import audit_log
from pathways.cases.models import Case
from pathways.cases.services import ChargeInput, case_open, prosecutor_review_decide
from pathways.consent.services import consent_record
from pathways.core import clock
from pathways.core.fields import is_encrypted
from pathways.demo import cast
from pathways.demo.arrests import seed_arrests
from pathways.directory.models import (
    SERVICE_TYPES_FOR_NEED,
    CapacityUpdate,
    Location,
    Service,
    ServiceHours,
)
from pathways.encounters.models import CrisisResponse, Encounter, SurrenderedItem
from pathways.followups.models import WorkItem, WorkKind
from pathways.followups.services import outreach_entry_add, outreach_list_create
from pathways.linkage.models import ArrestRecord
from pathways.linkage.services import ROW_FIELDS as ARREST_FIELDS
from pathways.outcomes.population import population_save
from pathways.people.matching import name_key, name_sound
from pathways.people.models import ExternalIdentifier, Person, PersonAlias
from pathways.programs.catalog import contact_deadline
from pathways.programs.models import (
    Pathway,
    PathwayCode,
    PathwayConfig,
    Program,
    ProgramPathway,
)
from pathways.programs.program_templates import program_template
from pathways.programs.services import program_create, program_template_apply
from pathways.referrals.models import Referral, ReferralStatusChange
from pathways.surveillance.models import OverdoseEvent
from pathways.workflow.services import PLACEMENT_DISPOSITIONS

T = TypeVar("T")

NAMESPACE = uuid.UUID("3b5e8f0c-9d7a-5c1e-b2f4-6a0d8e7c1f93")
DEFAULT_ENCOUNTERS = 3_000
DEFAULT_SEED = 2024
BATCH_SIZE = 5_000
WINDOW_DAYS = 548  # 18 months
SQLITE_CACHE_KIB = 65_536
ZONE = zoneinfo.ZoneInfo(cast.TIME_ZONE)
UTC = dt.UTC


class DemoAlreadyLoaded(Exception):
    """The demo program exists already; loading again would duplicate nothing and do nothing."""


def uid(*parts: object) -> uuid.UUID:
    """A deterministic id: uuid5 of the demo namespace and the parts, e.g. uid(7, "person", 12)."""
    return uuid.uuid5(NAMESPACE, ":".join(str(p) for p in parts))


def demo_program() -> Program | None:
    return Program.objects.filter(name=cast.PROGRAM_NAME).first()


def demo_load_finished(program: Program) -> bool:
    """The load's last step is its audit event: without it, a load was interrupted."""
    return AuditEvent.objects.filter(
        event_type="demo.load", object_type="programs.program", object_id=str(program.pk)
    ).exists()


# --- small sampling helpers -------------------------------------------------------------------


class Choice(Generic[T]):
    """Weighted choice with precomputed cumulative weights (faster than random.choices)."""

    __slots__ = ("cum", "items", "total")

    def __init__(self, pairs: Sequence[tuple[T, float]]) -> None:
        kept = [(item, w) for item, w in pairs if w > 0]
        if not kept:
            raise ValueError("nothing to choose from")
        self.items: list[T] = [item for item, _ in kept]
        self.cum: list[float] = []
        total = 0.0
        for _, w in kept:
            total += w
            self.cum.append(total)
        self.total = total

    def __call__(self, rng: random.Random) -> T:
        return self.items[bisect.bisect_right(self.cum, rng.random() * self.total)]


#: The share of people with two or more contacts whose later contacts went to a second record
#: of them (record linkage finds them: docs/decisions/0033)
RECORDED_TWICE_SHARE = 0.05
#: Short forms a responder may key instead of the name (the linkage model knows nicknames)
_SHORT = {
    "robert": "Bob",
    "william": "Bill",
    "richard": "Rick",
    "james": "Jim",
    "michael": "Mike",
    "elizabeth": "Liz",
    "jennifer": "Jen",
    "christopher": "Chris",
    "anthony": "Tony",
    "joseph": "Joe",
    "daniel": "Dan",
    "jessica": "Jess",
    "katherine": "Kate",
    "margaret": "Peggy",
    "jose": "Pepe",
    "francisco": "Paco",
    "guadalupe": "Lupe",
    "alejandro": "Alex",
    "patricia": "Patty",
    "thomas": "Tom",
    "matthew": "Matt",
    "nicholas": "Nick",
}


def _keyed_again(
    rng: random.Random, first: str, last: str, dob: dt.date | None
) -> tuple[str, str, dt.date | None]:
    """The same person keyed again: a short form of the first name, two letters of the last
    name swapped, or the birth day and month swapped (one slip, sometimes two)."""
    slips = rng.sample(["short", "typo", "swap"], k=1 if rng.random() < 0.7 else 2)
    if "short" in slips:
        first = _SHORT.get(first.lower(), first[: max(3, len(first) - 2)])
    if "typo" in slips and len(last) > 3:
        at = rng.randrange(1, len(last) - 2)
        last = last[:at] + last[at + 1] + last[at] + last[at + 2 :]
    if "swap" in slips and dob is not None and dob.day <= 12 and dob.day != dob.month:
        dob = dob.replace(month=dob.day, day=dob.month)
    return first, last, dob


def _lognormal(rng: random.Random, median: float, sigma: float) -> float:
    return rng.lognormvariate(math.log(median), sigma)


def _coord(value: float) -> Decimal:
    return Decimal(f"{value:.6f}")


# --- the population and the field work, as tables ---------------------------------------------

P = PathwayCode

# fmt: off
#: A person's main reason for contact shapes which pathways they meet and what they need.
#: (name, share of people, primary need, {pathway: weight})
PROFILES: tuple[tuple[str, float, str, dict[str, float]], ...] = (
    ("opioid", 0.28, "opioid_use", {
        P.NALOXONE_PLUS: 0.38, P.SELF_REFERRAL: 0.14, P.ACTIVE_OUTREACH: 0.20,
        P.OFFICER_PREVENTION: 0.12, P.OFFICER_INTERVENTION: 0.12, P.COMMUNITY_RESPONSE: 0.04}),
    ("substance", 0.27, "substance_use", {
        P.NALOXONE_PLUS: 0.04, P.SELF_REFERRAL: 0.10, P.ACTIVE_OUTREACH: 0.14,
        P.OFFICER_PREVENTION: 0.32, P.OFFICER_INTERVENTION: 0.30, P.COMMUNITY_RESPONSE: 0.10}),
    ("mental_health", 0.24, "mental_health", {
        P.OFFICER_PREVENTION: 0.30, P.OFFICER_INTERVENTION: 0.10, P.COMMUNITY_RESPONSE: 0.55,
        P.ACTIVE_OUTREACH: 0.05}),
    ("housing", 0.15, "housing", {
        P.OFFICER_PREVENTION: 0.40, P.OFFICER_INTERVENTION: 0.15, P.COMMUNITY_RESPONSE: 0.25,
        P.ACTIVE_OUTREACH: 0.20}),
    ("sex_work", 0.02, "sex_work", {P.OFFICER_PREVENTION: 0.7, P.OFFICER_INTERVENTION: 0.3}),
    ("conflict", 0.04, "conflict", {P.COMMUNITY_RESPONSE: 0.85, P.OFFICER_PREVENTION: 0.15}),
)

#: Which kinds of agency start each pathway, and how often (only kinds the catalog allows are
#: used; a kind the catalog allows but this table omits gets a token share).
KIND_WEIGHTS: dict[str, dict[str, float]] = {
    P.SELF_REFERRAL: {"law_enforcement": 0.70, "fire": 0.25, "ems": 0.05},
    P.ACTIVE_OUTREACH: {"recovery_support": 0.45, "treatment": 0.15, "law_enforcement": 0.25,
                        "fire": 0.10, "ems": 0.05},
    P.NALOXONE_PLUS: {"fire": 0.30, "ems": 0.25, "recovery_support": 0.30,
                      "law_enforcement": 0.10, "treatment": 0.05},
    P.OFFICER_PREVENTION: {"law_enforcement": 0.80, "fire": 0.10, "ems": 0.10},
    P.OFFICER_INTERVENTION: {"law_enforcement": 1.0},
    P.COMMUNITY_RESPONSE: {"community_response": 1.0},
}

CALL_SOURCES: dict[str, dict[str, float]] = {
    P.SELF_REFERRAL: {"walk_in": 0.85, "family": 0.10, "crisis_line": 0.05},
    P.ACTIVE_OUTREACH: {"outreach": 0.85, "overdose_response": 0.10, "family": 0.05},
    P.NALOXONE_PLUS: {"overdose_response": 0.90, "outreach": 0.10},
    P.OFFICER_PREVENTION: {"on_view": 0.60, "dispatched": 0.35, "family": 0.05},
    P.OFFICER_INTERVENTION: {"dispatched": 0.65, "on_view": 0.35},
    P.COMMUNITY_RESPONSE: {"dispatched": 0.75, "crisis_line": 0.20, "walk_in": 0.05},
}

#: The 'arrested' officer-intervention contacts are the comparison group: eligible, not diverted.
DISPOSITIONS: dict[str, dict[str, float]] = {
    P.SELF_REFERRAL: {"referred": 0.92, "declined": 0.03, "information": 0.05},
    P.ACTIVE_OUTREACH: {"referred": 0.55, "declined": 0.30, "information": 0.15},
    P.NALOXONE_PLUS: {"referred": 0.55, "declined": 0.30, "information": 0.08,
                      "transported": 0.07},
    P.OFFICER_PREVENTION: {"referred": 0.65, "declined": 0.18, "information": 0.14,
                           "transported": 0.03},
    P.OFFICER_INTERVENTION: {"referred": 0.82, "declined": 0.05, "information": 0.03,
                             "arrested": 0.10},
    P.COMMUNITY_RESPONSE: {"referred": 0.55, "declined": 0.15, "information": 0.25,
                           "transported": 0.05},
}

#: The demo's planted disparity, for the equity report to find: officers divert Black people's
#: Officer Intervention contacts less often (this share of would-be referrals become arrests).
PLANTED_ARREST_SHARE = 0.3

WARM_HANDOFF: dict[str, float] = {
    P.SELF_REFERRAL: 0.70, P.ACTIVE_OUTREACH: 0.60, P.NALOXONE_PLUS: 0.55,
    P.OFFICER_PREVENTION: 0.25, P.OFFICER_INTERVENTION: 0.35, P.COMMUNITY_RESPONSE: 0.50,
}

#: Local hour-of-day weights (0..23) and day-of-week acceptance (Monday..Sunday) by pathway.
_OVERDOSE_HOURS = (3, 2, 2, 1.5, 1, 1, 1.5, 2, 3, 4, 5, 6, 6, 7, 7, 8, 8, 8, 8, 8, 7, 6, 5, 4)
_PATROL_HOURS = (5, 4, 3, 2, 1.5, 1, 1, 1.5, 3, 4, 5, 5, 6, 6, 7, 7, 7, 7, 7, 7, 7, 6, 6, 5)
HOURS: dict[str, tuple[float, ...]] = {
    P.SELF_REFERRAL: (1, .5, .5, .3, .3, .5, 1, 2, 4, 6, 6, 6, 5, 6, 6, 6, 5, 4, 4, 3, 3, 2, 2, 1),
    P.ACTIVE_OUTREACH: (0, 0, 0, 0, 0, 0, 0, .5, 4, 8, 9, 9, 7, 8, 8, 7, 5, 3, 1.5, .5, 0, 0, 0, 0),
    P.NALOXONE_PLUS: _OVERDOSE_HOURS,
    P.OFFICER_PREVENTION: _PATROL_HOURS,
    P.OFFICER_INTERVENTION: _PATROL_HOURS,
    P.COMMUNITY_RESPONSE: (.3, .2, .1, 0, 0, 0, .2, 1, 3, 5, 6, 7, 7, 8, 8, 8, 8, 7, 6, 5, 4, 3,
                           2, 1),
}
DAYS: dict[str, tuple[float, ...]] = {
    P.SELF_REFERRAL: (1, 1, 1, 1, 1, 0.7, 0.6),
    P.ACTIVE_OUTREACH: (1, 1, 1, 1, 1, 0.25, 0.1),
    P.NALOXONE_PLUS: (1, 1, 1, 1, 1, 1, 1),
    P.OFFICER_PREVENTION: (0.85, 0.85, 0.85, 0.9, 1, 1, 0.9),
    P.OFFICER_INTERVENTION: (0.85, 0.85, 0.85, 0.9, 1, 1, 0.9),
    P.COMMUNITY_RESPONSE: (1, 1, 1, 1, 1, 0.7, 0.7),
}

#: The service types a responder picks for a need, and how often (only the types the directory's
#: SERVICE_TYPES_FOR_NEED lists for the need are used).
TYPE_WEIGHTS: dict[str, dict[str, float]] = {
    "opioid_use": {"moud": 0.55, "detox": 0.25, "peer_support": 0.20},
    "substance_use": {"outpatient": 0.35, "detox": 0.20, "peer_support": 0.20,
                      "residential": 0.12, "moud": 0.13},
    "mental_health": {"mh_outpatient": 0.65, "mh_crisis": 0.35},
    "crisis": {"mh_crisis": 1.0},
    "housing": {"housing": 0.65, "case_management": 0.35},
    "sex_work": {"case_management": 0.70, "housing": 0.30},
    "conflict": {"case_management": 0.50, "mh_outpatient": 0.50},
    "basic_needs": {"basic_needs": 0.70, "case_management": 0.30},
}
# fmt: on


@dataclass(frozen=True)
class Flow:
    """How referrals to a type of service move: median days to intake, share seen at once
    (walk-in), share completing once engaged, median days in the service."""

    intake_days: float
    walk_in: float
    completion: float
    duration_days: float


# fmt: off
FLOWS: dict[str, Flow] = {
    "detox": Flow(0.3, 0.70, 0.70, 5),
    "moud": Flow(1.5, 0.45, 0.45, 120),
    "residential": Flow(7, 0.10, 0.55, 45),
    "outpatient": Flow(5, 0.15, 0.45, 75),
    "mh_crisis": Flow(0.1, 0.85, 0.80, 4),
    "mh_outpatient": Flow(10, 0.05, 0.45, 90),
    "housing": Flow(5, 0.30, 0.40, 120),
    "peer_support": Flow(1.5, 0.50, 0.50, 60),
    "case_management": Flow(4, 0.15, 0.50, 90),
    "basic_needs": Flow(1, 0.60, 0.85, 10),
    "medical": Flow(2, 0.30, 0.70, 14),
}

DECLINE_REASONS: dict[str, float] = {
    "no_capacity": 20, "not_eligible": 15, "higher_care": 8, "insurance": 10,
    "unreachable": 25, "person_declined": 18, "other": 4,
}
DECLINE_OTHER_NOTES = (
    "Lives outside the service area.",
    "Already enrolled with another provider.",
    "Referred to the VA clinic instead.",
)

#: (ethnicity, races, weight): a mid-size Midwestern county's justice and treatment population.
DEMOGRAPHICS: tuple[tuple[str, tuple[str, ...], float], ...] = (
    ("not_hispanic", ("white",), 54.0),
    ("not_hispanic", ("black",), 27.0),
    ("hispanic", ("white",), 8.0),
    ("hispanic", ("declined",), 3.0),
    ("hispanic", ("american_indian",), 1.0),
    ("not_hispanic", ("asian",), 1.3),
    ("not_hispanic", ("american_indian",), 0.8),
    ("not_hispanic", ("mena",), 0.4),
    ("not_hispanic", ("pacific_islander",), 0.1),
    ("not_hispanic", ("black", "white"), 1.8),
    ("not_hispanic", ("american_indian", "white"), 0.6),
    ("declined", ("declined",), 1.5),
)
#: Age at first contact.
AGE_BANDS: tuple[tuple[tuple[int, int], float], ...] = (
    ((18, 25), 14), ((26, 35), 31), ((36, 45), 25), ((46, 55), 16), ((56, 65), 11),
    ((66, 80), 3),
)
#: How many contacts a person has (before the end of the window cuts the later ones off).
CONTACTS: tuple[tuple[int, float], ...] = (
    (1, 0.62), (2, 0.18), (3, 0.09), (4, 0.06), (5, 0.03), (6, 0.02),
)
ADMINISTERED_BY = ("ems", "ems", "police", "fire", "bystander", "bystander")
HOSPITALS = ("Riverbend General Hospital", "St. Brendan Medical Center", "Millbrook Regional")
SURRENDERED_KINDS = ["drugs", "syringes", "paraphernalia", "medication"]
CRISIS_TEAMS = (["clinician", "peer"], ["clinician", "medic"], ["clinician", "peer", "medic"])
CRISIS_OUTCOMES = ("resolved", "resolved", "referred", "referred", "crisis_center", "declined")

STREET_NAMES = (
    "Shorty", "Red", "Junior", "Slim", "Tiny", "Smoke", "Lucky", "Boo", "Country", "Peanut",
    "Sunny", "Ghost", "Chico", "Flaca", "Bear",
)
ENCOUNTER_NOTES: dict[str, tuple[str, ...]] = {
    P.SELF_REFERRAL: ("Handed in paraphernalia for disposal.", "Came in with a family member.",
                      "Volunteer angel paired on site."),
    P.ACTIVE_OUTREACH: ("Second visit from the outreach list.", "Left naloxone kit and card.",
                        "Met at the encampment."),
    P.NALOXONE_PLUS: ("Follow-up visit 48 hours after the overdose.",
                      "Revived with two doses of naloxone.", "Leave-behind kit given."),
    P.OFFICER_PREVENTION: ("Welfare check.", "Known to patrol; agreed to talk to a peer.",
                           "Trespass call, no charges."),
    P.OFFICER_INTERVENTION: ("Possession under the threshold; charge held.",
                             "Retail theft, first contact; charge held.",
                             "Trespass; citation to report to the program."),
    P.COMMUNITY_RESPONSE: ("De-escalated on scene.", "Neighbor dispute mediated.",
                           "988 transfer; safety plan made."),
}
HANDOFF_NOTES = (
    "Peer met the person on scene.",
    "Called intake together from the scene.",
    "Drove the person to the program door.",
    "Clinician joined by video.",
)
OVERRIDE_NOTES = (
    "Provider confirmed a slot by phone.",
    "Waitlist placement agreed with intake.",
    "Bed opening expected tonight per provider.",
)
# fmt: on


# --- the county's fixed cast, in the database -------------------------------------------------


@dataclass(frozen=True)
class PathwayInfo:
    id: uuid.UUID
    code: str
    kinds: frozenset[str]
    roles: frozenset[str]
    needs: tuple[str, ...]
    default_call_source: str
    config_id: uuid.UUID | None
    deadlines: dict[str, int]
    followup_team_id: uuid.UUID | None = None


@dataclass(frozen=True)
class AgencyInfo:
    id: uuid.UUID
    spec: cast.AgencySpec
    towns: Choice[cast.Town]


@dataclass(frozen=True)
class ServiceInfo:
    id: uuid.UUID
    agency_id: uuid.UUID
    service_type: str
    capacity_total: int
    capacity_open: int
    spanish: bool
    intake_user: uuid.UUID
    followup_user: uuid.UUID  # records intake and outcomes: a case manager when there is one


@dataclass
class County:
    program: Program
    start: dt.datetime  # UTC
    end: dt.datetime  # UTC
    pathways: dict[str, PathwayInfo]
    agencies: dict[str, AgencyInfo]
    services: list[ServiceInfo]
    counts: dict[str, int] = field(default_factory=dict)


#: The programs Riverbend County runs, each started from a program template as a coordinator
#: would (Setup > Program templates): (template, local names, follow-up team by agency key).
DEMO_TEMPLATES: tuple[tuple[str, dict[str, str], dict[str, str | None]], ...] = (
    ("angel_program", {"self_referral": "Riverbend Angel Program"}, {}),
    (
        "lead_king_county",
        {
            "officer_intervention": "LEAD Riverbend",
            "officer_prevention": "LEAD Riverbend social contact",
        },
        {},
    ),
    # The county's Quick Response Team is worked by the recovery community organisation's peers
    # with a clinician, not by one police department: the coordinator's adjustment.
    (
        "qrt_hamilton_county",
        {"naloxone_plus": "Riverbend Quick Response Team"},
        {"naloxone_plus": "rrco"},
    ),
    (
        "community_response_team",
        {"community_response": "Riverbend Crisis Response Team"},
        {"community_response": "crt"},
    ),
)


def _configure_pathways(program: Program) -> None:
    """Start the county's programs from their templates (Active Outreach keeps the catalog's
    configuration: the county built its outreach lists itself)."""
    for code, local_names, teams in DEMO_TEMPLATES:
        template = program_template(code)
        assert template is not None, code
        program_template_apply(
            actor=None,
            program=program,
            template=template,
            local_names=local_names,
            followup_teams={
                pathway: uid("cast", "agency", key) if key else None
                for pathway, key in teams.items()
            },
        )


def _town_choice(towns: Sequence[str]) -> Choice[cast.Town]:
    names = towns or cast.ALL_TOWNS
    return Choice([(cast.TOWN_BY_NAME[n], cast.TOWN_BY_NAME[n].weight) for n in names])


def _create_county(*, start: dt.datetime, end: dt.datetime) -> County:
    """The program, agencies, logins, locations, services and hours (small, fixed data)."""
    program = program_create(
        actor=None,
        name=cast.PROGRAM_NAME,
        jurisdiction=cast.JURISDICTION,
        time_zone=cast.TIME_ZONE,
        pathway_codes=[str(code) for code in PathwayCode],
        description=cast.PROGRAM_DESCRIPTION,
    )
    since = start - dt.timedelta(days=30)
    agencies = [
        Agency(
            id=uid("cast", "agency", spec.key),
            program=program,
            name=spec.name,
            short_name=spec.short_name,
            kind=spec.kind,
            description=spec.description,
            website=f"https://www.{spec.domain}/",
            email=f"info@{spec.domain}",
            phone=spec.phone,
            created_at=since,
            updated_at=since,
        )
        for spec in cast.AGENCIES
    ]
    Agency.objects.bulk_create(agencies)

    specs = cast.all_users()
    users: list[User] = []
    for spec in specs:
        user = User(
            id=uid("cast", "user", spec.username),
            username=spec.username,
            first_name=spec.first_name,
            last_name=spec.last_name,
            email=spec.email,
            is_staff=spec.is_staff,
            is_superuser=spec.is_superuser,
            date_joined=since,
        )
        if users:
            user.password = users[0].password  # hashing is slow; one hash serves the cast
        else:
            user.set_password(cast.DEMO_PASSWORD)
        users.append(user)
    User.objects.bulk_create(users)
    Membership.objects.bulk_create(
        Membership(
            id=uid("cast", "membership", spec.username),
            user_id=uid("cast", "user", spec.username),
            agency_id=uid("cast", "agency", spec.agency_key),
            role=spec.role,
            created_at=since,
            updated_at=since,
        )
        for spec in specs
    )

    intake: dict[str, uuid.UUID] = {}
    followup: dict[str, uuid.UUID] = {}
    for user_spec in specs:
        user_id = uid("cast", "user", user_spec.username)
        if user_spec.role == "provider_intake":
            intake.setdefault(user_spec.agency_key, user_id)
        elif user_spec.role == "case_manager":
            followup.setdefault(user_spec.agency_key, user_id)

    Location.objects.bulk_create(
        Location(
            id=uid("cast", "location", loc.key),
            organization_id=uid("cast", "agency", loc.agency_key),
            name=loc.name,
            address_1=loc.address_1,
            city=loc.city,
            state_province=cast.STATE,
            postal_code=loc.postal_code,
            latitude=_coord(loc.latitude),
            longitude=_coord(loc.longitude),
            created_at=since,
            updated_at=since,
        )
        for loc in cast.LOCATIONS
    )
    rng = random.Random("cast")
    services: list[Service] = []
    infos: list[ServiceInfo] = []
    hours: list[ServiceHours] = []
    links: list[Any] = []
    updates: list[CapacityUpdate] = []
    Link = Service.locations.through
    for svc in cast.SERVICES:
        agency_spec = cast.AGENCY_BY_KEY[svc.agency_key]
        service_id = uid("cast", "service", svc.key)
        updated_at = end - dt.timedelta(minutes=rng.randint(20, 72 * 60))
        intake_user = intake[svc.agency_key]
        services.append(
            Service(
                id=service_id,
                organization_id=uid("cast", "agency", svc.agency_key),
                name=svc.name,
                service_type=svc.service_type,
                description=svc.description,
                languages=list(svc.languages),
                populations=list(svc.populations),
                phone=agency_spec.phone,
                open_24_7=svc.open_24_7,
                accepts_walk_ins=svc.accepts_walk_ins,
                capacity_total=svc.capacity_total,
                capacity_open=svc.capacity_open,
                capacity_updated_at=updated_at,
                capacity_updated_by_id=intake_user,
                created_at=since,
                updated_at=updated_at,
            )
        )
        updates.append(
            CapacityUpdate(
                id=uid("cast", "capacity", svc.key),
                service_id=service_id,
                capacity_total=svc.capacity_total,
                capacity_open=svc.capacity_open,
                updated_by_id=intake_user,
                reason="Daily capacity report",
                created_at=updated_at,
                updated_at=updated_at,
            )
        )
        for block in svc.hours:
            for day in block.days:
                hours.append(
                    ServiceHours(
                        id=uid("cast", "hours", svc.key, day, block.opens),
                        service_id=service_id,
                        weekday=day,
                        opens_at=dt.time.fromisoformat(block.opens),
                        closes_at=dt.time.fromisoformat(block.closes),
                        created_at=since,
                        updated_at=since,
                    )
                )
        links.extend(
            Link(service_id=service_id, location_id=uid("cast", "location", key))
            for key in svc.location_keys
        )
        infos.append(
            ServiceInfo(
                id=service_id,
                agency_id=uid("cast", "agency", svc.agency_key),
                service_type=svc.service_type,
                capacity_total=svc.capacity_total,
                capacity_open=svc.capacity_open,
                spanish="es" in svc.languages,
                intake_user=intake_user,
                followup_user=followup.get(svc.agency_key, intake_user),
            )
        )
    Service.objects.bulk_create(services)
    ServiceHours.objects.bulk_create(hours)
    Link.objects.bulk_create(links)
    CapacityUpdate.objects.bulk_create(updates)

    _configure_pathways(program)
    configs: dict[uuid.UUID, PathwayConfig] = {
        pp.pathway_id: pp.current_config
        for pp in ProgramPathway.objects.filter(program=program).select_related("current_config")
        if pp.current_config is not None
    }
    pathways = {
        p.code: PathwayInfo(
            id=p.id,
            code=p.code,
            kinds=frozenset(
                configs[p.pk].starter_agency_kinds if p.pk in configs else p.starter_agency_kinds
            ),
            roles=frozenset(configs[p.pk].starter_roles if p.pk in configs else p.starter_roles),
            needs=tuple(p.typical_needs),
            default_call_source=p.default_call_source,
            config_id=configs[p.pk].pk if p.pk in configs else None,
            deadlines=dict(configs[p.pk].deadlines) if p.pk in configs else {},
            followup_team_id=configs[p.pk].followup_team_id if p.pk in configs else None,
        )
        for p in Pathway.objects.filter(code__in=PathwayCode.values)
    }
    agency_infos = {
        spec.key: AgencyInfo(
            id=uid("cast", "agency", spec.key),
            spec=spec,
            towns=_town_choice(spec.towns),
        )
        for spec in cast.AGENCIES
    }
    counts = {
        "agencies": len(agencies),
        "users": len(users),
        "locations": len(cast.LOCATIONS),
        "services": len(services),
        "service_hours": len(hours),
        "population_figures": _seed_population(program),
    }
    return County(program, start, end, pathways, agency_infos, infos, counts)


#: Riverbend County's residents by group, for the equity report's contact rates. Synthetic, of
#: a plausible size and mix for a mid-size Midwestern county (about 410,000 people); the source
#: line says so. Black residents are fewer here than among the people the program meets, as in
#: many counties, so the contact rate ratio is well above 1.
DEMO_POPULATION: dict[str, dict[str, int]] = {
    "race_group": {
        "white": 295_000,
        "black": 57_500,
        "hispanic": 28_700,
        "asian": 12_300,
        "american_indian": 1_600,
        "pacific_islander": 400,
        "mena": 3_300,
        "multiple": 11_200,
    },
    "sex": {"female": 209_000, "male": 201_000},
    "age_band": {
        "under 18": 92_000,
        "18-25": 41_000,
        "26-35": 54_000,
        "36-45": 51_000,
        "46-55": 49_000,
        "56-65": 53_000,
        "66+": 70_000,
    },
}
DEMO_POPULATION_SOURCE = "Synthetic demo figures for Riverbend County (not a real county)"


def _seed_population(program: Program) -> int:

    for dimension, residents in DEMO_POPULATION.items():
        population_save(
            actor=None,
            program=program,
            dimension=dimension,
            residents=residents,
            source=DEMO_POPULATION_SOURCE,
            year=2024,
        )
    return len(DEMO_POPULATION)


# --- fast inserts ---------------------------------------------------------------------------


def _hex(value: uuid.UUID | None) -> str | None:
    return None if value is None else value.hex


def _sqlite_datetime(value: dt.datetime | None) -> str | None:
    """What Django's SQLite backend stores for an aware datetime: naive UTC text."""
    if value is None:
        return None
    if value.tzinfo is not UTC:
        value = value.astimezone(UTC)
    return value.isoformat(" ")[:-6]  # drop "+00:00"


def _adapter(field: Any, connection: BaseDatabaseWrapper) -> Callable[[Any], Any] | None:
    """The conversion Django's insert compiler applies to a value of `field` (None: as is)."""
    if is_encrypted(field):
        encrypt: Callable[[Any], Any] = field.encrypt_value  # a fresh nonce per value
        return encrypt
    target = field.target_field if field.is_relation else field
    ops = connection.ops
    if isinstance(target, models.UUIDField):
        return None if connection.features.has_native_uuid_field else _hex
    if isinstance(target, models.DateTimeField):
        if connection.vendor == "sqlite" and connection.timezone_name == "UTC":
            return _sqlite_datetime
        return ops.adapt_datetimefield_value
    if isinstance(target, models.DateField):
        return ops.adapt_datefield_value
    if isinstance(target, models.TimeField):
        return ops.adapt_timefield_value
    if isinstance(target, models.DecimalField):
        return functools.partial(
            ops.adapt_decimalfield_value,
            max_digits=target.max_digits,
            decimal_places=target.decimal_places,
        )
    if isinstance(target, models.JSONField):
        return functools.partial(ops.adapt_json_value, encoder=target.encoder)
    return None


class Table:
    """Fast inserts of one model's rows. Django's bulk_create spends ~10 µs a value in its
    insert compiler, which makes a million-encounter load take most of an hour; here each value
    gets the same backend adaptation (see `_adapter`) once, and the rows go in with
    executemany (SQLite) or COPY (PostgreSQL). The database's constraints still apply.
    Auto-numbered keys are left to the database; a column without a value gets its default."""

    def __init__(self, model: type[models.Model], connection: BaseDatabaseWrapper) -> None:
        fields = [f for f in model._meta.concrete_fields if not isinstance(f, AutoFieldMixin)]
        quote = connection.ops.quote_name
        self.model = model
        # names come from the model's metadata, quoted; values are always parameters
        self.sql = "INSERT INTO {} ({}) VALUES ({})".format(  # noqa: S608
            quote(model._meta.db_table),
            ", ".join(quote(f.column) for f in fields),
            ", ".join(["%s"] * len(fields)),
        )
        self.copy_sql = "COPY {} ({}) FROM STDIN".format(
            quote(model._meta.db_table), ", ".join(quote(f.column) for f in fields)
        )
        self.defaults: list[Any] = []
        self.index: dict[str, tuple[int, Callable[[Any], Any] | None]] = {}
        # encrypted columns whose default is not blank (e.g. {}): encrypted afresh for each row
        self.fresh: dict[str, tuple[int, Callable[[Any], Any], models.Field[Any, Any]]] = {}
        required: set[str] = set()
        for i, f in enumerate(fields):
            adapt = _adapter(f, connection)
            self.index[f.attname] = (i, adapt)
            if f.has_default() and callable(f.default) and f.default not in (list, dict):
                required.add(f.attname)  # e.g. created_at=clock.now: must be given
                default = None
            elif not f.has_default() and not f.null and not f.empty_strings_allowed:
                required.add(f.attname)  # e.g. a foreign key
                default = None
            else:
                value = f.get_default()
                default = adapt(value) if adapt is not None and value is not None else value
                if is_encrypted(f) and adapt is not None and value not in (None, ""):
                    self.fresh[f.attname] = (i, adapt, f)
            self.defaults.append(default)
        self.required = frozenset(required)
        self.plans: dict[tuple[str, ...], list[tuple[int, Callable[[Any], Any] | None]]] = {}

    def row(self, values: dict[str, Any]) -> list[Any]:
        """The row's parameters in column order. Callers pass the same names in the same order
        at each call site, so the column plan for those names is worked out once."""
        names = tuple(values)
        plan = self.plans.get(names)
        if plan is None:
            plan = self.plans[names] = self._plan(names)
        out = self.defaults.copy()
        for (i, adapt), value in zip(plan, values.values(), strict=True):
            out[i] = value if adapt is None else adapt(value)
        for name, (i, encrypt, f) in self.fresh.items():
            if name not in values:
                out[i] = encrypt(f.get_default())
        return out

    def _plan(self, names: tuple[str, ...]) -> list[tuple[int, Callable[[Any], Any] | None]]:
        unknown = [name for name in names if name not in self.index]
        if unknown:
            raise ValueError(f"{self.model.__name__} has no column {', '.join(unknown)}")
        missing = self.required - set(names)
        if missing:
            raise ValueError(f"{self.model.__name__} row lacks {', '.join(sorted(missing))}")
        return [self.index[name] for name in names]


#: The streamed tables, in foreign-key order.
STREAMED: tuple[tuple[str, type[models.Model]], ...] = (
    ("people", Person),
    ("aliases", PersonAlias),
    ("identifiers", ExternalIdentifier),
    ("encounters", Encounter),
    ("referrals", Referral),
    ("status_changes", ReferralStatusChange),
    ("overdoses", OverdoseEvent),
    ("surrendered", SurrenderedItem),
    ("crises", CrisisResponse),
    ("work_items", WorkItem),
)


class Batch:
    """Rows for one transaction, already converted for the database driver."""

    def __init__(self, tables: dict[str, Table]) -> None:
        self.tables = tables
        self.rows: dict[str, list[list[Any]]] = {name: [] for name in tables}

    def add(self, table: str, **values: Any) -> None:
        self.rows[table].append(self.tables[table].row(values))

    @property
    def encounters(self) -> int:
        return len(self.rows["encounters"])

    def write(self) -> dict[str, int]:
        """One transaction; PostgreSQL gets COPY (executemany there is a round trip a row)."""
        copy = connection.vendor == "postgresql"
        with transaction.atomic(), connection.cursor() as cursor:
            for name, table in self.tables.items():
                rows = self.rows[name]
                if not rows:
                    continue
                if copy:
                    with cursor.cursor.copy(table.copy_sql) as stream:
                        for row in rows:
                            stream.write_row(row)
                else:
                    cursor.executemany(table.sql, rows)
        return {name: len(rows) for name, rows in self.rows.items()}


@functools.cache
def name_pools(seed: int) -> dict[tuple[str, str], tuple[str, ...]]:
    """Names from Faker (seeded), drawn once per seed; the stream picks from these pools with
    its own generator, which keeps Faker's frequencies and is much faster than calling it."""
    us, mx = Faker("en_US"), Faker("es_MX")
    us.seed_instance(seed)
    mx.seed_instance(seed)
    return {
        ("us", "female"): tuple(us.first_name_female() for _ in range(3000)),
        ("us", "male"): tuple(us.first_name_male() for _ in range(3000)),
        ("us", "last"): tuple(us.last_name() for _ in range(5000)),
        ("mx", "female"): tuple(mx.first_name_female() for _ in range(1500)),
        ("mx", "male"): tuple(mx.first_name_male() for _ in range(1500)),
        ("mx", "last"): tuple(mx.last_name() for _ in range(2500)),
    }


# --- the stream -------------------------------------------------------------------------------


class Stream:
    """Generates people with all their contacts, one person at a time, in seeded order."""

    def __init__(self, county: County, *, seed: int, batch_size: int = BATCH_SIZE) -> None:
        self.county = county
        self.seed = seed
        self.batch_size = batch_size
        self.tables = {name: Table(model, connection) for name, model in STREAMED}
        self.short_names = {a.id: a.spec.short_name for a in county.agencies.values()}
        self.rng = random.Random(seed)
        self.start_day = county.start.astimezone(ZONE).date().toordinal()
        self.end_day = county.end.astimezone(ZONE).date().toordinal()
        self.names = name_pools(seed)
        self._build_tables()

    def _build_tables(self) -> None:
        county = self.county
        self.profiles = Choice(
            [((name, need, Choice(list(pw.items()))), share) for name, share, need, pw in PROFILES]
        )
        self.demographics = Choice([((eth, races), w) for eth, races, w in DEMOGRAPHICS])
        self.ages = Choice(list(AGE_BANDS))
        self.contacts = Choice(list(CONTACTS))
        self.towns = _town_choice(cast.ALL_TOWNS)
        # staff who may start each pathway, by agency
        staff: dict[uuid.UUID, list[tuple[uuid.UUID, str, bool]]] = {}
        for spec in cast.all_users():
            staff.setdefault(uid("cast", "agency", spec.agency_key), []).append(
                (uid("cast", "user", spec.username), spec.role, spec.named)
            )
        self.agency_for: dict[str, Choice[AgencyInfo]] = {}
        self.responders: dict[tuple[str, uuid.UUID], Choice[uuid.UUID]] = {}
        for code, pathway in county.pathways.items():
            weights = KIND_WEIGHTS.get(code, {})
            pairs: list[tuple[AgencyInfo, float]] = []
            for agency in county.agencies.values():
                if agency.spec.kind not in pathway.kinds:
                    continue
                eligible = [
                    (user_id, (4.0 if named else 1.0) * (0.25 if role == "supervisor" else 1.0))
                    for user_id, role, named in staff.get(agency.id, [])
                    if role in pathway.roles
                ]
                if not eligible:
                    continue
                self.responders[(code, agency.id)] = Choice(eligible)
                pairs.append((agency, agency.spec.weight))
            if not pairs:
                raise RuntimeError(f"No agency in the cast may start the {code} pathway.")
            # the kind's share of the pathway, split among its agencies by their size
            kind_total: dict[str, float] = {}
            for agency, weight in pairs:
                kind_total[agency.spec.kind] = kind_total.get(agency.spec.kind, 0.0) + weight
            self.agency_for[code] = Choice(
                [
                    (a, weights.get(a.spec.kind, 0.02) * w / kind_total[a.spec.kind])
                    for a, w in pairs
                ]
            )
        # mostly the pathway's default call source (if the catalog changes it, only that one)
        self.call_sources: dict[str, Choice[str]] = {}
        for code, p in county.pathways.items():
            sources = CALL_SOURCES.get(code, {})
            if not sources or max(sources, key=sources.__getitem__) != p.default_call_source:
                sources = {p.default_call_source: 1.0}
            self.call_sources[code] = Choice(list(sources.items()))
        self.dispositions = {
            code: Choice(list(DISPOSITIONS[code].items())) for code in county.pathways
        }
        self.hours = {code: Choice(list(enumerate(HOURS[code]))) for code in county.pathways}
        self.pathway_by_id = {p.id: p for p in county.pathways.values()}
        # services for a need; Spanish speakers' referrals lean to bilingual services
        self.services_for: dict[tuple[str, bool], Choice[ServiceInfo]] = {}
        needs = {n for p in county.pathways.values() for n in p.needs} | set(TYPE_WEIGHTS)
        for need in needs:
            allowed = [str(t) for t in SERVICE_TYPES_FOR_NEED.get(need, [])]
            type_weights = TYPE_WEIGHTS.get(need) or dict.fromkeys(allowed, 1.0)
            for spanish in (False, True):
                pairs_s = [
                    (
                        s,
                        type_weights.get(s.service_type, 0.0)
                        * max(s.capacity_total, 1) ** 0.5
                        * (3.0 if spanish and s.spanish else 1.0),
                    )
                    for s in county.services
                    if s.service_type in allowed
                ]
                if any(w > 0 for _, w in pairs_s):
                    self.services_for[(need, spanish)] = Choice(pairs_s)
        self.decline_reasons = Choice(list(DECLINE_REASONS.items()))

    # -- dates and times

    def _first_day(self) -> int:
        """A day in the window; volume ramps up as the program grows (55% → 100%)."""
        span = self.end_day - self.start_day
        rng = self.rng
        while True:
            u = rng.random()
            if rng.random() < 0.55 + 0.45 * u:
                return self.start_day + min(int(u * (span + 1)), span)

    def _moment(self, day: int, code: str) -> tuple[int, dt.datetime]:
        rng = self.rng
        accept = DAYS[code]
        while rng.random() > accept[dt.date.fromordinal(day).weekday()]:
            day += 1
        local = dt.date.fromordinal(day)
        hour = self.hours[code](rng)
        at = dt.datetime(
            local.year,
            local.month,
            local.day,
            hour,
            rng.randrange(60),
            rng.randrange(60),
            tzinfo=ZONE,
        )
        return day, at.astimezone(UTC)

    # -- people

    def _name(self, locale: str, sex: str) -> tuple[str, str, str]:
        rng = self.rng
        pool_sex = sex if sex in ("female", "male") else rng.choice(("female", "male"))
        firsts = self.names[(locale, pool_sex)]
        first = rng.choice(firsts)
        middle = rng.choice(firsts) if rng.random() < 0.45 else ""
        last = rng.choice(self.names[(locale, "last")])
        if locale == "mx" and rng.random() < 0.15:
            last = f"{last} {rng.choice(self.names[(locale, 'last')])}"
        return first, middle, last

    def people(self, target: int) -> Iterator[Batch]:
        """Yield batches until `target` encounters are generated (each ≈ batch_size)."""
        made = 0
        index = 0
        batch = Batch(self.tables)
        while made < target:
            made += self._person(index, target - made, batch)
            index += 1
            if batch.encounters >= self.batch_size:
                yield batch
                batch = Batch(self.tables)
        if batch.encounters:
            yield batch

    def _person(self, index: int, room: int, batch: Batch) -> int:
        """One person and all their contacts (at most `room`); returns the contacts made."""
        rng = self.rng
        seed = self.seed
        county = self.county
        profile_name, profile_need, pathway_choice = self.profiles(rng)

        # demographics
        r = rng.random()
        if profile_name == "sex_work":
            sex = "female" if r < 0.8 else "male"
        else:
            sex = "male" if r < 0.66 else "female" if r < 0.99 else "x" if r < 0.995 else "unknown"
        ethnicity, races = self.demographics(rng)
        locale = "mx" if ethnicity == "hispanic" else "us"
        spanish = locale == "mx" and rng.random() < 0.5
        first, middle, last = self._name(locale, sex)
        suffix = "Jr." if sex == "male" and rng.random() < 0.02 else ""
        if rng.random() < 0.09:  # not asked yet
            races_out: list[str] = []
            ethnicity_out, self_reported = "unknown", False
        else:
            races_out, ethnicity_out, self_reported = sorted(races), ethnicity, True
        low, high = self.ages(rng)
        age = rng.randint(low, high)
        homeless = profile_name == "housing" or rng.random() < 0.08
        if homeless and rng.random() < 0.6:
            postal_code = ""
        else:
            postal_code = rng.choice(self.towns(rng).postal_codes)

        # contacts: the first anywhere in the window, repeats after relapse-like gaps
        wanted = min(self.contacts(rng), room)
        person_id = uid(seed, "person", index)
        # a few people are recorded twice (a later responder did not find them and keyed
        # them again, with a nickname, a typo or a swapped birth day): their own random
        # stream, so the rest of the county does not change
        again = random.Random(f"{seed}-again-{index}")
        split = again.randint(1, wanted - 1) if wanted >= 2 else 0
        if again.random() >= RECORDED_TWICE_SHARE:
            split = 0
        again_id = uid(seed, "person-again", index)
        day = self._first_day()
        encounters: list[dict[str, Any]] = []
        le_agency: uuid.UUID | None = None
        ems_agency: uuid.UUID | None = None
        arrested = housing_need = False
        for n in range(wanted):
            if n:
                day += max(1, int(_lognormal(rng, 40, 0.9)))
                if day > self.end_day:
                    break
            code = pathway_choice(rng)
            pathway = county.pathways[code]
            day, occurred_at = self._moment(day, code)
            if occurred_at > county.end:
                if n:
                    break
                occurred_at = county.end - dt.timedelta(minutes=rng.randint(5, 600))
            agency = self.agency_for[code](rng)
            responder = self.responders[(code, agency.id)](rng)
            encounter, needs = self._encounter(
                uid(seed, "encounter", index, n),
                again_id if split and n >= split else person_id,
                pathway,
                agency,
                responder,
                occurred_at,
                profile_need,
            )
            if (
                code == P.OFFICER_INTERVENTION
                and ethnicity == "not_hispanic"
                and "black" in races
                and encounter["disposition"] == "referred"
                and rng.random() < PLANTED_ARREST_SHARE
            ):
                encounter["disposition"] = "arrested"
            encounters.append(encounter)
            kind = agency.spec.kind
            if kind == "law_enforcement" and le_agency is None:
                le_agency = agency.id
            if kind in ("fire", "ems") and ems_agency is None:
                ems_agency = agency.id
            arrested = arrested or encounter["disposition"] == "arrested"
            housing_need = housing_need or "housing" in needs
            if encounter["disposition"] == "referred":
                self._referrals(encounter, needs, pathway, spanish, batch)

        first_at = encounters[0]["created_at"]
        dob = None
        if rng.random() > 0.03:
            first_local = encounters[0]["occurred_at"].astimezone(ZONE).date()
            dob = first_local - dt.timedelta(days=int(age * 365.25) + rng.randrange(365))
        batch.add(
            "people",
            id=person_id,
            first_name=first,
            middle_name=middle,
            last_name=last,
            suffix=suffix,
            date_of_birth=dob,
            sex=sex,
            races=races_out,
            ethnicity=ethnicity_out,
            demographics_self_reported=self_reported,
            postal_code=postal_code,
            first_name_key=name_key(first),
            last_name_key=name_key(last),
            last_name_sound=name_sound(last),
            created_by_agency_id=encounters[0]["agency_id"],
            created_at=first_at,
            updated_at=first_at,
        )
        later = [e for e in encounters if e["person_id"] == again_id]
        if later:
            again_first, again_last, again_dob = _keyed_again(again, first, last, dob)
            batch.add(
                "people",
                id=again_id,
                first_name=again_first,
                middle_name="",
                last_name=again_last,
                date_of_birth=again_dob,
                sex=sex,
                races=races_out,
                ethnicity=ethnicity_out,
                demographics_self_reported=self_reported,
                postal_code=postal_code,
                first_name_key=name_key(again_first),
                last_name_key=name_key(again_last),
                last_name_sound=name_sound(again_last),
                created_by_agency_id=later[0]["agency_id"],
                created_at=later[0]["created_at"],
                updated_at=later[0]["created_at"],
            )
        if rng.random() < 0.09:
            self._alias(index, person_id, sex, locale, first, last, first_at, batch)
        self._identifiers(
            index, person_id, first_at, le_agency, ems_agency, arrested, housing_need, batch
        )
        for encounter in encounters:
            batch.add("encounters", **encounter)
        for encounter in encounters:
            self._pathway_details(encounter, batch)
        return len(encounters)

    # -- what each pathway records besides the contact (see pathways/workflow)

    def _pathway_details(self, encounter: dict[str, Any], batch: Batch) -> None:
        rng = self.rng
        pathway = self.pathway_by_id[encounter["pathway_id"]]
        at: dt.datetime = encounter["occurred_at"]
        entered = encounter["created_at"]
        common = {"created_at": entered, "updated_at": entered}
        code = pathway.code
        if code == "naloxone_plus":
            given = rng.random() < 0.92
            transported = rng.random() < 0.55
            batch.add(
                "overdoses",
                id=uid(self.seed, "overdose", encounter["id"]),
                program_id=encounter["program_id"],
                person_id=encounter["person_id"],
                encounter_id=encounter["id"],
                reporting_agency_id=encounter["agency_id"],
                recorded_by_id=encounter["responder_id"],
                occurred_at=at,
                location_text=encounter["location_text"],
                area=encounter["area"],
                naloxone_given=given,
                naloxone_doses=rng.choice((1, 1, 2, 2, 3)) if given else None,
                administered_by=rng.choice(ADMINISTERED_BY) if given else "none",
                fatal=False,  # the people of the demo live on to later contacts
                transported=transported,
                destination=rng.choice(HOSPITALS) if transported else "",
                source="field",
                **common,
            )
        elif code == "self_referral" and rng.random() < 0.6:
            kinds = rng.sample(SURRENDERED_KINDS, rng.choice((1, 1, 2)))
            disposed = rng.random() < 0.9
            for kind in kinds:
                batch.add(
                    "surrendered",
                    id=uid(self.seed, "surrendered", encounter["id"], kind),
                    encounter_id=encounter["id"],
                    kind=kind,
                    quantity="",
                    disposal_method="Drug drop box at the station" if disposed else "",
                    disposed_at=at if disposed else None,
                    disposed_by_id=encounter["responder_id"] if disposed else None,
                    **common,
                )
        elif code == "community_response":
            batch.add(
                "crises",
                id=uid(self.seed, "crisis", encounter["id"]),
                encounter_id=encounter["id"],
                team_members=rng.choice(CRISIS_TEAMS),
                arrived_at=at + dt.timedelta(minutes=rng.randint(8, 35)),
                outcome=rng.choice(CRISIS_OUTCOMES),
                **common,
            )
        self._deadline(encounter, pathway, batch)

    def _deadline(self, encounter: dict[str, Any], pathway: PathwayInfo, batch: Batch) -> None:
        """The follow-up the contact opened (the catalog's contact_deadline, as
        workflow.deadlines_open): open when it is still running at the end of the county's time,
        else done (most on time, some late)."""
        spec = contact_deadline(pathway.code)
        if spec is None or spec[1] not in pathway.deadlines:
            return
        if spec[0] == WorkKind.PLACEMENT and encounter["disposition"] not in PLACEMENT_DISPOSITIONS:
            return
        rng = self.rng
        kind, deadline, title = spec
        hours = pathway.deadlines[deadline]
        at: dt.datetime = encounter["occurred_at"]
        due = at + dt.timedelta(hours=hours)
        local = at.astimezone(ZONE)
        done_after = dt.timedelta(hours=hours * rng.uniform(0.15, 1.4))
        end = self.county.end
        completed = at + done_after if at + done_after <= end - dt.timedelta(hours=6) else None
        batch.add(
            "work_items",
            id=uid(self.seed, "work_item", encounter["id"]),
            program_id=encounter["program_id"],
            team_id=pathway.followup_team_id or encounter["agency_id"],
            kind=kind,
            title=title.format(date=f"{local:%b} {local.day}"),
            person_id=encounter["person_id"],
            encounter_id=encounter["id"],
            due_at=due,
            completed_at=completed,
            completed_by_id=encounter["responder_id"] if completed else None,
            outcome_note="Done" if completed else "",
            created_at=encounter["created_at"],
            updated_at=completed or encounter["created_at"],
        )

    def _alias(
        self,
        index: int,
        person_id: uuid.UUID,
        sex: str,
        locale: str,
        first: str,
        last: str,
        at: dt.datetime,
        batch: Batch,
    ) -> None:
        rng = self.rng
        r = rng.random()
        alias_first, alias_last = "", ""
        if r < 0.4:
            kind, alias_first = "street", rng.choice(STREET_NAMES)
        elif r < 0.8 or sex != "female":
            kind = "aka"
            if rng.random() < 0.5 and len(last) > 4:  # a keying slip: one letter dropped
                cut = rng.randrange(1, len(last) - 1)
                alias_first, alias_last = first, last[:cut] + last[cut + 1 :]
            else:
                pool = self.names[(locale, "female" if sex == "female" else "male")]
                alias_first, alias_last = rng.choice(pool), last
        else:
            kind, alias_first = "previous", first
            alias_last = rng.choice(self.names[(locale, "last")])
        batch.add(
            "aliases",
            id=uid(self.seed, "alias", index),
            person_id=person_id,
            kind=kind,
            first_name=alias_first,
            last_name=alias_last,
            first_name_key=name_key(alias_first),
            last_name_key=name_key(alias_last),
            last_name_sound=name_sound(alias_last),
            created_at=at,
            updated_at=at,
        )

    def _identifiers(
        self,
        index: int,
        person_id: uuid.UUID,
        at: dt.datetime,
        le_agency: uuid.UUID | None,
        ems_agency: uuid.UUID | None,
        arrested: bool,
        housing_need: bool,
        batch: Batch,
    ) -> None:
        rng = self.rng
        # a bijection of the index (7919 is prime to 10^7): unique numbers that look random
        number = (index * 7919 + 1_234_567) % 10_000_000
        year = at.astimezone(ZONE).year % 100
        wanted: list[tuple[str, uuid.UUID | None, str]] = []
        if le_agency is not None and rng.random() < 0.65:
            short = self.short_names[le_agency]
            wanted.append(("rms", le_agency, f"{short}{year:02d}-{number:07d}"))
        if arrested:
            wanted.append(("booking", self.county.agencies["rcso"].id, f"B{year:02d}{number:07d}"))
        if ems_agency is not None and rng.random() < 0.6:
            wanted.append(("ems", ems_agency, f"PCR-20{year:02d}-{number:07d}"))
        if housing_need and rng.random() < 0.55:
            wanted.append(("hmis", None, f"{(number * 3 + 17) % 100_000_000:08d}"))
        for system, agency_id, value in wanted:
            batch.add(
                "identifiers",
                id=uid(self.seed, "identifier", index, system),
                person_id=person_id,
                system=system,
                assigning_agency_id=agency_id,
                value=value,
                created_at=at,
                updated_at=at,
            )

    # -- encounters

    def _encounter(
        self,
        encounter_id: uuid.UUID,
        person_id: uuid.UUID,
        pathway: PathwayInfo,
        agency: AgencyInfo,
        responder: uuid.UUID,
        occurred_at: dt.datetime,
        profile_need: str,
    ) -> tuple[dict[str, Any], list[str]]:
        rng = self.rng
        code = pathway.code
        call_source = self.call_sources[code](rng)
        # needs: from the pathway's typical needs, the person's own need first when it fits
        typical = pathway.needs
        if profile_need in typical:
            primary = profile_need
        elif rng.random() < 0.6 or len(typical) == 1:
            primary = typical[0]
        else:
            primary = rng.choice(typical[1:])
        needs = [primary] + [n for n in typical if n != primary and rng.random() < 0.2]
        disposition = self.dispositions[code](rng)
        town = agency.towns(rng)
        spec = agency.spec
        if call_source == "walk_in" and spec.station:
            location_text = spec.station
        elif rng.random() < 0.35:
            location_text = rng.choice(town.landmarks)
        else:
            location_text = f"{rng.randint(1, 45) * 100} block of {rng.choice(town.streets)}"
        area = rng.choice(spec.beats) if spec.beats else rng.choice(town.postal_codes)
        has_point = rng.random() < 0.9
        notes = rng.choice(ENCOUNTER_NOTES[code]) if rng.random() < 0.2 else ""
        entered = min(occurred_at + dt.timedelta(minutes=rng.randint(3, 90)), self.county.end)
        encounter = {
            "id": encounter_id,
            "program_id": self.county.program.pk,
            "pathway_id": pathway.id,
            "config_id": pathway.config_id,
            "person_id": person_id,
            "agency_id": agency.id,
            "responder_id": responder,
            "occurred_at": occurred_at,
            "location_text": location_text,
            "area": area,
            "latitude": _coord(town.latitude + rng.gauss(0, 0.012)) if has_point else None,
            "longitude": _coord(town.longitude + rng.gauss(0, 0.016)) if has_point else None,
            "call_source": call_source,
            "presenting_needs": sorted(needs),
            "disposition": disposition,
            "notes": notes,
            "created_at": entered,
            "updated_at": entered,
        }
        return encounter, needs

    # -- referrals and their closed loop

    def _referrals(
        self,
        encounter: dict[str, Any],
        needs: list[str],
        pathway: PathwayInfo,
        spanish: bool,
        batch: Batch,
    ) -> None:
        rng = self.rng
        chosen: list[ServiceInfo] = []
        for n, need in enumerate(needs[:2]):
            if n and rng.random() > 0.3:
                break
            pick = self.services_for.get((need, spanish))
            if pick is None:
                continue
            service = pick(rng)
            if all(s.agency_id != service.agency_id for s in chosen):
                chosen.append(service)
        if not chosen:  # no service answers the needs: housing / case management
            chosen.append(self.services_for[("housing", spanish)](rng))
        warm = rng.random() < WARM_HANDOFF[pathway.code]
        for n, service in enumerate(chosen):
            self._referral(encounter, service, warm and n == 0, n, batch)

    def _referral(
        self, encounter: dict[str, Any], service: ServiceInfo, warm: bool, n: int, batch: Batch
    ) -> None:
        rng = self.rng
        end = self.county.end
        sent_at = min(encounter["created_at"] + dt.timedelta(seconds=30 * n), end)
        zero = service.capacity_open == 0
        override = ""
        if (zero and sent_at > end - dt.timedelta(days=14)) or rng.random() < 0.03:
            override = rng.choice(OVERRIDE_NOTES)
        referral_id = uid(self.seed, "referral", encounter["id"], n)
        history = _walk(
            rng,
            sent_at=sent_at,
            end=end,
            flow=FLOWS[service.service_type],
            warm=warm,
            short=zero or service.service_type in ("residential", "housing"),
            responder=encounter["responder_id"],
            intake_user=service.intake_user,
            followup_user=service.followup_user,
            decline_reasons=self.decline_reasons,
        )
        last = history[-1]
        intake_at = None  # as referral_record_intake does: the engaged row's scheduled_for
        for row in history:
            if row[1] == "engaged":
                intake_at = row[6]
        batch.add(
            "referrals",
            id=referral_id,
            encounter_id=encounter["id"],
            person_id=encounter["person_id"],
            service_id=service.id,
            referring_agency_id=encounter["agency_id"],
            receiving_agency_id=service.agency_id,
            warm_handoff=warm,
            handoff_note=rng.choice(HANDOFF_NOTES) if warm and rng.random() < 0.5 else "",
            capacity_override_reason=override,
            status=last[1],
            status_changed_at=last[2],
            intake_at=intake_at,
            created_at=sent_at,
            updated_at=last[2],
        )
        for from_status, to_status, at, by, reason, note, scheduled in history:
            batch.add(
                "status_changes",
                referral_id=referral_id,
                from_status=from_status,
                to_status=to_status,
                changed_at=at,
                changed_by_id=by,
                decline_reason=reason,
                note=note,
                scheduled_for=scheduled,
            )


#: (from, to, at, by, decline reason, note, scheduled_for)
Row = tuple[str, str, dt.datetime, uuid.UUID, str, str, dt.datetime | None]


def _walk(
    rng: random.Random,
    *,
    sent_at: dt.datetime,
    end: dt.datetime,
    flow: Flow,
    warm: bool,
    short: bool,
    responder: uuid.UUID,
    intake_user: uuid.UUID,
    followup_user: uuid.UUID,
    decline_reasons: Choice[str],
) -> list[Row]:
    """A referral's status history, walking TRANSITIONS with realistic timings and drop-off.
    The walk stops at `end`: referrals sent recently are still open."""
    rows: list[Row] = [("", "sent", sent_at, responder, "", "", None)]
    hours = dt.timedelta(hours=1)
    days = dt.timedelta(days=1)

    def step(
        to: str,
        at: dt.datetime,
        by: uuid.UUID,
        reason: str = "",
        note: str = "",
        scheduled: dt.datetime | None = None,
    ) -> bool:
        if at > end:
            return False
        rows.append((rows[-1][1], to, at, by, reason, note, scheduled))
        return True

    def decline(at: dt.datetime) -> None:
        reason = decline_reasons(rng)
        if short and reason != "no_capacity" and rng.random() < 0.4:
            reason = "no_capacity"
        note = rng.choice(DECLINE_OTHER_NOTES) if reason == "other" else ""
        step("declined", at, intake_user, reason, note)

    t = sent_at
    stall = rng.random() < 0.02  # the loop is never closed: nobody updates the referral
    # sent -> received | accepted | declined
    r = rng.random()
    if warm and r < 0.3:
        t += hours * _lognormal(rng, 0.3, 0.6)
        if not step("accepted", t, intake_user):
            return rows
    elif r < 0.05 + (0.08 if short else 0):
        decline(t + hours * _lognormal(rng, 6, 0.8))
        return rows
    else:
        t += hours * _lognormal(rng, 0.3 if warm else 5, 0.9)
        if stall or not step("received", t, intake_user):
            return rows
        t += hours * _lognormal(rng, 8, 0.9)
        if rng.random() > 0.86 + (0.05 if warm else 0) - (0.15 if short else 0):
            decline(t)
            return rows
        if not step("accepted", t, intake_user):
            return rows
    # accepted -> engaged (seen at once) | intake_scheduled | disengaged (never reached)
    r = rng.random()
    intake_at: dt.datetime
    if r < flow.walk_in:
        intake_at = t + hours * _lognormal(rng, 3, 0.7)
        if not step(
            "engaged", intake_at + hours * rng.uniform(0.1, 2), followup_user, scheduled=intake_at
        ):
            return rows
    elif r < flow.walk_in + 0.1 * (1 - flow.walk_in):
        step(
            "disengaged",
            t + days * rng.uniform(7, 21),
            followup_user,
            note="Could not reach the person after three attempts.",
        )
        return rows
    else:
        booked = t + hours * _lognormal(rng, 2, 0.8)
        appointment = booked + days * _lognormal(rng, max(flow.intake_days, 0.5), 0.7)
        if not step("intake_scheduled", booked, intake_user, scheduled=appointment):
            return rows
        for attempt in range(3):
            show = 0.68 + (0.08 if warm else 0) - 0.05 * attempt
            r = rng.random()
            if r < show:
                intake_at = appointment
                if not step(
                    "engaged",
                    appointment + hours * rng.uniform(0.5, 6),
                    followup_user,
                    scheduled=appointment,
                ):
                    return rows
                break
            if r < show + 0.12 and attempt < 2:
                booked = appointment + hours * rng.uniform(2, 30)
                appointment = booked + days * (1 + _lognormal(rng, flow.intake_days, 0.6))
                if not step(
                    "intake_scheduled",
                    booked,
                    intake_user,
                    note="Rescheduled.",
                    scheduled=appointment,
                ):
                    return rows
                continue
            step(
                "disengaged",
                appointment + days * rng.uniform(3, 10),
                followup_user,
                note="Missed intake; could not re-engage.",
            )
            return rows
    # engaged -> completed | disengaged
    length = days * _lognormal(rng, flow.duration_days, 0.5)
    if rng.random() < flow.completion + (0.05 if warm else 0):
        step("completed", intake_at + length, followup_user)
    else:
        step(
            "disengaged",
            intake_at + length * rng.uniform(0.1, 0.8),
            followup_user,
            note="Stopped attending.",
        )
    return rows


# --- the load ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class LoadResult:
    program: Program
    counts: dict[str, int]
    seconds: float

    @property
    def rows(self) -> int:
        return sum(self.counts.values())

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds else 0.0


def window(end_date: dt.date | None) -> tuple[dt.datetime, dt.datetime]:
    """The 18 months ending at the end of `end_date` (local time), or now when None."""
    if end_date is None:
        end = clock.now().astimezone(UTC)
    else:
        end = dt.datetime.combine(end_date, dt.time(23, 59, 59), tzinfo=ZONE).astimezone(UTC)
    return end - dt.timedelta(days=WINDOW_DAYS), end


@contextlib.contextmanager
def _bulk_session() -> Iterator[None]:
    """Settings for a long bulk load, restored afterwards. With DEBUG on, Django keeps every
    query's SQL (gigabytes at a million rows); SQLite's default 2 MB page cache makes index
    upkeep on random UUID keys slow, so the load uses a bounded 64 MB cache."""
    debug = settings.DEBUG
    settings.DEBUG = False
    cache_size = None
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cache_size = cursor.execute("PRAGMA cache_size").fetchone()[0]
            cursor.execute(f"PRAGMA cache_size = {-SQLITE_CACHE_KIB}")
    try:
        yield
    finally:
        settings.DEBUG = debug
        if cache_size is not None:
            with connection.cursor() as cursor:
                cursor.execute(f"PRAGMA cache_size = {int(cache_size)}")


def load_demo(
    *,
    encounters: int = DEFAULT_ENCOUNTERS,
    seed: int = DEFAULT_SEED,
    end_date: dt.date | None = None,
    quiet: bool = True,
    batch_size: int = BATCH_SIZE,
    progress_file: TextIO | None = None,
) -> LoadResult:
    """Create the synthetic county and stream `encounters` contacts into the database."""
    if encounters < 1:
        raise ValueError("encounters must be at least 1")
    if demo_program() is not None:
        raise DemoAlreadyLoaded(cast.PROGRAM_NAME)
    taken = sorted(
        User.objects.filter(username__in=[u.username for u in cast.all_users()]).values_list(
            "username", flat=True
        )
    )
    if taken:
        raise ValueError(f"These demo usernames are already taken: {', '.join(taken)}")
    started = time.perf_counter()
    start, end = window(end_date)
    out = progress_file or sys.stderr
    with _bulk_session():
        with transaction.atomic():
            county = _create_county(start=start, end=end)
        stream = Stream(county, seed=seed, batch_size=batch_size)
        counts = dict(county.counts)
        disable = quiet or not (hasattr(out, "isatty") and out.isatty())
        with tqdm(
            total=encounters, unit="enc", file=out, disable=disable, desc="Riverbend County"
        ) as bar:
            for batch in stream.people(encounters):
                for name, n in batch.write().items():
                    counts[name] = counts.get(name, 0) + n
                bar.update(batch.encounters)
                reset_queries()
        counts.update(_seed_casework(county, seed=seed))
        counts["arrest_records"] = seed_arrests(county, seed=seed)
        seconds = time.perf_counter() - started
        with transaction.atomic():
            audit_log(
                actor=None,
                event_type="demo.load",
                obj=county.program,
                changes={
                    **{name: [None, n] for name, n in counts.items()},
                    "seed": [None, seed],
                    "end": [None, end.isoformat()],
                },
            )
    return LoadResult(county.program, counts, seconds)


# --- casework made through the services (small: the latest weeks) ----------------------------

CASE_OFFENCES = ("drug_possession", "drug_possession", "prostitution", "theft", "trespass")
DEMO_CASES = 40
DEMO_OUTREACH = 12


def _seed_casework(county: County, *, seed: int) -> dict[str, int]:
    """Diversion cases for the latest held charges and an outreach list of people with repeat
    overdoses, made through the same services staff use, at the county's end time."""
    from django.db.models import Count

    rng = random.Random(seed * 7919 + 1)
    program = county.program
    cases = entries = 0
    prosecutor = (
        User.objects.filter(memberships__role="prosecutor", memberships__agency__program=program)
        .order_by("username")
        .first()
    )
    since = county.end - dt.timedelta(days=60)
    held = (
        Encounter.objects.filter(
            program=program,
            pathway__code="officer_intervention",
            disposition="referred",
            config__isnull=False,
            occurred_at__gte=since,
        )
        .select_related("config")
        .prefetch_related("referrals__receiving_agency")
        .order_by("-occurred_at")[: DEMO_CASES * 2]
    )
    for encounter in held:
        if cases >= DEMO_CASES:
            break
        if Case.objects.filter(person_id=encounter.person_id).exists():
            continue
        referral = next(iter(encounter.referrals.all()), None)
        assert encounter.config is not None
        opened = encounter.occurred_at + dt.timedelta(minutes=rng.randint(20, 90))
        with clock.frozen(opened), transaction.atomic():
            case = case_open(
                actor=None,
                encounter=encounter,
                charges=[
                    ChargeInput(
                        mode=encounter.config.charges,
                        offence_type=rng.choice(CASE_OFFENCES),
                        offence_level="misdemeanour",
                    )
                ],
                case_agency=referral.receiving_agency if referral else None,
            )
        cases += 1
        decided = opened + dt.timedelta(days=rng.uniform(0.5, 6))
        # the newest case always waits for the prosecutor, so the review queue is never empty
        newest = cases == 1
        if prosecutor is None or case.status != "pending_review" or decided > county.end or newest:
            continue
        declined = rng.random() < 0.12
        with clock.frozen(decided), transaction.atomic():
            prosecutor_review_decide(
                actor=prosecutor,
                case=case,
                decision="declined" if declined else "accepted",
                reason="criminal_history" if declined else "",
                expected_status="pending_review",
            )
    with clock.frozen(county.end - dt.timedelta(days=14)), transaction.atomic():
        team = Agency.objects.get(pk=county.agencies["rrco"].id)
        outreach = outreach_list_create(
            actor=None,
            program=program,
            name="Repeat overdoses",
            team=team,
            description="People with two or more overdoses recorded, for peer outreach.",
        )
        repeat = list(
            OverdoseEvent.objects.filter(program=program, person__isnull=False)
            .values("person_id")
            .annotate(n=Count("id"))
            .filter(n__gte=2)
            .order_by("-n", "person_id")[:DEMO_OUTREACH]
        )
    for row in repeat:
        added = county.end - dt.timedelta(days=rng.uniform(0.2, 13))
        with clock.frozen(added), transaction.atomic():
            outreach_entry_add(
                actor=None,
                outreach_list=outreach,
                person=Person.objects.get(pk=row["person_id"]),
                reason="repeat_overdose",
            )
        entries += 1
    return {"cases": cases, "outreach_entries": entries, "consents": _seed_consents(county, rng)}


@functools.cache
def demo_signature() -> str:
    """A drawn signature stand-in for the demo's on-screen consents: a squiggle on a 600 by 180
    pad, as the signature pad draws it (the consent service decodes every capture)."""
    import base64
    import io

    from PIL import Image, ImageDraw

    pad = Image.new("RGBA", (600, 180), (255, 255, 255, 0))
    points = [(40 + i * 12, 110 - int(35 * math.sin(i / 2.2))) for i in range(42)]
    ImageDraw.Draw(pad).line(points, fill=(20, 20, 60, 255), width=4)
    out = io.BytesIO()
    pad.save(out, "PNG")
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode()


def _seed_consents(county: County, rng: random.Random) -> int:
    """Some people referred by the Riverbend police to Harbor signed a consent at intake for
    the police to learn whether they connected with treatment (42 CFR Part 2); the others'
    referrals show the police only "Sent"."""

    intake = (
        User.objects.filter(
            memberships__role="provider_intake", memberships__agency_id=county.agencies["harbor"].id
        )
        .order_by("username")
        .first()
    )
    if intake is None:
        return 0
    referrals = (
        Referral.objects.filter(
            referring_agency_id=county.agencies["rpd"].id,
            receiving_agency_id=county.agencies["harbor"].id,
        )
        .exclude(status__in=("sent", "received", "declined"))
        .select_related("person", "receiving_agency__program", "referring_agency")
        .order_by("-created_at")[:60]
    )
    made = 0
    seen: set[Any] = set()
    for referral in referrals:
        if referral.person_id in seen or rng.random() < 0.5:
            continue
        seen.add(referral.person_id)
        signed = referral.created_at + dt.timedelta(hours=rng.uniform(2, 30))
        if signed > county.end:
            continue
        local = signed.astimezone(ZONE).date()
        with clock.frozen(signed):
            consent_record(
                actor=intake,
                person=referral.person,
                kind="general",
                disclosing_agency=referral.receiving_agency,
                categories=["referral_status"] + (["attendance"] if rng.random() < 0.4 else []),
                recipient_agency=referral.referring_agency,
                recipient_roles=["officer", "supervisor"],
                intermediary=f"Pathways, the information system of {county.program.name}",
                purpose="So the officer who referred the person knows whether they connected "
                "with treatment.",
                revocation_statement="You may revoke this consent at any time, except for what "
                "has already been shared, by telling Harbor's staff.",
                expires_on=local + dt.timedelta(days=365),
                signature_method="on_screen",
                signed_by=f"{referral.person.first_name} {referral.person.last_name}",
                signed_on=local,
                signature_image=demo_signature(),
            )
        made += 1
        if made >= 15:
            break
    return made


# --- a digest of the generated rows (the determinism test and `demo_load -v 2`) ---------------


def demo_digest(program: Program) -> str:
    """SHA-256 over the key columns of everything the stream generated, in a stable order.
    Database-assigned values (the program's and pathways' uuid4 ids, history row numbers) are
    left out; the pathway is identified by its code."""
    digest = hashlib.sha256()
    queries: list[tuple[models.QuerySet[Any], tuple[str, ...], tuple[str, ...]]] = [
        (
            Person.objects.filter(created_by_agency__program=program),
            (
                "id",
                "first_name",
                "middle_name",
                "last_name",
                "date_of_birth",
                "sex",
                "races",
                "ethnicity",
                "postal_code",
                "last_name_sound",
                "created_at",
            ),
            ("id",),
        ),
        (
            PersonAlias.objects.filter(person__created_by_agency__program=program),
            ("id", "person_id", "kind", "first_name", "last_name"),
            ("id",),
        ),
        (
            ExternalIdentifier.objects.filter(person__created_by_agency__program=program),
            ("id", "person_id", "system", "assigning_agency_id", "value"),
            ("id",),
        ),
        (
            Encounter.objects.filter(program=program),
            (
                "id",
                "person_id",
                "agency_id",
                "responder_id",
                "pathway__code",
                "occurred_at",
                "call_source",
                "presenting_needs",
                "disposition",
                "area",
                "location_text",
                "latitude",
                "longitude",
            ),
            ("id",),
        ),
        (
            Referral.objects.filter(encounter__program=program),
            (
                "id",
                "encounter_id",
                "service_id",
                "warm_handoff",
                "status",
                "status_changed_at",
                "intake_at",
                "capacity_override_reason",
            ),
            ("id",),
        ),
        (
            OverdoseEvent.objects.filter(program=program),
            ("id", "encounter_id", "naloxone_given", "naloxone_doses", "transported"),
            ("id",),
        ),
        (
            # services made some (cases, outreach) with uuid4 ids: keyed by what they are about
            WorkItem.objects.filter(program=program),
            ("encounter_id", "person_id", "kind", "title", "due_at", "completed_at"),
            ("encounter_id", "person_id", "kind", "due_at"),
        ),
        (
            CrisisResponse.objects.filter(encounter__program=program),
            ("id", "encounter_id", "team_members", "outcome"),
            ("id",),
        ),
        (
            ReferralStatusChange.objects.filter(referral__encounter__program=program),
            (
                "referral_id",
                "from_status",
                "to_status",
                "changed_at",
                "changed_by_id",
                "decline_reason",
                "scheduled_for",
            ),
            ("referral_id", "changed_at", "id"),
        ),
        (
            # imported through the service (uuid4 ids): keyed by the record's number
            ArrestRecord.objects.filter(program=program),
            ("record_number", *ARREST_FIELDS, "person_id"),
            ("record_number",),
        ),
    ]
    for queryset, columns, order in queries:
        for row in queryset.order_by(*order).values_list(*columns).iterator(chunk_size=5000):
            digest.update(repr(row).encode())
    return digest.hexdigest()
