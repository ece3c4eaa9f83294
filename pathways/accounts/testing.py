"""Two-step sign-in for tests, browser tests and benchmarks: a real authenticator-app device for
a user and the code it shows, and a test client whose session passed the second step the way
django-otp records it. Nothing here switches two-step sign-in off."""

from __future__ import annotations

import time
from typing import Any

from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import TOTP

from pathways.accounts.models import AuthenticatorApp


def totp_device(user: Any) -> AuthenticatorApp:
    """The user's authenticator app (one is added, confirmed, when they have none)."""
    device = AuthenticatorApp.objects.filter(user=user, confirmed=True).order_by("pk").first()
    if device is None:
        device = AuthenticatorApp.objects.create(user=user, name="Test phone", confirmed=True)
    return device


def totp_code(device: AuthenticatorApp) -> str:
    """The code the device's app shows now, or, when that time step's code was already used
    (django-otp accepts each step once), the next step's, which the one-step tolerance allows;
    waits for the clock when even that one is used."""
    device.refresh_from_db()
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    while True:
        now = time.time()
        totp.time = now
        current = totp.t()
        if current > device.last_t:
            break
        if current + 1 > device.last_t and device.tolerance >= 1:
            totp.time = now + device.step
            break
        time.sleep(1)
    return f"{totp.token():0{device.digits}d}"


def user_code(user: Any) -> str:
    """A code that finishes signing in as `user` now (adding them an app if they have none)."""
    return totp_code(totp_device(user))


def verify_session(client: Client, user: Any) -> AuthenticatorApp:
    """Mark the client's signed-in session as having passed the second step with the user's
    device, as `django_otp.login` does."""
    device = totp_device(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return device


def verified_client(user: Any, client: Client | None = None) -> Client:
    """A test client signed in as `user` with the second step passed."""
    client = client or Client()
    client.force_login(user)
    verify_session(client, user)
    return client
