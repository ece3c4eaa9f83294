"""WebAuthn (security keys and passkeys) glue around py_webauthn: which site a credential belongs
to, the options the browser is given, and the one-use challenge kept in the session.

The relying party id is the site's host name (PATHWAYS_WEBAUTHN_RP_ID, or the request's host,
which Django has already checked against ALLOWED_HOSTS); the origin is the page's
scheme://host[:port] (PATHWAYS_WEBAUTHN_ORIGIN, or the request's). Browsers refuse an IP address
as a relying party id: serve the site by name (``localhost`` on one machine)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
)
from webauthn.helpers import base64url_to_bytes, bytes_to_base64url
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    AuthenticatorTransport,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

RP_NAME = "Pathways"
#: The session key of the challenge the browser was last given (one use, a few minutes).
CHALLENGE_SESSION_KEY = "mfa_webauthn_challenge"
CHALLENGE_SECONDS = 300
REGISTER = "register"
AUTHENTICATE = "authenticate"


@dataclass(frozen=True)
class WebAuthnContext:
    """What an answer from the browser must match: the challenge we issued, our relying party
    id and our origin."""

    challenge: bytes
    rp_id: str
    origin: str


def rp_id_for(request: HttpRequest) -> str:
    configured = str(getattr(settings, "PATHWAYS_WEBAUTHN_RP_ID", "") or "")
    if configured:
        return configured
    host = request.get_host()
    if host.startswith("["):  # an IPv6 literal; browsers will refuse it, but parse it right
        return host.split("]")[0].lstrip("[")
    return host.rsplit(":", 1)[0] if ":" in host else host


def origin_for(request: HttpRequest) -> str:
    configured = str(getattr(settings, "PATHWAYS_WEBAUTHN_ORIGIN", "") or "")
    return configured or f"{request.scheme}://{request.get_host()}"


def _descriptors(credentials: list[Any]) -> list[PublicKeyCredentialDescriptor]:
    known = {t.value for t in AuthenticatorTransport}
    return [
        PublicKeyCredentialDescriptor(
            id=base64url_to_bytes(c.credential_id),
            transports=[AuthenticatorTransport(t) for t in c.transports if t in known] or None,
        )
        for c in credentials
    ]


def _remember(request: HttpRequest, purpose: str, challenge: bytes) -> None:
    request.session[CHALLENGE_SESSION_KEY] = {
        "purpose": purpose,
        "challenge": bytes_to_base64url(challenge),
        "at": int(time.time()),
    }


def registration_options(request: HttpRequest, user: Any, existing: list[Any]) -> str:
    """The JSON for navigator.credentials.create(); the challenge goes into the session."""
    options = generate_registration_options(
        rp_id=rp_id_for(request),
        rp_name=RP_NAME,
        user_id=user.pk.bytes,  # the user's UUID: no name or e-mail in the user handle
        user_name=user.get_username(),
        user_display_name=user.get_full_name() or user.get_username(),
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.PREFERRED,
            user_verification=UserVerificationRequirement.PREFERRED,
        ),
        exclude_credentials=_descriptors(existing),
    )
    _remember(request, REGISTER, options.challenge)
    return options_to_json(options)


def authentication_options(request: HttpRequest, credentials: list[Any]) -> str:
    """The JSON for navigator.credentials.get() for the user's own keys."""
    options = generate_authentication_options(
        rp_id=rp_id_for(request),
        allow_credentials=_descriptors(credentials),
        user_verification=UserVerificationRequirement.PREFERRED,
    )
    _remember(request, AUTHENTICATE, options.challenge)
    return options_to_json(options)


def take_context(request: HttpRequest, purpose: str) -> WebAuthnContext | None:
    """The challenge issued for `purpose`, removed from the session (it is good for one answer),
    with this site's relying party id and origin; None when none was issued or it is stale."""
    stored = request.session.pop(CHALLENGE_SESSION_KEY, None)
    if not isinstance(stored, dict) or stored.get("purpose") != purpose:
        return None
    if int(time.time()) - int(stored.get("at", 0)) > CHALLENGE_SECONDS:
        return None
    return WebAuthnContext(
        challenge=base64url_to_bytes(str(stored["challenge"])),
        rp_id=rp_id_for(request),
        origin=origin_for(request),
    )
