"""The synthetic county as data: Riverbend County's program, agencies, services and demo logins.

Everything here is fictional. Phone numbers use the 555-01xx range reserved for fiction; e-mail
and web addresses use the reserved `.example` domain. The cast does not depend on the generator's
seed, so the demo logins are the same on every machine.
"""

from __future__ import annotations

import functools
import random
from dataclasses import dataclass

from faker import Faker

PROGRAM_NAME = "Riverbend County Deflection Program"
JURISDICTION = "Riverbend County"
TIME_ZONE = "America/Chicago"
STATE = "IL"
PROGRAM_DESCRIPTION = (
    "A county-wide deflection and pre-arrest diversion program: police, fire, EMS and a "
    "community response team connect people to treatment, recovery support, housing and "
    "services instead of jail or the emergency room. (Synthetic demo data.)"
)
DEMO_PASSWORD = "pathways-demo"  # noqa: S105 - the published password of the fictional cast
LOGIN_URL = "http://127.0.0.1:8000/accounts/login/"


@dataclass(frozen=True)
class Town:
    name: str
    postal_codes: tuple[str, ...]
    latitude: float
    longitude: float
    weight: float  # share of the county's people and calls (relative)
    streets: tuple[str, ...]
    landmarks: tuple[str, ...]


# fmt: off
TOWNS: tuple[Town, ...] = (
    Town(
        "Riverbend", ("60460", "60461", "60462", "60463"), 41.6012, -88.0917, 52.0,
        streets=(
            "W Jefferson St", "E Cass St", "N Chicago St", "S Ottawa St", "Collins St",
            "Washington St", "Rowell Ave", "Broadway St", "Raynor Ave", "Larkin Ave",
            "Black Rd", "Ruby St", "Center St", "Rock Run Dr", "Mills Rd",
        ),
        landmarks=(
            "Riverbend Transit Center", "Riverfront Park", "Riverbend Public Library",
            "Gas station, Larkin Ave & Jefferson St", "Motel 8, Plainfield Rd",
            "Riverbend Regional Hospital ED", "Encampment under the Ruby St bridge",
            "Dollar store parking lot, Collins St", "Bicentennial Park", "Bus stop, Cass St",
        ),
    ),
    Town(
        "Millbrook", ("60465",), 41.6553, -88.1702, 16.0,
        streets=(
            "Main St", "Mill St", "Fox River Dr", "Hickory Ln", "Oak St", "Plainfield Rd",
            "Route 30", "Division St", "Wood St", "Lockport St",
        ),
        landmarks=(
            "Millbrook Metra station", "Millbrook Commons shopping center",
            "Fox River trailhead", "Truck stop, Route 30",
        ),
    ),
    Town(
        "Cedar Falls", ("60467",), 41.5397, -88.0118, 14.0,
        streets=(
            "Cedar Rd", "Falls Ave", "Laraway Rd", "Maple St", "Elm St", "Spencer Rd",
            "Schoolhouse Rd", "Francis Rd",
        ),
        landmarks=(
            "Cedar Falls Park", "Walmart parking lot, Laraway Rd", "Cedar Falls Plaza",
            "Riverside Apartments",
        ),
    ),
    Town(
        "Oak Hollow", ("60468",), 41.6921, -88.0326, 10.0,
        streets=("Hollow Rd", "Bell Rd", "Archer Ave", "Parker Rd", "159th St", "Gougar Rd"),
        landmarks=("Oak Hollow Forest Preserve", "Rest area, I-355", "Archer Ave strip mall"),
    ),
    Town(
        "Prairie View", ("60469",), 41.5188, -88.2033, 8.0,
        streets=("Prairie Rd", "County Line Rd", "Bluff Rd", "Ridge Rd", "Manhattan Rd"),
        landmarks=(
            "Prairie View grain elevator", "Campground, Bluff Rd", "Prairie View trailer park",
        ),
    ),
)
# fmt: on
TOWN_BY_NAME = {t.name: t for t in TOWNS}
ALL_TOWNS = tuple(t.name for t in TOWNS)


@dataclass(frozen=True)
class AgencySpec:
    key: str  # stable slug: the agency's deterministic id is derived from it
    name: str
    short_name: str
    kind: str
    phone: str
    description: str = ""
    towns: tuple[str, ...] = ()  # where its field staff work (empty: the whole county)
    weight: float = 1.0  # share of the field volume among agencies of its kind
    beats: tuple[str, ...] = ()  # police beats / districts; empty: encounters filed by ZIP
    station: str = ""  # where walk-ins come in (self-referral)

    @property
    def domain(self) -> str:
        return f"{self.key}.example"


def _beats(prefix: str, numbers: tuple[int, ...]) -> tuple[str, ...]:
    return tuple(f"{prefix} {n}" for n in numbers)


# fmt: off
AGENCIES: tuple[AgencySpec, ...] = (
    # --- law enforcement
    AgencySpec(
        "rpd", "Riverbend Police Department", "RPD", "law_enforcement", "(815) 555-0100",
        "Municipal police for the city of Riverbend; runs the station walk-in program.",
        towns=("Riverbend",), weight=6.0,
        beats=_beats("RPD Beat", (11, 12, 13, 21, 22, 23, 31, 32, 33, 34)),
        station="RPD headquarters, 150 W Jefferson St, Riverbend",
    ),
    AgencySpec(
        "rcso", "Riverbend County Sheriff's Office", "RCSO", "law_enforcement",
        "(815) 555-0110", "Patrols the unincorporated county and runs the county jail.",
        towns=("Oak Hollow", "Prairie View", "Riverbend"), weight=3.0,
        beats=_beats("RCSO District", (1, 2, 3, 4, 5)),
        station="Sheriff's Office, 14 W Jefferson St, Riverbend",
    ),
    AgencySpec(
        "mpd", "Millbrook Police Department", "MPD", "law_enforcement", "(815) 555-0120",
        towns=("Millbrook",), weight=1.6, beats=_beats("MPD Beat", (1, 2, 3, 4)),
        station="Millbrook Police, 24 W Main St, Millbrook",
    ),
    AgencySpec(
        "cfpd", "Cedar Falls Police Department", "CFPD", "law_enforcement", "(815) 555-0130",
        towns=("Cedar Falls",), weight=1.3, beats=_beats("CFPD Beat", (1, 2, 3)),
        station="Cedar Falls Police, 200 Falls Ave, Cedar Falls",
    ),
    # --- fire / EMS / community response
    AgencySpec(
        "rfd", "Riverbend Fire Department", "RFD", "fire", "(815) 555-0140",
        "Fire and paramedic service for Riverbend and Millbrook; Naloxone Plus partner.",
        towns=("Riverbend", "Millbrook"), station="RFD Station 1, 101 E Clinton St, Riverbend",
    ),
    AgencySpec(
        "rcems", "Riverbend County EMS", "RC EMS", "ems", "(815) 555-0150",
        "County ambulance service for the rest of the county.",
        towns=("Cedar Falls", "Oak Hollow", "Prairie View", "Riverbend"),
        station="EMS base, 2300 Laraway Rd, Cedar Falls",
    ),
    AgencySpec(
        "crt", "Riverbend Community Response Team", "CRT", "community_response",
        "(815) 555-0160",
        "Clinicians and peers dispatched by 911 and 988 to behavioral-health and "
        "quality-of-life calls.",
    ),
    # --- justice, program office, evaluation
    AgencySpec(
        "rcao", "Riverbend County Attorney's Office", "County Attorney", "prosecutor",
        "(815) 555-0170", "Reviews officer-intervention cases and held charges.",
    ),
    AgencySpec(
        "dpo", "Riverbend County Deflection Program Office", "Program Office",
        "program_office", "(815) 555-0180",
        "Coordinates the program, its partners and its reporting.",
    ),
    AgencySpec(
        "psu", "Prairie State University Center for Justice Research", "PSU CJR",
        "research_partner", "(815) 555-0190", "The program's independent evaluator.",
    ),
    # --- providers
    AgencySpec(
        "harbor", "Harbor Recovery Center", "Harbor", "treatment", "(815) 555-0101",
        "Withdrawal management, medication for opioid use disorder and outpatient treatment.",
        towns=("Riverbend",),
    ),
    AgencySpec(
        "rbh", "Riverbend Behavioral Health", "RBH", "treatment", "(815) 555-0102",
        "Community mental-health center with a 24/7 crisis stabilization unit.",
    ),
    AgencySpec(
        "newhorizons", "New Horizons Residential Treatment", "New Horizons", "treatment",
        "(815) 555-0103", "Residential substance use treatment for adults.",
    ),
    AgencySpec(
        "cfch", "Cedar Falls Community Health", "CF Community Health", "treatment",
        "(815) 555-0104", "Federally qualified health center: MOUD and counseling.",
    ),
    AgencySpec(
        "millbrookcounseling", "Millbrook Counseling Associates", "Millbrook Counseling",
        "treatment", "(815) 555-0105", "Bilingual outpatient counseling.",
    ),
    AgencySpec(
        "rrco", "Riverbend Recovery Community Organization", "RRCO", "recovery_support",
        "(815) 555-0106",
        "Peer recovery coaches; the program's outreach and Naloxone Plus peers.",
        towns=("Riverbend", "Millbrook", "Cedar Falls"),
    ),
    AgencySpec(
        "lighthouse", "Lighthouse Peer Recovery Network", "Lighthouse", "recovery_support",
        "(815) 555-0107", "Peer support and recovery case management.",
        towns=("Riverbend", "Cedar Falls"),
    ),
    AgencySpec(
        "shelter", "Riverside Emergency Shelter", "Riverside Shelter", "housing",
        "(815) 555-0108", "Low-barrier emergency shelter, open around the clock.",
    ),
    AgencySpec(
        "bridges", "Bridges Supportive Housing", "Bridges", "housing", "(815) 555-0109",
        "Rapid re-housing and permanent supportive housing with case management.",
    ),
    AgencySpec(
        "oakstreet", "Oak Street Women's Recovery Home", "Oak Street", "housing",
        "(815) 555-0111", "Recovery housing for women and mothers with children.",
    ),
    AgencySpec(
        "caa", "Riverbend County Community Action Agency", "Community Action",
        "social_services", "(815) 555-0112",
        "Food, benefits enrollment, utility help and case management.",
    ),
    AgencySpec(
        "stbrigid", "St. Brigid Community Services", "St. Brigid", "social_services",
        "(815) 555-0113", "Food pantry, clothing, IDs and benefits help.",
    ),
    AgencySpec(
        "lapuerta", "La Puerta Latino Services", "La Puerta", "social_services",
        "(815) 555-0114", "Bilingual case management and help with basic needs.",
    ),
)
# fmt: on
AGENCY_BY_KEY = {a.key: a for a in AGENCIES}
PROVIDER_AGENCY_KINDS = frozenset({"treatment", "recovery_support", "housing", "social_services"})


@dataclass(frozen=True)
class LocationSpec:
    key: str
    agency_key: str
    name: str
    address_1: str
    city: str
    postal_code: str
    latitude: float
    longitude: float


# fmt: off
LOCATIONS: tuple[LocationSpec, ...] = (
    LocationSpec("harbor-main", "harbor", "Harbor Recovery Center", "612 N Chicago St",
                 "Riverbend", "60461", 41.5342, -88.0812),
    LocationSpec("rbh-main", "rbh", "Riverbend Behavioral Health, Larkin campus",
                 "1940 Larkin Ave", "Riverbend", "60462", 41.5506, -88.1224),
    LocationSpec("rbh-csu", "rbh", "Riverbend Crisis Stabilization Unit", "330 Mills Rd",
                 "Riverbend", "60460", 41.6104, -88.0688),
    LocationSpec("newhorizons-main", "newhorizons", "New Horizons campus", "8800 Bell Rd",
                 "Oak Hollow", "60468", 41.7011, -88.0402),
    LocationSpec("cfch-main", "cfch", "Cedar Falls Community Health", "415 Laraway Rd",
                 "Cedar Falls", "60467", 41.5441, -88.0079),
    LocationSpec("millbrookcounseling-main", "millbrookcounseling",
                 "Millbrook Counseling Associates", "38 S Main St", "Millbrook", "60465",
                 41.6540, -88.1688),
    LocationSpec("rrco-main", "rrco", "RRCO Recovery Community Center", "227 Collins St",
                 "Riverbend", "60463", 41.5260, -88.0770),
    LocationSpec("lighthouse-main", "lighthouse", "Lighthouse drop-in center", "1105 Cedar Rd",
                 "Cedar Falls", "60467", 41.5362, -88.0203),
    LocationSpec("shelter-main", "shelter", "Riverside Emergency Shelter", "55 Ruby St",
                 "Riverbend", "60460", 41.6198, -88.0854),
    LocationSpec("bridges-main", "bridges", "Bridges Supportive Housing office",
                 "740 Washington St", "Riverbend", "60462", 41.5902, -88.0966),
    LocationSpec("oakstreet-main", "oakstreet", "Oak Street Recovery Home", "219 Oak St",
                 "Millbrook", "60465", 41.6581, -88.1749),
    LocationSpec("caa-main", "caa", "Community Action Agency", "1300 Rowell Ave",
                 "Riverbend", "60461", 41.5783, -88.1033),
    LocationSpec("stbrigid-main", "stbrigid", "St. Brigid Community Services",
                 "901 Broadway St", "Riverbend", "60463", 41.5671, -88.0911),
    LocationSpec("lapuerta-main", "lapuerta", "La Puerta Latino Services", "502 Center St",
                 "Riverbend", "60460", 41.6055, -88.0999),
    LocationSpec("lapuerta-cf", "lapuerta", "La Puerta, Cedar Falls office", "77 Elm St",
                 "Cedar Falls", "60467", 41.5388, -88.0151),
)
# fmt: on

WEEKDAYS = (0, 1, 2, 3, 4)
ALL_WEEK = (0, 1, 2, 3, 4, 5, 6)


@dataclass(frozen=True)
class HoursSpec:
    days: tuple[int, ...]  # 0 = Monday
    opens: str  # "HH:MM", local time
    closes: str


@dataclass(frozen=True)
class ServiceSpec:
    key: str
    agency_key: str
    name: str
    service_type: str
    description: str
    location_keys: tuple[str, ...]
    capacity_total: int
    capacity_open: int  # some are 0: the field form's "no open capacity" path
    languages: tuple[str, ...] = ("en",)
    populations: tuple[str, ...] = ("adults",)
    open_24_7: bool = False
    accepts_walk_ins: bool = False
    hours: tuple[HoursSpec, ...] = ()


_BUSINESS = (HoursSpec(WEEKDAYS, "08:00", "17:00"),)
_LONG_DAYS = (HoursSpec(WEEKDAYS, "07:00", "19:00"), HoursSpec((5,), "09:00", "13:00"))
_EN_ES = ("en", "es")

# fmt: off
SERVICES: tuple[ServiceSpec, ...] = (
    ServiceSpec("harbor-detox", "harbor", "Harbor Withdrawal Management", "detox",
                "Medically monitored withdrawal management, 3 to 7 days.", ("harbor-main",),
                16, 3, open_24_7=True, accepts_walk_ins=True),
    ServiceSpec("harbor-moud", "harbor", "Harbor MOUD Clinic", "moud",
                "Same-day buprenorphine or methadone induction; naltrexone.", ("harbor-main",),
                60, 9, languages=_EN_ES, accepts_walk_ins=True,
                hours=(HoursSpec(ALL_WEEK, "06:00", "14:00"),)),
    ServiceSpec("harbor-op", "harbor", "Harbor Intensive Outpatient", "outpatient",
                "Intensive outpatient and outpatient substance use treatment.",
                ("harbor-main",), 40, 6, hours=_LONG_DAYS),
    ServiceSpec("rbh-csu", "rbh", "Crisis Stabilization Unit", "mh_crisis",
                "Short-stay crisis stabilization; police and CRT drop-off, no wrong door.",
                ("rbh-csu",), 12, 2, languages=_EN_ES, open_24_7=True, accepts_walk_ins=True),
    ServiceSpec("rbh-counseling", "rbh", "RBH Counseling and Psychiatry", "mh_outpatient",
                "Counseling, psychiatry and medication management.", ("rbh-main",), 45, 4,
                languages=_EN_ES, hours=_LONG_DAYS),
    ServiceSpec("rbh-cod", "rbh", "RBH Co-occurring Disorders Program", "outpatient",
                "Outpatient treatment for co-occurring mental-health and substance use "
                "disorders.", ("rbh-main",), 20, 0, hours=_BUSINESS),
    ServiceSpec("newhorizons-res", "newhorizons", "New Horizons Residential", "residential",
                "Residential treatment, 28 to 90 days.", ("newhorizons-main",), 24, 0,
                populations=("adults", "men", "women"), open_24_7=True),
    ServiceSpec("newhorizons-detox", "newhorizons", "New Horizons Detox", "detox",
                "Social-model withdrawal management before residential admission.",
                ("newhorizons-main",), 8, 1, open_24_7=True),
    ServiceSpec("cfch-moud", "cfch", "CFCH Office-Based Opioid Treatment", "moud",
                "Buprenorphine in primary care.", ("cfch-main",), 35, 7, languages=_EN_ES,
                hours=_BUSINESS),
    ServiceSpec("cfch-bh", "cfch", "CFCH Behavioral Health", "mh_outpatient",
                "Integrated behavioral health in primary care.", ("cfch-main",), 25, 3,
                languages=_EN_ES, hours=_BUSINESS),
    ServiceSpec("mca-op", "millbrookcounseling", "Millbrook Outpatient Program", "outpatient",
                "Evening outpatient groups, English and Spanish.",
                ("millbrookcounseling-main",), 30, 5, languages=_EN_ES,
                hours=(HoursSpec(WEEKDAYS, "12:00", "21:00"),)),
    ServiceSpec("mca-mh", "millbrookcounseling", "Millbrook Counseling", "mh_outpatient",
                "Individual and family counseling.", ("millbrookcounseling-main",), 20, 2,
                languages=_EN_ES, hours=(HoursSpec(WEEKDAYS, "09:00", "19:00"),)),
    ServiceSpec("rrco-peer", "rrco", "RRCO Peer Recovery Coaching", "peer_support",
                "Peer recovery coaches with lived experience; they meet people where they are.",
                ("rrco-main",), 80, 22, languages=_EN_ES, accepts_walk_ins=True,
                hours=(HoursSpec(ALL_WEEK, "08:00", "20:00"),)),
    ServiceSpec("lighthouse-peer", "lighthouse", "Lighthouse Peer Support", "peer_support",
                "Peer support groups and one-to-one coaching.", ("lighthouse-main",), 40, 11,
                accepts_walk_ins=True, hours=(HoursSpec(WEEKDAYS, "09:00", "18:00"),)),
    ServiceSpec("lighthouse-cm", "lighthouse", "Lighthouse Recovery Case Management",
                "case_management", "Recovery case management and linkage.",
                ("lighthouse-main",), 25, 4, hours=_BUSINESS),
    ServiceSpec("shelter-beds", "shelter", "Riverside Emergency Beds", "housing",
                "Low-barrier emergency shelter beds.", ("shelter-main",), 60, 0,
                languages=_EN_ES, populations=("adults", "men", "women"), open_24_7=True,
                accepts_walk_ins=True),
    ServiceSpec("bridges-rrh", "bridges", "Bridges Rapid Re-Housing", "housing",
                "Rapid re-housing with rental help.", ("bridges-main",), 12, 0,
                hours=_BUSINESS),
    ServiceSpec("bridges-cm", "bridges", "Bridges Housing Case Management", "case_management",
                "Housing-focused case management.", ("bridges-main",), 30, 5,
                populations=("adults", "veterans"), hours=_BUSINESS),
    ServiceSpec("oakstreet-home", "oakstreet", "Oak Street Recovery Home", "housing",
                "Recovery housing for women; children welcome.", ("oakstreet-main",), 14, 2,
                populations=("women", "parents", "pregnant"), open_24_7=True),
    ServiceSpec("caa-basic", "caa", "Community Action Basic Needs", "basic_needs",
                "Food, SNAP and Medicaid enrollment, utility help.", ("caa-main",), 100, 38,
                languages=_EN_ES, accepts_walk_ins=True, hours=_BUSINESS),
    ServiceSpec("caa-cm", "caa", "Community Action Case Management", "case_management",
                "Case management for benefits, IDs and income.", ("caa-main",), 40, 7,
                hours=_BUSINESS),
    ServiceSpec("stbrigid-pantry", "stbrigid", "St. Brigid Food and Clothing", "basic_needs",
                "Food pantry, clothing closet, ID vouchers.", ("stbrigid-main",), 150, 64,
                accepts_walk_ins=True, hours=(HoursSpec((0, 2, 4, 5), "09:00", "15:00"),)),
    ServiceSpec("lapuerta-cm", "lapuerta", "La Puerta Case Management", "case_management",
                "Bilingual case management.", ("lapuerta-main", "lapuerta-cf"), 30, 6,
                languages=_EN_ES, hours=_BUSINESS),
    ServiceSpec("lapuerta-basic", "lapuerta", "La Puerta Basic Needs", "basic_needs",
                "Food, benefits and immigration-safe help.", ("lapuerta-main",), 50, 15,
                languages=_EN_ES, accepts_walk_ins=True, hours=_BUSINESS),
)
# fmt: on


@dataclass(frozen=True)
class UserSpec:
    username: str
    first_name: str
    last_name: str
    role: str
    agency_key: str
    is_staff: bool = False
    is_superuser: bool = False
    named: bool = False  # named cast members carry more field work, so their screens are full

    @property
    def email(self) -> str:
        return f"{self.username}@riverbend.example"


# fmt: off
NAMED_USERS: tuple[UserSpec, ...] = (
    UserSpec("officer.rivera", "Daniel", "Rivera", "officer", "rpd", named=True),
    UserSpec("sgt.okafor", "Grace", "Okafor", "supervisor", "rpd", named=True),
    UserSpec("deputy.hale", "Tom", "Hale", "officer", "rcso", named=True),
    UserSpec("medic.chen", "Lily", "Chen", "officer", "rfd", named=True),
    UserSpec("peer.morales", "Marisol", "Morales", "outreach", "rrco", named=True),
    UserSpec("intake.patel", "Priya", "Patel", "provider_intake", "harbor", named=True),
    UserSpec("cm.johnson", "Marcus", "Johnson", "case_manager", "harbor", named=True),
    UserSpec("ada.brooks", "Allison", "Brooks", "prosecutor", "rcao", named=True),
    UserSpec("coord.nguyen", "Linh", "Nguyen", "coordinator", "dpo", named=True),
    UserSpec("research.kim", "Jae", "Kim", "researcher", "psu", named=True),
    UserSpec("admin", "Avery", "Stone", "admin", "dpo", is_staff=True, is_superuser=True,
             named=True),
)

#: (agency key, role, username stem, how many) for the generated staff.
GENERATED_STAFF: tuple[tuple[str, str, str, int], ...] = (
    ("rpd", "officer", "officer", 10), ("rpd", "supervisor", "sgt", 1),
    ("rcso", "officer", "deputy", 6), ("rcso", "supervisor", "sgt", 1),
    ("mpd", "officer", "officer", 4), ("mpd", "supervisor", "sgt", 1),
    ("cfpd", "officer", "officer", 3),
    ("rfd", "officer", "medic", 5), ("rfd", "supervisor", "captain", 1),
    ("rcems", "officer", "medic", 4),
    ("crt", "outreach", "clinician", 5), ("crt", "supervisor", "lead", 1),
    ("rrco", "outreach", "peer", 2),
    ("lighthouse", "outreach", "peer", 2),
    ("harbor", "outreach", "outreach", 1),
    ("bridges", "case_manager", "cm", 1),
    ("caa", "case_manager", "cm", 1),
    ("rcao", "prosecutor", "ada", 1),
)
# fmt: on
_CAST_SEED = 20240601  # fixed: the demo logins never change with the data seed


@functools.cache
def generated_users() -> tuple[UserSpec, ...]:
    """Extra field staff for the police, fire, EMS and CRT agencies, and one intake worker for
    each provider other than Harbor. Usernames are `<agency>.<stem><nn>` and `intake.<agency>`."""
    fake = Faker("en_US")
    fake.seed_instance(_CAST_SEED)
    rng = random.Random(_CAST_SEED)

    def person(female_share: float) -> tuple[str, str]:
        female = rng.random() < female_share
        return (fake.first_name_female() if female else fake.first_name_male()), fake.last_name()

    users: list[UserSpec] = []
    for agency_key, role, stem, count in GENERATED_STAFF:
        for n in range(1, count + 1):
            first, last = person(0.45)
            users.append(UserSpec(f"{agency_key}.{stem}{n:02d}", first, last, role, agency_key))
    named_intake = {u.agency_key for u in NAMED_USERS if u.role == "provider_intake"}
    for agency in AGENCIES:
        if agency.kind in PROVIDER_AGENCY_KINDS and agency.key not in named_intake:
            first, last = person(0.6)
            users.append(
                UserSpec(f"intake.{agency.key}", first, last, "provider_intake", agency.key)
            )
    return tuple(users)


def all_users() -> list[UserSpec]:
    return [*NAMED_USERS, *generated_users()]
