"""Writes for consents: record one (every §2.31 element checked, refusals name the element),
revoke it, and record each disclosure made under it."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import io
import struct
import zlib
import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied, ValidationError
from PIL import Image, UnidentifiedImageError

from pathways.accounts.models import Agency, AgencyKind, Role
from pathways.audit.services import audit_log, created, diff, snapshot
from pathways.consent.models import (
    Consent,
    ConsentDocument,
    ConsentKind,
    Disclosure,
    ExpiryEvent,
    InfoCategory,
    SignatureMethod,
)
from pathways.core import clock
from pathways.core.services import service
from pathways.core.validators import text_problem
from pathways.people.models import Person

if TYPE_CHECKING:
    from pathways.accounts.models import User

#: Agencies that hold Part 2 records and may be named as the discloser.
HOLDER_KINDS = (AgencyKind.TREATMENT, AgencyKind.RECOVERY_SUPPORT, AgencyKind.PROGRAM_OFFICE)
#: Staff of the discloser who may record or revoke a consent for it.
CONSENT_STAFF_ROLES = (Role.PROVIDER_INTAKE, Role.CASE_MANAGER, Role.COORDINATOR)
#: §2.35: only the criminal-justice staff who monitor the person's progress.
CRIMINAL_JUSTICE_ROLES = (Role.PROSECUTOR, Role.SUPERVISOR)
MAX_DOCUMENT_BYTES = 5 * 1024 * 1024
DOCUMENT_TYPES = {
    b"%PDF-": "application/pdf",
    b"\x89PNG\r\n\x1a\n": "image/png",
    b"\xff\xd8\xff": "image/jpeg",
}
PNG_DATA_URL = "data:image/png;base64,"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
MAX_SIGNATURE_CHARS = 400_000
#: The drawn signature's size in pixels, smallest and largest: the pad draws 600 by 180 (a
#: sharper pad may draw it two or three times as large); anything else did not come from it.
SIGNATURE_MIN_SIZE = (60, 20)
SIGNATURE_MAX_SIZE = (2400, 1200)
#: A pixel darker than this (0 black, 255 white), laid over white paper, is ink.
SIGNATURE_INK_BELOW = 240
#: A consent ends at most this many years after it was signed (the form suggests one year).
MAX_CONSENT_YEARS = 3

CONSENT_FIELDS = [
    "person",
    "kind",
    "disclosing_agency",
    "categories",
    "recipient_agency",
    "recipient_roles",
    "intermediary",
    "purpose",
    "revocable_after",
    "revocable_after_event",
    "expires_on",
    "expiry_event",
    "signature_method",
    "signed_on",
]


@dataclass(frozen=True)
class ScannedCopy:
    content: bytes
    file_name: str = ""


def years_after(day: dt.date, years: int) -> dt.date:
    """The same day `years` later (Feb 29 becomes Feb 28 in a year without it)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def signature_png(data_url: str) -> tuple[str, str]:
    """(the drawn signature re-encoded as a clean PNG data URL, "") or ("", what is wrong).

    The capture is decoded, not only sniffed: it must be a PNG that decodes whole, of a size the
    signature pad draws, with ink on it (not all transparent or white). Only its pixels are
    kept: whatever else the file carried (text chunks, bytes after its end) is dropped."""
    image_url = (data_url or "").strip()
    if not image_url:
        return "", "Capture the signature on screen before saving."
    if not image_url.startswith(PNG_DATA_URL) or len(image_url) > MAX_SIGNATURE_CHARS:
        return "", (
            "The signature capture is not a drawing from the signature pad: clear it and sign "
            "again."
        )
    not_an_image = "The signature capture is not an image: clear it and sign again."
    try:
        raw = base64.b64decode(image_url.removeprefix(PNG_DATA_URL), validate=True)
    except (binascii.Error, ValueError):
        return "", not_an_image
    if not raw.startswith(PNG_MAGIC):
        return "", not_an_image
    (min_w, min_h), (max_w, max_h) = SIGNATURE_MIN_SIZE, SIGNATURE_MAX_SIZE
    try:
        with Image.open(io.BytesIO(raw), formats=["PNG"]) as probe:
            width, height = probe.size
            if not (min_w <= width <= max_w and min_h <= height <= max_h):
                return "", (
                    f"The signature capture is {width} by {height} pixels, not a drawing from "
                    "the signature pad: clear it and sign again."
                )
            probe.verify()  # every chunk's checksum
        with Image.open(io.BytesIO(raw), formats=["PNG"]) as image:
            image.load()  # decodes every pixel: a truncated or corrupt image fails here
            drawing = image.convert("RGBA")
    except (
        OSError,
        SyntaxError,
        ValueError,
        EOFError,
        struct.error,
        zlib.error,
        UnidentifiedImageError,
        Image.DecompressionBombError,
    ):
        return "", not_an_image
    paper = Image.new("RGBA", drawing.size, (255, 255, 255, 255))
    darkest = Image.alpha_composite(paper, drawing).convert("L").getextrema()[0]
    if not isinstance(darkest, int) or darkest >= SIGNATURE_INK_BELOW:
        return "", "The signature box is empty: the person signs in the box, then save."
    clean = io.BytesIO()
    drawing.save(clean, "PNG", optimize=True)
    return PNG_DATA_URL + base64.b64encode(clean.getvalue()).decode(), ""


def _text(
    value: str, *, element: str, label: str, max_length: int, errors: dict[str, list[str]]
) -> str:
    text = (value or "").strip()
    if not text:
        errors.setdefault(element, []).append(f"The consent must state {label}.")
    elif problem := text_problem(text, label=label, max_length=max_length, one_line=False):
        errors.setdefault(element, []).append(problem)
    return text


@service
def consent_record(
    *,
    actor: User,
    person: Person,
    kind: str,
    disclosing_agency: Agency,
    categories: list[str],
    recipient_agency: Agency | None,
    recipient_roles: list[str],
    intermediary: str,
    purpose: str,
    revocation_statement: str,
    expires_on: dt.date | None = None,
    expiry_event: str = "",
    revocable_after: dt.date | None = None,
    revocable_after_event: str = "",
    signature_method: str,
    signed_by: str,
    signed_on: dt.date | None,
    signature_image: str = "",
    scanned_copy: ScannedCopy | None = None,
) -> Consent:
    """Record a written consent. Every required element of 42 CFR 2.31 is checked, and a
    consent missing one is refused with a message naming it; nothing is saved then."""
    from pathways.consent.selectors import manages_consents

    program = disclosing_agency.program
    if not manages_consents(user=actor, agency_id=disclosing_agency.pk):
        raise PermissionDenied("Only the disclosing provider's staff record its consents.")
    errors: dict[str, list[str]] = {}
    today = clock.local_date(program.time_zone)
    if kind not in ConsentKind.values:
        errors.setdefault("kind", []).append("Choose the kind of consent.")
    origin = person.created_by_agency
    if origin is not None and origin.program_id != program.pk:
        errors.setdefault("person", []).append("The person is not in this program.")
    if disclosing_agency.kind not in HOLDER_KINDS or disclosing_agency.archived_at is not None:
        errors.setdefault("disclosing_agency", []).append(
            "The consent must name the provider or program permitted to disclose."
        )
    chosen = list(dict.fromkeys(categories or []))
    if not chosen:
        errors.setdefault("categories", []).append(
            "The consent must describe the information to disclose: choose at least one kind."
        )
    elif unknown := [c for c in chosen if c not in InfoCategory.values]:
        errors.setdefault("categories", []).append(f"Unknown kinds of information: {unknown}.")
    if recipient_agency is None or recipient_agency.program_id != program.pk:
        errors.setdefault("recipient_agency", []).append(
            "The consent must name the recipient: an agency of this program."
        )
    elif recipient_agency.pk == disclosing_agency.pk:
        errors.setdefault("recipient_agency", []).append(
            "The recipient must be another agency than the one disclosing."
        )
    roles = list(dict.fromkeys(recipient_roles or []))
    if not roles:
        errors.setdefault("recipient_roles", []).append(
            "The consent must say who at the recipient may receive it: choose at least one role."
        )
    elif unknown := [r for r in roles if r not in Role.values]:
        errors.setdefault("recipient_roles", []).append(f"Unknown roles: {unknown}.")
    elif kind == ConsentKind.CRIMINAL_JUSTICE and (
        extra := [r for r in roles if r not in CRIMINAL_JUSTICE_ROLES]
    ):
        errors.setdefault("recipient_roles", []).append(
            "A criminal-justice consent goes only to the staff who monitor the person's "
            f"progress (prosecutor or supervisor), not: {', '.join(extra)}."
        )
    intermediary_text = _text(
        intermediary,
        element="intermediary",
        label="the intermediary (Pathways)",
        max_length=200,
        errors=errors,
    )
    purpose_text = _text(
        purpose,
        element="purpose",
        label="the purpose of the disclosure",
        max_length=300,
        errors=errors,
    )
    revocation_text = _text(
        revocation_statement,
        element="revocation_statement",
        label="the right to revoke and how to revoke",
        max_length=500,
        errors=errors,
    )
    if expiry_event not in ExpiryEvent.values:
        errors.setdefault("expiry", []).append("Choose an event the consent expires on.")
    if expires_on is None and not expiry_event:
        errors.setdefault("expiry", []).append(
            "The consent must say when it expires: a date, an event, or both."
        )
    if signed_on is None:
        errors.setdefault("signed_on", []).append("The consent must carry the date it was signed.")
    elif signed_on > today:
        errors.setdefault("signed_on", []).append("The date signed cannot be in the future.")
    elif expires_on is not None:
        latest = years_after(signed_on, MAX_CONSENT_YEARS)
        if expires_on <= signed_on:
            errors.setdefault("expiry", []).append("The consent must expire after the date signed.")
        elif expires_on < today:
            errors.setdefault("expiry", []).append(
                f"The end date, {expires_on:%b %-d, %Y}, has already passed: choose a later "
                "date (the form suggests one year after signing)."
            )
        elif expires_on > latest:
            errors.setdefault("expiry", []).append(
                f"The end date, {expires_on:%b %-d, %Y}, is more than {MAX_CONSENT_YEARS} "
                f"years after the date signed: choose a date on or before {latest:%b %-d, %Y}."
            )
    if kind == ConsentKind.CRIMINAL_JUSTICE:
        if revocable_after is None and not revocable_after_event:
            errors.setdefault("revocable_after", []).append(
                "A criminal-justice consent must state the date or event before which it "
                "cannot be revoked."
            )
        if revocable_after_event not in ExpiryEvent.values:
            errors.setdefault("revocable_after", []).append("Choose a known event.")
    elif revocable_after is not None or revocable_after_event:
        errors.setdefault("revocable_after", []).append(
            "Only a criminal-justice consent limits when it can be revoked."
        )
    signer = _text(
        signed_by, element="signature", label="who signed it", max_length=200, errors=errors
    )
    document: tuple[str, bytes] | None = None
    image = ""
    if signature_method == SignatureMethod.ON_SCREEN:
        image, problem = signature_png(signature_image)
        if problem:
            errors.setdefault("signature", []).append(problem)
    elif signature_method == SignatureMethod.PAPER:
        content = scanned_copy.content if scanned_copy else b""
        content_type = next(
            (kind_ for magic, kind_ in DOCUMENT_TYPES.items() if content.startswith(magic)), None
        )
        if not content:
            errors.setdefault("signature", []).append(
                "Attach the scanned copy of the signed paper consent."
            )
        elif len(content) > MAX_DOCUMENT_BYTES:
            errors.setdefault("signature", []).append("The scanned copy is over 5 MB.")
        elif content_type is None:
            errors.setdefault("signature", []).append(
                "The scanned copy must be a PDF, PNG or JPEG file."
            )
        else:
            document = (content_type, content)
    else:
        errors.setdefault("signature", []).append(
            "Say how the consent was signed: on screen or on paper."
        )
    if errors:
        raise ValidationError(errors)
    assert recipient_agency is not None and signed_on is not None
    consent = Consent.objects.create(
        program=program,
        person=person,
        kind=kind,
        disclosing_agency=disclosing_agency,
        categories=chosen,
        recipient_agency=recipient_agency,
        recipient_roles=roles,
        intermediary=intermediary_text,
        purpose=purpose_text,
        revocation_statement=revocation_text,
        revocable_after=revocable_after,
        revocable_after_event=revocable_after_event,
        expires_on=expires_on,
        expiry_event=expiry_event,
        signature_method=signature_method,
        signed_by=signer,
        signed_on=signed_on,
        signature_image=image,
        attested_by=actor,
    )
    if document is not None:
        ConsentDocument.objects.create(
            consent=consent,
            content_type=document[0],
            content=document[1],
            sha256=hashlib.sha256(document[1]).hexdigest(),
            size=len(document[1]),
        )
    audit_log(
        actor=actor,
        event_type="consent.create",
        obj=consent,
        changes=created(consent, CONSENT_FIELDS),
    )
    return consent


@service
def consent_revoke(*, actor: User, consent: Consent, note: str = "") -> Consent:
    """Revoke a consent: from now on nothing more is disclosed under it. A criminal-justice
    consent cannot be revoked before the date or event it states (42 CFR 2.35)."""
    from pathways.consent.selectors import event_happened, manages_consents

    consent = (
        Consent.objects.select_for_update(of=("self",))
        .select_related("disclosing_agency", "program")
        .get(pk=consent.pk)
    )
    if not manages_consents(user=actor, agency_id=consent.disclosing_agency_id):
        raise PermissionDenied("Only the disclosing provider's staff record a revocation.")
    if consent.revoked_at is not None:
        raise ValidationError("This consent was already revoked.")
    if problem := text_problem(note.strip(), label="note", max_length=300, one_line=False):
        raise ValidationError({"note": problem})
    if consent.kind == ConsentKind.CRIMINAL_JUSTICE:
        today = clock.local_date(consent.program.time_zone)
        if consent.revocable_after is not None and today < consent.revocable_after:
            raise ValidationError(
                "This criminal-justice consent cannot be revoked before "
                f"{consent.revocable_after:%b %-d, %Y}."
            )
        if consent.revocable_after_event and not event_happened(
            consent=consent, event=consent.revocable_after_event
        ):
            raise ValidationError(
                "This criminal-justice consent cannot be revoked until: "
                f"{consent.get_revocable_after_event_display()}."
            )
    fields = ["revoked_at", "revoked_by", "revocation_note"]
    old = snapshot(consent, fields)
    consent.revoked_at = clock.now()
    consent.revoked_by = actor
    consent.revocation_note = note.strip()
    consent.save(update_fields=fields)
    audit_log(
        actor=actor,
        event_type="consent.revoke",
        obj=consent,
        changes=diff(old, snapshot(consent, fields), redact=["revocation_note"]),
    )
    return consent


@service
def consent_export(*, actor: User, consent: Consent, lang: str) -> bytes:
    """The printable consent (a PDF in `lang`, "en" or "es") for the disclosing provider's
    staff. The export is audited: which consent, the format and the language; nothing of the
    person."""
    from pathways.consent.pdf import consent_pdf
    from pathways.consent.selectors import manages_consents

    if not manages_consents(user=actor, agency_id=consent.disclosing_agency_id):
        raise PermissionDenied("Only the disclosing provider's staff print its consents.")
    content = consent_pdf(consent, lang=lang)
    audit_log(
        actor=actor,
        event_type="consent.export",
        obj=consent,
        changes={"format": [None, "pdf"], "language": [None, lang]},
    )
    return content


@service
def disclosure_record(
    *, viewer: Any, consent: Consent, recipient_agency: Agency, categories: list[str]
) -> Disclosure:
    """Record that protected information was shown under `consent` (accounting of disclosures).
    Called by the disclosure check's callers when they show it."""
    return Disclosure.objects.create(
        consent=consent,
        person_id=consent.person_id,
        recipient_agency=recipient_agency,
        recipient_user=viewer,
        categories=categories,
        purpose=consent.purpose,
        disclosed_at=clock.now(),
    )


@service
def disclosures_record_daily(
    *, viewer: Any, consents: Iterable[Consent], categories: list[str]
) -> None:
    """Record that a list showed `viewer` protected information under each of `consents`
    (accounting of disclosures): once per consent, viewer and day (the program's day) however
    often the list is opened. Two queries whatever the number of consents (none for none): one
    to find today's entries and one to add the missing ones."""
    used = {consent.pk: consent for consent in consents}
    if not used:
        return
    now = clock.now()
    zones = {pk: zoneinfo.ZoneInfo(c.program.time_zone) for pk, c in used.items()}
    since = min(
        dt.datetime.combine(now.astimezone(zone).date(), dt.time(), tzinfo=zone)
        for zone in zones.values()
    )
    already = {
        consent_id
        for consent_id, disclosed_at in Disclosure.objects.filter(
            recipient_user=viewer, consent_id__in=list(used), disclosed_at__gte=since
        ).values_list("consent_id", "disclosed_at")
        if disclosed_at.astimezone(zones[consent_id]).date()
        == now.astimezone(zones[consent_id]).date()
    }
    Disclosure.objects.bulk_create(
        [
            Disclosure(
                consent=consent,
                person_id=consent.person_id,
                recipient_agency=consent.recipient_agency,
                recipient_user=viewer,
                categories=categories,
                purpose=consent.purpose,
                disclosed_at=now,
            )
            for pk, consent in used.items()
            if pk not in already
        ]
    )
