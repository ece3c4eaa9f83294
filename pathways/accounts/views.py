"""Two-step sign-in pages: the second step after the password, adding a device (an
authenticator app or a security key), and managing one's devices. docs/decisions/0011-mfa.md."""

from __future__ import annotations

import base64
import math
from binascii import unhexlify
from typing import Any

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp.util import random_hex

from pathways.accounts import passkeys
from pathways.accounts.forms import (
    CodeForm,
    DeviceRemoveForm,
    KeyAssertionForm,
    KeyEnrolForm,
    TotpEnrolForm,
)
from pathways.accounts.selectors import (
    device_kind,
    mfa_device,
    mfa_devices,
    mfa_locked_until,
    totp_devices,
    webauthn_credentials,
)
from pathways.accounts.services import (
    MFA_FAILURE_LIMIT,
    MFA_LOCK_MINUTES,
    MfaCheck,
    mfa_device_remove,
    mfa_enrol_key,
    mfa_enrol_totp,
    mfa_verify_code,
    mfa_verify_key,
)

#: The secret of an authenticator app being added, kept in the (server-side) session until the
#: app's first code confirms it; never in a page after the setup page, never in a log.
PENDING_TOTP_SESSION_KEY = "mfa_pending_totp_key"


# --- helpers ----------------------------------------------------------------------------------


def _safe_next(request: HttpRequest) -> str:
    """Where to go after the second step: `next` when it is a page of this site, else home."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return resolve_url(settings.LOGIN_REDIRECT_URL)


def _with_next(name: str, request: HttpRequest) -> str:
    url = reverse(name)
    target = request.POST.get("next") or request.GET.get("next") or ""
    return f"{url}?{urlencode({'next': target})}" if target else url


def _verified(request: HttpRequest) -> bool:
    return bool(request.user.is_verified())  # type: ignore[union-attr]


def _may_add_device(request: HttpRequest) -> bool:
    """A device is added by someone who passed the second step, or who has none yet (their first,
    right after the password). A password alone never adds a second device."""
    return _verified(request) or not mfa_devices(request.user)


def _step_context(request: HttpRequest, **extra: Any) -> dict[str, Any]:
    """Context of the second-step pages; the role links are hidden until the step is passed."""
    context: dict[str, Any] = {"next": _safe_next(request), "verified": _verified(request)}
    if not context["verified"]:
        context["user_roles"] = frozenset()
    context.update(extra)
    return context


def _complete(request: HttpRequest, device: Any) -> HttpResponse:
    """The second step is passed: remember the device in the session (django-otp) under a new
    session key, and go on to the page asked for."""
    otp_login(request, device)
    request.session.cycle_key()
    return HttpResponseRedirect(_safe_next(request))


def _paused(request: HttpRequest, until: Any) -> HttpResponse:
    minutes = max(1, math.ceil((until - timezone.now()).total_seconds() / 60))
    return render(
        request,
        "accounts/mfa_locked.html",
        _step_context(
            request, until=until, minutes=minutes, limit=MFA_FAILURE_LIMIT, first=MFA_LOCK_MINUTES
        ),
        status=429,
    )


def _failed_message(check: MfaCheck, what: str) -> str:
    tries = "try" if check.failures_left == 1 else "tries"
    return (
        f"That {what} did not work. {check.failures_left} {tries} left before two-step "
        f"sign-in is paused for at least {MFA_LOCK_MINUTES} minutes."
    )


# --- the second step --------------------------------------------------------------------------


def _verify_page(
    request: HttpRequest,
    form: CodeForm | None = None,
    key_error: str = "",
    status: int = 200,
) -> HttpResponse:
    user = request.user
    context = _step_context(
        request,
        form=form or CodeForm(),
        has_totp=bool(totp_devices(user)),
        has_key=bool(webauthn_credentials(user)),
        key_form=KeyAssertionForm(),
        key_error=key_error,
    )
    return render(request, "accounts/mfa_verify.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def mfa_verify(request: HttpRequest) -> HttpResponse:
    if _verified(request):
        return HttpResponseRedirect(_safe_next(request))
    if not mfa_devices(request.user):
        return redirect(_with_next("mfa_setup", request))
    until = mfa_locked_until(request.user)
    if until is not None:
        return _paused(request, until)
    if request.method != "POST":
        return _verify_page(request)
    form = CodeForm(request.POST)
    if not form.is_valid():
        return _verify_page(request, form, status=400)
    check = mfa_verify_code(user=request.user, code=form.cleaned_data["code"])
    if check.ok:
        return _complete(request, check.device)
    if check.locked_until is not None:
        return _paused(request, check.locked_until)
    form.add_error("code", _failed_message(check, "code"))
    return _verify_page(request, form)


@login_required
@require_POST
def mfa_verify_key_view(request: HttpRequest) -> HttpResponse:
    if _verified(request):
        return HttpResponseRedirect(_safe_next(request))
    until = mfa_locked_until(request.user)
    if until is not None:
        return _paused(request, until)
    form = KeyAssertionForm(request.POST)
    if not form.is_valid():
        return _verify_page(request, key_error=str(form.errors["assertion"][0]), status=400)
    check = mfa_verify_key(
        user=request.user,
        assertion=form.cleaned_data["assertion"],
        context=passkeys.take_context(request, passkeys.AUTHENTICATE),
    )
    if check.ok:
        return _complete(request, check.device)
    if check.locked_until is not None:
        return _paused(request, check.locked_until)
    return _verify_page(request, key_error=_failed_message(check, "security key"))


@login_required
@require_POST
def mfa_webauthn_options(request: HttpRequest) -> HttpResponse:
    """The options for the browser's security-key prompt (JSON, read by static/webauthn.js)."""
    purpose = request.POST.get("purpose", "")
    if purpose == passkeys.REGISTER:
        if not _may_add_device(request):
            return JsonResponse({"detail": "Finish signing in first."}, status=403)
        body = passkeys.registration_options(
            request, request.user, webauthn_credentials(request.user)
        )
    elif purpose == passkeys.AUTHENTICATE:
        if mfa_locked_until(request.user) is not None:
            return JsonResponse({"detail": "Two-step sign-in is paused."}, status=429)
        keys = webauthn_credentials(request.user)
        if not keys:
            return JsonResponse({"detail": "You have no security key on record."}, status=400)
        body = passkeys.authentication_options(request, keys)
    else:
        return JsonResponse({"detail": "Unknown purpose."}, status=400)
    return HttpResponse(body, content_type="application/json")


# --- adding a device --------------------------------------------------------------------------


def _added(request: HttpRequest, device: Any, what: str) -> HttpResponse:
    if not _verified(request):
        messages.success(request, f"Two-step sign-in is set up with your {what}.")
        return _complete(request, device)
    messages.success(request, f"Your {what} was added.")
    return redirect("mfa_devices")


@login_required
@require_GET
def mfa_setup(request: HttpRequest) -> HttpResponse:
    if not _may_add_device(request):
        return redirect(_with_next("mfa_verify", request))
    return render(request, "accounts/mfa_setup.html", _step_context(request))


def _qr_image(uri: str) -> dict[str, Any]:
    """The otpauth:// address as a QR code: an SVG drawn here (segno), shown as a data: image
    (the Content-Security-Policy allows data: images, and nothing from another site)."""
    code = segno.make(uri, error="m")
    width, height = code.symbol_size(scale=5, border=2)
    return {
        "src": code.svg_data_uri(scale=5, border=2, dark="#1b1b1b"),
        "width": width,
        "height": height,
    }


@login_required
@require_http_methods(["GET", "POST"])
def mfa_setup_totp(request: HttpRequest) -> HttpResponse:
    if not _may_add_device(request):
        return redirect(_with_next("mfa_verify", request))
    key_hex = request.session.get(PENDING_TOTP_SESSION_KEY)
    if not isinstance(key_hex, str) or len(key_hex) != 40:
        key_hex = random_hex(20)
        request.session[PENDING_TOTP_SESSION_KEY] = key_hex
    form = TotpEnrolForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                device = mfa_enrol_totp(
                    user=request.user,
                    key_hex=key_hex,
                    code=form.cleaned_data["code"],
                    name=form.cleaned_data["name"],
                )
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                request.session.pop(PENDING_TOTP_SESSION_KEY, None)
                return _added(request, device, "authenticator app")
    uri = TOTPDevice(user=request.user, key=key_hex).config_url
    secret = base64.b32encode(unhexlify(key_hex)).decode()
    context = _step_context(
        request,
        form=form,
        qr=_qr_image(uri),
        secret_groups=[secret[i : i + 4] for i in range(0, len(secret), 4)],
    )
    return render(request, "accounts/mfa_setup_totp.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def mfa_setup_key(request: HttpRequest) -> HttpResponse:
    if not _may_add_device(request):
        return redirect(_with_next("mfa_verify", request))
    form = KeyEnrolForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                key = mfa_enrol_key(
                    user=request.user,
                    credential=form.cleaned_data["credential"],
                    context=passkeys.take_context(request, passkeys.REGISTER),
                    name=form.cleaned_data["name"],
                )
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                return _added(request, key, "security key")
    return render(
        request, "accounts/mfa_setup_key.html", _step_context(request, form=form), status=status
    )


# --- managing devices -------------------------------------------------------------------------


def _remove_form(kind: str, device_id: int, data: Any = None) -> DeviceRemoveForm:
    """One device's removal form; its inputs' ids name the device (a page has one per device)."""
    return DeviceRemoveForm(data, auto_id=f"id_{kind}_{device_id}_%s")


def _devices_page(
    request: HttpRequest, failed: tuple[str, int, DeviceRemoveForm] | None = None
) -> HttpResponse:
    devices = mfa_devices(request.user)
    has_key = False
    for device in devices:
        device.kind = device_kind(device)
        has_key = has_key or device.kind == "webauthn"
        matches = failed is not None and (failed[0], failed[1]) == (device.kind, device.pk)
        device.remove_form = (
            failed[2] if failed is not None and matches else _remove_form(device.kind, device.pk)
        )
    context = _step_context(
        request,
        devices=devices,
        has_totp=any(d.kind == "totp" for d in devices),
        has_key=has_key,
        required=bool(getattr(settings, "PATHWAYS_MFA_REQUIRED", True)),
    )
    return render(
        request, "accounts/mfa_devices.html", context, status=400 if failed is not None else 200
    )


@login_required
@require_GET
def mfa_devices_view(request: HttpRequest) -> HttpResponse:
    if not _may_add_device(request):
        return redirect(_with_next("mfa_verify", request))
    return _devices_page(request)


@login_required
@require_POST
def mfa_device_remove_view(request: HttpRequest, kind: str, device_id: int) -> HttpResponse:
    if not _verified(request):
        return redirect(_with_next("mfa_verify", request))
    device = mfa_device(request.user, kind, device_id)
    if device is None:
        raise Http404("No such device of yours.")
    until = mfa_locked_until(request.user)
    if until is not None:
        return _paused(request, until)
    form = _remove_form(kind, device_id, request.POST)
    if not form.is_valid():
        return _devices_page(request, (kind, device_id, form))
    assertion = form.cleaned_data.get("assertion") or ""
    try:
        check = mfa_device_remove(
            actor=request.user,
            device=device,
            code=form.cleaned_data.get("code") or "",
            assertion=assertion,
            context=passkeys.take_context(request, passkeys.AUTHENTICATE) if assertion else None,
        )
    except ValidationError as exc:
        form.add_error(None, exc.messages)
        return _devices_page(request, (kind, device_id, form))
    if check.locked_until is not None:
        return _paused(request, check.locked_until)
    if not check.ok:
        form.add_error(None, _failed_message(check, "check") + " Nothing was removed.")
        return _devices_page(request, (kind, device_id, form))
    if type(check.device).objects.filter(pk=check.device.pk).exists():
        otp_login(request, check.device)  # the session stays verified by the device just used
    messages.success(request, f"“{device.name}” was removed.")
    return redirect("mfa_devices")
