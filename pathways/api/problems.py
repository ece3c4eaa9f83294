"""Every error of the API as an RFC 9457 problem detail (``application/problem+json``): a
`type` (a link to its explanation in the API's docs page), a `title`, the `status`, a `detail`
for this occurrence, and for invalid input the list of fields and what is wrong with each.
Nothing the client sent is echoed back, and no problem carries personal data."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from django.http import HttpResponse

CONTENT_TYPE = "application/problem+json"
DOCS_PATH = "/api/v1/docs/"


@dataclass(frozen=True)
class ProblemType:
    slug: str
    title: str
    status: int
    explanation: str


#: The problem types the API answers with, each explained on the docs page (its `type` link).
PROBLEM_TYPES: dict[str, ProblemType] = {
    p.slug: p
    for p in (
        ProblemType(
            "unauthorized",
            "Not signed in with a client credential",
            401,
            "Send the credential the coordinator gave your system as `Authorization: Bearer "
            "pwapi_…`. A person's signed-in session never works here. An expired or revoked "
            "credential is refused the same way: ask the coordinator for a new one.",
        ),
        ProblemType(
            "forbidden",
            "Outside the client's scopes",
            403,
            "The credential works, but its scopes do not include this operation. The "
            "coordinator can register a client with the scope it needs.",
        ),
        ProblemType(
            "not-found",
            "Not found",
            404,
            "No such address, or no such record that your agency may see. A record of another "
            "agency is answered exactly like one that does not exist.",
        ),
        ProblemType(
            "method-not-allowed",
            "Method not allowed",
            405,
            "The address exists but not with this method; the `Allow` header lists the ones "
            "it takes.",
        ),
        ProblemType(
            "malformed",
            "The request could not be read",
            400,
            "The body is not JSON, or a required header (such as Idempotency-Key) is missing "
            "or malformed. Nothing was changed.",
        ),
        ProblemType(
            "invalid",
            "The request has invalid fields",
            422,
            "One or more fields are missing, of the wrong type, not allowed, or refused by the "
            "program's rules; `errors` lists each field and what is wrong. Nothing was changed.",
        ),
        ProblemType(
            "conflict",
            "The record changed meanwhile",
            409,
            "The record is no longer in the state your request expected (`expected_status`): "
            "someone else answered or moved it. Nothing was changed. Read it again and decide.",
        ),
        ProblemType(
            "idempotency-key-reused",
            "Idempotency-Key used for another request",
            422,
            "This Idempotency-Key was already used with a different body or address. Use a "
            "fresh key for a new request; resend the same body to get the first answer again.",
        ),
        ProblemType(
            "idempotency-in-progress",
            "The first request with this key is still running",
            409,
            "Another request with this Idempotency-Key has not finished. Retry shortly.",
        ),
        ProblemType(
            "rate-limited",
            "Too many requests",
            429,
            "The client sent more requests this minute than it may. Wait the seconds the "
            "`Retry-After` header gives.",
        ),
        ProblemType(
            "server-error",
            "Something went wrong on the server",
            500,
            "The request failed on the server and nothing was changed. The error is logged "
            "with its `instance` id (no personal data); quote it when you report it.",
        ),
    )
}


def problem(
    slug: str,
    detail: str,
    *,
    status: int | None = None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> HttpResponse:
    kind = PROBLEM_TYPES[slug]
    body = {
        "type": f"{DOCS_PATH}#problem-{slug}",
        "title": kind.title,
        "status": status or kind.status,
        "detail": detail,
        **extra,
    }
    response = HttpResponse(
        json.dumps(body, ensure_ascii=False),
        status=status or kind.status,
        content_type=CONTENT_TYPE,
    )
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def field_errors_from_ninja(errors: list[dict[str, Any]]) -> list[dict[str, str]]:
    """ninja's (pydantic's) errors as [{field, in, message, code}]: `field` is the path inside
    the body, query or header (dotted), never the value sent."""
    listed = []
    for error in errors:
        loc = [str(part) for part in error.get("loc", ())]
        where = loc[0] if loc else "body"
        path = loc[1:] if len(loc) > 1 else loc
        if where == "body" and path[:1] == ["payload"]:
            path = path[1:]  # the body parameter's own name is not a field of the body
        listed.append(
            {
                "field": ".".join(path),  # "" for the body (or query) as a whole
                "in": where,
                "message": str(error.get("msg", "Invalid value.")),
                "code": str(error.get("type", "invalid")),
            }
        )
    return listed


def field_errors_from_django(message_dict: dict[str, list[str]]) -> list[dict[str, str]]:
    """A service's ValidationError as [{field, in, message, code}] ("__all__" → the body)."""
    return [
        {
            "field": "" if name == "__all__" else name,
            "in": "body",
            "message": message,
            "code": "refused",
        }
        for name, messages in message_dict.items()
        for message in messages
    ]
