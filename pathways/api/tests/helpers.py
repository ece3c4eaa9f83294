"""What the API's tests share: a registered client and requests made with its credential."""

from __future__ import annotations

import json
import uuid
from typing import Any

from django.test import Client

from pathways.api.services import api_client_register


def register(cast: Any, agency: Any, *scopes: str, name: str = "Partner system") -> Any:
    """(client, token) of a client of `agency` with `scopes`, registered by the coordinator."""
    registered = api_client_register(
        actor=cast.coordinator, agency=agency, name=name, scopes=list(scopes)
    )
    return registered.client, registered.token


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def get(token: str, url: str, client: Client | None = None) -> Any:
    return (client or Client()).get(url, headers=bearer(token))


def post(
    token: str, url: str, body: Any, key: str | None = None, client: Client | None = None
) -> Any:
    headers = bearer(token)
    headers["Idempotency-Key"] = key or str(uuid.uuid4())
    return (client or Client()).post(
        url, json.dumps(body), content_type="application/json", headers=headers
    )


def put(token: str, url: str, body: Any) -> Any:
    return Client().put(
        url, json.dumps(body), content_type="application/json", headers=bearer(token)
    )


def assert_problem(response: Any, status: int, slug: str) -> dict[str, Any]:
    assert response.status_code == status, (response.status_code, response.content[:400])
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["type"] == f"/api/v1/docs/#problem-{slug}"
    assert body["status"] == status
    assert body["title"] and body["detail"]
    return dict(body)
