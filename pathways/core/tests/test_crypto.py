"""Field encryption at rest, core's own part (pathways.core.crypto and its check): the format,
the keys and the production check. The encrypted fields of every app, their audit, the data
migrations, key rotation and a dump of the demo county are tried end to end in
tests/test_encryption_at_rest.py."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured

from pathways.core import crypto
from pathways.core.checks import field_encryption_keys
from pathways.core.crypto import (
    DEV_KID,
    ENV_VAR,
    FieldDecryptionError,
    KeyRing,
    UnknownKeyError,
    parse_keys,
)

KEY_A = base64.b64encode(bytes(range(32))).decode()
KEY_B = base64.b64encode(bytes(range(100, 132))).decode()
ROOT = Path(__file__).resolve().parents[3]


def ring(spec: str, *, production: bool = False) -> KeyRing:
    return crypto._build(spec, "s" * 60, production)


# --- the format and the keys (no database) -----------------------------------------------------


def test_round_trip_and_format() -> None:
    keys = ring(f"a:{KEY_A}")
    token = keys.encrypt(b"Welfare check at the library", aad="encounters.encounter.notes")
    prefix, kid, body = token.split(":", 2)
    assert (prefix, kid) == ("pw1", "a")
    raw = base64.b64decode(body, validate=True)
    assert len(raw) == 12 + len("Welfare check at the library") + 16  # nonce | text | tag
    assert b"Welfare" not in raw
    plain = keys.decrypt(token, aad="encounters.encounter.notes")
    assert plain.decode() == "Welfare check at the library"


def test_a_fresh_nonce_for_every_value() -> None:
    keys = ring(f"a:{KEY_A}")
    tokens = {keys.encrypt(b"same text", aad="x.y.z") for _ in range(50)}
    assert len(tokens) == 50
    nonces = {base64.b64decode(t.split(":", 2)[2])[:12] for t in tokens}
    assert len(nonces) == 50


def test_tampering_is_detected() -> None:
    keys = ring(f"a:{KEY_A}")
    token = keys.encrypt(b"3 g of fentanyl", aad="x.y.z")
    raw = bytearray(base64.b64decode(token.split(":", 2)[2]))
    raw[15] ^= 1
    altered = "pw1:a:" + base64.b64encode(bytes(raw)).decode()
    with pytest.raises(FieldDecryptionError, match=r"x\.y\.z.*altered"):
        keys.decrypt(altered, aad="x.y.z")
    with pytest.raises(FieldDecryptionError, match="damaged"):
        keys.decrypt("pw1:a:not base64!", aad="x.y.z")
    with pytest.raises(FieldDecryptionError, match="too short"):
        keys.decrypt("pw1:a:" + base64.b64encode(b"short").decode(), aad="x.y.z")


def test_a_value_moved_to_another_column_does_not_decrypt() -> None:
    keys = ring(f"a:{KEY_A}")
    token = keys.encrypt(b"Possession, 1 g", aad="cases.heldcharge.description")
    with pytest.raises(FieldDecryptionError, match=r"cases\.heldcharge\.statute"):
        keys.decrypt(token, aad="cases.heldcharge.statute")


def test_wrong_and_unknown_keys() -> None:
    token = ring(f"a:{KEY_A}").encrypt(b"note", aad="x.y.z")
    with pytest.raises(FieldDecryptionError, match="does not decrypt under key 'a'"):
        ring(f"a:{KEY_B}").decrypt(token, aad="x.y.z")  # same id, another key
    with pytest.raises(UnknownKeyError, match=f"key id 'a', which is not in {ENV_VAR}"):
        ring(f"b:{KEY_B}").decrypt(token, aad="x.y.z")


def test_long_unicode_text() -> None:
    keys = ring(f"a:{KEY_A}")
    text = ("Señora Nguyễn — 東京 📍 \u200d\n" * 2000).encode()
    assert keys.decrypt(keys.encrypt(text, aad="x.y.z"), aad="x.y.z") == text


def test_key_list_the_first_encrypts_all_decrypt() -> None:
    old = ring(f"a:{KEY_A}")
    both = ring(f"b:{KEY_B}, a:{KEY_A}")
    assert both.current == "b" and both.kids == ("b", "a")
    assert both.decrypt(old.encrypt(b"x", aad="l"), aad="l") == b"x"
    assert both.encrypt(b"x", aad="l").startswith("pw1:b:")
    urlsafe = base64.urlsafe_b64encode(bytes(range(200, 232))).decode()
    assert ring(f"c:{urlsafe}").current == "c"


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("nocolon", "entry 1 is not of the form keyid:base64-of-32-bytes"),
        (f"a:{KEY_A},b:", "entry 2 is not of the form"),
        ("a:!!!notbase64!!!", "the key of entry 1 is not valid base64"),
        (f"a:{base64.b64encode(b'short').decode()}", "entry 1 is 5 bytes; AES-256 needs exactly"),
        (f"a b:{KEY_A}", "the key id of entry 1 must be"),
        (f"a:{KEY_A},A:{KEY_B}", "the key id 'A' appears twice"),
        (f"dev:{KEY_A}", "kept for the development key"),
    ],
)
def test_malformed_keys_are_refused_without_showing_them(spec: str, message: str) -> None:
    with pytest.raises(ImproperlyConfigured) as info:
        parse_keys(spec, secret_key="s" * 60, production=False)
    text = str(info.value)
    assert ENV_VAR in text and message in text
    for secret in (KEY_A, KEY_B, "!!!notbase64!!!", base64.b64encode(b"short").decode()):
        assert secret not in text
    assert KEY_A not in repr(ring(f"a:{KEY_A}"))


def test_development_key_is_derived_labelled_and_refused_in_production() -> None:
    dev = ring("")
    assert dev.current == DEV_KID and dev.development
    assert ring("").decrypt(dev.encrypt(b"x", aad="l"), aad="l") == b"x"
    other = crypto._build("", "another secret" * 5, False)
    with pytest.raises(FieldDecryptionError):
        other.decrypt(dev.encrypt(b"x", aad="l"), aad="l")
    # the entry "dev" keeps development data readable after real keys are set
    moving = ring(f"a:{KEY_A},dev")
    assert moving.current == "a" and moving.decrypt(dev.encrypt(b"x", aad="l"), aad="l") == b"x"
    with pytest.raises(ImproperlyConfigured, match=f"{ENV_VAR} is required in production"):
        ring("", production=True)
    with pytest.raises(ImproperlyConfigured, match="production refuses"):
        ring(f"a:{KEY_A},dev", production=True)
    assert ring(f"a:{KEY_A}", production=True).current == "a"


def test_the_check_requires_keys_in_production_and_valid_keys_always(settings: Any) -> None:
    settings.PRODUCTION = False
    settings.PATHWAYS_FIELD_KEYS = ""
    assert field_encryption_keys(None) == []
    settings.PATHWAYS_FIELD_KEYS = "a:short"
    [error] = field_encryption_keys(None)
    assert error.id == "pathways.E010" and ENV_VAR in error.msg and "short" not in error.msg
    settings.PRODUCTION = True
    settings.PATHWAYS_FIELD_KEYS = ""
    [error] = field_encryption_keys(None)
    assert error.id == "pathways.E011" and ENV_VAR in error.msg
    settings.PATHWAYS_FIELD_KEYS = f"a:{KEY_A}"
    assert field_encryption_keys(None) == []


def _check_deploy(field_keys: str | None) -> subprocess.CompletedProcess[str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("PATHWAYS_") and k != "DJANGO_ALLOW_ASYNC_UNSAFE"  # pathways.testing
    }
    env.update(
        PATHWAYS_PRODUCTION="1",
        PATHWAYS_SECRET_KEY=base64.b64encode(os.urandom(48)).decode(),
        DATABASE_URL="postgres://pathways:unused@127.0.0.1:9/pathways",  # never connected
        PATHWAYS_EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
    )
    if field_keys is not None:
        env[ENV_VAR] = field_keys
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_check_deploy_is_clean_in_production_with_a_field_key() -> None:
    result = _check_deploy(f"k2026:{KEY_A}")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_fails_in_production_without_a_field_key() -> None:
    result = _check_deploy(None)
    assert result.returncode != 0
    assert "pathways.E011" in result.stderr and ENV_VAR in result.stderr
