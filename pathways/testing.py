"""The shared cast every test can use (house rule 11), and the fixtures of every test run.

Program "Test County" with two police agencies (A and B), two providers (P and Q), a
prosecutor's office, the program office and a research partner; one user per role.

A pytest plugin, not a conftest: the repository's root conftest.py loads it (`pytest_plugins`),
so the app tests under pathways/ and the integration tests under tests/ share one set of
fixtures. (A module pytest loads as a plugin must not also be a conftest.py, or pytest refuses
it as "already registered".) Test modules import `Cast` from here for their type hints."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client

from pathways.accounts.browser import launch_chromium
from pathways.accounts.factories import AgencyFactory, member
from pathways.accounts.models import Agency, User
from pathways.accounts.testing import verified_client
from pathways.directory.factories import ServiceFactory
from pathways.directory.models import Service, ServiceType
from pathways.programs.factories import ProgramFactory, enable_all_pathways
from pathways.programs.models import Program

# Playwright's sync API runs an event loop in the test thread; Django's ORM is still used
# synchronously there (to set up data and check results).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@dataclass
class Cast:
    program: Program
    police_a: Agency
    police_b: Agency
    provider_p: Agency
    provider_q: Agency
    officer_a: User
    supervisor_a: User
    officer_b: User
    intake_p: User
    case_manager_p: User
    intake_q: User
    prosecutor: User
    coordinator: User
    researcher: User
    detox_p: Service
    outpatient_p_full: Service
    crisis_q: Service

    def client_for(self, user: User) -> Client:
        """A client signed in as `user` who also passed the second step (a real authenticator
        app device, recorded in the session as django-otp does): two-step sign-in stays on."""
        return verified_client(user)


@pytest.fixture
def cast(db: Any) -> Cast:
    program = ProgramFactory.create()
    enable_all_pathways(program)
    police_a = AgencyFactory.create(
        program=program, name="Northside Police Department", kind="law_enforcement"
    )
    police_b = AgencyFactory.create(
        program=program, name="Southside Police Department", kind="law_enforcement"
    )
    provider_p = AgencyFactory.create(
        program=program, name="Harbor Test Recovery", kind="treatment"
    )
    provider_q = AgencyFactory.create(
        program=program, name="Lakeside Crisis Center", kind="treatment"
    )
    prosecutors = AgencyFactory.create(program=program, name="County Attorney", kind="prosecutor")
    office = AgencyFactory.create(program=program, name="Program Office", kind="program_office")
    research = AgencyFactory.create(
        program=program, name="State University", kind="research_partner"
    )
    return Cast(
        program=program,
        police_a=police_a,
        police_b=police_b,
        provider_p=provider_p,
        provider_q=provider_q,
        officer_a=member(police_a, "officer", "officer_a"),
        supervisor_a=member(police_a, "supervisor", "supervisor_a"),
        officer_b=member(police_b, "officer", "officer_b"),
        intake_p=member(provider_p, "provider_intake", "intake_p"),
        case_manager_p=member(provider_p, "case_manager", "case_manager_p"),
        intake_q=member(provider_q, "provider_intake", "intake_q"),
        prosecutor=member(prosecutors, "prosecutor", "prosecutor"),
        coordinator=member(office, "coordinator", "coordinator"),
        researcher=member(research, "researcher", "researcher"),
        detox_p=ServiceFactory.create(
            organization=provider_p,
            name="Harbor Detox",
            service_type=ServiceType.DETOX,
            capacity_total=10,
            capacity_open=3,
        ),
        outpatient_p_full=ServiceFactory.create(
            organization=provider_p,
            name="Harbor Outpatient",
            service_type=ServiceType.OUTPATIENT,
            capacity_total=20,
            capacity_open=0,
        ),
        crisis_q=ServiceFactory.create(
            organization=provider_q,
            name="Lakeside Crisis Stabilization",
            service_type=ServiceType.MH_CRISIS,
            capacity_total=8,
            capacity_open=2,
        ),
    )


@pytest.fixture(autouse=True)
def _own_analytics_extract(settings: Any, tmp_path: Any) -> None:
    """Each test gets its own reports extract, refreshed on every report request: the test
    database rolls back, so an extract kept between tests would hold rows that never were."""
    settings.PATHWAYS_ANALYTICS_DIR = str(tmp_path / "analytics")
    settings.PATHWAYS_ANALYTICS_MAX_AGE = 0
    settings.CACHES = {
        **settings.CACHES,
        "reports": {**settings.CACHES["reports"], "LOCATION": str(tmp_path / "report-cache")},
    }


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: Any) -> None:
    """Tests log in many users; the production hasher is deliberately slow."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(scope="session")
def _chromium() -> Iterator[Any]:
    """One headless Debian Chromium for every browser test of the run."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = launch_chromium(p)
        yield b
        b.close()


@pytest.fixture
def browser(_chromium: Any) -> Iterator[Any]:
    """The run's Chromium; the pages a test opened are closed after it. An open page keeps its
    connections to the live server alive, and each holds a server thread with its own database
    connection: on PostgreSQL they piled up, test after test, towards `max_connections`."""
    yield _chromium
    for context in _chromium.contexts:
        context.close()
