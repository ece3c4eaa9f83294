"""Writes for agencies, users and their memberships, and the two-step sign-in (MFA)."""

from __future__ import annotations

import datetime as dt
import json
import secrets
import time
from binascii import unhexlify
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.utils.crypto import constant_time_compare, salted_hmac
from django_otp.oath import TOTP
from webauthn import verify_authentication_response, verify_registration_response
from webauthn.helpers import bytes_to_base64url, parse_authentication_credential_json
from webauthn.helpers.exceptions import WebAuthnException

from pathways.accounts.models import (
    Agency,
    AgencyKind,
    AuthenticatorApp,
    EnrolmentCode,
    Membership,
    MfaLockout,
    Role,
    User,
    WebAuthnCredential,
)
from pathways.accounts.passkeys import WebAuthnContext
from pathways.accounts.selectors import device_kind, may_issue_enrolment_code, mfa_devices
from pathways.audit.security import _record
from pathways.audit.services import audit_log, created
from pathways.core import clock
from pathways.core.services import service
from pathways.core.validators import clean_text_field

if TYPE_CHECKING:
    from pathways.programs.models import Program

AGENCY_FIELDS = ["program", "name", "kind"]


@service
def agency_create(*, actor: User | None, program: Program, name: str, kind: str) -> Agency:
    """Add an agency (a partner organisation) to the program; names are unique in a program."""
    clean_name = clean_text_field(
        name, field="name", label="agency name", max_length=200, required=True, one_line=True
    )
    if kind not in AgencyKind.values:
        raise ValidationError({"kind": f"{kind!r} is not a kind of agency."})
    if Agency.objects.filter(program=program, name__iexact=clean_name).exists():
        raise ValidationError({"name": f"The program already has an agency called {clean_name}."})
    agency = Agency.objects.create(program=program, name=clean_name, kind=kind)
    audit_log(
        actor=actor, event_type="agency.create", obj=agency, changes=created(agency, AGENCY_FIELDS)
    )
    return agency


@service
def member_create(
    *, actor: User | None, agency: Agency, role: str, username: str, email: str = ""
) -> Membership:
    """A new user holding `role` at `agency`. The user has no password until one is set (for
    example with ``manage.py changepassword``), so the account cannot be used before then."""
    if role not in Role.values:
        raise ValidationError({"role": f"{role!r} is not a role."})
    user = User(username=username.strip(), email=email.strip())
    user.set_unusable_password()
    try:
        user.full_clean(exclude=["password"])
    except ValidationError as exc:
        raise ValidationError(
            {f"user_{key}": messages for key, messages in exc.message_dict.items()}
        ) from exc
    user.save()
    audit_log(actor=actor, event_type="user.create", obj=user, changes=created(user, ["username"]))
    membership = Membership.objects.create(user=user, agency=agency, role=role)
    audit_log(
        actor=actor,
        event_type="membership.create",
        obj=membership,
        changes=created(membership, ["user", "agency", "role"]),
    )
    return membership


# --- Two-step sign-in (MFA) -----------------------------------------------------------------
# docs/decisions/0011-mfa.md. Audit events carry the method and the outcome, never a secret,
# a code or a key. A failed check returns (it does not raise) so that the count of wrong codes
# and its audit event are committed with it.

#: Wrong codes for one user (since their last success) that pause the second step.
MFA_FAILURE_LIMIT = 5
#: The first pause; each further pause without a success in between lasts twice as long.
MFA_LOCK_MINUTES = 10
MFA_LOCK_MAX = dt.timedelta(hours=24)
TOTP_DIGITS = 6


@dataclass(frozen=True)
class MfaCheck:
    """The answer to one second-step check: the device that passed it, or why it failed."""

    device: Any = None
    locked_until: dt.datetime | None = None
    failures_left: int = MFA_FAILURE_LIMIT

    @property
    def ok(self) -> bool:
        return self.device is not None


def _mfa_event(user: Any, event_type: str, outcome: str = "success", **changes: Any) -> None:
    _record(
        actor=user,
        event_type=event_type,
        object_id=str(user.pk),
        outcome=outcome,
        changes={name: [None, value] for name, value in changes.items()},
    )


def _lockout_for_update(user: Any) -> MfaLockout:
    MfaLockout.objects.get_or_create(user=user)
    return MfaLockout.objects.select_for_update().get(user=user)


def _check(
    *,
    user: Any,
    method: str,
    purpose: str,
    verify: Callable[[], Any],
    success_event: str = "auth.mfa_verified",
) -> MfaCheck:
    """Run `verify` (which returns the device that accepted the proof, or None) unless the user's
    second step is paused; count a failure, pausing at the limit; clear the count on success."""
    lockout = _lockout_for_update(user)
    now = clock.now()
    if lockout.locked_until is not None and lockout.locked_until > now:
        return MfaCheck(locked_until=lockout.locked_until, failures_left=0)
    device = verify()
    if device is not None:
        if lockout.failures or lockout.lockouts or lockout.locked_until:
            lockout.failures, lockout.lockouts, lockout.locked_until = 0, 0, None
            lockout.save(update_fields=["failures", "lockouts", "locked_until"])
        _mfa_event(user, success_event, method=method, purpose=purpose)
        return MfaCheck(device=device)
    lockout.failures += 1
    _mfa_event(
        user, "auth.mfa_failed", "failure", method=method, purpose=purpose, count=lockout.failures
    )
    if lockout.failures < MFA_FAILURE_LIMIT:
        lockout.save(update_fields=["failures"])
        return MfaCheck(failures_left=MFA_FAILURE_LIMIT - lockout.failures)
    pause = min(dt.timedelta(minutes=MFA_LOCK_MINUTES * 2**lockout.lockouts), MFA_LOCK_MAX)
    lockout.failures, lockout.lockouts = 0, lockout.lockouts + 1
    lockout.locked_until = now + pause
    lockout.save(update_fields=["failures", "lockouts", "locked_until"])
    _mfa_event(
        user,
        "auth.mfa_locked",
        "failure",
        minutes=int(pause.total_seconds() // 60),
        until=lockout.locked_until.isoformat(),
    )
    return MfaCheck(locked_until=lockout.locked_until, failures_left=0)


def _totp_match(user: Any, code: str) -> AuthenticatorApp | None:
    """The user's authenticator-app device that accepts `code` now. django-otp refuses a code
    at or before the last accepted time step (`last_t`), so a code works once."""
    for device in AuthenticatorApp.objects.select_for_update().filter(user=user, confirmed=True):
        if device.verify_token(code):
            found: AuthenticatorApp = device  # django-otp is untyped
            return found
    return None


def _assertion_match(user: Any, assertion: str, context: WebAuthnContext) -> Any:
    """The user's security key that signed our challenge in `assertion`, its counter moved on."""
    try:
        parsed = parse_authentication_credential_json(assertion)
    except (WebAuthnException, ValueError, TypeError, KeyError):
        return None
    key = (
        WebAuthnCredential.objects.select_for_update()
        .filter(user=user, confirmed=True, credential_id=bytes_to_base64url(parsed.raw_id))
        .first()
    )
    if key is None:
        return None
    try:
        verified = verify_authentication_response(
            credential=parsed,
            expected_challenge=context.challenge,
            expected_rp_id=context.rp_id,
            expected_origin=context.origin,
            credential_public_key=bytes(key.public_key),
            credential_current_sign_count=key.sign_count,
        )
    except (WebAuthnException, ValueError, TypeError, KeyError):
        return None
    key.sign_count = verified.new_sign_count
    key.set_last_used_timestamp(commit=False)
    key.save(update_fields=["sign_count", "last_used_at"])
    return key


@service
def mfa_verify_code(*, user: Any, code: str, purpose: str = "sign_in") -> MfaCheck:
    """Check a code from one of the user's authenticator apps (a well-formed 6-digit code: the
    form refuses anything else before this is called)."""
    return _check(user=user, method="totp", purpose=purpose, verify=lambda: _totp_match(user, code))


@service
def mfa_verify_key(
    *, user: Any, assertion: str, context: WebAuthnContext | None, purpose: str = "sign_in"
) -> MfaCheck:
    """Check a security key's signed answer (`assertion`, the browser's JSON) to our challenge."""
    return _check(
        user=user,
        method="webauthn",
        purpose=purpose,
        verify=lambda: _assertion_match(user, assertion, context) if context is not None else None,
    )


def totp_code_matches(key_hex: str, code: str) -> tuple[bool, int, int]:
    """Whether `code` is the authenticator app's code for the secret `key_hex` now (one step
    either side); with the time step and drift it matched at."""
    totp = TOTP(unhexlify(key_hex.encode()), step=30, t0=0, digits=TOTP_DIGITS, drift=0)
    totp.time = time.time()
    matched = totp.verify(int(code), tolerance=1)
    return bool(matched), totp.t(), totp.drift


@service
def mfa_enrol_totp(
    *, user: Any, key_hex: str, code: str, name: str, enrolment: Any = None
) -> AuthenticatorApp:
    """Add an authenticator app once it has shown it holds the secret (its current code). The
    confirming code is spent: it cannot be used again to sign in. A user's first device also
    spends their enrolment code (`enrolment`: its id, from `enrolment_code_check`); a later one
    is added only by a session that passed the second step (the views see to that)."""
    well_formed = len(code) == TOTP_DIGITS and code.isascii() and code.isdigit()
    matched, step, drift = totp_code_matches(key_hex, code) if well_formed else (False, 0, 0)
    if not matched:
        raise ValidationError(
            {
                "code": "That code does not match. Check the app shows a code for Pathways "
                "and type the 6 digits it shows now."
            }
        )
    _spend_enrolment_code_if_first(user, enrolment)
    device = AuthenticatorApp.objects.create(
        user=user,
        name=_device_name(name, "Authenticator app"),
        key=key_hex,
        digits=TOTP_DIGITS,
        last_t=step,
        drift=drift,
        confirmed=True,
    )
    _mfa_event(user, "auth.mfa_enrolled", method="totp", device=device.name)
    enrolled: AuthenticatorApp = device  # django-otp is untyped
    return enrolled


@service
def mfa_enrol_key(
    *,
    user: Any,
    credential: str,
    context: WebAuthnContext | None,
    name: str,
    enrolment: Any = None,
) -> WebAuthnCredential:
    """Add a security key or passkey from the browser's answer to our registration challenge.
    A user's first device also spends their enrolment code, as `mfa_enrol_totp`."""
    problem = ValidationError(
        {
            "credential": "The security key was not added: the browser's answer could not be "
            "checked. Try again, and use the key when the browser asks."
        }
    )
    if context is None:
        raise problem
    try:
        verified = verify_registration_response(
            credential=credential,
            expected_challenge=context.challenge,
            expected_rp_id=context.rp_id,
            expected_origin=context.origin,
        )
        transports = [
            str(t) for t in (json.loads(credential).get("response", {}).get("transports") or [])
        ][:8]
    except (WebAuthnException, ValueError, TypeError, KeyError, AttributeError) as exc:
        raise problem from exc
    credential_id = bytes_to_base64url(verified.credential_id)
    if WebAuthnCredential.objects.filter(credential_id=credential_id).exists():
        raise ValidationError({"credential": "This security key is already added."})
    _spend_enrolment_code_if_first(user, enrolment)
    key = WebAuthnCredential.objects.create(
        user=user,
        name=_device_name(name, "Security key"),
        credential_id=credential_id,
        public_key=verified.credential_public_key,
        sign_count=verified.sign_count,
        transports=[t[:20] for t in transports],
        confirmed=True,
    )
    _mfa_event(user, "auth.mfa_enrolled", method="webauthn", device=key.name)
    enrolled: WebAuthnCredential = key  # django-otp is untyped
    return enrolled


def _device_name(name: str, default: str) -> str:
    return clean_text_field(
        name or default, field="name", label="name", max_length=64, required=True, one_line=True
    )


@service
def mfa_device_remove(
    *,
    actor: User,
    device: Any,
    code: str = "",
    assertion: str = "",
    context: WebAuthnContext | None = None,
) -> MfaCheck:
    """Remove one of the actor's own devices after a fresh check (a code from an authenticator
    app, or a security key's answer). While two-step sign-in is required the last device
    cannot be removed: add another first."""
    if device.user_id != actor.pk:
        raise ValidationError("You can remove only your own sign-in devices.")
    kind = device_kind(device=device)
    others = [
        d for d in mfa_devices(user=actor) if (device_kind(device=d), d.pk) != (kind, device.pk)
    ]
    if getattr(settings, "PATHWAYS_MFA_REQUIRED", True) and not others:
        raise ValidationError(
            "This is your only way to finish signing in, so it cannot be removed. Add another "
            "device first, then remove this one."
        )
    if code:
        check = mfa_verify_code(user=actor, code=code, purpose="remove_device")
    else:
        check = mfa_verify_key(
            user=actor, assertion=assertion, context=context, purpose="remove_device"
        )
    if not check.ok:
        return check
    name = device.name
    type(device).objects.filter(pk=device.pk, user=actor).delete()
    _mfa_event(actor, "auth.mfa_device_removed", method=kind, device=name)
    return check


@service
def mfa_reset(*, actor: User, user: Any) -> int:
    """An administrator's reset for a user who lost their devices: remove them all and lift any
    pause. The user adds a new first device with an enrolment code issued for them."""
    removed = 0
    for model in (AuthenticatorApp, WebAuthnCredential):
        count, _ = model.objects.filter(user=user).delete()
        removed += count
    MfaLockout.objects.filter(user=user).update(failures=0, lockouts=0, locked_until=None)
    _record(
        actor=actor,
        event_type="auth.mfa_reset",
        object_id=str(user.pk),
        outcome="success",
        changes={"devices_removed": [removed, 0]},
    )
    return removed


@service
def mfa_unlock(*, actor: User, user: Any) -> bool:
    """Lift a pause of the user's second step (their devices stay). True when one was lifted."""
    lifted = MfaLockout.objects.filter(user=user, locked_until__gt=clock.now()).exists()
    MfaLockout.objects.filter(user=user).update(failures=0, lockouts=0, locked_until=None)
    _record(
        actor=actor,
        event_type="auth.mfa_unlocked",
        object_id=str(user.pk),
        outcome="success",
        changes={"paused": [lifted, False]},
    )
    return lifted


# --- Enrolment codes: the first device -------------------------------------------------------
# docs/decisions/0015-first-mfa-enrolment-and-secrets.md. A password alone never adds a device:
# the first one also needs a code issued for that user. Only a keyed hash of the code is kept;
# wrong codes count towards the same per-user pause as wrong second-step codes.

ENROLMENT_CODE_HOURS = 72
#: Crockford's base32 (no I, L, O, U): 12 characters, 60 bits, typed in three groups of four.
ENROLMENT_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
ENROLMENT_CODE_LENGTH = 12
_ENROLMENT_HMAC_SALT = "pathways.accounts.enrolment_code"


def normalise_enrolment_code(value: str) -> str:
    """A code as people type it: case, spaces and dashes do not matter, and O, I and L are read
    as 0, 1 and 1 (Crockford's base32)."""
    text = value.upper().replace(" ", "").replace("-", "")
    return text.translate(str.maketrans("OIL", "011"))


def _enrolment_hash(user: Any, code: str) -> str:
    return salted_hmac(
        _ENROLMENT_HMAC_SALT, f"{user.pk}:{normalise_enrolment_code(code)}", algorithm="sha256"
    ).hexdigest()


def _new_enrolment_code() -> str:
    raw = "".join(secrets.choice(ENROLMENT_ALPHABET) for _ in range(ENROLMENT_CODE_LENGTH))
    return "-".join(raw[i : i + 4] for i in range(0, ENROLMENT_CODE_LENGTH, 4))


@dataclass(frozen=True)
class IssuedEnrolmentCode:
    """A code just issued: `code` is shown once and never stored."""

    code: str
    record: EnrolmentCode


@service
def enrolment_code_issue(
    *, actor: User | None, user: Any, on_server: bool = False
) -> IssuedEnrolmentCode:
    """Issue a one-time code with which `user` adds their first second-step device, replacing
    any code of theirs still open. `actor` is an administrator or coordinator of the user's
    program; with `on_server` (a command run on the server, whose operator is trusted) anyone
    named as the actor, or None."""
    if not on_server and (actor is None or not may_issue_enrolment_code(actor=actor, user=user)):
        raise PermissionDenied("You can issue enrolment codes only for staff of your program.")
    if actor is not None and actor.pk == user.pk:
        raise ValidationError(
            "You cannot issue an enrolment code for yourself. Ask another administrator or "
            "program coordinator."
        )
    if not user.is_active:
        raise ValidationError(f"The account {user.username} is switched off; switch it on first.")
    if mfa_devices(user=user):
        raise ValidationError(
            f"{user.username} already has a two-step sign-in device; an enrolment code is only "
            "for the first one. They add more themselves. If they lost every device, reset "
            "their two-step sign-in first (manage.py mfa_reset)."
        )
    now = clock.now()
    replaced = EnrolmentCode.objects.filter(
        user=user, used_at__isnull=True, revoked_at__isnull=True
    ).update(revoked_at=now, updated_at=now)
    code = _new_enrolment_code()
    record = EnrolmentCode.objects.create(
        user=user,
        issued_by=actor if getattr(actor, "pk", None) else None,
        code_hash=_enrolment_hash(user, code),
        expires_at=now + dt.timedelta(hours=ENROLMENT_CODE_HOURS),
    )
    _record(
        actor=actor,
        event_type="auth.enrolment_code_issued",
        object_id=str(user.pk),
        outcome="success",
        changes={
            "enrolment_code": [None, str(record.pk)],
            "expires_at": [None, record.expires_at.isoformat()],
            "replaced": [None, replaced],
        },
    )
    return IssuedEnrolmentCode(code=code, record=record)


@dataclass(frozen=True)
class EnrolmentCheck:
    """The answer to a typed enrolment code: the open code it matched, or why not."""

    record: EnrolmentCode | None = None
    problem: str = ""  # "wrong", "used", "revoked", "expired", "locked"
    locked_until: dt.datetime | None = None
    failures_left: int = MFA_FAILURE_LIMIT

    @property
    def ok(self) -> bool:
        return self.record is not None


@service
def enrolment_code_check(*, user: Any, code: str) -> EnrolmentCheck:
    """Check a code the user typed to add their first device. Nothing is spent here: the code
    is spent with the device it adds (`mfa_enrol_totp`, `mfa_enrol_key`). A code matching none
    of the user's counts as a wrong second-step code (5 pause the user's second step); one that
    matches a used, replaced or expired code of theirs says so and counts nothing."""
    lockout = _lockout_for_update(user)
    if lockout.locked_until is not None and lockout.locked_until > clock.now():
        return EnrolmentCheck(problem="locked", locked_until=lockout.locked_until, failures_left=0)
    digest = _enrolment_hash(user, code)
    match = None
    for candidate in EnrolmentCode.objects.filter(user=user, code_hash=digest):
        if constant_time_compare(candidate.code_hash, digest):
            match = candidate
    if match is not None and match.state(clock.now()) != "open":
        state = match.state(clock.now())
        _mfa_event(user, "auth.enrolment_code_refused", "failure", reason=state)
        return EnrolmentCheck(problem=state)
    check = _check(
        user=user,
        method="enrolment_code",
        purpose="enrol",
        verify=lambda: match,
        success_event="auth.enrolment_code_accepted",
    )
    if check.ok:
        return EnrolmentCheck(record=match)
    if check.locked_until is not None:
        return EnrolmentCheck(problem="locked", locked_until=check.locked_until, failures_left=0)
    return EnrolmentCheck(problem="wrong", failures_left=check.failures_left)


def enrolment_code_usable(user: Any, enrolment: Any) -> bool:
    """Whether the enrolment code `enrolment` (an id) is the user's, open and not expired."""
    if not enrolment:
        return False
    record = EnrolmentCode.objects.filter(pk=enrolment, user=user).first()
    return record is not None and record.state(clock.now()) == "open"


ENROLMENT_CODE_GONE = (
    "Your enrolment code can no longer be used: it expired, was replaced by a newer one, or "
    "has been used. Nothing was added. Ask your administrator or program coordinator for a "
    "new code."
)


def _spend_enrolment_code_if_first(user: Any, enrolment: Any) -> None:
    """For a user with no device yet, spend their open enrolment code `enrolment` (an id) in the
    transaction that adds the device; refuse (nothing added) when there is none."""
    if mfa_devices(user=user):
        return
    record = (
        EnrolmentCode.objects.select_for_update().filter(pk=enrolment, user=user).first()
        if enrolment
        else None
    )
    if record is None or record.state(clock.now()) != "open":
        raise ValidationError({NON_FIELD_ERRORS: ENROLMENT_CODE_GONE})
    record.used_at = clock.now()
    record.save(update_fields=["used_at"])
    _mfa_event(user, "auth.enrolment_code_used", enrolment_code=str(record.pk))
