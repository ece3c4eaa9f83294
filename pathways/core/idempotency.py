"""The fingerprint of a submitted form, so a retried submission (same idempotency key, same
body) is recognised and the same key with a different body is refused."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from typing import Any

NOT_PART_OF_THE_BODY = ("csrfmiddlewaretoken", "idempotency_key")


def body_digest(data: Any, exclude: Iterable[str] = NOT_PART_OF_THE_BODY) -> str:
    """SHA-256 over the submitted fields and values (a QueryDict or a dict of lists), in a
    stable order; the CSRF token and the key itself are left out."""
    skip = set(exclude)
    items = (
        (key, list(data.getlist(key)) if hasattr(data, "getlist") else list(data[key]))
        for key in sorted(data)
        if key not in skip
    )
    canonical = json.dumps([[key, values] for key, values in items], ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()
