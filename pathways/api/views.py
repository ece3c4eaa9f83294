"""The coordinator's pages for partner-system clients (register, see the credential once,
revoke), and the API's documentation page, drawn on the server from the OpenAPI document (no
script, nothing from another site)."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from pathways.accounts.access import role_required
from pathways.api.forms import ClientForm, RevokeForm
from pathways.api.problems import PROBLEM_TYPES
from pathways.api.selectors import (
    CLIENT_MANAGER_ROLES,
    agencies_for_clients,
    client_for_manager,
    clients_for_manager,
)
from pathways.api.services import api_client_register, api_client_revoke
from pathways.api.v1 import api
from pathways.api.vocabulary import SCOPE_RULES, ApiScope
from pathways.core import clock
from pathways.core.forms import show_service_errors


@role_required(*CLIENT_MANAGER_ROLES)
def client_list(request: HttpRequest) -> HttpResponse:
    now = clock.now()
    clients = [(c, c.state(now)) for c in clients_for_manager(user=request.user)]
    return render(
        request,
        "api/clients.html",
        {"clients": clients, "revoke_form": RevokeForm(), "scopes": _scope_rows()},
    )


@require_http_methods(["GET", "POST"])
@role_required(*CLIENT_MANAGER_ROLES)
def client_new(request: HttpRequest) -> HttpResponse:
    agencies = agencies_for_clients(user=request.user)
    form = ClientForm(request.POST or None, agencies=agencies)
    if request.method == "POST" and form.is_valid():
        try:
            registered = api_client_register(
                actor=request.user,
                agency=form.cleaned_data["agency"],
                name=form.cleaned_data["name"],
                scopes=form.cleaned_data["scopes"],
                days=form.cleaned_data["days"],
            )
        except ValidationError as exc:
            show_service_errors(form, exc)
        else:
            response = render(
                request,
                "api/client_registered.html",
                {"client": registered.client, "token": registered.token},
            )
            response["Cache-Control"] = "no-store"  # shown once: no copy in a cache
            return response
    return render(
        request,
        "api/client_new.html",
        {"form": form},
        status=422 if form.is_bound else 200,
    )


@require_POST
@role_required(*CLIENT_MANAGER_ROLES)
def client_revoke(request: HttpRequest, client_id: uuid.UUID) -> HttpResponse:
    client = client_for_manager(user=request.user, client_id=client_id)
    if client is None:
        raise Http404("No such API client of your program.")
    form = RevokeForm(request.POST)
    if not form.is_valid():
        messages.error(request, "The reason is too long (200 characters at most). Not revoked.")
        return redirect("api:clients")
    try:
        api_client_revoke(actor=request.user, client=client, reason=form.cleaned_data["reason"])
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"{client.name} can no longer use the API.")
    return redirect("api:clients")


def _success(responses: dict[str, Any]) -> dict[str, Any]:
    """The operation's success answer (200, or 201 for a create)."""
    return dict(responses.get("200") or responses.get("201") or {})


def _scope_rows() -> list[tuple[str, str, str]]:
    return [(s.value, s.label, SCOPE_RULES[s].description) for s in ApiScope]


@require_GET
def docs(request: HttpRequest) -> HttpResponse:
    """The API's operations, their parameters, bodies and answers, and the problem types."""
    schema = api.get_openapi_schema()
    components = schema.get("components", {}).get("schemas", {})
    operations: list[dict[str, Any]] = []
    for address, methods in schema.get("paths", {}).items():
        for method, op in methods.items():
            body = (op.get("requestBody", {}).get("content", {}).get("application/json", {})).get(
                "schema"
            )
            operations.append(
                {
                    "method": method.upper(),
                    "path": address,
                    "anchor": op.get("operationId", ""),
                    "summary": op.get("summary", ""),
                    "description": op.get("description", ""),
                    "scope": op.get("x-pathways-scope", ""),
                    "parameters": [
                        {
                            "name": p.get("name"),
                            "in": p.get("in"),
                            "required": p.get("required", False),
                            "type": _type_of(p.get("schema", {})),
                            "description": p.get("description", "")
                            or p.get("schema", {}).get("description", ""),
                        }
                        for p in op.get("parameters", [])
                    ],
                    "body": _fields(body, components),
                    "responses": sorted(op.get("responses", {})),
                    "answer": _fields(
                        _success(op.get("responses", {}))
                        .get("content", {})
                        .get("application/json", {})
                        .get("schema"),
                        components,
                    ),
                }
            )
    return render(
        request,
        "api/docs.html",
        {
            "schema": schema,
            "operations": operations,
            "problems": PROBLEM_TYPES.values(),
            "scopes": _scope_rows(),
        },
    )


def _resolve(schema: dict[str, Any] | None, components: dict[str, Any]) -> dict[str, Any]:
    if not schema:
        return {}
    ref = schema.get("$ref")
    if isinstance(ref, str):
        return dict(components.get(ref.rsplit("/", 1)[-1], {}))
    return schema


def _type_of(schema: dict[str, Any]) -> str:
    if "$ref" in schema:
        return str(schema["$ref"]).rsplit("/", 1)[-1]
    if "anyOf" in schema:
        return " or ".join(_type_of(s) for s in schema["anyOf"])
    if "enum" in schema:
        return "one of " + ", ".join(str(v) for v in schema["enum"])
    if schema.get("type") == "array":
        return f"list of {_type_of(schema.get('items', {}))}"
    kind = str(schema.get("type", "any"))
    return f"{kind} ({schema['format']})" if "format" in schema else kind


def _fields(schema: dict[str, Any] | None, components: dict[str, Any]) -> list[dict[str, Any]]:
    resolved = _resolve(schema, components)
    required = set(resolved.get("required", []))
    return [
        {
            "name": name,
            "type": _type_of(prop),
            "required": name in required,
            "description": prop.get("description", ""),
        }
        for name, prop in resolved.get("properties", {}).items()
    ]
