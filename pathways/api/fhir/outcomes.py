"""Every FHIR error as an OperationOutcome (application/fhir+json): the HTTP status, one issue
per problem with its FHIR issue code and a diagnostic in our words, and for invalid input the
FHIRPath of each invalid element. Nothing the client sent is echoed back."""

from __future__ import annotations

import json
from typing import Any

import pydantic
from django.http import HttpResponse
from fhir.resources.R4B.operationoutcome import OperationOutcome

CONTENT_TYPE = "application/fhir+json; charset=utf-8"


class FhirError(Exception):
    """A refusal answered as an OperationOutcome with `status`."""

    def __init__(
        self,
        status: int,
        code: str,
        diagnostics: str,
        *,
        issues: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(diagnostics)
        self.status = status
        self.issues = issues or [issue(code, diagnostics)]
        self.headers = headers or {}

    def response(self) -> HttpResponse:
        return outcome_response(self.status, self.issues, headers=self.headers)


def issue(code: str, diagnostics: str, expression: list[str] | None = None) -> dict[str, Any]:
    found: dict[str, Any] = {"severity": "error", "code": code, "diagnostics": diagnostics}
    if expression:
        found["expression"] = expression
    return found


def fhir_response(
    body: dict[str, Any], status: int = 200, headers: dict[str, str] | None = None
) -> HttpResponse:
    response = HttpResponse(
        json.dumps(body, ensure_ascii=False), status=status, content_type=CONTENT_TYPE
    )
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def outcome_response(
    status: int, issues: list[dict[str, Any]], headers: dict[str, str] | None = None
) -> HttpResponse:
    body = OperationOutcome.model_validate(
        {"resourceType": "OperationOutcome", "issue": issues}
    ).model_dump(mode="json", exclude_none=True)
    return fhir_response(body, status, headers)


def _path(resource_type: str, loc: tuple[Any, ...]) -> str:
    path = resource_type
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        elif part == "resource_type":
            path += ".resourceType"
        else:
            path += f".{part}"
    return path


def invalid_resource(resource_type: str, exc: pydantic.ValidationError) -> FhirError:
    """fhir.resources' refusal of a resource, as a 400 listing each invalid element (its
    message, never the value: `str(exc)` would echo it)."""
    issues = [
        issue(
            "required" if "missing" in str(error.get("type", "")) else "structure",
            str(error.get("msg", "Invalid value.")).split("\n")[0].strip(),
            [_path(resource_type, tuple(error.get("loc", ())))],
        )
        for error in exc.errors(include_input=False)
    ]
    return FhirError(
        400,
        "structure",
        "The resource is not a valid FHIR resource. Nothing was changed.",
        issues=[issue("invalid", "The resource is not valid FHIR. Nothing was changed."), *issues],
    )
