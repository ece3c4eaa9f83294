"""Writes of the partner API's own records: registering and revoking clients, and keeping the
first answer to an idempotent POST. Audited; no secret ever reaches an audit row or a log."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils.crypto import constant_time_compare

from pathways.accounts.models import Agency, Membership, User
from pathways.accounts.selectors import agencies_for
from pathways.api.credentials import new_credential
from pathways.api.models import ApiClient, IdempotentRequest
from pathways.api.selectors import CLIENT_MANAGER_ROLES
from pathways.api.vocabulary import SCOPE_RULES, ApiScope, roles_for_scopes
from pathways.audit.services import audit_log, created
from pathways.core import clock
from pathways.core.services import service
from pathways.core.validators import clean_text_field

DEFAULT_DAYS = 365
MAX_DAYS = 730
CLIENT_FIELDS = ["program", "agency", "name", "scopes", "key_id", "expires_at", "user"]


@dataclass(frozen=True)
class RegisteredClient:
    """A client just registered: `token` is shown once and never stored."""

    token: str
    client: ApiClient


def _clean_scopes(scopes: list[str], agency: Agency) -> list[str]:
    if not scopes:
        raise ValidationError({"scopes": "Choose at least one thing the client may do."})
    unknown = sorted(set(scopes) - set(ApiScope.values))
    if unknown:
        raise ValidationError({"scopes": f"Unknown scopes: {', '.join(unknown)}."})
    for scope in scopes:
        rule = SCOPE_RULES[scope]
        if rule.agency_kinds and agency.kind not in rule.agency_kinds:
            raise ValidationError(
                {
                    "scopes": f"“{ApiScope(scope).label}” is for {rule.agency_kinds_label}; "
                    f"{agency} is not one."
                }
            )
    return [s for s in ApiScope.values if s in scopes]  # the vocabulary's order, each once


@service
def api_client_register(
    *,
    actor: Any,
    agency: Agency,
    name: str,
    scopes: list[str],
    days: int = DEFAULT_DAYS,
    on_server: bool = False,
) -> RegisteredClient:
    """Register a partner system for `agency` with `scopes`, its credential valid for `days`.
    `actor` is a coordinator or administrator of the agency's program; with `on_server` (a
    command run on the server) anyone named, or None. The credential is returned once."""
    if not on_server and agency.program_id not in {
        a.program_id for a in agencies_for(actor, *CLIENT_MANAGER_ROLES)
    }:
        raise PermissionDenied("You can register API clients only for your program.")
    if agency.is_archived:
        raise ValidationError({"agency": f"{agency} is archived."})
    clean_name = clean_text_field(
        name, field="name", label="name", max_length=100, required=True, one_line=True
    )
    clean = _clean_scopes(list(scopes), agency)
    if not isinstance(days, int) or not 1 <= days <= MAX_DAYS:
        raise ValidationError({"days": f"A credential lasts from 1 to {MAX_DAYS} days."})
    if ApiClient.objects.filter(
        agency=agency, name__iexact=clean_name, revoked_at__isnull=True
    ).exists():
        raise ValidationError({"name": f"{agency} already has a client called {clean_name}."})
    now = clock.now()
    token, key_id, salt, digest = new_credential()
    account = User(
        username=f"api-{key_id}",
        first_name=f"{clean_name} (API client)"[:150],
        is_active=False,  # never signs in to the pages: django's backends refuse it
    )
    account.set_unusable_password()
    account.save()
    client = ApiClient.objects.create(
        program_id=agency.program_id,
        agency=agency,
        name=clean_name,
        scopes=clean,
        user=account,
        key_id=key_id,
        secret_salt=salt,
        secret_hash=digest,
        expires_at=now + dt.timedelta(days=days),
        created_by=actor if getattr(actor, "pk", None) else None,
        created_at=now,
        updated_at=now,
    )
    audit_log(
        actor=actor,
        actor_agency=None,
        event_type="api_client.register",
        obj=client,
        changes=created(client, CLIENT_FIELDS),
    )
    for role in roles_for_scopes(clean):
        membership = Membership.objects.create(user=account, agency=agency, role=role)
        audit_log(
            actor=actor,
            event_type="membership.create",
            obj=membership,
            changes=created(membership, ["user", "agency", "role"]),
        )
    return RegisteredClient(token=token, client=client)


@service
def api_client_revoke(
    *, actor: Any, client: ApiClient, reason: str = "", on_server: bool = False
) -> ApiClient:
    """Revoke a client's credential at once: it is refused from the next request, and its
    account's memberships are switched off. Revoking a revoked client changes nothing."""
    if not on_server and client.program_id not in {
        a.program_id for a in agencies_for(actor, *CLIENT_MANAGER_ROLES)
    }:
        raise PermissionDenied("You can revoke API clients only of your program.")
    locked = ApiClient.objects.select_for_update().get(pk=client.pk)
    if locked.revoked_at is not None:
        return locked
    clean_reason = clean_text_field(
        reason, field="reason", label="reason", max_length=200, required=False, one_line=True
    )
    if not getattr(actor, "pk", None) and not clean_reason:
        clean_reason = "revoked on the server"
    locked.revoked_at = clock.now()
    locked.revoked_by = actor if getattr(actor, "pk", None) else None
    locked.revoke_reason = clean_reason
    locked.save(update_fields=["revoked_at", "revoked_by", "revoke_reason"])
    switched_off = Membership.objects.filter(user_id=locked.user_id, is_active=True).update(
        is_active=False, updated_at=locked.revoked_at
    )
    audit_log(
        actor=actor,
        event_type="api_client.revoke",
        obj=locked,
        changes={
            "revoked_at": [None, locked.revoked_at.isoformat()],
            "revoke_reason": ["", clean_reason],
            "memberships_switched_off": [0, switched_off],
        },
    )
    return locked


def api_client_touch(client: ApiClient) -> None:
    """Note that the client was used now, at most once a minute (one short UPDATE; usage, not a
    change of any record, so not audited)."""
    now = clock.now()
    if client.last_used_at is not None and now - client.last_used_at < dt.timedelta(minutes=1):
        return
    ApiClient.objects.filter(pk=client.pk).update(last_used_at=now)
    client.last_used_at = now


@service
def api_request_refused(*, client: ApiClient, reason: str, route: str, method: str) -> None:
    """Audit a request a known client's credential could not make: revoked, expired, or outside
    its scopes. The route and method only, never the body, query or credential."""
    audit_log(
        actor=client.user,
        actor_agency=client.agency,
        event_type="auth.api_refused",
        obj=client,
        changes={"reason": [None, reason], "route": [None, route], "method": [None, method]},
    )


@dataclass(frozen=True)
class Answer:
    """What an idempotent POST answered: its status and JSON body, and whether it is the first
    answer given again (`replayed`)."""

    status: int
    body: dict[str, Any]
    replayed: bool = False


class IdempotencyKeyReused(Exception):
    """The key came back with another method, address or body."""


class IdempotencyInProgress(Exception):
    """The first request with the key has not finished."""


@service
def idempotent_post(
    *,
    client: ApiClient,
    key: str,
    method: str,
    path: str,
    digest: str,
    run: Callable[[], tuple[int, dict[str, Any]]],
) -> Answer:
    """Run `run` (which calls the domain service and returns the answer) once per client and
    key, keeping its answer in the same transaction: the same key with the same request
    (`digest`) gets that answer again and runs nothing; with another request it is refused.
    When `run` refuses (raises), nothing is kept and the key may be used again."""
    existing = IdempotentRequest.objects.filter(client=client, key=key).first()
    if existing is not None:
        return _replay(existing, digest)
    try:
        with transaction.atomic():
            record = IdempotentRequest.objects.create(
                client=client,
                key=key,
                method=method,
                path=path,
                request_digest=digest,
                status_code=0,
            )
    except IntegrityError:
        raced = IdempotentRequest.objects.filter(client=client, key=key).first()
        if raced is None or not raced.status_code:
            raise IdempotencyInProgress() from None
        return _replay(raced, digest)
    status, body = run()
    record.status_code, record.response_body = status, body
    record.save(update_fields=["status_code", "response_body"])
    return Answer(status, body)


def _replay(record: IdempotentRequest, digest: str) -> Answer:
    if not constant_time_compare(record.request_digest, digest):
        raise IdempotencyKeyReused()
    if not record.status_code:
        raise IdempotencyInProgress()
    return Answer(record.status_code, record.replay(), replayed=True)
