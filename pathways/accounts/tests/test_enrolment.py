"""The first second-step device needs a one-time enrolment code issued for that user (shown
once, kept hashed, expiring, single use, audited, wrong codes paused like wrong second-step
codes); later devices keep the existing flow. Authenticator-app secrets are encrypted at rest,
and existing ones are encrypted by the migration. docs/decisions/0015-first-mfa-enrolment-and-
secrets.md."""

from __future__ import annotations

import base64
import datetime as dt
import importlib
import io
import json
from typing import Any

import pytest
from django.apps import apps as global_apps
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test import Client
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from pathways.accounts.factories import AgencyFactory, member
from pathways.accounts.models import AuthenticatorApp, EnrolmentCode, MfaLockout, User
from pathways.accounts.services import (
    ENROLMENT_CODE_HOURS,
    enrolment_code_issue,
    mfa_enrol_totp,
)
from pathways.accounts.testing import totp_code, totp_device, verified_client
from pathways.accounts.tests.test_mfa import (
    ENROL,
    SETUP_APP,
    VERIFY,
    enrolling,
    events,
    is_verified,
    password_only,
    pending_key,
)
from pathways.audit.models import AuditEvent
from pathways.core import clock
from pathways.programs.factories import ProgramFactory

CODES = reverse("enrolment_codes")
SETUP = reverse("mfa_setup")


def issue_url(user: Any) -> str:
    return reverse("enrolment_code_issue", kwargs={"user_id": user.pk})


def issue(user: Any) -> str:
    return enrolment_code_issue(actor=None, user=user, on_server=True).code


def app_code(client: Client) -> str:
    """The code the app being set up (its secret in the client's session) shows now."""
    return f"{TOTP(bytes.fromhex(pending_key(client))).token():06d}"


def state_of(user: Any) -> tuple[Any, ...]:
    """Everything a refused code must leave as it was."""
    return (
        AuthenticatorApp.objects.filter(user=user).count(),
        list(EnrolmentCode.objects.filter(user=user).values_list("used_at", "revoked_at")),
    )


# --- a password alone adds no first device ------------------------------------------------------


def test_a_password_alone_cannot_add_a_first_device(cast: Any) -> None:
    client = password_only(cast.officer_a)
    assert client.get(VERIFY)["Location"].startswith(ENROL)
    for url in (SETUP, SETUP_APP, reverse("mfa_setup_key")):
        assert client.get(url)["Location"].startswith(ENROL), url
    # a code typed for a secret the attacker chose is refused without the enrolment code
    forged = client.post(SETUP_APP, {"code": "123456"})
    assert forged.status_code == 302 and forged["Location"].startswith(ENROL)
    assert client.post(reverse("mfa_webauthn_options"), {"purpose": "register"}).status_code == 403
    assert not AuthenticatorApp.objects.filter(user=cast.officer_a).exists()
    assert not is_verified(client)


def test_the_service_refuses_a_first_device_without_an_open_enrolment_code(cast: Any) -> None:
    key_hex = "3132333435363738393031323334353637383930"
    totp = TOTP(bytes.fromhex(key_hex))
    with pytest.raises(ValidationError, match="enrolment code can no longer be used"):
        mfa_enrol_totp(user=cast.officer_a, key_hex=key_hex, code=f"{totp.token():06d}", name="")
    assert not AuthenticatorApp.objects.filter(user=cast.officer_a).exists()


def test_an_enrolment_code_lets_the_first_app_be_added_once(cast: Any) -> None:
    code = issue(cast.officer_a)
    client = password_only(cast.officer_a)
    # typed as people type it: lower case, spaces
    response = client.post(ENROL, {"code": f"  {code.lower().replace('-', ' ')} "})
    assert response.status_code == 302 and response["Location"].startswith(SETUP)
    client.get(SETUP_APP)
    done = client.post(SETUP_APP, {"code": app_code(client)})
    assert done.status_code == 302 and is_verified(client)
    record = EnrolmentCode.objects.get(user=cast.officer_a)
    assert record.used_at is not None
    # the same code does not add another device in another session
    other = password_only(cast.officer_a)
    assert other.get(ENROL)["Location"].startswith(VERIFY)  # the user has a device now
    assert AuthenticatorApp.objects.filter(user=cast.officer_a).count() == 1


def test_a_code_checked_in_two_sessions_adds_only_one_device(cast: Any) -> None:
    code = issue(cast.intake_p)
    first, second = password_only(cast.intake_p), password_only(cast.intake_p)
    for client in (first, second):
        assert client.post(ENROL, {"code": code}).status_code == 302
        client.get(SETUP_APP)
    assert first.post(SETUP_APP, {"code": app_code(first)}).status_code == 302
    # the second session's code was spent by the first: it is sent to the second step instead
    late = second.post(SETUP_APP, {"code": app_code(second)})
    assert late.status_code == 302 and late["Location"].startswith(VERIFY)
    assert AuthenticatorApp.objects.filter(user=cast.intake_p).count() == 1


def test_a_code_that_expires_before_the_device_is_added_adds_nothing(cast: Any) -> None:
    client = enrolling(cast.officer_a)
    client.get(SETUP_APP)
    later = clock.now() + dt.timedelta(hours=ENROLMENT_CODE_HOURS, minutes=1)
    with clock.frozen(later):
        response = client.post(SETUP_APP, {"code": app_code(client)})
        assert response.status_code == 302 and response["Location"].startswith(ENROL)
        page = client.get(response["Location"])
    assert "can no longer be used" in page.content.decode()
    assert not AuthenticatorApp.objects.filter(user=cast.officer_a).exists()
    assert EnrolmentCode.objects.get(user=cast.officer_a).used_at is None


# --- refused codes: a clear message, nothing changed --------------------------------------------


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("", "Enter the enrolment code"),
        ("   ", "Enter the enrolment code"),
        ("ABCD-EFGH", "you typed 8"),
        ("ABCD-EFGH-JKMN-PQRS", "you typed 16"),
        ("ABCD-EFGH-JKM!", "only letters and digits"),
        ("ABCD-EFGH-JKMU", "only letters and digits"),
        ("ABCD\x00EFGH-JKMN", "only letters and digits"),
        ("x" * 100, "12 letters and digits"),
        ("١٢٣٤-٥٦٧٨-٩٠١٢", "only letters and digits"),
    ],
)
def test_malformed_codes_get_a_message_and_count_nothing(
    cast: Any, typed: str, message: str
) -> None:
    issue(cast.officer_a)
    before = state_of(cast.officer_a)
    client = password_only(cast.officer_a)
    response = client.post(ENROL, {"code": typed})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert state_of(cast.officer_a) == before
    assert not MfaLockout.objects.filter(user=cast.officer_a, failures__gt=0).exists()
    assert client.get(SETUP)["Location"].startswith(ENROL)


def test_a_wrong_code_says_how_many_tries_are_left_and_five_pause(cast: Any) -> None:
    code = issue(cast.officer_a)
    before = state_of(cast.officer_a)
    client = password_only(cast.officer_a, "203.0.113.5")
    for number in range(1, 5):
        response = client.post(ENROL, {"code": "0000-0000-0000"})
        assert response.status_code == 400
        left = 5 - number
        text = response.content.decode()
        assert "That enrolment code is not right" in text
        assert f"{left} {'try' if left == 1 else 'tries'} left" in text
    paused = client.post(ENROL, {"code": "0000-0000-0000"})
    assert paused.status_code == 429 and "Two-step sign-in paused" in paused.content.decode()
    # while paused even the right code is not checked, from any address
    elsewhere = password_only(cast.officer_a, "198.51.100.7")
    assert elsewhere.post(ENROL, {"code": code}).status_code == 429
    assert elsewhere.get(SETUP)["Location"].startswith(ENROL)
    assert state_of(cast.officer_a) == before
    failed = events("auth.mfa_failed")
    assert len(failed) == 5 and failed[0].changes["method"] == [None, "enrolment_code"]
    assert len(events("auth.mfa_locked")) == 1
    # after the pause the right code works
    with clock.frozen(clock.now() + dt.timedelta(minutes=10, seconds=5)):
        assert elsewhere.post(ENROL, {"code": code}).status_code == 302


@pytest.mark.parametrize(
    ("spoil", "message"),
    [
        ("expired", "has expired"),
        ("used", "was already used"),
        ("replaced", "replaced by a newer one"),
    ],
)
def test_an_expired_used_or_replaced_code_says_so_and_changes_nothing(
    cast: Any, spoil: str, message: str
) -> None:
    code = issue(cast.officer_a)
    record = EnrolmentCode.objects.get(user=cast.officer_a)
    now = clock.now()
    if spoil == "expired":
        EnrolmentCode.objects.filter(pk=record.pk).update(expires_at=now - dt.timedelta(hours=1))
    elif spoil == "used":
        EnrolmentCode.objects.filter(pk=record.pk).update(used_at=now)
    else:
        issue(cast.officer_a)
    before = state_of(cast.officer_a)
    client = password_only(cast.officer_a)
    response = client.post(ENROL, {"code": code})
    assert response.status_code == 400
    text = response.content.decode()
    assert message in text and "Nothing was changed" in text
    assert state_of(cast.officer_a) == before
    assert client.get(SETUP)["Location"].startswith(ENROL)
    assert not MfaLockout.objects.filter(user=cast.officer_a, failures__gt=0).exists()
    [refused] = events("auth.enrolment_code_refused")
    assert refused.outcome == "failure"


def test_another_users_code_does_not_work(cast: Any) -> None:
    theirs = issue(cast.officer_b)
    issue(cast.officer_a)
    client = password_only(cast.officer_a)
    response = client.post(ENROL, {"code": theirs})
    assert response.status_code == 400 and "not right" in response.content.decode()
    assert client.get(SETUP)["Location"].startswith(ENROL)


# --- the code is shown once and kept hashed -----------------------------------------------------


def test_issuing_a_code_on_the_page_shows_it_once_and_keeps_only_a_hash(cast: Any) -> None:
    client = verified_client(cast.coordinator)
    page = client.get(CODES)
    assert page.status_code == 200
    html = page.content.decode()
    assert "officer_a" in html and "intake_p" in html
    assert "coordinator</td>" not in html  # has a device (the verified client added one)
    issued = client.post(issue_url(cast.intake_p))
    assert issued.status_code == 200
    assert "no-store" in issued["Cache-Control"]
    text = issued.content.decode()
    code = text.split('data-testid="enrolment-code">')[1].split("<")[0]
    assert len(code) == 14 and code.count("-") == 2
    assert "only time the code is shown" in text
    record = EnrolmentCode.objects.get(user=cast.intake_p)
    assert record.issued_by == cast.coordinator
    assert record.expires_at - clock.now() > dt.timedelta(hours=ENROLMENT_CODE_HOURS - 1)
    plain = code.replace("-", "")
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM accounts_enrolmentcode")
        rows = json.dumps(cursor.fetchall(), default=str)
    assert code not in rows and plain not in rows and plain.lower() not in rows
    audit = json.dumps([e.changes for e in AuditEvent.objects.all()])
    assert plain not in audit and code not in audit
    [event] = events("auth.enrolment_code_issued")
    assert event.actor == cast.coordinator and event.object_id == str(cast.intake_p.pk)
    assert code not in str(dict(client.session))  # not in a message either
    # the list says a code is open; issuing again replaces it
    assert "Issue a new code" in client.get(CODES).content.decode()
    again = client.post(issue_url(cast.intake_p))
    assert again.status_code == 200
    assert EnrolmentCode.objects.filter(user=cast.intake_p, revoked_at__isnull=False).count() == 1
    # and the code works for intake_p
    assert password_only(cast.intake_p).post(ENROL, {"code": code}).status_code == 400  # replaced


def test_no_code_for_oneself_nor_for_someone_with_a_device(cast: Any) -> None:
    coordinator = verified_client(cast.coordinator)
    totp_device(cast.officer_a)
    response = coordinator.post(issue_url(cast.officer_a))
    assert response.status_code == 302 and response["Location"] == CODES
    assert "already has a two-step sign-in device" in coordinator.get(CODES).content.decode()
    admin = member(cast.coordinator.memberships.get().agency, "admin", "admin_without_device")
    admin_client = Client()
    admin_client.force_login(admin)
    with pytest.raises(ValidationError, match="for yourself"):
        enrolment_code_issue(actor=admin, user=admin)
    assert not EnrolmentCode.objects.exists()
    assert admin_client.get(CODES)["Location"].startswith(VERIFY)  # the page needs the step


def test_staff_of_another_program_are_not_found(cast: Any) -> None:
    elsewhere = ProgramFactory.create(name="Other County Program", jurisdiction="Other County")
    office = AgencyFactory.create(program=elsewhere, name="Other Office", kind="program_office")
    police = AgencyFactory.create(program=elsewhere, name="Other Police", kind="law_enforcement")
    their_coordinator = member(office, "coordinator", "coordinator_elsewhere")
    their_officer = member(police, "officer", "officer_elsewhere")
    client = verified_client(their_coordinator)
    assert client.post(issue_url(cast.officer_a)).status_code == 404
    page = client.get(CODES).content.decode()
    assert "officer_elsewhere" in page and "officer_a" not in page
    ours = verified_client(cast.coordinator)
    assert ours.post(issue_url(their_officer)).status_code == 404
    assert not EnrolmentCode.objects.exists()
    # an officer issues no codes
    assert verified_client(cast.officer_a).post(issue_url(cast.intake_p)).status_code == 403


def test_the_command_issues_a_code_on_the_server(cast: Any) -> None:
    out = io.StringIO()
    call_command("mfa_enrolment_code", "intake_p", "--by", "coordinator", stdout=out)
    code = out.getvalue().split("intake_p: ")[1].split()[0]
    [event] = events("auth.enrolment_code_issued")
    assert event.actor == cast.coordinator
    assert password_only(cast.intake_p).post(ENROL, {"code": code}).status_code == 302
    with pytest.raises(CommandError, match="No user is called 'nobody'"):
        call_command("mfa_enrolment_code", "nobody")
    totp_device(cast.officer_a)
    with pytest.raises(CommandError, match="already has a two-step sign-in device"):
        call_command("mfa_enrolment_code", "officer_a", stdout=io.StringIO())


# --- later devices: the existing flow -----------------------------------------------------------


def test_a_second_device_needs_the_second_step_not_a_code(cast: Any) -> None:
    client = verified_client(cast.officer_a)
    assert client.get(SETUP).status_code == 200
    client.get(SETUP_APP)
    assert client.post(SETUP_APP, {"code": app_code(client), "name": "Spare"}).status_code == 302
    assert AuthenticatorApp.objects.filter(user=cast.officer_a).count() == 2
    assert not EnrolmentCode.objects.exists()
    # a password-only session of the same user is sent to the second step, not the code page
    assert password_only(cast.officer_a).get(ENROL)["Location"].startswith(VERIFY)


# --- the secret is encrypted at rest ------------------------------------------------------------


def raw_key(device_id: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT key FROM accounts_authenticatorapp WHERE id = %s", [device_id])
        return str(cursor.fetchone()[0])


def test_the_app_secret_is_encrypted_in_the_database(cast: Any) -> None:
    client = enrolling(cast.officer_a)
    client.get(SETUP_APP)
    key_hex = pending_key(client)
    client.post(SETUP_APP, {"code": app_code(client)})
    device = AuthenticatorApp.objects.get(user=cast.officer_a)
    assert device.key == key_hex  # read back through the field
    stored = raw_key(device.pk)
    secret = base64.b32encode(bytes.fromhex(key_hex)).decode()
    assert stored.startswith("pw1:")
    assert key_hex not in stored and key_hex.upper() not in stored and secret not in stored
    # and codes still work after it was written back (verify_token saves the device)
    again = password_only(cast.officer_a)
    assert again.post(VERIFY, {"code": totp_code(device)}).status_code == 302
    assert raw_key(device.pk).startswith("pw1:") and key_hex not in raw_key(device.pk)
    # nothing writes authenticator apps to django-otp's plain table any more
    assert not TOTPDevice.objects.exists()


def test_the_migration_encrypts_existing_apps_and_reverses(cast: Any) -> None:
    migration = importlib.import_module(
        "pathways.accounts.migrations.0003_mfa_enrolment_codes_and_encrypted_apps"
    )
    old = TOTPDevice.objects.create(user=cast.officer_a, name="Old phone", confirmed=True)
    added = clock.now() - dt.timedelta(days=30)
    TOTPDevice.objects.filter(pk=old.pk).update(created_at=added, last_t=5)
    old.refresh_from_db()
    migration.encrypt_apps(global_apps, None)
    assert not TOTPDevice.objects.exists()
    moved = AuthenticatorApp.objects.get(user=cast.officer_a)
    assert (moved.name, moved.key, moved.last_t, moved.created_at) == (
        "Old phone",
        old.key,
        5,
        added,
    )
    assert moved.key not in raw_key(moved.pk) and raw_key(moved.pk).startswith("pw1:")
    assert password_only(cast.officer_a).post(VERIFY, {"code": totp_code(moved)}).status_code == 302
    migration.decrypt_apps(global_apps, None)
    back = TOTPDevice.objects.get(user=cast.officer_a)
    assert back.key == old.key and not AuthenticatorApp.objects.exists()


# --- the demo -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_demo_logins_prints_a_working_enrolment_code_per_user() -> None:
    from pathways.demo import cast as demo_cast
    from pathways.demo.generator import load_demo

    load_demo(encounters=30, seed=7, end_date=dt.date(2025, 6, 30), quiet=True)
    out = io.StringIO()
    call_command("demo_logins", stdout=out)
    lines = out.getvalue().splitlines()
    assert "Enrolment code" in lines[0]
    first = demo_cast.NAMED_USERS[0].username
    row = next(line for line in lines if f" {first} " in f" {line} ")
    code = row.split()[-1]
    assert len(code) == 14 and code.count("-") == 2
    user = User.objects.get(username=first)
    client = password_only(user)
    assert client.post(ENROL, {"code": code}).status_code == 302
    # a second run replaces the codes; --no-codes issues none
    call_command("demo_logins", stdout=io.StringIO())
    assert password_only(user).post(ENROL, {"code": code}).status_code == 400
    quiet = io.StringIO()
    count = EnrolmentCode.objects.count()
    call_command("demo_logins", "--no-codes", stdout=quiet)
    assert "Enrolment code" not in quiet.getvalue() and EnrolmentCode.objects.count() == count
