"""Test support: the arguments of a complete, valid consent (consent.services.consent_record)."""

from __future__ import annotations

import base64
import datetime as dt
import io
from typing import Any

from PIL import Image, ImageDraw

from pathways.core import clock


def drawn_signature(size: tuple[int, int] = (600, 180)) -> str:
    """A signature as the on-screen pad sends it: a stroke of ink on a transparent 600 by 180
    canvas, as a PNG data URL (consent.services.signature_png decodes every capture)."""
    pad = Image.new("RGBA", size, (0, 0, 0, 0))
    ImageDraw.Draw(pad).line(
        [(40, 120), (90, 40), (130, 130), (190, 60), (260, 120), (330, 55), (420, 110)],
        fill=(20, 20, 60, 255),
        width=5,
    )
    out = io.BytesIO()
    pad.save(out, "PNG")
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode()


#: A drawn signature (a PNG data URL), as the on-screen signature pad sends it.
SIGNATURE = drawn_signature()


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
