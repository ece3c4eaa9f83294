"""The partner API, version 1 (/api/v1/): django-ninja, OpenAPI 3.1, problem details.

Every endpoint is thin: the client's credential and scope (api.auth), the record through the
same selector a page uses (another agency's record is a 404), one call of the same service a
page calls (its refusals, stale-version checks and audit events included), and what of it the
client may see through the one disclosure check. docs/decisions/0029-partner-api-credentials.md"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable
from typing import Any, TypeVar

from django.core import signing
from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect
from django.urls import URLPattern, path
from django.utils.http import urlencode
from django.views.decorators.csrf import csrf_exempt
from ninja import NinjaAPI
from ninja.errors import HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.params.functions import Header, Query

from pathways.accounts.models import Role
from pathways.accounts.selectors import agency_ids_for, program_for_user
from pathways.api.auth import ApiRefusal, ClientCredential, client_of
from pathways.api.contacts import contact_form, form_errors, refusal_errors
from pathways.api.models import ApiClient
from pathways.api.problems import CONTENT_TYPE as PROBLEM_CONTENT_TYPE
from pathways.api.problems import (
    field_errors_from_django,
    field_errors_from_ninja,
    problem,
)
from pathways.api.schemas import (
    AnswerIn,
    CapacityIn,
    CapacityOut,
    ContactIn,
    ContactOut,
    ImportJobOut,
    ImportJobPage,
    OverdoseEventIn,
    OverdoseEventOut,
    ProblemOut,
    ReferralDetailOut,
    ReferralPage,
)
from pathways.api.services import (
    IdempotencyInProgress,
    IdempotencyKeyReused,
    idempotent_post,
)
from pathways.api.vocabulary import SCOPE_RULES, ApiScope
from pathways.audit.services import audit_read
from pathways.consent.selectors import REDISCLOSURE_NOTICE
from pathways.core.conflicts import StaleEdit
from pathways.core.idempotency import body_digest
from pathways.core.validators import validate_not_future
from pathways.directory.selectors import services_in_program
from pathways.directory.services import service_capacity_set
from pathways.imports.models import ImportJob
from pathways.imports.selectors import jobs_for_agency
from pathways.programs.selectors import startable_pathway, starting_agency
from pathways.referrals import services as referral_services
from pathways.referrals.disclosure import (
    ReferralShown,
    referral_for_viewer,
    referrals_for_viewer,
)
from pathways.referrals.models import Referral
from pathways.referrals.selectors import (
    can_act_on,
    history_of,
    referral_for_user,
    referrals_visible_to,
)
from pathways.surveillance.models import AdministeredBy, OverdoseSource
from pathways.surveillance.services import OverdoseFacts, overdose_record
from pathways.workflow.services import FieldEntryResult, field_entry_submit

logger = logging.getLogger("pathways.api")

PAGE_DEFAULT = 50
PAGE_MAX = 100
CURSOR_SALT = "pathways.api.cursor"
M = TypeVar("M", bound=Model)
IDEMPOTENCY_KEY_MAX = 200

PROBLEMS: dict[int | str, Any] = dict.fromkeys((400, 401, 403, 404, 409, 422, 429, 500), ProblemOut)
#: Headers some answers carry, as documented in the OpenAPI document.
DOCUMENTED_HEADERS: dict[str, dict[str, str]] = {
    "401": {"WWW-Authenticate": "The scheme to authenticate with (Bearer)"},
    "409": {"Retry-After": "When the first request with the key is still running: seconds"},
    "429": {"Retry-After": "Seconds until the client may send again"},
}
REPLAYED_HEADER = {
    "Idempotent-Replayed": "`true` when this is the first answer to the same key and body, "
    "given again (nothing was done twice)"
}
#: The namespace of the contact keys derived from a client's Idempotency-Key (the field
#: workflow's own key, so a racing duplicate also meets the contact's unique key).
CONTACT_KEY_NAMESPACE = uuid.UUID("5b0c6f0e-3c55-4c59-9a59-2f3b9c1c8a10")


class FieldsRefused(Exception):
    """Refusals already in the body's field terms (a 422 problem; nothing was kept)."""

    def __init__(self, errors: list[dict[str, str]], detail: str) -> None:
        super().__init__(detail)
        self.errors = errors
        self.detail = detail


class PartnerApi(NinjaAPI):
    """NinjaAPI whose every answer, even a method it does not take, is JSON or a problem."""

    def _get_urls(self) -> list[Any]:
        patterns: list[Any] = []
        for p in super()._get_urls():
            if isinstance(p, URLPattern) and p.name == "api-root":
                patterns.append(path(str(p.pattern), _root, name=p.name))
            elif isinstance(p, URLPattern):
                patterns.append(
                    path(str(p.pattern), _problem_for_405(p.callback), name=p.name or "")
                )
            else:  # pragma: no cover - ninja gives only patterns
                patterns.append(p)
        return patterns

    def get_openapi_schema(self, **kwargs: Any) -> Any:
        """ninja's document, with each operation's security naming its one scope."""
        schema = super().get_openapi_schema(**kwargs)
        for methods in schema.get("paths", {}).values():
            for method, op in methods.items():
                if "x-pathways-scope" in op:
                    op["security"] = [{"ClientCredential": [op["x-pathways-scope"]]}]
                for status, answer in op.get("responses", {}).items():
                    _document_answer(method, str(status), answer)
        return schema


def _document_answer(method: str, status: str, answer: dict[str, Any]) -> None:
    """An error is a problem detail (application/problem+json, RFC 9457), not plain JSON; and
    the headers an answer may carry."""
    content = answer.get("content", {})
    if status.isdigit() and int(status) >= 400 and "application/json" in content:
        answer["content"] = {PROBLEM_CONTENT_TYPE: content["application/json"]}
    headers = dict(DOCUMENTED_HEADERS.get(status, {}))
    if method == "post" and status.startswith("2"):
        headers |= REPLAYED_HEADER
    if headers:
        answer["headers"] = {
            name: {"description": text, "schema": {"type": "string"}}
            for name, text in headers.items()
        }


def _root(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    """/api/v1/ itself: the documentation page."""
    return redirect("api:docs")


def _problem_for_405(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        if isinstance(response, HttpResponseNotAllowed):
            allowed = response["Allow"]
            return problem(
                "method-not-allowed",
                f"{request.method} is not allowed here; this address takes {allowed}.",
                headers={"Allow": allowed},
            )
        return response

    wrapped.csrf_exempt = True  # type: ignore[attr-defined]  # as ninja's own views
    return wrapped


api = PartnerApi(
    title="Pathways partner API",
    version="1",
    description=(
        "For partner systems registered by the program coordinator. Authenticate with the "
        "client credential (`Authorization: Bearer pwapi_…`); a person's session never works. "
        "Errors are RFC 9457 problem details. POST requests need an `Idempotency-Key`."
    ),
    urls_namespace="api",
    docs_url=None,  # the docs page is ours (no CDN): pathways.api.views.docs
)


# --- problems ---------------------------------------------------------------------------------


@api.exception_handler(ApiRefusal)
def _refusal(request: HttpRequest, exc: ApiRefusal) -> HttpResponse:
    return problem(exc.slug, exc.detail, headers=exc.headers)


@api.exception_handler(NinjaValidationError)
def _invalid(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    return problem(
        "invalid",
        "The request has invalid fields. Nothing was changed.",
        errors=field_errors_from_ninja(list(exc.errors)),
    )


@api.exception_handler(FieldsRefused)
def _fields_refused(request: HttpRequest, exc: FieldsRefused) -> HttpResponse:
    return problem("invalid", exc.detail, errors=exc.errors)


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    if exc.status_code == 401:
        return problem(
            "unauthorized",
            "Send a valid, unexpired client credential as `Authorization: Bearer pwapi_…`.",
            headers={"WWW-Authenticate": 'Bearer realm="pathways"'},
        )
    if exc.status_code == 400:
        return problem("malformed", "The body is not valid JSON. Nothing was changed.")
    slug = {403: "forbidden", 404: "not-found", 429: "rate-limited"}.get(exc.status_code)
    if slug is None:  # pragma: no cover - ninja raises no other
        return problem("server-error", "Unexpected refusal.", status=exc.status_code)
    return problem(slug, str(exc))


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return problem("not-found", "No such record that your agency may see.")


@api.exception_handler(StaleEdit)
def _stale(request: HttpRequest, exc: StaleEdit) -> HttpResponse:
    return problem(
        "conflict",
        f"The referral is now “{exc.current}”, not the status your request expected. "
        "Nothing was changed.",
        current_status=exc.current,
    )


@api.exception_handler(DjangoValidationError)
def _refused(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
    errors = (
        field_errors_from_django(exc.message_dict)
        if hasattr(exc, "error_dict")
        else field_errors_from_django({"__all__": list(exc.messages)})
    )
    return problem(
        "invalid", "The program's rules refused the request. Nothing was changed.", errors=errors
    )


@api.exception_handler(PermissionDenied)
def _denied(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    return problem("forbidden", "The client may not do this.")


@api.exception_handler(IdempotencyKeyReused)
def _key_reused(request: HttpRequest, exc: IdempotencyKeyReused) -> HttpResponse:
    return problem(
        "idempotency-key-reused",
        "This Idempotency-Key was used for a different request. Nothing was changed.",
    )


@api.exception_handler(IdempotencyInProgress)
def _key_in_progress(request: HttpRequest, exc: IdempotencyInProgress) -> HttpResponse:
    return problem(
        "idempotency-in-progress",
        "The first request with this Idempotency-Key has not finished. Retry shortly.",
        headers={"Retry-After": "1"},
    )


@api.exception_handler(Exception)
def _server_error(request: HttpRequest, exc: Exception) -> HttpResponse:
    incident = uuid.uuid4().hex
    # the error's class and where, never its message or traceback values: they may hold
    # what the request carried
    logger.error(
        "api error %s: %s in %s", incident, type(exc).__name__, _where(exc), exc_info=False
    )
    return problem(
        "server-error",
        "The request failed on the server; nothing was changed.",
        instance=f"urn:uuid:{uuid.UUID(incident)}",
    )


def _where(exc: Exception) -> str:
    tb = exc.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    return f"{tb.tb_frame.f_code.co_filename}:{tb.tb_lineno}" if tb is not None else "?"


@csrf_exempt  # no session is used under /api/v1/: a POST here is answered, not refused
def not_found(request: HttpRequest, rest: str = "") -> HttpResponse:
    """Any address under /api/v1/ that is no operation."""
    return problem("not-found", "No such address in the API. See /api/v1/docs/.")


# --- helpers ----------------------------------------------------------------------------------


def _scope(scope: ApiScope) -> dict[str, Any]:
    """The operation's credential, and its scope in the OpenAPI document."""
    return {
        "auth": ClientCredential(scope.value),
        "openapi_extra": {
            "x-pathways-scope": scope.value,
            "description": f"Scope: `{scope.value}`. {SCOPE_RULES[scope].description}",
        },
    }


def _referral_out(referral: Referral, shown: ReferralShown) -> dict[str, Any]:
    history = shown.history
    return {
        "id": referral.pk,
        "encounter_id": referral.encounter_id,
        "service_id": referral.service_id,
        "service_name": referral.service.name,
        "referring_agency": str(referral.referring_agency),
        "receiving_agency": str(referral.receiving_agency),
        "warm_handoff": referral.warm_handoff,
        "sent_at": referral.created_at,
        "status": shown.status,
        "status_label": shown.label,
        "status_changed_at": history[-1].changed_at if history else referral.created_at,
        "shared_under_consent": shown.consent is not None,
        "redisclosure_notice": REDISCLOSURE_NOTICE if shown.consent is not None else None,
    }


def _detail_out(referral: Referral, shown: ReferralShown) -> dict[str, Any]:
    return {
        **_referral_out(referral, shown),
        "history": [{"status": c.to_status, "at": c.changed_at} for c in shown.history],
    }


def _cursor_for(row: Any) -> str:
    return signing.dumps([row.created_at.isoformat(), str(row.pk)], salt=CURSOR_SALT)


def _after_cursor(cursor: str) -> tuple[str, str]:
    try:
        created, pk = signing.loads(cursor, salt=CURSOR_SALT)
        uuid.UUID(str(pk))
        return str(created), str(pk)
    except (signing.BadSignature, ValueError, TypeError) as exc:
        raise NinjaValidationError(
            [{"loc": ("query", "cursor"), "msg": "Not a cursor this API gave.", "type": "cursor"}]
        ) from exc


def _page_of(
    request: HttpRequest, qs: QuerySet[M], cursor: str | None, limit: int
) -> tuple[list[M], str | None]:
    """One page of `qs`, newest first, after `cursor`; with the next page's address."""
    if cursor:
        created, pk = _after_cursor(cursor)
        qs = qs.filter(created_at__lte=created).exclude(created_at=created, id__gte=pk)
    page = list(qs.order_by("-created_at", "-id")[: limit + 1])
    more, page = len(page) > limit, page[:limit]
    next_url = None
    if more:
        query = urlencode({"cursor": _cursor_for(page[-1]), "limit": str(limit)})
        next_url = request.build_absolute_uri(f"{request.path}?{query}")
    return page, next_url


def _idempotency_key(value: str | None) -> str:
    key = (value or "").strip()
    if not key or len(key) > IDEMPOTENCY_KEY_MAX or not key.isascii() or not key.isprintable():
        raise ApiRefusal(
            "malformed",
            "Send an Idempotency-Key header (1 to 200 printable ASCII characters, e.g. a "
            "UUID) with every POST. Nothing was changed.",
        )
    return key


def _request_digest(request: HttpRequest, payload: Any) -> str:
    canonical = json.dumps(payload, sort_keys=True, default=str, separators=(",", ":"))
    return body_digest(
        {"method": [request.method or ""], "path": [request.path], "body": [canonical]}
    )


def _json(data: Any) -> Any:
    """`data` as the JSON it is sent as (kept for the replay of an idempotent POST)."""
    return json.loads(api.renderer.render(None, data, response_status=200))  # type: ignore[arg-type]


def _answer_once(
    request: HttpRequest,
    client: ApiClient,
    key: str,
    data: Any,
    run: Callable[[], tuple[int, dict[str, Any]]],
) -> HttpResponse:
    """Run `run` once for this client's key and body (api.services.idempotent_post): the same
    key and body again get the first answer, marked `Idempotent-Replayed`."""
    answer = idempotent_post(
        client=client,
        key=key,
        method="POST",
        path=request.path,
        digest=_request_digest(request, data),
        run=run,
    )
    response = HttpResponse(
        json.dumps(answer.body), status=answer.status, content_type="application/json"
    )
    if answer.replayed:
        response["Idempotent-Replayed"] = "true"
    return response


# --- referrals --------------------------------------------------------------------------------


@api.get(
    "/referrals/sent/",
    response={200: ReferralPage, **PROBLEMS},
    url_name="referrals_sent",
    tags=["referrals"],
    summary="Referrals your agency sent, newest first",
    **_scope(ApiScope.REFERRALS_READ),
)
def referrals_sent(
    request: HttpRequest,
    cursor: str | None = Query(None, description="From the previous page's `next`"),
    limit: int = Query(PAGE_DEFAULT, ge=1, le=PAGE_MAX),
) -> dict[str, Any]:
    client = client_of(request)
    qs = referrals_visible_to(user=client.user).filter(referring_agency=client.agency)
    page, next_url = _page_of(request, qs, cursor, limit)
    shown = referrals_for_viewer(client.user, page)
    return {"items": [_referral_out(r, shown[r.pk]) for r in page], "next": next_url}


@api.get(
    "/referrals/{referral_id}/",
    response={200: ReferralDetailOut, **PROBLEMS},
    url_name="referral_detail",
    tags=["referrals"],
    summary="One referral's status, sent by or addressed to your agency",
    **_scope(ApiScope.REFERRALS_READ),
)
def referral_detail(request: HttpRequest, referral_id: uuid.UUID) -> dict[str, Any]:
    client = client_of(request)
    referral = referral_for_user(user=client.user, referral_id=referral_id)
    if referral is None or client.agency_id not in (
        referral.referring_agency_id,
        referral.receiving_agency_id,
    ):
        raise Http404
    shown = referral_for_viewer(client.user, referral, list(history_of(referral=referral)))
    audit_read(
        actor=client.user,
        obj=referral,
        fields=("status", "history") if not shown.withheld else ("sent",),
    )
    return _detail_out(referral, shown)


@api.post(
    "/referrals/{referral_id}/answer/",
    response={200: ReferralDetailOut, **PROBLEMS},
    url_name="referral_answer",
    tags=["referrals"],
    summary="Accept or decline a referral addressed to your agency",
    **_scope(ApiScope.REFERRALS_WRITE),
)
def referral_answer(
    request: HttpRequest,
    referral_id: uuid.UUID,
    payload: AnswerIn,
    idempotency_key: str | None = Header(None, alias="Idempotency-Key"),
) -> HttpResponse:
    client = client_of(request)
    key = _idempotency_key(idempotency_key)
    referral = referral_for_user(user=client.user, referral_id=referral_id)
    if referral is None or not can_act_on(user=client.user, referral=referral):
        raise Http404
    data = payload.model_dump(mode="json")

    def run() -> tuple[int, dict[str, Any]]:
        if payload.decision == "accept":
            answered = referral_services.referral_accept(
                actor=client.user,
                referral=referral,
                note=payload.note,
                expected_status=payload.expected_status,
            )
        else:
            answered = referral_services.referral_decline(
                actor=client.user,
                referral=referral,
                reason=payload.reason.value if payload.reason else "",
                note=payload.note,
                expected_status=payload.expected_status,
            )
        shown = referral_for_viewer(client.user, answered, list(history_of(referral=answered)))
        return 200, _json(_detail_out(answered, shown))

    return _answer_once(request, client, key, data, run)


# --- directory --------------------------------------------------------------------------------


@api.put(
    "/services/{service_id}/capacity/",
    response={200: CapacityOut, **PROBLEMS},
    url_name="service_capacity",
    tags=["directory"],
    summary="Report a service's open capacity (a service of your agency)",
    **_scope(ApiScope.DIRECTORY_WRITE),
)
def service_capacity(
    request: HttpRequest, service_id: uuid.UUID, payload: CapacityIn
) -> dict[str, Any]:
    client = client_of(request)
    program = program_for_user(user=client.user)
    own = agency_ids_for(client.user, Role.PROVIDER_INTAKE)
    service = (
        services_in_program(program=program).filter(pk=service_id, organization_id__in=own).first()
        if program
        else None
    )
    if service is None:
        raise Http404
    updated = service_capacity_set(
        actor=client.user,
        service=service,
        capacity_open=payload.capacity_open,
        capacity_total=payload.capacity_total,
        reason=f"updated by API client {client.name}"[:200],
    )
    return {
        "id": updated.pk,
        "name": updated.name,
        "capacity_open": updated.capacity_open,
        "capacity_total": updated.capacity_total,
        "capacity_updated_at": updated.capacity_updated_at,
    }


# --- contacts ---------------------------------------------------------------------------------


RULES_REFUSED = "The program's rules refused the contact. Nothing was recorded."


def _contact_out(result: FieldEntryResult) -> dict[str, Any]:
    encounter, referral = result.encounter, result.referral
    return {
        "id": encounter.pk,
        "pathway": encounter.pathway.code,
        "occurred_at": encounter.occurred_at,
        "disposition": encounter.disposition,
        "person_id": encounter.person_id,
        "eligibility_outcome": encounter.eligibility_outcome or "",
        "referral": {
            "id": referral.pk,
            "service_id": referral.service_id,
            "status": referral.status,
        }
        if referral is not None
        else None,
        "case_id": result.case.pk if result.case is not None else None,
        "work_items": [item.kind for item in result.work_items],
    }


@api.post(
    "/contacts/",
    response={201: ContactOut, **PROBLEMS},
    url_name="contacts",
    tags=["contacts"],
    summary="Record a contact in the field under a pathway, with its sections and referral",
    **_scope(ApiScope.ENCOUNTERS_WRITE),
)
def contact_create(
    request: HttpRequest,
    payload: ContactIn,
    idempotency_key: str | None = Header(None, alias="Idempotency-Key"),
) -> HttpResponse:
    client = client_of(request)
    key = _idempotency_key(idempotency_key)
    data = payload.model_dump(mode="json")

    def run() -> tuple[int, dict[str, Any]]:
        pp = startable_pathway(user=client.user, code=payload.pathway)
        if pp is None or pp.current_config is None:
            raise FieldsRefused(
                [
                    {
                        "field": "pathway",
                        "in": "body",
                        "message": "Your agency may not start this pathway in its program.",
                        "code": "refused",
                    }
                ],
                RULES_REFUSED,
            )
        contact_key = uuid.uuid5(CONTACT_KEY_NAMESPACE, f"{client.pk}:{key}")
        form, refused = contact_form(payload, pp, contact_key)
        if refused or not form.is_valid():
            raise FieldsRefused(refused + form_errors(form), RULES_REFUSED)
        entry = form.entry(
            agency=starting_agency(user=client.user, pp=pp),
            program_pathway=pp,
            idempotency_digest=_request_digest(request, data),
        )
        try:
            result = field_entry_submit(actor=client.user, entry=entry)
        except DjangoValidationError as exc:
            raise FieldsRefused(refusal_errors(exc), RULES_REFUSED) from exc
        return 201, _json(_contact_out(result))

    return _answer_once(request, client, key, data, run)


# --- overdoses --------------------------------------------------------------------------------


@api.post(
    "/overdoses/",
    response={201: OverdoseEventOut, **PROBLEMS},
    url_name="overdoses",
    tags=["overdoses"],
    summary="Report an overdose your agency responded to",
    **_scope(ApiScope.OVERDOSES_WRITE),
)
def overdose_create(
    request: HttpRequest,
    payload: OverdoseEventIn,
    idempotency_key: str | None = Header(None, alias="Idempotency-Key"),
) -> HttpResponse:
    client = client_of(request)
    key = _idempotency_key(idempotency_key)
    data = payload.model_dump(mode="json")

    def run() -> tuple[int, dict[str, Any]]:
        try:
            validate_not_future(payload.occurred_at)
        except DjangoValidationError as exc:
            raise DjangoValidationError({"occurred_at": exc.messages}) from exc
        given = payload.naloxone_given
        event = overdose_record(
            actor=client.user,
            agency=client.agency,
            occurred_at=payload.occurred_at,
            facts=OverdoseFacts(
                naloxone_given=given,
                naloxone_doses=payload.naloxone_doses,
                administered_by=payload.administered_by
                or (AdministeredBy.UNKNOWN if given else AdministeredBy.NONE),
                fatal=payload.fatal,
                transported=payload.transported,
                destination=payload.destination,
            ),
            location_text=payload.location_text,
            area=payload.area,
            source=OverdoseSource.IMPORT,
        )
        return 201, _json(
            {
                "id": event.pk,
                "occurred_at": event.occurred_at,
                "reporting_agency": str(client.agency),
                "naloxone_given": event.naloxone_given,
                "naloxone_doses": event.naloxone_doses,
                "administered_by": event.administered_by,
                "fatal": event.fatal,
                "transported": event.transported,
                "source": event.source,
            }
        )

    return _answer_once(request, client, key, data, run)


# --- import jobs ------------------------------------------------------------------------------


def _import_job_out(job: ImportJob) -> dict[str, Any]:
    return {
        "id": job.pk,
        "kind": job.kind,
        "agency": str(job.agency),
        "file_name": job.file_name,
        "file_size": job.file_size,
        "status": job.status,
        "percent": job.percent,
        "records": job.records,
        "added": job.added,
        "repeated": job.repeated,
        "skipped": job.skipped,
        "work_items": job.work_items,
        "problems": job.problems or [],
        "more_problems": job.more_problems,
        "created_at": job.created_at,
        "started_at": job.started_at,
        "finished_at": job.finished_at,
    }


@api.get(
    "/imports/",
    response={200: ImportJobPage, **PROBLEMS},
    url_name="imports",
    tags=["imports"],
    summary="Import jobs of files imported for your agency, newest first",
    **_scope(ApiScope.IMPORTS_READ),
)
def import_jobs(
    request: HttpRequest,
    cursor: str | None = Query(None, description="From the previous page's `next`"),
    limit: int = Query(PAGE_DEFAULT, ge=1, le=PAGE_MAX),
) -> dict[str, Any]:
    client = client_of(request)
    qs = jobs_for_agency(agency_id=client.agency_id).select_related("agency")
    page, next_url = _page_of(request, qs, cursor, limit)
    return {"items": [_import_job_out(job) for job in page], "next": next_url}


@api.get(
    "/imports/{job_id}/",
    response={200: ImportJobOut, **PROBLEMS},
    url_name="import_job",
    tags=["imports"],
    summary="One import job: its status, progress, counts and problems",
    **_scope(ApiScope.IMPORTS_READ),
)
def import_job(request: HttpRequest, job_id: uuid.UUID) -> dict[str, Any]:
    client = client_of(request)
    job = jobs_for_agency(agency_id=client.agency_id).select_related("agency").filter(pk=job_id)
    found = job.first()
    if found is None:
        raise Http404
    return _import_job_out(found)
