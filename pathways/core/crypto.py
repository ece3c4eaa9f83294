"""Field encryption at rest: AES-256-GCM under keys from the environment, with key rotation.

Keys come from PATHWAYS_FIELD_KEYS, a comma-separated list of ``keyid:base64-of-32-bytes``
entries. The first key encrypts; every key decrypts, so a new key goes first and the old ones
stay after it until ``manage.py rotate_field_keys`` has re-encrypted everything under the new one.
Outside production, without the variable, a development key derived from SECRET_KEY (key id
``dev``) is used so the demo and the tests need no setup; production refuses to start without real
keys (pathways.core.checks). The entry ``dev`` (no colon) names the development key in the list,
to move a development database onto real keys; production refuses it.

A stored value is text: ``pw1:<keyid>:<base64(nonce 12 bytes | ciphertext and 16-byte tag)>``.
Each value has its own random 96-bit nonce, and the associated data binds it to its column
(``app_label.model.field``): a value copied into another column does not decrypt. Key material
never appears in an error message, a log line or a repr.

See docs/decisions/0012-field-encryption.md and the operations guide (key management).
"""

from __future__ import annotations

import base64
import binascii
import functools
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

ENV_VAR = "PATHWAYS_FIELD_KEYS"
#: The format version: the first part of every stored value.
PREFIX = "pw1"
DEV_KID = "dev"
KEY_BYTES = 32  # AES-256
NONCE_BYTES = 12  # 96 bits, the size GCM is designed for
TAG_BYTES = 16
KID_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
#: The HKDF label of the development key: it says what the key is wherever it is derived.
DEV_KEY_INFO = (
    b"pathways field encryption: DEVELOPMENT key derived from SECRET_KEY, not for production"
)


class FieldDecryptionError(Exception):
    """A stored value could not be decrypted. The message names the column (and the key id),
    never the value or the key."""


class UnknownKeyError(FieldDecryptionError):
    """The value was encrypted under a key id that is not in PATHWAYS_FIELD_KEYS."""


def is_token(value: str) -> bool:
    """Whether `value` has the shape of a stored encrypted value (``pw1:<kid>:...``)."""
    return value.startswith(PREFIX + ":") and value.count(":") >= 2


def token_kid(value: str) -> str | None:
    """The key id of a stored value, or None when it is not an encrypted value."""
    if not is_token(value):
        return None
    return value.split(":", 2)[1]


@dataclass(frozen=True, repr=False)
class KeyRing:
    """The keys in force: `current` encrypts, every key in `keys` decrypts."""

    current: str
    keys: Mapping[str, AESGCM]
    development: bool = False

    def __repr__(self) -> str:  # never the key material
        kind = "development " if self.development else ""
        return f"<KeyRing {kind}current={self.current!r} kids={list(self.keys)!r}>"

    @property
    def kids(self) -> tuple[str, ...]:
        return tuple(self.keys)

    def encrypt(self, plaintext: bytes, *, aad: str) -> str:
        nonce = os.urandom(NONCE_BYTES)
        sealed = self.keys[self.current].encrypt(nonce, plaintext, aad.encode("utf-8"))
        return f"{PREFIX}:{self.current}:{base64.b64encode(nonce + sealed).decode('ascii')}"

    def decrypt(self, token: str, *, aad: str) -> bytes:
        """The plaintext of `token`, stored in the column `aad` names. Raises
        FieldDecryptionError (UnknownKeyError for a key id not configured)."""
        parts = token.split(":", 2)
        if len(parts) != 3 or parts[0] != PREFIX:
            raise FieldDecryptionError(f"{aad}: the stored value is not an encrypted value")
        _, kid, body = parts
        aead = self.keys.get(kid)
        if aead is None:
            raise UnknownKeyError(
                f"{aad}: the value is encrypted under key id {kid!r}, which is not in {ENV_VAR}"
            )
        try:
            raw = base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError):
            raise FieldDecryptionError(f"{aad}: the stored value is damaged (not base64)") from None
        if len(raw) < NONCE_BYTES + TAG_BYTES:
            raise FieldDecryptionError(f"{aad}: the stored value is damaged (too short)")
        try:
            return aead.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], aad.encode("utf-8"))
        except InvalidTag:
            raise FieldDecryptionError(
                f"{aad}: the value does not decrypt under key {kid!r}: it was altered, copied "
                "from another column, or encrypted under a different key with the same id"
            ) from None


def development_key(secret_key: str) -> bytes:
    """The development key: HKDF-SHA256 of SECRET_KEY under a label that says what it is."""
    return HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=None, info=DEV_KEY_INFO).derive(
        secret_key.encode("utf-8")
    )


def _decode_key(material: str, position: int) -> bytes:
    """A key in standard or URL-safe base64; errors name the entry, never its content."""
    try:
        key = base64.b64decode(
            material.translate(str.maketrans("-_", "+/")).encode("ascii"), validate=True
        )
    except (binascii.Error, ValueError, UnicodeEncodeError):
        raise ImproperlyConfigured(
            f"{ENV_VAR}: the key of entry {position} is not valid base64"
        ) from None
    if len(key) != KEY_BYTES:
        raise ImproperlyConfigured(
            f"{ENV_VAR}: the key of entry {position} is {len(key)} bytes; AES-256 needs exactly "
            f'{KEY_BYTES} (make one with: python3 -c "import base64, os; '
            'print(base64.b64encode(os.urandom(32)).decode())")'
        )
    return key


def parse_keys(raw: str, *, secret_key: str, production: bool) -> list[tuple[str, bytes]]:
    """(key id, key) pairs of a PATHWAYS_FIELD_KEYS value, in order. Raises ImproperlyConfigured
    naming the variable and the entry's position, never its content."""
    entries = [entry.strip() for entry in raw.split(",") if entry.strip()]
    pairs: list[tuple[str, bytes]] = []
    for position, entry in enumerate(entries, start=1):
        if entry == DEV_KID:
            if production:
                raise ImproperlyConfigured(
                    f"{ENV_VAR}: entry {position} names the development key, which production "
                    "refuses."
                )
            pairs.append((DEV_KID, development_key(secret_key)))
            continue
        kid, sep, material = entry.partition(":")
        kid = kid.strip()
        if not sep or not material.strip():
            raise ImproperlyConfigured(
                f"{ENV_VAR}: entry {position} is not of the form keyid:base64-of-32-bytes"
            )
        if not KID_PATTERN.match(kid):
            raise ImproperlyConfigured(
                f"{ENV_VAR}: the key id of entry {position} must be 1–32 letters, digits, '-' "
                "or '_'"
            )
        if kid == DEV_KID:
            raise ImproperlyConfigured(
                f"{ENV_VAR}: the key id {DEV_KID!r} is kept for the development key; choose "
                f"another id for entry {position}"
            )
        pairs.append((kid, _decode_key(material.strip(), position)))
    seen: set[str] = set()
    for kid, _ in pairs:  # ids differing only in case are refused: SQL LIKE may not tell them
        if kid.lower() in seen:
            raise ImproperlyConfigured(f"{ENV_VAR}: the key id {kid!r} appears twice")
        seen.add(kid.lower())
    return pairs


@functools.lru_cache(maxsize=16)
def _build(raw: str, secret_key: str, production: bool) -> KeyRing:
    pairs = parse_keys(raw, secret_key=secret_key, production=production)
    if not pairs:
        if production:
            raise ImproperlyConfigured(
                f"{ENV_VAR} is required in production (PATHWAYS_PRODUCTION=1): set it to "
                "keyid:base64-of-32-bytes (see docs/operations.md, key management)."
            )
        return KeyRing(
            current=DEV_KID,
            keys={DEV_KID: AESGCM(development_key(secret_key))},
            development=True,
        )
    return KeyRing(
        current=pairs[0][0],
        keys={kid: AESGCM(key) for kid, key in pairs},
        development=pairs[0][0] == DEV_KID,
    )


def keyring() -> KeyRing:
    """The keys in force, from settings.PATHWAYS_FIELD_KEYS (read from the environment)."""
    return _build(
        str(getattr(settings, "PATHWAYS_FIELD_KEYS", "") or ""),
        str(settings.SECRET_KEY),
        bool(getattr(settings, "PRODUCTION", False)),
    )


def encrypt_text(plaintext: str, *, aad: str) -> str:
    return keyring().encrypt(plaintext.encode("utf-8"), aad=aad)


def decrypt_text(token: str, *, aad: str) -> str:
    return keyring().decrypt(token, aad=aad).decode("utf-8")
