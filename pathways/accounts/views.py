"""Two-step sign-in pages: the second step after the password, the enrolment code that lets a
user add their first device, adding a device (an authenticator app or a security key), managing
one's devices, and the page where administrators and coordinators issue enrolment codes.
docs/decisions/0011-mfa.md, 0015-first-mfa-enrolment-and-secrets.md."""

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
from django_otp.util import random_hex

from pathways.accounts import passkeys
from pathways.accounts.access import SignedInRequest, role_required
from pathways.accounts.forms import (
    CodeForm,
    DeviceRemoveForm,
    EnrolmentCodeForm,
    KeyAssertionForm,
    KeyEnrolForm,
    TotpEnrolForm,
)
from pathways.accounts.models import AuthenticatorApp, Role
from pathways.accounts.selectors import (
    ENROLMENT_ISSUER_ROLES,
    device_kind,
    enrolment_candidate,
    has_role,
    mfa_device,
    mfa_devices,
    mfa_locked_until,
    staff_without_device,
    totp_devices,
    webauthn_credentials,
)
from pathways.accounts.services import (
    ENROLMENT_CODE_GONE,
    ENROLMENT_CODE_HOURS,
    MFA_FAILURE_LIMIT,
    MFA_LOCK_MINUTES,
    EnrolmentCheck,
    MfaCheck,
    enrolment_code_check,
    enrolment_code_issue,
    enrolment_code_usable,
    mfa_device_remove,
    mfa_enrol_key,
    mfa_enrol_totp,
    mfa_verify_code,
    mfa_verify_key,
)
from pathways.core.crypto import FieldDecryptionError, decrypt_text, encrypt_text

#: The secret of an authenticator app being added, kept encrypted in the (server-side) session
#: until the app's first code confirms it; never in a page after the setup page, never in a log.
PENDING_TOTP_SESSION_KEY = "mfa_pending_totp_key"
#: The associated data that binds the encrypted pending secret to its place (pathways.core.crypto).
PENDING_TOTP_AAD = "accounts.session.mfa_pending_totp_key"
#: The id of the enrolment code this session typed (checked, not yet spent): it lets the session
#: add the user's first device, and is spent with it.
ENROLMENT_SESSION_KEY = "mfa_enrolment_code"


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


def _session_enrolment(request: HttpRequest) -> str | None:
    """The enrolment code this session typed, while it is still open and unexpired."""
    value = request.session.get(ENROLMENT_SESSION_KEY)
    if isinstance(value, str) and enrolment_code_usable(request.user, value):
        return value
    return None


def _may_add_device(request: HttpRequest) -> bool:
    """A device is added by someone who passed the second step, or, for their first one, who
    typed an enrolment code issued for them. A password alone never adds a device."""
    if _verified(request):
        return True
    if mfa_devices(user=request.user):
        return False
    return _session_enrolment(request) is not None


def _not_allowed_to_add(request: HttpRequest) -> HttpResponse:
    """Where a session that may not add a device goes: the second step when the user has a
    device, else the page asking for their enrolment code (saying so when the session's code
    has stopped working meanwhile)."""
    if mfa_devices(user=request.user):
        return redirect(_with_next("mfa_verify", request))
    if request.session.pop(ENROLMENT_SESSION_KEY, None):
        messages.error(request, ENROLMENT_CODE_GONE)
    return redirect(_with_next("mfa_enrol", request))


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
        has_totp=bool(totp_devices(user=user)),
        has_key=bool(webauthn_credentials(user=user)),
        key_form=KeyAssertionForm(),
        key_error=key_error,
    )
    return render(request, "accounts/mfa_verify.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def mfa_verify(request: SignedInRequest) -> HttpResponse:
    if _verified(request):
        return HttpResponseRedirect(_safe_next(request))
    if not mfa_devices(user=request.user):
        return redirect(_with_next("mfa_enrol", request))
    until = mfa_locked_until(user=request.user)
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
def mfa_verify_key_view(request: SignedInRequest) -> HttpResponse:
    if _verified(request):
        return HttpResponseRedirect(_safe_next(request))
    until = mfa_locked_until(user=request.user)
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
def mfa_webauthn_options(request: SignedInRequest) -> HttpResponse:
    """The options for the browser's security-key prompt (JSON, read by static/webauthn.js)."""
    purpose = request.POST.get("purpose", "")
    if purpose == passkeys.REGISTER:
        if not _may_add_device(request):
            return JsonResponse({"detail": "Finish signing in first."}, status=403)
        body = passkeys.registration_options(
            request, request.user, webauthn_credentials(user=request.user)
        )
    elif purpose == passkeys.AUTHENTICATE:
        if mfa_locked_until(user=request.user) is not None:
            return JsonResponse({"detail": "Two-step sign-in is paused."}, status=429)
        keys = webauthn_credentials(user=request.user)
        if not keys:
            return JsonResponse({"detail": "You have no security key on record."}, status=400)
        body = passkeys.authentication_options(request, keys)
    else:
        return JsonResponse({"detail": "Unknown purpose."}, status=400)
    return HttpResponse(body, content_type="application/json")


# --- the enrolment code (the first device) ----------------------------------------------------

ENROLMENT_PROBLEMS = {
    "used": "That enrolment code was already used. Nothing was changed. Ask your administrator "
    "or program coordinator for a new one.",
    "revoked": "That enrolment code was replaced by a newer one. Nothing was changed. Type the "
    "newest code you were given, or ask for a new one.",
    "expired": f"That enrolment code has expired (a code lasts {ENROLMENT_CODE_HOURS} hours). "
    "Nothing was changed. Ask your administrator or program coordinator for a new one.",
}


def _enrolment_problem(check: EnrolmentCheck) -> str:
    if check.problem in ENROLMENT_PROBLEMS:
        return ENROLMENT_PROBLEMS[check.problem]
    tries = "try" if check.failures_left == 1 else "tries"
    return (
        f"That enrolment code is not right. {check.failures_left} {tries} left before two-step "
        f"sign-in is paused for at least {MFA_LOCK_MINUTES} minutes."
    )


@login_required
@require_http_methods(["GET", "POST"])
def mfa_enrol(request: SignedInRequest) -> HttpResponse:
    """Before the first device: the one-time code an administrator or coordinator issued."""
    if _may_add_device(request):
        return redirect(_with_next("mfa_setup", request))
    if mfa_devices(user=request.user):
        return redirect(_with_next("mfa_verify", request))
    until = mfa_locked_until(user=request.user)
    if until is not None:
        return _paused(request, until)
    form = EnrolmentCodeForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            check = enrolment_code_check(user=request.user, code=form.cleaned_data["code"])
            if check.ok and check.record is not None:
                request.session[ENROLMENT_SESSION_KEY] = str(check.record.pk)
                return redirect(_with_next("mfa_setup", request))
            if check.locked_until is not None:
                return _paused(request, check.locked_until)
            form.add_error("code", _enrolment_problem(check))
    return render(
        request,
        "accounts/mfa_enrol.html",
        _step_context(request, form=form, hours=ENROLMENT_CODE_HOURS),
        status=status,
    )


# --- adding a device --------------------------------------------------------------------------


def _added(request: HttpRequest, device: Any, what: str) -> HttpResponse:
    request.session.pop(ENROLMENT_SESSION_KEY, None)
    if not _verified(request):
        messages.success(request, f"Two-step sign-in is set up with your {what}.")
        return _complete(request, device)
    messages.success(request, f"Your {what} was added.")
    return redirect("mfa_devices")


@login_required
@require_GET
def mfa_setup(request: SignedInRequest) -> HttpResponse:
    if not _may_add_device(request):
        return _not_allowed_to_add(request)
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


def _pending_totp_key(request: HttpRequest) -> str:
    """The secret of the app being added (hex), kept encrypted in the session between the setup
    page and the code that confirms it; a new one when there is none (or it does not decrypt)."""
    stored = request.session.get(PENDING_TOTP_SESSION_KEY)
    if isinstance(stored, str):
        try:
            key_hex = decrypt_text(stored, aad=PENDING_TOTP_AAD)
        except FieldDecryptionError:
            key_hex = ""
        if len(key_hex) == 40:
            return key_hex
    key_hex = str(random_hex(20))
    request.session[PENDING_TOTP_SESSION_KEY] = encrypt_text(key_hex, aad=PENDING_TOTP_AAD)
    return key_hex


@login_required
@require_http_methods(["GET", "POST"])
def mfa_setup_totp(request: SignedInRequest) -> HttpResponse:
    if not _may_add_device(request):
        return _not_allowed_to_add(request)
    key_hex = _pending_totp_key(request)
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
                    enrolment=_session_enrolment(request),
                )
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                request.session.pop(PENDING_TOTP_SESSION_KEY, None)
                return _added(request, device, "authenticator app")
    uri = AuthenticatorApp(user=request.user, key=key_hex).config_url
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
def mfa_setup_key(request: SignedInRequest) -> HttpResponse:
    if not _may_add_device(request):
        return _not_allowed_to_add(request)
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
                    enrolment=_session_enrolment(request),
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
    devices = mfa_devices(user=request.user)
    has_key = False
    for device in devices:
        device.kind = device_kind(device=device)
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
        issues_codes=has_role(request.user, *ENROLMENT_ISSUER_ROLES),
    )
    return render(
        request, "accounts/mfa_devices.html", context, status=400 if failed is not None else 200
    )


@login_required
@require_GET
def mfa_devices_view(request: SignedInRequest) -> HttpResponse:
    if not _verified(request) and mfa_devices(user=request.user):
        return redirect(_with_next("mfa_verify", request))
    return _devices_page(request)


@login_required
@require_POST
def mfa_device_remove_view(request: SignedInRequest, kind: str, device_id: int) -> HttpResponse:
    if not _verified(request):
        return redirect(_with_next("mfa_verify", request))
    device = mfa_device(user=request.user, kind=kind, device_id=device_id)
    if device is None:
        raise Http404("No such device of yours.")
    until = mfa_locked_until(user=request.user)
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


# --- issuing enrolment codes (administrators and coordinators) ---------------------------------


@role_required(*ENROLMENT_ISSUER_ROLES)
@require_GET
def enrolment_codes(request: SignedInRequest) -> HttpResponse:
    """The program's staff who have no second-step device yet, each with a button to issue the
    one-time code they need to add their first one."""
    return render(
        request,
        "accounts/enrolment_codes.html",
        {"staff": staff_without_device(actor=request.user), "hours": ENROLMENT_CODE_HOURS},
    )


@require_POST
@role_required(*ENROLMENT_ISSUER_ROLES)
def enrolment_code_issue_view(request: SignedInRequest, user_id: Any) -> HttpResponse:
    user = enrolment_candidate(actor=request.user, user_id=user_id)
    if user is None:
        raise Http404("No such user in your program.")
    try:
        issued = enrolment_code_issue(actor=request.user, user=user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("enrolment_codes")
    response = render(
        request,
        "accounts/enrolment_code_issued.html",
        {"person": user, "code": issued.code, "expires_at": issued.record.expires_at},
    )
    response["Cache-Control"] = "no-store"  # the code is shown once: no copy in a cache
    return response


@login_required
def home(request: SignedInRequest) -> HttpResponse:
    """Each role lands on the page it works from."""
    user = request.user
    if has_role(user, Role.COORDINATOR, Role.ADMIN):
        return redirect("outcomes:dashboard")
    if has_role(user, Role.OFFICER, Role.SUPERVISOR, Role.OUTREACH):
        return redirect("encounters:start")
    if has_role(user, Role.PROVIDER_INTAKE):
        return redirect("referrals:queue")
    if has_role(user, Role.CASE_MANAGER):
        return redirect("cases:list")
    if has_role(user, Role.PROSECUTOR):
        return redirect("cases:review_queue")
    if has_role(user, Role.RESEARCHER):
        return redirect("outcomes:report_index")
    return render(request, "core/no_role.html", status=403)
