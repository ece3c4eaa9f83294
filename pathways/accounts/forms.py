from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm

from pathways.accounts.services import (
    ENROLMENT_ALPHABET,
    ENROLMENT_CODE_LENGTH,
    normalise_enrolment_code,
)
from pathways.core.forms import Form

ENROLMENT_CODE_CHARACTERS = frozenset(ENROLMENT_ALPHABET)


class LoginForm(AuthenticationForm):
    error_messages = {
        "invalid_login": "That username and password do not match an active account.",
        "inactive": "This account is switched off. Ask your program administrator.",
    }


# --- Two-step sign-in (MFA) -----------------------------------------------------------------

CODE_DIGITS = 6
#: Enough for any browser's WebAuthn answer; anything longer is refused unread.
WEBAUTHN_JSON_MAX = 20_000


def clean_code(value: str) -> str:
    """A 6-digit code as people type it (spaces or a dash in the middle are dropped)."""
    code = value.replace(" ", "").replace("-", "")
    if not code:
        raise forms.ValidationError("Enter the 6-digit code from your authenticator app.")
    if not (code.isascii() and code.isdigit()):
        raise forms.ValidationError("The code is 6 digits (0–9), with no letters or symbols.")
    if len(code) != CODE_DIGITS:
        raise forms.ValidationError(
            f"The code is 6 digits; you typed {min(len(code), 99)}. Type the code the app "
            "shows now."
        )
    return code


def _code_field(required: bool = True) -> forms.CharField:
    return forms.CharField(
        label="6-digit code",
        required=required,
        max_length=64,
        strip=True,
        error_messages={
            "required": "Enter the 6-digit code from your authenticator app.",
            "max_length": "The code is 6 digits. Type the code the app shows now.",
            "null_characters_not_allowed": "The code is 6 digits (0–9), with no letters or "
            "symbols.",
        },
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "inputmode": "numeric",
                "pattern": "[0-9 ]*",
                "class": "usa-input--medium",
            }
        ),
    )


class CodeForm(Form):
    """A code from an authenticator app (the second step)."""

    code = _code_field()
    code.help_text = "Open your authenticator app and type the code it shows for Pathways."

    def clean_code(self) -> str:
        return clean_code(self.cleaned_data["code"])


class TotpEnrolForm(Form):
    code = _code_field()
    name = forms.CharField(
        label="Name for it (optional)",
        max_length=64,
        required=False,
        help_text="So you can tell your devices apart, for example “Work phone”.",
    )

    def clean_code(self) -> str:
        return clean_code(self.cleaned_data["code"])


class WebAuthnJsonField(forms.CharField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(
            widget=forms.HiddenInput,
            max_length=WEBAUTHN_JSON_MAX,
            error_messages={
                "required": "Use your security key when the browser asks, then try again.",
                "max_length": "The browser's answer was too long. Try again.",
                "null_characters_not_allowed": "The browser's answer was not readable. Try again.",
            },
            **kwargs,
        )


class KeyEnrolForm(Form):
    name = forms.CharField(
        label="Name for it (optional)",
        max_length=64,
        required=False,
        help_text="So you can tell your keys apart, for example “Blue key” or “Laptop”.",
    )
    credential = WebAuthnJsonField()


class KeyAssertionForm(Form):
    assertion = WebAuthnJsonField()


class DeviceRemoveForm(Form):
    """A fresh check before a device is removed: a code, or a security key's answer."""

    code = _code_field(required=False)
    assertion = WebAuthnJsonField(required=False)

    def clean_code(self) -> str:
        value = self.cleaned_data.get("code") or ""
        return clean_code(value) if value else ""

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if not self.errors and not cleaned.get("code") and not cleaned.get("assertion"):
            raise forms.ValidationError(
                "To remove a device, type a code from your authenticator app or use one of your "
                "security keys."
            )
        return cleaned


class EnrolmentCodeForm(Form):
    """The one-time enrolment code that lets a user add their first device (12 letters and
    digits; case, spaces and dashes do not matter)."""

    code = forms.CharField(
        label="Enrolment code",
        max_length=64,
        strip=True,
        help_text="12 letters and digits, for example 7KQ2-M9XD-4HTA, from your administrator "
        "or program coordinator.",
        error_messages={
            "required": "Enter the enrolment code you were given.",
            "max_length": "An enrolment code is 12 letters and digits. Check the code you were "
            "given.",
            "null_characters_not_allowed": "An enrolment code has only letters and digits.",
        },
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}
        ),
    )

    def clean_code(self) -> str:
        code = normalise_enrolment_code(self.cleaned_data["code"])
        if not code:
            raise forms.ValidationError("Enter the enrolment code you were given.")
        if not (code.isascii() and set(code) <= ENROLMENT_CODE_CHARACTERS):
            raise forms.ValidationError(
                "An enrolment code has only letters and digits (and perhaps dashes)."
            )
        if len(code) != ENROLMENT_CODE_LENGTH:
            raise forms.ValidationError(
                f"An enrolment code is 12 letters and digits; you typed {min(len(code), 99)}."
            )
        return code
