"""The provider's consent screens, reached from a referral: the person's consents to this
provider's disclosures, the accounting of disclosures, recording and revoking a consent.

They live with referrals (above consent) because a referral is what they are reached from and
who may open them: the receiving provider's staff; the URLs keep the consent namespace
(consent_urls) and the templates stay with consent (docs/decisions/0022)."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from pathways.accounts.access import SignedInRequest, role_required
from pathways.accounts.models import Agency, Role
from pathways.audit.services import audit_read
from pathways.consent.forms import (
    DEFAULT_INTERMEDIARY,
    DEFAULT_PURPOSE,
    DEFAULT_REVOCATION,
    ConsentForm,
    RevokeForm,
)
from pathways.consent.models import Consent, ConsentKind, ExpiryEvent, SignatureMethod
from pathways.consent.pdf import LANGUAGES
from pathways.consent.selectors import (
    consent_held,
    consent_state,
    consents_of,
    disclosures_of,
    manages_consents,
)
from pathways.consent.services import (
    consent_export,
    consent_record,
    consent_revoke,
    years_after,
)
from pathways.core import clock
from pathways.referrals.models import Referral
from pathways.referrals.selectors import referral_for_user

STAFF = (Role.PROVIDER_INTAKE, Role.CASE_MANAGER, Role.COORDINATOR, Role.ADMIN)
#: Service errors by the form field that shows them.
ERROR_FIELDS = {
    "kind": "kind",
    "categories": "categories",
    "recipient_agency": "recipient_agency",
    "recipient_roles": "recipient_roles",
    "intermediary": "intermediary",
    "purpose": "purpose",
    "revocation_statement": "revocation_statement",
    "expiry": "expires_on",
    "revocable_after": "revocable_after",
    "signed_on": "signed_on",
    "signature": "signature_method",
}


def _referral_for_holder(request: HttpRequest, referral_id: uuid.UUID) -> Referral:
    """The referral, for its provider's staff (or the program office): they hold the record."""
    referral = referral_for_user(user=request.user, referral_id=referral_id)
    if referral is None:
        raise Http404("No such referral.")
    if not manages_consents(user=request.user, agency_id=referral.receiving_agency_id):
        raise PermissionDenied("Only the provider's staff manage its consents.")
    return referral


def _consent_of(referral: Referral, consent_id: uuid.UUID) -> Consent:
    """One of the person's consents to the referral's provider (404 for any other)."""
    consent = consent_held(
        consent_id=consent_id, person_id=referral.person_id, holder_id=referral.receiving_agency_id
    )
    if consent is None:
        raise Http404("No such consent.")
    return consent


@role_required(*STAFF)
def referral_consents(request: SignedInRequest, referral_id: uuid.UUID) -> HttpResponse:
    referral = _referral_for_holder(request, referral_id)
    audit_read(actor=request.user, obj=referral, fields=("consents", "disclosures"))
    now = clock.now()
    consents = [
        (c, *consent_state(consent=c, at=now))
        for c in consents_of(person_id=referral.person_id)
        if c.disclosing_agency_id == referral.receiving_agency_id
    ]
    return render(
        request,
        "consent/referral_consents.html",
        {
            "referral": referral,
            "consents": consents,
            "disclosures": [
                d
                for d in disclosures_of(person_id=referral.person_id)
                if d.consent.disclosing_agency_id == referral.receiving_agency_id
            ],
            "revoke_form": RevokeForm(),
        },
    )


@role_required(*STAFF)
def consent_new(request: SignedInRequest, referral_id: uuid.UUID) -> HttpResponse:
    referral = _referral_for_holder(request, referral_id)
    program = referral.receiving_agency.program
    agencies = list(
        Agency.objects.filter(program=program, archived_at__isnull=True)
        .exclude(pk=referral.receiving_agency_id)
        .order_by("name")
    )
    today = clock.local_date(program.time_zone)
    initial: dict[str, Any] = {
        "kind": ConsentKind.GENERAL,
        "categories": ["referral_status"],
        "recipient_agency": str(referral.referring_agency_id),
        "recipient_roles": [Role.OFFICER, Role.SUPERVISOR],
        "intermediary": DEFAULT_INTERMEDIARY.format(program=program.name),
        "purpose": DEFAULT_PURPOSE,
        "revocation_statement": DEFAULT_REVOCATION,
        # The person chooses the end date (a year is suggested): a consent that ends when
        # the referral is completed would stop sharing at the very outcome it was given to
        # share (docs/decisions/0018). The event stays available.
        "expires_on": years_after(today, 1),
        "expiry_event": ExpiryEvent.NONE,
        "signature_method": SignatureMethod.ON_SCREEN,
        "signed_on": today,
    }
    form = ConsentForm(
        request.POST or None, request.FILES or None, initial=initial, agencies=agencies
    )
    if request.method == "POST" and form.is_valid():
        try:
            consent_record(
                actor=request.user,
                person=referral.person,
                disclosing_agency=referral.receiving_agency,
                **form.service_values(),
            )
        except ValidationError as exc:
            for key, errors in exc.message_dict.items():
                form.add_error(ERROR_FIELDS.get(key), errors)
        else:
            messages.success(request, "Consent recorded. It applies from now on.")
            return redirect("consent:referral_consents", referral_id=referral.pk)
    return render(
        request,
        "consent/consent_form.html",
        {"referral": referral, "form": form},
        status=422 if form.errors else 200,
    )


@role_required(*STAFF)
def revoke(request: SignedInRequest, referral_id: uuid.UUID, consent_id: uuid.UUID) -> HttpResponse:
    referral = _referral_for_holder(request, referral_id)
    consent = _consent_of(referral, consent_id)
    if request.method != "POST":
        raise Http404("No such consent.")
    form = RevokeForm(request.POST)
    if form.is_valid():
        try:
            consent_revoke(actor=request.user, consent=consent, note=form.cleaned_data["note"])
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, "Consent revoked. Nothing more is shared under it.")
    else:
        messages.error(request, " ".join(str(e) for errs in form.errors.values() for e in errs))
    return redirect("consent:referral_consents", referral_id=referral.pk)


@role_required(*STAFF)
def consent_pdf(
    request: SignedInRequest, referral_id: uuid.UUID, consent_id: uuid.UUID
) -> HttpResponse:
    """The printable consent (?lang=en or es), for the same staff as the consent screens."""
    referral = _referral_for_holder(request, referral_id)
    consent = _consent_of(referral, consent_id)
    lang = request.GET.get("lang", "en")
    if lang not in LANGUAGES:
        return render(
            request,
            "400.html",
            {
                "problem": "The consent form is printed in English (lang=en) or Spanish "
                "(lang=es) only. Nothing was printed. Go back and choose one of the print links."
            },
            status=400,
        )
    content = consent_export(actor=request.user, consent=consent, lang=lang)
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = (
        f'attachment; filename="consent-{str(consent.pk)[:8]}-{lang}.pdf"'
    )
    response["Cache-Control"] = "no-store"
    return response
