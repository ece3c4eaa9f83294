"""The FHIR R4 endpoints (/api/fhir/r4/): plain views, each thin: the client's credential and
scope (api.auth, as /api/v1/), the record through the same selector a page uses (another
agency's record is a 404), the one disclosure check for what of it the client may see, and for
a Task update one call of the same referral service a page calls, with its refusals, stale
check and audit event. Every answer is FHIR JSON; every refusal an OperationOutcome.
docs/decisions/0030-fhir-closed-loop-referral.md"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import re
import uuid
from collections.abc import Callable
from typing import Any

from django.core import signing
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.http import http_date, urlencode
from django.views.decorators.csrf import csrf_exempt

from pathways.api.auth import ApiRefusal, ClientCredential
from pathways.api.fhir import resources, updates
from pathways.api.fhir.outcomes import FhirError, fhir_response, issue
from pathways.api.fhir.selectors import (
    locations_for_client,
    organizations_for_client,
    referral_for_client,
    referrals_for_client,
    services_for_client,
)
from pathways.api.models import ApiClient
from pathways.api.vocabulary import ApiScope
from pathways.audit.services import audit_read
from pathways.core import clock
from pathways.people.models import Person
from pathways.referrals.disclosure import (
    ReferralShown,
    referral_for_viewer,
    referral_shown,
    referrals_for_viewer,
    referrals_shown,
)
from pathways.referrals.models import Referral
from pathways.referrals.selectors import can_act_on, history_of

logger = logging.getLogger("pathways.api")

PAGE_DEFAULT = 50
PAGE_MAX = 100
SCAN_BATCH = 200
CURSOR_SALT = "pathways.api.fhir.cursor"
PATIENT_FIELDS = ("name", "birth_date", "gender")

View = Callable[..., HttpResponse]

_REFUSAL_STATUS = {"unauthorized": 401, "forbidden": 403, "rate-limited": 429, "malformed": 400}
_REFUSAL_CODE = {"unauthorized": "login", "forbidden": "forbidden", "rate-limited": "throttled"}


# --- the frame: credential, scope, errors -----------------------------------------------------


def _authenticate(request: HttpRequest, scope: ApiScope) -> ApiClient:
    client = ClientCredential(scope.value)(request)  # raises ApiRefusal: rate, scope
    if not isinstance(client, ApiClient):
        raise FhirError(
            401,
            "login",
            "Send a valid, unexpired client credential as `Authorization: Bearer pwapi_…`.",
            headers={"WWW-Authenticate": 'Bearer realm="pathways"'},
        )
    return client


def fhir_endpoint(**scopes: ApiScope | None) -> Callable[[View], View]:
    """The frame of every FHIR view: the methods it takes, each with its scope (GET=None: a
    public document), the client, and every refusal or failure as an OperationOutcome."""
    methods = tuple(scopes)

    def decorate(view: View) -> View:
        @csrf_exempt  # no session is read under /api/fhir/: only the bearer credential counts
        @functools.wraps(view)
        def wrapped(request: HttpRequest, **kwargs: Any) -> HttpResponse:
            try:
                if request.method not in methods:
                    raise FhirError(
                        405,
                        "not-supported",
                        f"{request.method} is not supported here; this address takes "
                        f"{', '.join(methods)}.",
                        headers={"Allow": ", ".join(methods)},
                    )
                scope = scopes[request.method]
                client = _authenticate(request, scope) if scope is not None else None
                return view(request, client, **kwargs)
            except FhirError as exc:
                return exc.response()
            except ApiRefusal as exc:
                return FhirError(
                    _REFUSAL_STATUS.get(exc.slug, 400),
                    _REFUSAL_CODE.get(exc.slug, "invalid"),
                    exc.detail,
                    headers=exc.headers,
                ).response()
            except PermissionDenied:
                return FhirError(403, "forbidden", "The client may not do this.").response()
            except Exception as exc:
                incident = uuid.uuid4()
                # the error's class and where, never its message: it may hold what was sent
                logger.error(
                    "fhir error %s: %s in %s", incident.hex, type(exc).__name__, _where(exc)
                )
                return FhirError(
                    500,
                    "exception",
                    f"The request failed on the server; nothing was changed. Incident "
                    f"urn:uuid:{incident}.",
                ).response()

        return wrapped

    return decorate


def _where(exc: Exception) -> str:
    tb = exc.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    return f"{tb.tb_frame.f_code.co_filename}:{tb.tb_lineno}" if tb is not None else "?"


def _not_found(kind: str) -> FhirError:
    return FhirError(404, "not-found", f"No such {kind} that your agency may see.")


def _base(request: HttpRequest) -> str:
    return request.build_absolute_uri("/api/fhir/r4").rstrip("/")


@csrf_exempt
def not_found(request: HttpRequest, rest: str = "") -> HttpResponse:
    """Any address under /api/fhir/r4/ that is no interaction."""
    return FhirError(
        404, "not-found", "No such address in the FHIR API. See /api/fhir/r4/metadata."
    ).response()


# --- public documents -------------------------------------------------------------------------


@fhir_endpoint(GET=None)
def metadata(request: HttpRequest, client: None) -> HttpResponse:
    return fhir_response(resources.capability_statement(_base(request), clock.now()))


@fhir_endpoint(GET=None)
def code_system(request: HttpRequest, client: None, name: str) -> HttpResponse:
    if name not in resources.CODE_SYSTEMS:
        raise _not_found("CodeSystem")
    return fhir_response(resources.code_system(name, _base(request)))


# --- referrals: Task, ServiceRequest, Patient -------------------------------------------------


def _versioned(body: dict[str, Any], referral: Referral, shown: ReferralShown) -> HttpResponse:
    return fhir_response(
        body,
        headers={
            "ETag": f'W/"{resources.version_of(shown)}"',
            "Last-Modified": http_date(resources.last_updated(referral, shown).timestamp()),
        },
    )


def _read_referral(
    client: ApiClient, referral_id: uuid.UUID, kind: str
) -> tuple[Referral, ReferralShown]:
    referral = referral_for_client(client=client, referral_id=referral_id)
    if referral is None:
        raise _not_found(kind)
    shown = referral_for_viewer(client.user, referral, list(history_of(referral=referral)))
    audit_read(
        actor=client.user,
        obj=referral,
        fields=("status", "history") if not shown.withheld else ("sent",),
    )
    return referral, shown


@fhir_endpoint(GET=ApiScope.FHIR_READ, PUT=ApiScope.FHIR_WRITE)
def task_read(request: HttpRequest, client: ApiClient, referral_id: uuid.UUID) -> HttpResponse:
    if request.method == "PUT":
        return _task_update(request, client, referral_id)
    referral, shown = _read_referral(client, referral_id, "Task")
    return _versioned(resources.task(referral, shown, _base(request)), referral, shown)


@fhir_endpoint(GET=ApiScope.FHIR_READ)
def service_request_read(
    request: HttpRequest, client: ApiClient, referral_id: uuid.UUID
) -> HttpResponse:
    referral, shown = _read_referral(client, referral_id, "ServiceRequest")
    body = resources.service_request(
        referral, shown, _base(request), with_reasons=not shown.withheld
    )
    return _versioned(body, referral, shown)


@fhir_endpoint(GET=ApiScope.FHIR_READ)
def patient_read(request: HttpRequest, client: ApiClient, person_id: uuid.UUID) -> HttpResponse:
    """The minimal Patient, only when the disclosure check lets the client see the progress of
    one of the person's referrals it sees (the holder's staff, or under the person's consent,
    which is then accounted for); otherwise a 404, as for no such person."""
    referrals = list(
        referrals_for_client(client=client).filter(person_id=person_id).order_by("-created_at")
    )
    shown = referrals_shown(client.user, referrals)
    allowed = next((r for r in referrals if not shown[r.pk].withheld), None)
    if allowed is None:
        raise _not_found("Patient")
    referral_for_viewer(client.user, allowed, list(history_of(referral=allowed)))  # the accounting
    person = Person.objects.get(pk=allowed.person_id)
    audit_read(actor=client.user, obj=person, fields=PATIENT_FIELDS)
    return fhir_response(resources.patient(person))


# --- Task search ------------------------------------------------------------------------------

TASK_SEARCH_PARAMS = ("owner", "requester", "_lastUpdated", "_count", "_cursor")
_PREFIX = re.compile(r"^(gt|ge|lt|le|eq)?(.+)$")


def _search_error(diagnostics: str, parameter: str) -> FhirError:
    return FhirError(
        400, "invalid", diagnostics, issues=[issue("invalid", diagnostics, [parameter])]
    )


def _org_id(value: str, parameter: str) -> uuid.UUID:
    ident = value.removeprefix("Organization/")
    try:
        return uuid.UUID(ident)
    except ValueError:
        raise _search_error(
            f"{parameter} takes Organization/<id> (an Organization of this server).", parameter
        ) from None


def _instant(value: str) -> tuple[str, dt.datetime]:
    """(prefix, instant) of a _lastUpdated value: an instant with its offset, or a date (its
    first moment, UTC)."""
    match = _PREFIX.match(value.strip().replace(" ", "+"))  # an unencoded "+" reads as a space
    text = match.group(2) if match else ""
    at: dt.datetime | None = None
    try:
        at = parse_datetime(text)
        if at is None and (day := parse_date(text)) is not None:
            at = dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)
    except ValueError:
        at = None
    if match is None or at is None or at.tzinfo is None:
        raise _search_error(
            "_lastUpdated takes a prefix (gt, ge, lt, le, eq) and an instant with its offset, "
            "e.g. gt2026-01-31T08:00:00Z.",
            "_lastUpdated",
        )
    return match.group(1) or "eq", at


def _passes(at: dt.datetime, bounds: list[tuple[str, dt.datetime]]) -> bool:
    checks = {
        "gt": lambda b: at > b,
        "ge": lambda b: at >= b,
        "lt": lambda b: at < b,
        "le": lambda b: at <= b,
        "eq": lambda b: at == b,
    }
    return all(checks[op](bound) for op, bound in bounds)


def _count(request: HttpRequest) -> int:
    raw = request.GET.get("_count", str(PAGE_DEFAULT))
    if not raw.isdigit() or not 1 <= int(raw) <= PAGE_MAX:
        raise _search_error(f"_count takes a number from 1 to {PAGE_MAX}.", "_count")
    return int(raw)


def _cursor(request: HttpRequest) -> Any:
    raw = request.GET.get("_cursor")
    if raw is None:
        return None
    try:
        return signing.loads(raw, salt=CURSOR_SALT)
    except signing.BadSignature:
        raise _search_error("Not a _cursor this server gave.", "_cursor") from None


def _next_url(request: HttpRequest, cursor: Any) -> str:
    query = [(k, v) for k, vs in request.GET.lists() if k != "_cursor" for v in vs]
    query.append(("_cursor", signing.dumps(cursor, salt=CURSOR_SALT)))
    return request.build_absolute_uri(f"{request.path}?{urlencode(query)}")


def _refuse_unknown(request: HttpRequest, known: tuple[str, ...]) -> None:
    if set(request.GET) - set(known):
        raise _search_error(f"This search takes only the parameters {', '.join(known)}.", "search")


@fhir_endpoint(GET=ApiScope.FHIR_READ)
def task_search(request: HttpRequest, client: ApiClient) -> HttpResponse:
    """The Tasks of the referrals the client's agency owns or sent, oldest first, filtered by
    owner, requester and the last update the client may see (_lastUpdated)."""
    _refuse_unknown(request, TASK_SEARCH_PARAMS)
    qs = referrals_for_client(client=client)
    for value in request.GET.getlist("owner"):
        qs = qs.filter(receiving_agency_id=_org_id(value, "owner"))
    for value in request.GET.getlist("requester"):
        qs = qs.filter(referring_agency_id=_org_id(value, "requester"))
    bounds = [_instant(v) for v in request.GET.getlist("_lastUpdated")]
    for op, at in bounds:
        if op in ("gt", "ge", "eq"):
            # a superset: the update a viewer may see is never later than the real one
            qs = qs.filter(status_changed_at__gte=at)
    limit = _count(request)
    cursor = _cursor(request)
    qs = qs.order_by("created_at", "id")  # never by the real update: that would tell it
    matches: list[Referral] = []
    more = False
    while not more:
        batch = list(_after(qs, cursor)[:SCAN_BATCH])
        shown = referrals_shown(client.user, batch)
        for referral in batch:
            if not _passes(resources.last_updated(referral, shown[referral.pk]), bounds):
                continue
            if len(matches) == limit:
                more = True
                break
            matches.append(referral)
        if len(batch) < SCAN_BATCH:
            break
        cursor = [batch[-1].created_at.isoformat(), str(batch[-1].pk)]
    # what is shown, with the disclosures under consent accounted for (once a day)
    shown = referrals_for_viewer(client.user, matches)
    base = _base(request)
    next_url = (
        _next_url(request, [matches[-1].created_at.isoformat(), str(matches[-1].pk)])
        if more
        else None
    )
    return fhir_response(
        resources.searchset(
            [resources.task(r, shown[r.pk], base) for r in matches],
            base,
            request.build_absolute_uri(),
            next_url,
        )
    )


def _after(qs: QuerySet[Referral], cursor: Any) -> QuerySet[Referral]:
    if cursor is None:
        return qs
    try:
        created, pk = parse_datetime(str(cursor[0])), uuid.UUID(str(cursor[1]))
    except (ValueError, TypeError, IndexError):
        raise _search_error("Not a _cursor this server gave.", "_cursor") from None
    return qs.filter(Q(created_at__gt=created) | Q(created_at=created, id__gt=pk))


# --- Task update ------------------------------------------------------------------------------


def _task_update(request: HttpRequest, client: ApiClient, referral_id: uuid.UUID) -> HttpResponse:
    """PUT Task/<id>: the provider's system moves the referral along, as the same service call
    the provider's page makes (pathways.api.fhir.updates)."""
    referral = referral_for_client(client=client, referral_id=referral_id)
    if referral is None or not can_act_on(user=client.user, referral=referral):
        raise _not_found("Task")
    base = _base(request)
    data, sent = updates.task_sent(request, referral)
    shown = referral_shown(client.user, referral, list(history_of(referral=referral)))
    updates.expected_version(request, sent, resources.version_of(shown))
    updates.check_fixed(data, resources.task(referral, shown, base))
    target = updates.target_of(sent, base)
    if not updates.unchanged(referral, shown, target, sent):
        updates.move(client=client, referral=referral, target=target, sent=sent, base=base)
    referral = referral_for_client(client=client, referral_id=referral_id) or referral
    shown = referral_shown(client.user, referral, list(history_of(referral=referral)))
    return _versioned(resources.task(referral, shown, base), referral, shown)


# --- directory --------------------------------------------------------------------------------

DIRECTORY_SEARCH_PARAMS = ("_count", "_cursor")


def _directory_search(
    request: HttpRequest, qs: QuerySet[Any], render: Callable[[Any], dict[str, Any]]
) -> HttpResponse:
    _refuse_unknown(request, DIRECTORY_SEARCH_PARAMS)
    limit = _count(request)
    cursor = _cursor(request)
    qs = qs.order_by("id")
    if cursor is not None:
        try:
            qs = qs.filter(id__gt=uuid.UUID(str(cursor)))
        except ValueError:
            raise _search_error("Not a _cursor this server gave.", "_cursor") from None
    page = list(qs[: limit + 1])
    more, page = len(page) > limit, page[:limit]
    base = _base(request)
    return fhir_response(
        resources.searchset(
            [render(item) for item in page],
            base,
            request.build_absolute_uri(),
            _next_url(request, str(page[-1].pk)) if more else None,
        )
    )


@fhir_endpoint(GET=ApiScope.FHIR_READ)
def organization_search(request: HttpRequest, client: ApiClient) -> HttpResponse:
    base = _base(request)
    return _directory_search(
        request, organizations_for_client(client=client), lambda a: resources.organization(a, base)
    )


@fhir_endpoint(GET=ApiScope.FHIR_READ)
def organization_read(request: HttpRequest, client: ApiClient, pk: uuid.UUID) -> HttpResponse:
    agency = organizations_for_client(client=client).filter(pk=pk).first()
    if agency is None:
        raise _not_found("Organization")
    return fhir_response(resources.organization(agency, _base(request)))


@fhir_endpoint(GET=ApiScope.FHIR_READ)
def healthcare_service_search(request: HttpRequest, client: ApiClient) -> HttpResponse:
    base = _base(request)
    return _directory_search(
        request, services_for_client(client=client), lambda s: resources.healthcare_service(s, base)
    )


@fhir_endpoint(GET=ApiScope.FHIR_READ)
def healthcare_service_read(request: HttpRequest, client: ApiClient, pk: uuid.UUID) -> HttpResponse:
    service = services_for_client(client=client).filter(pk=pk).first()
    if service is None:
        raise _not_found("HealthcareService")
    return fhir_response(resources.healthcare_service(service, _base(request)))


@fhir_endpoint(GET=ApiScope.FHIR_READ)
def location_search(request: HttpRequest, client: ApiClient) -> HttpResponse:
    return _directory_search(request, locations_for_client(client=client), resources.location)


@fhir_endpoint(GET=ApiScope.FHIR_READ)
def location_read(request: HttpRequest, client: ApiClient, pk: uuid.UUID) -> HttpResponse:
    place = locations_for_client(client=client).filter(pk=pk).first()
    if place is None:
        raise _not_found("Location")
    return fhir_response(resources.location(place))
