"""Two-step sign-in (MFA): adding an authenticator app or a security key, the second step after
the password, a code working once, the per-user pause after 5 wrong codes, a password-only
session reaching nothing else, safe `next`, a new session key, removing a device, the admin's
reset, and the production check. docs/decisions/0011-mfa.md."""

from __future__ import annotations

import base64
import datetime as dt
import json
import re
import time
from io import StringIO
from typing import Any
from urllib.parse import unquote

import pytest
from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import TOTP

from pathways.accounts import passkeys
from pathways.accounts.factories import TEST_PASSWORD
from pathways.accounts.models import AuthenticatorApp as TOTPDevice
from pathways.accounts.models import MfaLockout, WebAuthnCredential
from pathways.accounts.services import enrolment_code_issue, mfa_verify_code
from pathways.accounts.testing import totp_code, totp_device, user_code, verified_client
from pathways.accounts.tests.soft_authenticator import SoftAuthenticator
from pathways.accounts.views import PENDING_TOTP_AAD
from pathways.audit.models import AuditEvent
from pathways.core import clock
from pathways.core.checks import production_requires_mfa
from pathways.core.crypto import decrypt_text
from tests.test_routes import PUBLIC, ROUTES, World, request

VERIFY = reverse("mfa_verify")
ENROL = reverse("mfa_enrol")
SETUP_APP = reverse("mfa_setup_totp")
SETUP_KEY = reverse("mfa_setup_key")
DEVICES = reverse("mfa_devices")
OPTIONS = reverse("mfa_webauthn_options")
HOME = reverse("home")


def password_only(user: Any, address: str = "127.0.0.1") -> Client:
    """A client past the password step only (as the login page leaves it)."""
    client = Client(REMOTE_ADDR=address)
    client.force_login(user)
    return client


def enrolment_code(user: Any, by: Any = None) -> str:
    """A fresh enrolment code for `user`, issued by `by` (default: on the server)."""
    return enrolment_code_issue(actor=by, user=user, on_server=by is None).code


def enrolling(user: Any, client: Client | None = None) -> Client:
    """A password-only client that typed an enrolment code issued for `user`: it may add the
    user's first device."""
    client = client or password_only(user)
    response = client.post(ENROL, {"code": enrolment_code(user)})
    assert response.status_code == 302, response.content
    return client


def pending_key(client: Client) -> str:
    """The secret of the app being added, as the setup page keeps it (encrypted) in the session."""
    return decrypt_text(client.session["mfa_pending_totp_key"], aad=PENDING_TOTP_AAD)


def is_verified(client: Client) -> bool:
    return DEVICE_ID_SESSION_KEY in client.session


def wrong_code(device: TOTPDevice) -> str:
    """A well-formed code the device does not accept now (none of the nearby steps' codes)."""
    device.refresh_from_db()
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    near = set()
    for offset in range(-3, 4):
        totp.time = time.time() + offset * device.step
        near.add(f"{totp.token():06d}")
    return next(c for c in ("000000", "111111", "222222", "333333", "444444") if c not in near)


def events(kind: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(event_type=kind).order_by("occurred_at"))


def no_secret_in_audit(*secrets: str) -> None:
    text = json.dumps([e.changes for e in AuditEvent.objects.all()])
    for secret in secrets:
        assert secret not in text


# --- adding an authenticator app ---------------------------------------------------------------


def test_password_sign_in_without_a_device_leads_to_setup_and_an_app_is_added(cast: Any) -> None:
    client = Client()
    response = client.post(
        reverse("login") + "?next=/cases/",
        {"username": "officer_a", "password": TEST_PASSWORD, "next": "/cases/"},
    )
    assert response.status_code == 302 and response["Location"] == "/cases/"
    step = client.get("/cases/")
    assert step.status_code == 302 and step["Location"] == f"{VERIFY}?next=%2Fcases%2F"
    enrol = client.get(step["Location"])
    assert enrol.status_code == 302 and enrol["Location"].startswith(ENROL)
    assert "next=%2Fcases%2F" in enrol["Location"]
    # a password alone adds nothing: the setup pages send the session to the enrolment code
    for url in (reverse("mfa_setup"), SETUP_APP, SETUP_KEY):
        assert client.get(url)["Location"].startswith(ENROL), url
    assert client.post(OPTIONS, {"purpose": "register"}).status_code == 403
    page = client.get(enrol["Location"])
    assert page.status_code == 200 and b"Enrolment code" in page.content
    code = enrolment_code(cast.officer_a, by=cast.coordinator)
    setup = client.post(ENROL + "?next=/cases/", {"code": code.lower(), "next": "/cases/"})
    assert setup.status_code == 302 and setup["Location"].startswith(reverse("mfa_setup"))
    assert "next=%2Fcases%2F" in setup["Location"]
    choose = client.get(setup["Location"])
    assert choose.status_code == 200 and b"Authenticator app on your phone" in choose.content

    page = client.get(SETUP_APP + "?next=/cases/")
    assert page.status_code == 200
    html = page.content.decode()
    qr = re.search(r'src="(data:image/svg\+xml;[^"]+)"', html)
    assert qr is not None  # the QR code, drawn on the server
    assert "xmlns='http://www.w3.org/2000/svg'" in unquote(qr.group(1))  # a standalone SVG
    assert "style=" not in html  # the Content-Security-Policy allows no inline style
    key_hex = pending_key(client)
    assert key_hex not in str(dict(client.session))  # kept encrypted in the session
    secret = base64.b32encode(bytes.fromhex(key_hex)).decode()
    assert secret[:4] in html and secret[-4:] in html  # the key to type when scanning fails
    totp = TOTP(bytes.fromhex(key_hex))

    bad = client.post(SETUP_APP, {"code": f"{(totp.token() + 1) % 10**6:06d}", "next": "/cases/"})
    assert bad.status_code == 400
    assert "That code does not match" in bad.content.decode()
    assert not TOTPDevice.objects.filter(user=cast.officer_a).exists()
    assert not is_verified(client)

    before = client.session.session_key
    done = client.post(
        SETUP_APP, {"code": f"{totp.token():06d}", "name": "Work phone", "next": "/cases/"}
    )
    assert done.status_code == 302 and done["Location"] == "/cases/"
    device = TOTPDevice.objects.get(user=cast.officer_a)
    assert device.confirmed and device.name == "Work phone" and device.key == key_hex
    assert is_verified(client) and client.session.session_key != before
    assert "mfa_pending_totp_key" not in client.session
    assert "mfa_enrolment_code" not in client.session
    assert client.get("/cases/").status_code == 200
    [enrolled] = events("auth.mfa_enrolled")
    assert enrolled.actor == cast.officer_a and enrolled.changes["method"] == [None, "totp"]
    no_secret_in_audit(key_hex, secret, f"{totp.token():06d}", code)
    [issued] = events("auth.enrolment_code_issued")
    assert issued.actor == cast.coordinator and issued.object_id == str(cast.officer_a.pk)
    assert len(events("auth.enrolment_code_accepted")) == len(events("auth.enrolment_code_used"))
    assert len(events("auth.enrolment_code_used")) == 1
    # the code that confirmed the app is spent: it does not also pass a second step
    assert not mfa_verify_code(user=cast.officer_a, code=f"{totp.token():06d}").ok


@pytest.mark.parametrize("code", ["", "   ", "abcdef", "1" * 20, "12\x003456", "12345", "١٢٣٤٥٦"])
def test_bad_input_at_setup_gives_a_message_and_adds_nothing(cast: Any, code: str) -> None:
    client = enrolling(cast.officer_a)
    client.get(SETUP_APP)
    response = client.post(SETUP_APP, {"code": code})
    assert response.status_code == 400
    assert 'class="usa-error-message"' in response.content.decode()
    assert not TOTPDevice.objects.filter(user=cast.officer_a).exists()


# --- the second step ---------------------------------------------------------------------------


def test_the_second_step_with_a_code_goes_on_to_the_page_asked_for(cast: Any) -> None:
    device = totp_device(cast.case_manager_p)
    client = password_only(cast.case_manager_p)
    step = client.get("/cases/")
    assert step["Location"] == f"{VERIFY}?next=%2Fcases%2F"
    page = client.get(step["Location"])
    assert page.status_code == 200 and b"Finish signing in" in page.content
    assert b'autocomplete="one-time-code"' in page.content
    response = client.post(VERIFY, {"code": totp_code(device), "next": "/cases/"})
    assert response.status_code == 302 and response["Location"] == "/cases/"
    assert is_verified(client)
    assert client.get("/cases/").status_code == 200
    [verified] = events("auth.mfa_verified")
    assert verified.actor == cast.case_manager_p and verified.changes["method"] == [None, "totp"]
    # already through: the step sends a visitor straight on
    assert client.get(VERIFY + "?next=/worklist/")["Location"] == "/worklist/"


def test_a_code_works_once(cast: Any) -> None:
    device = totp_device(cast.officer_a)
    code = totp_code(device)
    first = password_only(cast.officer_a)
    assert first.post(VERIFY, {"code": code})["Location"] == HOME
    device.refresh_from_db()
    spent_step = device.last_t
    second = password_only(cast.officer_a)
    again = second.post(VERIFY, {"code": code})
    assert again.status_code == 200 and not is_verified(second)
    assert "That code did not work" in again.content.decode()
    device.refresh_from_db()
    assert device.last_t == spent_step  # django-otp refuses any step at or before last_t
    assert [e.changes["method"] for e in events("auth.mfa_failed")] == [[None, "totp"]]
    # the next code does work
    assert second.post(VERIFY, {"code": totp_code(device)})["Location"] == HOME


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("", "Enter the 6-digit code"),
        ("abcdef", "no letters or symbols"),
        ("1" * 20, "The code is 6 digits"),
        ("12\x003456", "no letters or symbols"),
        ("12 34", "you typed 4"),
    ],
)
def test_bad_input_at_the_second_step_gives_a_message_and_changes_nothing(
    cast: Any, code: str, message: str
) -> None:
    device = totp_device(cast.officer_a)
    client = password_only(cast.officer_a)
    response = client.post(VERIFY, {"code": code})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not is_verified(client)
    assert not MfaLockout.objects.filter(user=cast.officer_a, failures__gt=0).exists()
    assert not events("auth.mfa_failed") and not events("auth.mfa_verified")
    before = device.last_t
    device.refresh_from_db()
    assert device.last_t == before


def test_five_wrong_codes_pause_the_users_second_step_with_a_429_and_audit(cast: Any) -> None:
    device = totp_device(cast.officer_a)
    client = password_only(cast.officer_a, "10.0.0.7")
    for number in range(1, 5):
        response = client.post(VERIFY, {"code": wrong_code(device)})
        assert response.status_code == 200
        left = 5 - number
        assert f"{left} {'try' if left == 1 else 'tries'} left" in response.content.decode()
    locked = client.post(VERIFY, {"code": wrong_code(device)})
    assert locked.status_code == 429
    assert "Two-step sign-in paused" in locked.content.decode()
    assert "paused for 10 minutes" in locked.content.decode()
    # while paused even the right code is not checked, and the step page says why
    assert client.post(VERIFY, {"code": totp_code(device)}).status_code == 429
    assert client.get(VERIFY).status_code == 429
    assert not is_verified(client)
    assert client.get("/cases/")["Location"].startswith(VERIFY)
    lockout = MfaLockout.objects.get(user=cast.officer_a)
    assert lockout.locked_until is not None
    assert lockout.locked_until >= clock.now() + dt.timedelta(minutes=9, seconds=50)
    assert len(events("auth.mfa_failed")) == 5
    [paused] = events("auth.mfa_locked")
    assert paused.outcome == "failure" and paused.actor == cast.officer_a
    assert paused.changes["minutes"] == [None, 10]
    assert all(e.outcome == "failure" for e in events("auth.mfa_failed"))
    # ten minutes later the right code works, and the count starts again
    with clock.frozen(clock.now() + dt.timedelta(minutes=10, seconds=5)):
        assert client.post(VERIFY, {"code": totp_code(device)})["Location"] == HOME
    lockout.refresh_from_db()
    assert (lockout.failures, lockout.lockouts, lockout.locked_until) == (0, 0, None)


def test_a_second_pause_without_a_success_lasts_longer(cast: Any) -> None:
    device = totp_device(cast.officer_a)
    client = password_only(cast.officer_a)
    for _ in range(5):
        client.post(VERIFY, {"code": wrong_code(device)})
    later = clock.now() + dt.timedelta(minutes=11)
    with clock.frozen(later):
        for _ in range(5):
            client.post(VERIFY, {"code": wrong_code(device)})
        lockout = MfaLockout.objects.get(user=cast.officer_a)
        assert lockout.locked_until is not None
        assert lockout.locked_until - later >= dt.timedelta(minutes=20)
    assert [e.changes["minutes"] for e in events("auth.mfa_locked")] == [[None, 10], [None, 20]]


def test_the_pause_is_per_user_not_per_address(cast: Any) -> None:
    attacked = totp_device(cast.officer_a)
    attacker = password_only(cast.officer_a, "203.0.113.9")
    for _ in range(5):
        attacker.post(VERIFY, {"code": wrong_code(attacked)})
    assert attacker.post(VERIFY, {"code": wrong_code(attacked)}).status_code == 429
    # another user at the very same address is not paused
    colleague = password_only(cast.officer_b, "203.0.113.9")
    response = colleague.post(VERIFY, {"code": user_code(cast.officer_b)})
    assert response.status_code == 302 and is_verified(colleague)
    # and the paused user is paused from every address (the count follows the account)
    elsewhere = password_only(cast.officer_a, "198.51.100.2")
    assert elsewhere.post(VERIFY, {"code": totp_code(attacked)}).status_code == 429


# --- a password-only session reaches nothing else ---------------------------------------------


def test_a_password_only_session_is_sent_to_the_second_step_from_every_page(cast: Any) -> None:
    world = World(cast)
    for user in (cast.officer_a, cast.coordinator):
        totp_device(user)
    checked = 0
    for user in (cast.officer_a, cast.coordinator, cast.intake_p):  # intake_p has no device
        client = password_only(user)
        for name, route in ROUTES.items():
            if route is PUBLIC or route.credential or name.startswith("mfa_"):
                continue
            response = request(client, route, reverse(name, kwargs=route.kwargs(world)))
            assert response.status_code == 302, (name, response.status_code)
            assert response["Location"].startswith(VERIFY), name
            checked += 1
        assert client.get("/admin/")["Location"].startswith(VERIFY)
    assert checked > 80


def test_a_session_never_opens_the_api_and_htmx_is_sent_on(cast: Any) -> None:
    """The API answers a session, with or without its second step, as it answers nobody: a 401
    problem asking for the client credential (the session is never its authentication)."""
    for client in (password_only(cast.officer_a), verified_client(cast.officer_a)):
        api = client.get("/api/v1/referrals/sent/")
        assert api.status_code == 401
        assert api["Content-Type"].startswith("application/problem+json")
        assert api.json()["status"] == 401
        posted = client.post("/api/v1/referrals/sent/", {}, content_type="application/json")
        assert posted.status_code in (401, 405)
        assert posted["Content-Type"].startswith("application/problem+json")
    client = password_only(cast.officer_a)
    partial = client.get(reverse("encounters:services"), headers={"HX-Request": "true"})
    assert partial.status_code == 204 and partial["HX-Redirect"].startswith(VERIFY)


def test_sign_out_and_health_check_stay_open_before_the_second_step(cast: Any) -> None:
    client = password_only(cast.officer_a)
    assert client.get(reverse("healthz")).status_code == 200
    assert client.post(reverse("logout")).status_code == 302
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example/phish",
        "http://testserver.evil.example/",
        "javascript:alert(1)",
        "https:///evil.example",
    ],
)
def test_next_outside_the_site_is_refused(cast: Any, target: str) -> None:
    device = totp_device(cast.officer_a)
    client = password_only(cast.officer_a)
    response = client.post(VERIFY + "?next=" + target, {"code": totp_code(device), "next": target})
    assert response.status_code == 302
    assert response["Location"] == HOME
    assert target not in client.get(VERIFY + "?next=" + target)["Location"]


def test_the_session_key_changes_at_the_second_step(cast: Any) -> None:
    device = totp_device(cast.officer_a)
    client = password_only(cast.officer_a)
    client.get(VERIFY)
    before = client.session.session_key
    assert before and Session.objects.filter(session_key=before).exists()
    client.post(VERIFY, {"code": totp_code(device)})
    after = client.session.session_key
    assert after != before
    assert not Session.objects.filter(session_key=before).exists()  # the old key is worthless
    assert client.session["_auth_user_id"] == str(cast.officer_a.pk)


def test_a_password_alone_never_adds_a_second_device(cast: Any) -> None:
    totp_device(cast.officer_a)
    client = password_only(cast.officer_a)
    for url in (reverse("mfa_setup"), SETUP_APP, SETUP_KEY, DEVICES):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(VERIFY), url
    assert client.post(SETUP_APP, {"code": "123456"})["Location"].startswith(VERIFY)
    assert client.post(OPTIONS, {"purpose": "register"}).status_code == 403
    assert TOTPDevice.objects.filter(user=cast.officer_a).count() == 1


# --- removing a device ---------------------------------------------------------------------------


def remove_url(device: Any, kind: str = "totp") -> str:
    return reverse("mfa_device_remove", kwargs={"kind": kind, "device_id": device.pk})


def test_removing_a_device_needs_a_fresh_code(cast: Any) -> None:
    phone = totp_device(cast.officer_a)
    spare = TOTPDevice.objects.create(user=cast.officer_a, name="Spare phone", confirmed=True)
    client = verified_client(cast.officer_a)
    page = client.get(DEVICES)
    assert page.status_code == 200
    assert b"Spare phone" in page.content and b"Test phone" in page.content

    for bad in ({}, {"code": ""}, {"code": "abcdef"}, {"code": "9" * 20}):
        response = client.post(remove_url(spare), bad)
        assert response.status_code == 400, bad
        assert 'class="usa-alert usa-alert--error' in response.content.decode()
    wrong = client.post(remove_url(spare), {"code": wrong_code(phone)})
    assert wrong.status_code == 400 and "Nothing was removed" in wrong.content.decode()
    assert TOTPDevice.objects.filter(pk=spare.pk).exists()

    done = client.post(remove_url(spare), {"code": totp_code(phone)})
    assert done.status_code == 302 and done["Location"] == DEVICES
    assert not TOTPDevice.objects.filter(pk=spare.pk).exists()
    [removed] = events("auth.mfa_device_removed")
    assert removed.changes == {"method": [None, "totp"], "device": [None, "Spare phone"]}
    assert is_verified(client) and client.get("/worklist/").status_code == 200

    # the last device stays while two-step sign-in is required
    last = client.post(remove_url(phone), {"code": totp_code(phone)})
    assert last.status_code == 400 and "only way to finish signing in" in last.content.decode()
    assert TOTPDevice.objects.filter(pk=phone.pk).exists()


def test_only_ones_own_device_can_be_removed_and_only_after_the_second_step(cast: Any) -> None:
    others = totp_device(cast.officer_b)
    totp_device(cast.officer_a)
    client = verified_client(cast.officer_a)
    assert client.post(remove_url(others), {"code": user_code(cast.officer_a)}).status_code == 404
    assert client.post(remove_url(others, "webauthn"), {"code": "123456"}).status_code == 404
    assert TOTPDevice.objects.filter(pk=others.pk).exists()
    password = password_only(cast.officer_b)
    assert password.post(remove_url(others), {"code": "123456"})["Location"].startswith(VERIFY)


# --- with two-step sign-in switched off (the demo) --------------------------------------------


def test_when_not_required_pages_open_and_an_added_device_is_then_asked_for(
    cast: Any, settings: Any
) -> None:
    settings.PATHWAYS_MFA_REQUIRED = False
    client = password_only(cast.officer_a)
    assert client.get("/cases/").status_code == 200
    assert client.get(DEVICES).status_code == 200
    # even optional, the first device needs an enrolment code
    assert client.get(SETUP_APP)["Location"].startswith(ENROL)
    enrolling(cast.officer_a, client)
    client.get(SETUP_APP)
    totp = TOTP(bytes.fromhex(pending_key(client)))
    assert client.post(SETUP_APP, {"code": f"{totp.token():06d}"}).status_code == 302
    assert is_verified(client)
    # the next sign-in asks for it: a user who chose two-step sign-in keeps it
    later = password_only(cast.officer_a)
    assert later.get("/cases/")["Location"].startswith(VERIFY)
    # and with two-step sign-in optional the last device can be removed
    phone = TOTPDevice.objects.get(user=cast.officer_a)
    assert client.post(remove_url(phone), {"code": totp_code(phone)}).status_code == 302
    assert password_only(cast.officer_a).get("/cases/").status_code == 200


def test_production_refuses_to_switch_two_step_sign_in_off(settings: Any) -> None:
    settings.PRODUCTION = True
    settings.PATHWAYS_MFA_REQUIRED = False
    assert [e.id for e in production_requires_mfa(None)] == ["pathways.E005"]
    settings.PATHWAYS_MFA_REQUIRED = True
    assert production_requires_mfa(None) == []
    settings.PRODUCTION = False
    settings.PATHWAYS_MFA_REQUIRED = False
    assert production_requires_mfa(None) == []


# --- the administrator's reset -------------------------------------------------------------------


def test_mfa_reset_removes_a_users_devices_and_is_audited(cast: Any) -> None:
    admin_user = cast.coordinator
    device = totp_device(cast.officer_a)
    client = password_only(cast.officer_a)
    for _ in range(5):
        client.post(VERIFY, {"code": wrong_code(device)})
    out = StringIO()
    call_command("mfa_reset", "officer_a", "--unlock", "--by", "coordinator", stdout=out)
    assert "Lifted the pause" in out.getvalue()
    assert TOTPDevice.objects.filter(user=cast.officer_a).exists()
    assert client.post(VERIFY, {"code": totp_code(device)}).status_code == 302

    out = StringIO()
    call_command("mfa_reset", "officer_a", "--by", "coordinator", stdout=out)
    assert "Removed 1 two-step sign-in device of officer_a" in out.getvalue()
    assert not TOTPDevice.objects.filter(user=cast.officer_a).exists()
    [reset] = events("auth.mfa_reset")
    assert reset.actor == admin_user and reset.object_id == str(cast.officer_a.pk)
    assert [e.actor for e in events("auth.mfa_unlocked")] == [admin_user]
    # the user adds a new device at their next sign-in, with an enrolment code
    assert password_only(cast.officer_a).get(VERIFY)["Location"].startswith(ENROL)
    with pytest.raises(CommandError, match="No user is called 'nobody'"):
        call_command("mfa_reset", "nobody")


# --- security keys and passkeys (WebAuthn) -----------------------------------------------------


def options(client: Client, purpose: str) -> dict[str, Any]:
    response = client.post(OPTIONS, {"purpose": purpose})
    assert response.status_code == 200, response.content
    result: dict[str, Any] = response.json()
    return result


def add_key(client: Client, key: SoftAuthenticator, name: str = "Blue key") -> Any:
    answer = key.register(options(client, "register"))
    return client.post(SETUP_KEY, {"name": name, "credential": answer, "next": "/cases/"})


def test_a_security_key_is_added_at_first_sign_in_and_then_signs_in(cast: Any) -> None:
    client = enrolling(cast.intake_p)
    creation = options(client, "register")
    assert creation["rp"] == {"id": "testserver", "name": "Pathways"}
    assert creation["user"]["name"] == "intake_p"
    key = SoftAuthenticator()
    response = client.post(
        SETUP_KEY, {"name": "Blue key", "credential": key.register(creation), "next": "/cases/"}
    )
    assert response.status_code == 302 and response["Location"] == "/cases/"
    stored = WebAuthnCredential.objects.get(user=cast.intake_p)
    assert stored.name == "Blue key" and stored.transports == ["usb"]
    assert is_verified(client)
    assert [e.changes["method"] for e in events("auth.mfa_enrolled")] == [[None, "webauthn"]]

    later = password_only(cast.intake_p)
    page = later.get(VERIFY)
    assert b"Use security key" in page.content and b"6-digit code" not in page.content
    request_options = options(later, "authenticate")
    assert [c["id"] for c in request_options["allowCredentials"]] == [stored.credential_id]
    assertion = key.assert_(request_options)
    signed_in = later.post(reverse("mfa_verify_key"), {"assertion": assertion})
    assert signed_in.status_code == 302 and is_verified(later)
    stored.refresh_from_db()
    assert stored.sign_count == 1 and stored.last_used_at is not None
    # the same answer again (a replay) is refused: its challenge was used up
    replay = password_only(cast.intake_p)
    options(replay, "authenticate")
    refused = replay.post(reverse("mfa_verify_key"), {"assertion": assertion})
    assert refused.status_code == 200 and not is_verified(replay)
    assert "That security key did not work" in refused.content.decode()


def test_a_key_answer_for_another_site_or_another_key_is_refused(cast: Any) -> None:
    key = SoftAuthenticator()
    add_key(enrolling(cast.intake_p), key)
    cases = [
        lambda o: key.assert_(o, origin="https://evil.example"),  # a phishing site's page
        lambda o: key.assert_(o, rp_id="evil.example"),  # a key answering for another site
        lambda o: SoftAuthenticator().assert_(o),  # a key not on record
        lambda o: key.assert_({**o, "challenge": "AAAA"}),  # not our challenge
        lambda o: "{not json",
        lambda o: json.dumps({"id": 1}),
    ]
    for number, answer in enumerate(cases, start=1):
        client = password_only(cast.intake_p)
        response = client.post(
            reverse("mfa_verify_key"), {"assertion": answer(options(client, "authenticate"))}
        )
        assert response.status_code == 200 and not is_verified(client), number
        MfaLockout.objects.update(failures=0)  # each case on its own (5 in a row pause)
    assert len(events("auth.mfa_failed")) == len(cases)


def test_a_registration_answer_that_does_not_check_out_adds_nothing(cast: Any) -> None:
    client = enrolling(cast.intake_p)
    key = SoftAuthenticator()
    wrong_origin = key.register(options(client, "register"), origin="https://evil.example")
    response = client.post(SETUP_KEY, {"credential": wrong_origin})
    assert response.status_code == 400
    assert "The security key was not added" in response.content.decode()
    # an answer without a challenge issued to this session, or no answer at all
    assert client.post(SETUP_KEY, {"credential": key.register({"challenge": "AAAA"})}).status_code
    assert client.post(SETUP_KEY, {"credential": ""}).status_code == 400
    assert client.post(SETUP_KEY, {"credential": "x" * 20_001}).status_code == 400
    assert not WebAuthnCredential.objects.exists()
    assert not is_verified(client)


def test_the_relying_party_comes_from_settings_or_the_request_host(
    cast: Any, settings: Any
) -> None:
    client = Client(HTTP_HOST="localhost:8000")
    client.force_login(cast.intake_p)
    enrolling(cast.intake_p, client)
    creation = options(client, "register")
    assert creation["rp"]["id"] == "localhost"
    key = SoftAuthenticator(rp_id="localhost", origin="http://localhost:8000")
    assert client.post(SETUP_KEY, {"credential": key.register(creation)}).status_code == 302
    settings.PATHWAYS_WEBAUTHN_RP_ID = "pathways.example.gov"
    settings.PATHWAYS_WEBAUTHN_ORIGIN = "https://pathways.example.gov"
    assert options(client, "register")["rp"]["id"] == "pathways.example.gov"
    request = type("R", (), {"get_host": lambda self: "[::1]:8000", "scheme": "http"})()
    settings.PATHWAYS_WEBAUTHN_RP_ID = ""
    settings.PATHWAYS_WEBAUTHN_ORIGIN = ""
    assert passkeys.rp_id_for(request) == "::1"
    assert passkeys.origin_for(request) == "http://[::1]:8000"


def test_removing_a_key_with_only_keys_needs_a_key_answer(cast: Any) -> None:
    key, spare = SoftAuthenticator(), SoftAuthenticator()
    client = enrolling(cast.intake_p)
    add_key(client, key, "Blue key")
    add_key(client, spare, "Spare key")
    page = client.get(DEVICES)
    assert b"Confirm with a security key and remove" in page.content
    assert b"6-digit code" not in page.content
    target = WebAuthnCredential.objects.get(name="Spare key")
    url = remove_url(target, "webauthn")
    bad = client.post(
        url, {"assertion": SoftAuthenticator().assert_(options(client, "authenticate"))}
    )
    assert bad.status_code == 400 and WebAuthnCredential.objects.filter(pk=target.pk).exists()
    done = client.post(url, {"assertion": key.assert_(options(client, "authenticate"))})
    assert done.status_code == 302 and not WebAuthnCredential.objects.filter(pk=target.pk).exists()
    assert events("auth.mfa_device_removed")[0].changes["method"] == [None, "webauthn"]
    assert is_verified(client)


def test_key_options_need_a_purpose_and_a_key_on_record(cast: Any) -> None:
    client = password_only(cast.intake_p)
    assert client.post(OPTIONS, {"purpose": "authenticate"}).status_code == 400
    assert client.post(OPTIONS, {"purpose": "hack"}).status_code == 400
    assert client.get(OPTIONS).status_code == 405
    assert Client().post(OPTIONS, {"purpose": "register"}).status_code == 302  # signed out
