from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse

from pathways.accounts.models import Membership
from pathways.api.credentials import TOKEN_PREFIX, secret_digest, split_token
from pathways.api.models import ApiClient
from pathways.api.selectors import client_by_credential
from pathways.api.services import api_client_register, api_client_revoke
from pathways.api.tests.helpers import register
from pathways.audit.models import AuditEvent
from pathways.core import clock


def test_register_keeps_only_a_salted_digest_and_audits_without_the_secret(cast: Any) -> None:
    client, token = register(cast, cast.provider_p, "referrals:write", "referrals:read")
    assert token.startswith(TOKEN_PREFIX)
    key_id, secret = split_token(token) or ("", "")
    assert key_id == client.key_id
    stored = ApiClient.objects.get(pk=client.pk)
    assert secret not in str(stored.__dict__)
    assert stored.secret_hash == secret_digest(stored.secret_salt, secret)
    # the vocabulary's order, each scope once
    assert stored.scopes == ["referrals:read", "referrals:write"]
    assert client_by_credential(token=token) == stored
    assert client_by_credential(token=token[:-1] + ("A" if token[-1] != "A" else "B")) is None
    events = AuditEvent.objects.filter(object_id=str(client.pk))
    assert [e.event_type for e in events] == ["api_client.register"]
    assert events[0].actor == cast.coordinator
    every_event = str(list(AuditEvent.objects.values_list("changes", flat=True)))
    assert secret not in every_event and stored.secret_hash not in every_event


def test_the_clients_account_holds_its_scopes_roles_and_cannot_sign_in(cast: Any) -> None:
    client, _ = register(cast, cast.provider_p, "referrals:read", "referrals:write")
    roles = set(Membership.objects.filter(user=client.user).values_list("role", flat=True))
    assert roles == {"supervisor", "provider_intake"}
    assert client.user.is_active is False and not client.user.has_usable_password()
    page = Client().post(reverse("login"), {"username": client.user.username, "password": ""})
    assert page.status_code == 200 and "_auth_user_id" not in page.client.session


def test_provider_scopes_only_for_providers_and_bad_input_changes_nothing(cast: Any) -> None:
    before = ApiClient.objects.count()
    with pytest.raises(ValidationError) as refused:
        register(cast, cast.police_a, "referrals:write")
    assert "scopes" in refused.value.message_dict
    for scopes, days, name, field in (
        ([], 30, "A", "scopes"),
        (["referrals:delete"], 30, "A", "scopes"),
        (["referrals:read"], 0, "A", "days"),
        (["referrals:read"], 10_000, "A", "days"),
        (["referrals:read"], 30, "  ", "name"),
        (["referrals:read"], 30, "bad\x00name", "name"),
    ):
        with pytest.raises(ValidationError) as refused:
            api_client_register(
                actor=cast.coordinator, agency=cast.police_a, name=name, scopes=scopes, days=days
            )
        assert field in refused.value.message_dict, (scopes, days, name)
    assert ApiClient.objects.count() == before
    register(cast, cast.police_a, "referrals:read", name="RMS")
    with pytest.raises(ValidationError) as refused:
        register(cast, cast.police_a, "referrals:read", name="rms")
    assert "name" in refused.value.message_dict


def test_only_the_programs_coordinator_registers_and_revokes(cast: Any) -> None:
    with pytest.raises(PermissionDenied):
        api_client_register(
            actor=cast.intake_p, agency=cast.provider_p, name="X", scopes=["referrals:read"]
        )
    client, _ = register(cast, cast.provider_p, "referrals:read")
    with pytest.raises(PermissionDenied):
        api_client_revoke(actor=cast.officer_a, client=client)
    assert ApiClient.objects.get(pk=client.pk).revoked_at is None


def test_revoke_is_audited_switches_off_the_roles_and_is_once(cast: Any) -> None:
    client, token = register(cast, cast.provider_p, "referrals:write")
    revoked = api_client_revoke(actor=cast.coordinator, client=client, reason="leaked")
    assert revoked.state(clock.now()) == "revoked"
    assert not Membership.objects.filter(user=client.user, is_active=True).exists()
    again = api_client_revoke(actor=cast.coordinator, client=client, reason="twice")
    assert again.revoke_reason == "leaked"
    events = AuditEvent.objects.filter(event_type="api_client.revoke", object_id=str(client.pk))
    assert events.count() == 1
    assert token not in str(events[0].changes)


def test_a_credential_expires(cast: Any) -> None:
    client, _ = register(cast, cast.provider_p, "referrals:read")
    assert client.state(clock.now()) == "active"
    assert client.state(clock.now() + dt.timedelta(days=366)) == "expired"


def test_split_token_refuses_what_is_not_a_credential() -> None:
    for token in (
        "",
        "pwapi_",
        "pwapi_short_x",
        "Bearer x",
        "pwapi_0123456789abcdefX" + "a" * 5,
        "pwapi_0123456789abcdef_",
        "pwapi_0123456789abcdef_" + "a" * 101,
    ):
        assert split_token(token) is None, token
    assert split_token("pwapi_0123456789abcdef_secret") == ("0123456789abcdef", "secret")
