"""Every route is classified: who may reach it. The test walks the URL resolver, so a new route
that is not in ROUTES fails the suite; then it checks, for every route, that a signed-out visitor
is sent to sign in, that every role outside the route's roles gets 403 (never a 2xx), and that
staff of another agency with an allowed role get 404 for this agency's records."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from pathways.accounts.factories import AgencyFactory, member
from pathways.accounts.models import Role
from pathways.accounts.testing import verified_client
from pathways.cases.factories import intervention_config, open_case
from pathways.encounters.factories import EncounterFactory
from pathways.followups.factories import OutreachListFactory, WorkItemFactory
from pathways.followups.services import outreach_entry_add
from pathways.programs.factories import ProgramFactory
from pathways.referrals.services import referral_send

R = Role
FIELD: set[str] = {R.OFFICER, R.SUPERVISOR, R.OUTREACH}
EVERY_ROLE = set(Role.values)


@dataclass(frozen=True)
class Route:
    roles: set[str] | None
    """Roles that may reach it; None: anyone signed in; "public" routes use PUBLIC."""
    method: str = "GET"
    kwargs: Callable[[Any], dict[str, Any]] = lambda w: {}
    other_agency: tuple[str, ...] = field(default_factory=tuple)
    """Users (of the world below) of another agency with an allowed role: 404 expected."""
    credential: bool = False
    """An API operation: reached with a client credential only, never a session (401 for any
    session; scopes, agencies and the rest: pathways/api/tests)."""


PUBLIC = Route(roles=None, method="PUBLIC")


def API(method: str = "GET", kwargs: Callable[[Any], dict[str, Any]] = lambda w: {}) -> Route:
    return Route(roles=None, method=method, kwargs=kwargs, credential=True)


ROUTES: dict[str, Route] = {
    "login": PUBLIC,
    "logout": PUBLIC,
    "healthz": PUBLIC,
    # two-step sign-in: any signed-in user, before and after the second step (their own devices)
    "mfa_verify": Route(None),
    "mfa_verify_key": Route(None, "POST"),
    "mfa_webauthn_options": Route(None, "POST"),
    "mfa_enrol": Route(None),
    "mfa_setup": Route(None),
    "mfa_setup_totp": Route(None),
    "mfa_setup_key": Route(None),
    "mfa_devices": Route(None),
    "mfa_device_remove": Route(None, "POST", lambda w: {"kind": "totp", "device_id": 1}),
    "enrolment_codes": Route({R.COORDINATOR, R.ADMIN}),
    "enrolment_code_issue": Route(
        {R.COORDINATOR, R.ADMIN}, "POST", lambda w: {"user_id": w.cast.officer_a.pk}
    ),
    "home": Route(None),
    "directory:services": Route(None),
    "directory:capacity": Route(
        {R.PROVIDER_INTAKE}, "POST", lambda w: {"service_id": w.service.pk}, ("intake_q",)
    ),
    "directory:hsds": Route({R.COORDINATOR, R.ADMIN}),
    "directory:hsds_export": Route({R.COORDINATOR, R.ADMIN}, kwargs=lambda w: {"fmt": "json"}),
    "encounters:list": Route(FIELD | {R.COORDINATOR, R.ADMIN}),
    "encounters:start": Route(FIELD),
    "encounters:services": Route(FIELD),
    "encounters:new": Route(FIELD, kwargs=lambda w: {"code": "officer_prevention"}),
    "encounters:eligibility": Route(FIELD, kwargs=lambda w: {"code": "officer_prevention"}),
    "encounters:detail": Route(
        FIELD | {R.COORDINATOR, R.ADMIN},
        kwargs=lambda w: {"encounter_id": w.encounter.pk},
        other_agency=("officer_b",),
    ),
    "encounters:eligibility_review": Route(
        {R.SUPERVISOR}, "POST", lambda w: {"encounter_id": w.encounter.pk}, ("supervisor_b",)
    ),
    "referrals:queue": Route({R.PROVIDER_INTAKE, R.CASE_MANAGER}),
    "referrals:detail": Route(
        {R.PROVIDER_INTAKE, R.CASE_MANAGER} | FIELD | {R.COORDINATOR, R.ADMIN},
        kwargs=lambda w: {"referral_id": w.referral.pk},
        other_agency=("intake_q", "officer_b"),
    ),
    "referrals:act": Route(
        {R.PROVIDER_INTAKE},
        "POST",
        lambda w: {"referral_id": w.referral.pk, "action": "accept"},
        ("intake_q",),
    ),
    "cases:list": Route(
        {R.CASE_MANAGER, R.PROVIDER_INTAKE, R.PROSECUTOR, R.COORDINATOR, R.ADMIN}
        | {R.OFFICER, R.SUPERVISOR}
    ),
    "cases:review_queue": Route({R.PROSECUTOR}),
    "cases:detail": Route(
        {R.CASE_MANAGER, R.PROVIDER_INTAKE, R.PROSECUTOR, R.COORDINATOR, R.ADMIN}
        | {R.OFFICER, R.SUPERVISOR},
        kwargs=lambda w: {"case_id": w.case.pk},
        other_agency=("officer_b", "intake_q"),
    ),
    "cases:act": Route(
        {R.CASE_MANAGER, R.PROVIDER_INTAKE, R.PROSECUTOR, R.COORDINATOR, R.ADMIN}
        | {R.OFFICER, R.SUPERVISOR},
        "POST",
        lambda w: {"case_id": w.case.pk, "action": "note"},
        ("officer_b", "intake_q"),
    ),
    "cases:requirement_act": Route(
        {R.CASE_MANAGER, R.PROVIDER_INTAKE, R.PROSECUTOR, R.COORDINATOR, R.ADMIN}
        | {R.OFFICER, R.SUPERVISOR},
        "POST",
        lambda w: {
            "case_id": w.case.pk,
            "requirement_id": w.requirement.pk,
            "action": "progress",
        },
        ("officer_b", "intake_q"),
    ),
    "followups:list": Route(EVERY_ROLE),
    "followups:complete": Route(
        EVERY_ROLE, "POST", lambda w: {"item_id": w.work_item.pk}, ("officer_b",)
    ),
    "followups:visit": Route(EVERY_ROLE, kwargs=lambda w: {"item_id": w.work_item.pk}),
    "followups:outreach_lists": Route(
        {R.OUTREACH, R.OFFICER, R.SUPERVISOR, R.COORDINATOR, R.ADMIN}
    ),
    "followups:outreach_list": Route(
        {R.OUTREACH, R.OFFICER, R.SUPERVISOR, R.COORDINATOR, R.ADMIN},
        kwargs=lambda w: {"list_id": w.outreach_list.pk},
        other_agency=("outsider_officer",),
    ),
    "followups:outreach_add": Route(
        {R.OUTREACH, R.OFFICER, R.SUPERVISOR, R.COORDINATOR, R.ADMIN},
        "POST",
        lambda w: {"list_id": w.outreach_list.pk},
        ("outsider_officer",),
    ),
    "followups:outreach_assign": Route(
        {R.OUTREACH, R.OFFICER, R.SUPERVISOR, R.COORDINATOR, R.ADMIN},
        "POST",
        lambda w: {"entry_id": w.entry.pk},
        ("outsider_officer",),
    ),
    "followups:outreach_close": Route(
        {R.OUTREACH, R.OFFICER, R.SUPERVISOR, R.COORDINATOR, R.ADMIN},
        "POST",
        lambda w: {"entry_id": w.entry.pk},
        ("outsider_officer",),
    ),
    "people:duplicates": Route({R.OFFICER, R.SUPERVISOR, R.OUTREACH}),
    "people:search": Route(FIELD | {R.PROVIDER_INTAKE, R.CASE_MANAGER, R.COORDINATOR, R.ADMIN}),
    "people:detail": Route(
        FIELD | {R.PROVIDER_INTAKE, R.CASE_MANAGER, R.COORDINATOR, R.ADMIN},
        kwargs=lambda w: {"person_id": w.encounter.person_id},
        other_agency=("officer_b",),
    ),
    "people:identify": Route(
        FIELD | {R.PROVIDER_INTAKE, R.CASE_MANAGER, R.COORDINATOR, R.ADMIN},
        kwargs=lambda w: {"person_id": w.encounter.person_id},
        other_agency=("officer_b",),
    ),
    "outcomes:dashboard": Route({R.COORDINATOR, R.ADMIN, R.RESEARCHER, R.PROSECUTOR}),
    "outcomes:report_index": Route({R.COORDINATOR, R.ADMIN, R.RESEARCHER}),
    "outcomes:research": Route({R.COORDINATOR, R.ADMIN, R.RESEARCHER}),
    "outcomes:cost_settings": Route({R.COORDINATOR, R.ADMIN}),
    "outcomes:population": Route({R.COORDINATOR, R.ADMIN}),
    "linkage:arrests": Route({R.COORDINATOR, R.ADMIN}),
    "linkage:arrests_link": Route({R.COORDINATOR, R.ADMIN}, method="POST"),
    "linkage:arrests_template": Route({R.COORDINATOR, R.ADMIN}),
    # probabilistic linkage: the program office only (CJIS and Part 2 records side by side)
    "linkage:linkage": Route({R.COORDINATOR, R.ADMIN}),
    "linkage:linkage_start": Route({R.COORDINATOR, R.ADMIN}, method="POST"),
    "linkage:run": Route({R.COORDINATOR, R.ADMIN}, kwargs=lambda w: {"run_id": w.referral.pk}),
    "linkage:review": Route({R.COORDINATOR, R.ADMIN}),
    "linkage:pair": Route({R.COORDINATOR, R.ADMIN}, kwargs=lambda w: {"pair_id": w.referral.pk}),
    "linkage:cluster": Route(
        {R.COORDINATOR, R.ADMIN}, kwargs=lambda w: {"key": f"person:{w.referral.pk}"}
    ),
    "linkage:undo": Route(
        {R.COORDINATOR, R.ADMIN}, method="POST", kwargs=lambda w: {"decision_id": w.referral.pk}
    ),
    # EMS (NEMSIS) and dispatch (CAD) imports: the program office (another program's job: 404,
    # pathways/imports/tests/test_views.py)
    "imports:index": Route({R.COORDINATOR, R.ADMIN}),
    "imports:upload": Route({R.COORDINATOR, R.ADMIN}, "POST", lambda w: {"kind": "nemsis"}),
    "imports:mapping": Route({R.COORDINATOR, R.ADMIN}, "POST"),
    "imports:job": Route({R.COORDINATOR, R.ADMIN}, kwargs=lambda w: {"job_id": w.referral.pk}),
    "outcomes:report": Route(
        {R.COORDINATOR, R.ADMIN, R.RESEARCHER}, kwargs=lambda w: {"slug": "funnel"}
    ),
    "programs:pathway_list": Route({R.COORDINATOR, R.ADMIN}),
    "audit:search": Route({R.COORDINATOR, R.ADMIN}),
    "programs:pathway_edit": Route(
        {R.COORDINATOR, R.ADMIN}, kwargs=lambda w: {"code": "naloxone_plus"}
    ),
    "programs:pathway_history": Route(
        {R.COORDINATOR, R.ADMIN}, kwargs=lambda w: {"code": "naloxone_plus"}
    ),
    "programs:template_list": Route({R.COORDINATOR, R.ADMIN}),
    "programs:template_detail": Route(
        {R.COORDINATOR, R.ADMIN}, kwargs=lambda w: {"code": "qrt_hamilton_county"}
    ),
    "consent:referral_consents": Route(
        {R.PROVIDER_INTAKE, R.CASE_MANAGER, R.COORDINATOR, R.ADMIN},
        kwargs=lambda w: {"referral_id": w.referral.pk},
        other_agency=("intake_q",),
    ),
    "consent:consent_new": Route(
        {R.PROVIDER_INTAKE, R.CASE_MANAGER, R.COORDINATOR, R.ADMIN},
        kwargs=lambda w: {"referral_id": w.referral.pk},
        other_agency=("intake_q",),
    ),
    "consent:revoke": Route(
        {R.PROVIDER_INTAKE, R.CASE_MANAGER, R.COORDINATOR, R.ADMIN},
        "POST",
        lambda w: {"referral_id": w.referral.pk, "consent_id": w.referral.pk},
        ("intake_q",),
    ),
    # the partner API (pathways.api): its documents are public, its operations take a client
    # credential only; the coordinator's API clients pages
    "api:api-root": PUBLIC,
    "api:docs": PUBLIC,
    "api:openapi-json": PUBLIC,
    "api:not_found": PUBLIC,
    "api:referrals_sent": API(),
    "api:referral_detail": API(kwargs=lambda w: {"referral_id": w.referral.pk}),
    "api:referral_answer": API("POST", lambda w: {"referral_id": w.referral.pk}),
    "api:service_capacity": API("PUT", lambda w: {"service_id": w.service.pk}),
    "api:contacts": API("POST"),
    "api:overdoses": API("POST"),
    "api:imports": API(),
    "api:import_job": API(kwargs=lambda w: {"job_id": w.referral.pk}),
    # FHIR R4 (pathways.api.fhir): the CapabilityStatement and CodeSystems are public
    "api:fhir_metadata": PUBLIC,
    "api:fhir_code_system": PUBLIC,
    "api:fhir_not_found": PUBLIC,
    "api:fhir_task_search": API(),
    "api:fhir_task": API("PUT", lambda w: {"referral_id": w.referral.pk}),
    "api:fhir_service_request": API(kwargs=lambda w: {"referral_id": w.referral.pk}),
    "api:fhir_patient": API(kwargs=lambda w: {"person_id": w.referral.person_id}),
    "api:fhir_organization_search": API(),
    "api:fhir_organization": API(kwargs=lambda w: {"pk": w.service.organization_id}),
    "api:fhir_healthcare_service_search": API(),
    "api:fhir_healthcare_service": API(kwargs=lambda w: {"pk": w.service.pk}),
    "api:fhir_location_search": API(),
    "api:fhir_location": API(kwargs=lambda w: {"pk": w.referral.pk}),
    "api:clients": Route({R.COORDINATOR, R.ADMIN}),
    "api:client_new": Route({R.COORDINATOR, R.ADMIN}),
    "api:client_revoke": Route(
        {R.COORDINATOR, R.ADMIN}, "POST", lambda w: {"client_id": w.referral.pk}
    ),
    "consent:pdf": Route(
        {R.PROVIDER_INTAKE, R.CASE_MANAGER, R.COORDINATOR, R.ADMIN},
        kwargs=lambda w: {"referral_id": w.referral.pk, "consent_id": w.referral.pk},
        other_agency=("intake_q",),
    ),
}


def _walk(patterns: list[Any], namespace: str = "") -> Iterator[str]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            if pattern.app_name == "admin":
                continue  # Django's admin: staff-only by Django, audited by audit.admin
            inner = pattern.namespace or ""
            yield from _walk(
                pattern.url_patterns,
                # an include without a namespace of its own keeps the enclosing one
                f"{namespace}:{inner}" if namespace and inner else inner or namespace,
            )
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield f"{namespace}:{pattern.name}" if namespace else pattern.name


def test_every_route_is_classified() -> None:
    names = set(_walk(get_resolver().url_patterns))
    assert names - set(ROUTES) == set(), "routes nobody classified"
    assert set(ROUTES) - names == set(), "classified routes that do not exist"


class World:
    """This agency's records, and users of every role (one role each)."""

    def __init__(self, cast: Any) -> None:
        self.cast = cast
        office = cast.coordinator.memberships.get().agency
        self.users: dict[str, Any] = {
            R.OFFICER: cast.officer_a,
            R.SUPERVISOR: cast.supervisor_a,
            R.OUTREACH: member(cast.police_a, R.OUTREACH, "outreach_a"),
            R.PROVIDER_INTAKE: cast.intake_p,
            R.CASE_MANAGER: cast.case_manager_p,
            R.PROSECUTOR: cast.prosecutor,
            R.COORDINATOR: cast.coordinator,
            R.RESEARCHER: cast.researcher,
            R.ADMIN: member(office, R.ADMIN, "admin_a"),
        }
        self.others: dict[str, Any] = {
            "officer_b": cast.officer_b,
            "supervisor_b": member(cast.police_b, R.SUPERVISOR, "supervisor_b"),
            "intake_q": cast.intake_q,
        }
        self.service = cast.detox_p
        self.encounter = EncounterFactory.create(
            program=cast.program, agency=cast.police_a, responder=cast.officer_a
        )
        self.referral = referral_send(
            actor=cast.officer_a, encounter=self.encounter, service=cast.detox_p, warm_handoff=True
        )
        intervention_config(
            cast.program, requirements=[{"kind": "assessment", "description": "Assessment"}]
        )
        self.case = open_case(
            actor=cast.officer_a, agency=cast.police_a, case_agency=cast.provider_p
        )
        self.requirement = self.case.requirements.first()
        self.work_item = WorkItemFactory.create(team=cast.police_a)
        team = member(cast.provider_p, R.OUTREACH, "outreach_p").memberships.get().agency
        self.outreach_list = OutreachListFactory.create(team=team, program=cast.program)
        self.entry = outreach_entry_add(
            actor=cast.coordinator,
            outreach_list=self.outreach_list,
            person=self.encounter.person,
            reason="repeat_overdose",
        )
        # an officer of another program sees none of the list
        elsewhere = AgencyFactory.create(program=ProgramFactory.create(name="Elsewhere"))
        self.others["outsider_officer"] = member(elsewhere, R.OFFICER, "outsider_officer")


@pytest.fixture
def world(cast: Any) -> World:
    return World(cast)


def request(client: Client, route: Route, url: str) -> Any:
    if route.method == "PUT":
        return client.put(url, "{}", content_type="application/json")
    return client.post(url, {}) if route.method == "POST" else client.get(url)


def test_signed_out_visitors_are_sent_to_sign_in(world: World) -> None:
    for name, route in ROUTES.items():
        if route is PUBLIC:
            continue
        url = reverse(name, kwargs=route.kwargs(world))
        response = request(Client(), route, url)
        if route.credential:
            assert response.status_code == 401, name
            assert response["Content-Type"] in (  # FHIR answers an OperationOutcome
                "application/problem+json",
                "application/fhir+json; charset=utf-8",
            ), name
            continue
        assert response.status_code == 302, name
        assert response["Location"].startswith(reverse("login")), name


def test_no_role_outside_a_route_gets_through(world: World) -> None:
    checked = 0
    for name, route in ROUTES.items():
        if route is PUBLIC or route.roles is None:
            continue
        url = reverse(name, kwargs=route.kwargs(world))
        for role, user in world.users.items():
            if role in route.roles:
                continue
            client = verified_client(user)
            response = request(client, route, url)
            assert response.status_code == 403, (name, role, response.status_code)
            checked += 1
    assert checked > 100


def test_no_session_of_any_role_reaches_an_api_operation(world: World) -> None:
    checked = 0
    for name, route in ROUTES.items():
        if not route.credential:
            continue
        url = reverse(name, kwargs=route.kwargs(world))
        for role, user in world.users.items():
            response = request(verified_client(user), route, url)
            assert response.status_code == 401, (name, role, response.status_code)
            checked += 1
    assert checked >= 4 * len(world.users)


def test_another_agency_with_an_allowed_role_gets_404(world: World) -> None:
    checked = 0
    for name, route in ROUTES.items():
        for key in route.other_agency:
            client = verified_client(world.others[key])
            response = request(client, route, reverse(name, kwargs=route.kwargs(world)))
            assert response.status_code == 404, (name, key, response.status_code)
            checked += 1
    assert checked >= 20
