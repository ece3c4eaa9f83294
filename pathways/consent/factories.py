"""Test support: the arguments of a complete, valid consent (consent.services.consent_record)."""

from __future__ import annotations

import base64
import datetime as dt
from typing import Any

from pathways.core import clock

#: A stand-in for a drawn signature (a PNG data URL), as the on-screen signature pad sends it.
SIGNATURE = "data:image/png;base64," + base64.b64encode(b"\x89PNG\r\n\x1a\n" + bytes(32)).decode()


def consent_values(
    *, actor: Any, person: Any, disclosing_agency: Any, recipient_agency: Any, **overrides: Any
) -> dict[str, Any]:
    """A general consent (42 CFR 2.31) from `disclosing_agency` to the officers and supervisors
    of `recipient_agency` for the referral status, signed on screen today and in force for a
    year; `overrides` change any element."""
    today = clock.local_date(disclosing_agency.program.time_zone)
    values: dict[str, Any] = {
        "actor": actor,
        "person": person,
        "kind": "general",
        "disclosing_agency": disclosing_agency,
        "categories": ["referral_status"],
        "recipient_agency": recipient_agency,
        "recipient_roles": ["officer", "supervisor"],
        "intermediary": "Pathways, the information system of the Test County program",
        "purpose": "So the referring officer knows whether the person connected with treatment.",
        "revocation_statement": "You may revoke this consent at any time by telling staff.",
        "expires_on": today + dt.timedelta(days=365),
        "signature_method": "on_screen",
        "signed_by": "Avery Nakamura-Cole",
        "signed_on": today,
        "signature_image": SIGNATURE,
    }
    values.update(overrides)
    return values
