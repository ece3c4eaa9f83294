"""The shape of a client credential and its digest. A credential is
``pwapi_<key id>_<secret>``: the key id (16 hex characters) finds the client, the secret (256
random bits) proves it. Only a salted SHA-256 of the secret is kept (a fast hash is enough for
256 random bits; a slow password hash would be paid on every request)."""

from __future__ import annotations

import hashlib
import secrets

#: Every credential starts with this, so a leaked one is recognised (by people and scanners).
TOKEN_PREFIX = "pwapi_"  # noqa: S105 - the public prefix, no secret
KEY_ID_LENGTH = 16


def secret_digest(salt: str, secret: str) -> str:
    return hashlib.sha256(f"{salt}:{secret}".encode()).hexdigest()


def new_credential() -> tuple[str, str, str, str]:
    """(token, key id, salt, digest) of a fresh credential; the token is shown once."""
    key_id = secrets.token_hex(KEY_ID_LENGTH // 2)
    secret = secrets.token_urlsafe(32)
    salt = secrets.token_hex(16)
    return f"{TOKEN_PREFIX}{key_id}_{secret}", key_id, salt, secret_digest(salt, secret)


def split_token(token: str) -> tuple[str, str] | None:
    """(key id, secret) of a credential as sent, or None when it is not shaped like one."""
    if not token.startswith(TOKEN_PREFIX):
        return None
    rest = token[len(TOKEN_PREFIX) :]
    key_id, sep, secret = rest[:KEY_ID_LENGTH], rest[KEY_ID_LENGTH:][:1], rest[KEY_ID_LENGTH + 1 :]
    if sep != "_" or len(key_id) != KEY_ID_LENGTH or not 0 < len(secret) <= 100:
        return None
    return key_id, secret
