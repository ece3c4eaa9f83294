"""Reads of the partner API's clients, scoped to the coordinator's program."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils.crypto import constant_time_compare

from pathways.accounts.models import Agency, Role
from pathways.accounts.selectors import agencies_for
from pathways.api.credentials import secret_digest, split_token
from pathways.api.models import ApiClient, IdempotentRequest

#: Who registers and revokes API clients: for the program they coordinate or administer.
CLIENT_MANAGER_ROLES = (Role.COORDINATOR, Role.ADMIN)


def client_program_ids(*, user: Any) -> set[Any]:
    return {a.program_id for a in agencies_for(user, *CLIENT_MANAGER_ROLES)}


def clients_for_manager(*, user: Any) -> QuerySet[ApiClient]:
    """The API clients of the programs the user coordinates or administers."""
    return ApiClient.objects.filter(program_id__in=client_program_ids(user=user)).select_related(
        "agency", "created_by", "revoked_by"
    )


def client_for_manager(*, user: Any, client_id: Any) -> ApiClient | None:
    return clients_for_manager(user=user).filter(pk=client_id).first()


def agencies_for_clients(*, user: Any) -> QuerySet[Agency]:
    """The agencies a coordinator may register clients for: the active ones of their program."""
    return (
        Agency.objects.active()
        .filter(program_id__in=client_program_ids(user=user))
        .order_by("name")
    )


def client_by_credential(*, token: str) -> ApiClient | None:
    """The client whose credential `token` is (whatever its state: see ApiClient.state), or
    None. Compared in constant time."""
    parts = split_token(token)
    if parts is None:
        return None
    key_id, secret = parts
    client = (
        ApiClient.objects.filter(key_id=key_id).select_related("agency", "program", "user").first()
    )
    if client is None:
        secret_digest("0" * 32, secret)  # as long as a match would take
        return None
    if not constant_time_compare(secret_digest(client.secret_salt, secret), client.secret_hash):
        return None
    return client


def idempotent_request(*, client: ApiClient, key: str) -> IdempotentRequest | None:
    return IdempotentRequest.objects.filter(client=client, key=key).first()
