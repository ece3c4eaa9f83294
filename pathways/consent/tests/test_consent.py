"""Consent (42 CFR 2.31 and 2.35) and the one disclosure check: every element is required, a
police user sees only "Sent" without consent, and only the consented categories with it;
revocation, expiry and the wrong recipient take effect at the next request; every disclosure is
accounted for."""

from __future__ import annotations

import base64
import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from pathways.accounts.factories import AgencyFactory, member
from pathways.audit.models import AuditEvent
from pathways.consent.factories import consent_values
from pathways.consent.models import Consent, ConsentDocument, Disclosure
from pathways.consent.selectors import may_disclose
from pathways.consent.services import ScannedCopy, consent_record, consent_revoke
from pathways.core import clock
from pathways.encounters.factories import EncounterFactory
from pathways.programs.factories import ProgramFactory
from pathways.referrals.models import Referral
from pathways.referrals.services import referral_accept, referral_disengage, referral_send

NOW = dt.datetime(2026, 11, 20, 16, 0, tzinfo=dt.UTC)  # Fri Nov 20, 10:00 in Chicago
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
SIGNATURE = "data:image/png;base64," + base64.b64encode(PNG).decode()


@pytest.fixture
def referral(cast: Any) -> Referral:
    encounter = EncounterFactory.create(
        program=cast.program, agency=cast.police_a, responder=cast.officer_a
    )
    with clock.frozen(NOW - dt.timedelta(hours=2)):
        sent = referral_send(
            actor=cast.officer_a, encounter=encounter, service=cast.detox_p, warm_handoff=True
        )
        return referral_accept(actor=cast.intake_p, referral=sent)


def valid(cast: Any, referral: Referral, **overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "actor": cast.intake_p,
        "person": referral.person,
        "disclosing_agency": cast.provider_p,
        "recipient_agency": cast.police_a,
        "expires_on": dt.date(2027, 11, 20),
        "signed_on": dt.date(2026, 11, 20),
        "signature_image": SIGNATURE,
    }
    return consent_values(**{**values, **overrides})


def record(cast: Any, referral: Referral, **overrides: Any) -> Consent:
    with clock.frozen(NOW):
        return consent_record(**valid(cast, referral, **overrides))


def seen_by(client: Any, referral: Referral, at: dt.datetime = NOW) -> str:
    with clock.frozen(at):
        page = client.get(reverse("encounters:detail", args=[referral.encounter_id]))
    assert page.status_code == 200
    return page.content.decode()


def counts() -> tuple[int, int, int, int]:
    return (
        Consent.objects.count(),
        ConsentDocument.objects.count(),
        Disclosure.objects.count(),
        AuditEvent.objects.writes().count(),
    )


# --- every element of 42 CFR 2.31 is required ---------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "element", "message"),
    [
        ({"kind": "verbal"}, "kind", "Choose the kind of consent."),
        ({"categories": []}, "categories", "describe the information to disclose"),
        ({"categories": ["hobbies"]}, "categories", "Unknown kinds of information"),
        ({"recipient_agency": None}, "recipient_agency", "must name the recipient"),
        ({"recipient_roles": []}, "recipient_roles", "who at the recipient may receive it"),
        ({"intermediary": " "}, "intermediary", "must state the intermediary"),
        ({"purpose": ""}, "purpose", "must state the purpose of the disclosure"),
        ({"revocation_statement": ""}, "revocation_statement", "the right to revoke"),
        ({"expires_on": None}, "expiry", "must say when it expires"),
        ({"expires_on": dt.date(2026, 11, 1)}, "expiry", "must expire after the date signed"),
        ({"signed_on": None}, "signed_on", "must carry the date it was signed"),
        ({"signed_on": dt.date(2026, 11, 21)}, "signed_on", "cannot be in the future"),
        ({"signed_by": ""}, "signature", "must state who signed it"),
        ({"signature_image": ""}, "signature", "Capture the signature on screen"),
        ({"signature_method": "paper", "signature_image": ""}, "signature", "Attach the scanned"),
        (
            {"signature_method": "paper", "scanned_copy": ScannedCopy(b"MZ\x90\x00 not a scan")},
            "signature",
            "must be a PDF, PNG or JPEG",
        ),
        ({"signature_method": "carrier pigeon"}, "signature", "Say how the consent was signed"),
        ({"intermediary": "Pathways\x00"}, "intermediary", "control characters"),
    ],
)
def test_a_consent_missing_an_element_is_refused_naming_it(
    cast: Any, referral: Referral, overrides: dict[str, Any], element: str, message: str
) -> None:
    before = counts()
    with clock.frozen(NOW), pytest.raises(ValidationError) as info:
        consent_record(**valid(cast, referral, **overrides))
    assert element in info.value.message_dict
    assert message in " ".join(info.value.message_dict[element])
    assert counts() == before


def test_the_discloser_and_recipient_must_be_right(cast: Any, referral: Referral) -> None:
    elsewhere = AgencyFactory.create(program=ProgramFactory.create(name="Other"), kind="prosecutor")
    for overrides, element in (
        ({"recipient_agency": elsewhere}, "recipient_agency"),
        ({"recipient_agency": cast.provider_p}, "recipient_agency"),
    ):
        with clock.frozen(NOW), pytest.raises(ValidationError) as info:
            consent_record(**valid(cast, referral, **overrides))
        assert element in info.value.message_dict
    police_staff = member(cast.police_a, "case_manager", "police_cm")
    with clock.frozen(NOW), pytest.raises(ValidationError) as info:
        consent_record(**valid(cast, referral, actor=police_staff, disclosing_agency=cast.police_a))
    assert "provider or program permitted to disclose" in str(info.value)
    assert Consent.objects.count() == 0


def test_only_the_disclosing_providers_staff_record_it(cast: Any, referral: Referral) -> None:
    for actor in (cast.officer_a, cast.intake_q, cast.prosecutor):
        with clock.frozen(NOW), pytest.raises(PermissionDenied):
            consent_record(**valid(cast, referral, actor=actor))
    assert Consent.objects.count() == 0


def test_a_paper_consent_keeps_its_scanned_copy(cast: Any, referral: Referral) -> None:
    scan = b"%PDF-1.7\n" + b"0" * 100
    consent = record(
        cast,
        referral,
        signature_method="paper",
        signature_image="",
        scanned_copy=ScannedCopy(scan, "consent.pdf"),
    )
    document = ConsentDocument.objects.get(consent=consent)
    assert document.content_type == "application/pdf"
    assert bytes(document.content) == scan and document.size == len(scan)


# --- the criminal-justice variant (42 CFR 2.35) -------------------------------------------------


def test_a_criminal_justice_consent_goes_only_to_the_monitoring_staff(
    cast: Any, referral: Referral
) -> None:
    prosecutors = cast.prosecutor.memberships.get().agency
    cj = {"kind": "criminal_justice", "recipient_agency": prosecutors}
    with clock.frozen(NOW), pytest.raises(ValidationError) as info:
        consent_record(**valid(cast, referral, **cj, recipient_roles=["prosecutor"]))
    assert "cannot be revoked" in " ".join(info.value.message_dict["revocable_after"])
    with clock.frozen(NOW), pytest.raises(ValidationError) as info:
        consent_record(
            **valid(
                cast,
                referral,
                **cj,
                recipient_roles=["prosecutor", "officer"],
                revocable_after=dt.date(2027, 2, 1),
            )
        )
    assert "not: officer" in " ".join(info.value.message_dict["recipient_roles"])
    with clock.frozen(NOW), pytest.raises(ValidationError) as info:
        consent_record(**valid(cast, referral, revocable_after=dt.date(2027, 2, 1)))
    assert "Only a criminal-justice consent" in str(info.value)
    assert Consent.objects.count() == 0


def test_a_criminal_justice_consent_is_revocable_only_after_its_date(
    cast: Any, referral: Referral
) -> None:
    prosecutors = cast.prosecutor.memberships.get().agency
    consent = record(
        cast,
        referral,
        kind="criminal_justice",
        recipient_agency=prosecutors,
        recipient_roles=["prosecutor"],
        revocable_after=dt.date(2027, 2, 1),
    )
    with clock.frozen(NOW + dt.timedelta(days=30)), pytest.raises(ValidationError) as info:
        consent_revoke(actor=cast.intake_p, consent=consent)
    assert "cannot be revoked before Feb 1, 2027" in str(info.value)
    consent.refresh_from_db()
    assert consent.revoked_at is None
    with clock.frozen(dt.datetime(2027, 2, 1, 18, 0, tzinfo=dt.UTC)):
        consent_revoke(actor=cast.intake_p, consent=consent, note="Asked in writing")
    consent.refresh_from_db()
    assert consent.revoked_at is not None and consent.revoked_by == cast.intake_p


# --- the disclosure check, on the officer's pages -----------------------------------------------


def test_without_consent_the_officer_sees_only_that_the_referral_was_sent(
    cast: Any, referral: Referral
) -> None:
    officer = cast.client_for(cast.officer_a)
    page = seen_by(officer, referral)
    assert 'data-testid="referral-status">Sent' in page
    assert "Accepted" not in page
    assert "No consent from the person to share referral status with your agency." in page
    detail = officer.get(reverse("referrals:detail", args=[referral.pk])).content.decode()
    assert 'data-testid="referral-status">Sent' in detail and "Accepted" not in detail
    listing = officer.get(reverse("encounters:list")).content.decode()
    assert "Accepted" not in listing
    # the provider and the program office see their record
    provider = cast.client_for(cast.intake_p).get(reverse("referrals:detail", args=[referral.pk]))
    assert 'data-testid="referral-status">Accepted' in provider.content.decode()
    assert "Accepted" in seen_by(cast.client_for(cast.coordinator), referral)
    assert Disclosure.objects.count() == 0


def test_with_consent_the_officer_sees_the_status_with_the_notice_and_it_is_accounted(
    cast: Any, referral: Referral
) -> None:
    consent = record(cast, referral)
    page = seen_by(cast.client_for(cast.officer_a), referral)
    assert 'data-testid="referral-status">Accepted' in page
    assert 'data-testid="part2-notice"' in page and "42 CFR part 2" in page
    disclosure = Disclosure.objects.get()
    assert disclosure.consent == consent and disclosure.recipient_user == cast.officer_a
    assert disclosure.recipient_agency == cast.police_a
    assert disclosure.categories == ["referral_status"] and disclosure.disclosed_at == NOW
    consents_page = cast.client_for(cast.intake_p).get(
        reverse("consent:referral_consents", args=[referral.pk])
    )
    html = consents_page.content.decode()
    assert "officer_a, Northside Police Department" in html and "Nov 20, 2026" in html


def test_revocation_takes_effect_at_the_next_request(cast: Any, referral: Referral) -> None:
    consent = record(cast, referral)
    officer = cast.client_for(cast.officer_a)
    assert "Accepted" in seen_by(officer, referral)
    with clock.frozen(NOW + dt.timedelta(minutes=5)):
        consent_revoke(actor=cast.intake_p, consent=consent, note="By phone")
    page = seen_by(officer, referral, NOW + dt.timedelta(minutes=6))
    assert "Accepted" not in page and "The person revoked the consent on Nov 20, 2026." in page
    with pytest.raises(ValidationError):
        consent_revoke(actor=cast.intake_p, consent=consent)


def test_expiry_by_date_and_by_event_take_effect_at_once(cast: Any, referral: Referral) -> None:
    record(cast, referral, expires_on=dt.date(2026, 12, 1))
    officer = cast.client_for(cast.officer_a)
    assert "Accepted" in seen_by(officer, referral, dt.datetime(2026, 12, 2, 5, 0, tzinfo=dt.UTC))
    late = seen_by(officer, referral, dt.datetime(2026, 12, 2, 6, 0, tzinfo=dt.UTC))
    assert "Accepted" not in late and "The consent expired on Dec 1, 2026." in late


def test_a_consent_ending_with_treatment_ends_when_the_person_leaves_it(
    cast: Any, referral: Referral
) -> None:
    record(cast, referral, expires_on=None, expiry_event="treatment_ended")
    officer = cast.client_for(cast.officer_a)
    assert "Accepted" in seen_by(officer, referral)
    with clock.frozen(NOW + dt.timedelta(days=1)):
        referral_disengage(actor=cast.intake_p, referral=Referral.objects.get(pk=referral.pk))
    page = seen_by(officer, referral, NOW + dt.timedelta(days=2))
    assert "Disengaged" not in page and "The consent ended" in page


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"recipient_agency": "police_b"}, "No consent from the person"),
        ({"recipient_roles": ["supervisor"]}, "names other staff at your agency than you"),
        ({"categories": ["attendance"]}, "does not cover referral status"),
    ],
)
def test_a_consent_for_someone_or_something_else_discloses_nothing(
    cast: Any, referral: Referral, overrides: dict[str, Any], reason: str
) -> None:
    if overrides.get("recipient_agency") == "police_b":
        overrides = {**overrides, "recipient_agency": cast.police_b}
    record(cast, referral, **overrides)
    page = seen_by(cast.client_for(cast.officer_a), referral)
    assert "Accepted" not in page and reason in page
    assert Disclosure.objects.count() == 0
    decision = may_disclose(
        cast.officer_a, referral.person_id, "referral_status", cast.provider_p.pk
    )
    assert not decision.allowed


# --- the provider's screens ----------------------------------------------------------------------


def form_post(cast: Any, referral: Referral, **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "kind": "general",
        "categories": ["referral_status"],
        "recipient_agency": str(cast.police_a.pk),
        "recipient_roles": ["officer"],
        "intermediary": "Pathways",
        "purpose": "So the officer knows the person connected with treatment.",
        "revocation_statement": "You may revoke this consent at any time.",
        "expires_on": "2027-11-20",
        "expiry_event": "",
        "signature_method": "on_screen",
        "signed_by": "Avery Nakamura-Cole",
        "signed_on": "2026-11-20",
        "signature_image": SIGNATURE,
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_the_provider_records_a_consent_in_the_form(cast: Any, referral: Referral) -> None:
    client = cast.client_for(cast.intake_p)
    url = reverse("consent:consent_new", args=[referral.pk])
    with clock.frozen(NOW):
        assert "Northside Police Department" in client.get(url).content.decode()
        done = client.post(url, form_post(cast, referral))
    assert done.status_code == 302
    consent = Consent.objects.get()
    assert consent.recipient_roles == ["officer"] and consent.attested_by == cast.intake_p
    with clock.frozen(NOW):
        paper = client.post(
            url,
            form_post(
                cast,
                referral,
                signature_method="paper",
                signature_image="",
                scanned_copy=SimpleUploadedFile("scan.pdf", b"%PDF-1.4 scan", "application/pdf"),
            ),
        )
    assert paper.status_code == 302 and ConsentDocument.objects.count() == 1


def test_bad_form_input_is_refused_at_the_field_and_nothing_is_saved(
    cast: Any, referral: Referral
) -> None:
    client = cast.client_for(cast.intake_p)
    url = reverse("consent:consent_new", args=[referral.pk])
    before = counts()
    for overrides, message in (
        ({"purpose": ""}, "The consent must state the purpose of the disclosure."),
        ({"categories": None}, "choose at least one kind"),
        ({"expires_on": None}, "a date, an event, or both"),
        ({"signed_on": "2026-13-40"}, "Enter a valid date."),
        ({"signature_image": ""}, "Capture the signature on screen before saving."),
        ({"recipient_agency": "not-an-agency"}, "Select a valid choice."),
    ):
        with clock.frozen(NOW):
            response = client.post(url, form_post(cast, referral, **overrides))
        assert response.status_code == 422, overrides
        assert message in response.content.decode(), overrides
    assert counts() == before


def test_only_the_providers_staff_open_the_consent_screens(cast: Any, referral: Referral) -> None:
    pages = [
        reverse("consent:referral_consents", args=[referral.pk]),
        reverse("consent:consent_new", args=[referral.pk]),
    ]
    for url in pages:
        assert cast.client_for(cast.officer_a).get(url).status_code == 403
        assert cast.client_for(cast.intake_q).get(url).status_code == 404
        assert cast.client_for(cast.researcher).get(url).status_code == 403
        assert cast.client_for(cast.case_manager_p).get(url).status_code == 200
    consent = record(cast, referral)
    revoke = reverse("consent:revoke", args=[referral.pk, consent.pk])
    assert cast.client_for(cast.officer_a).post(revoke, {}).status_code == 403
    assert cast.client_for(cast.intake_q).post(revoke, {}).status_code == 404
    consent.refresh_from_db()
    assert consent.revoked_at is None
    with clock.frozen(NOW):
        done = cast.client_for(cast.intake_p).post(revoke, {"note": "In person"})
    assert done.status_code == 302
    consent.refresh_from_db()
    assert consent.revoked_at == NOW


def test_a_bad_revocation_note_is_refused_and_the_consent_stays(
    cast: Any, referral: Referral
) -> None:
    consent = record(cast, referral)
    revoke = reverse("consent:revoke", args=[referral.pk, consent.pk])
    client = cast.client_for(cast.intake_p)
    for note in ("By phone\u200b", "x" * 301):
        response = client.post(revoke, {"note": note}, follow=True)
        assert response.status_code == 200
        page = response.content.decode()
        assert "control characters" in page or "at most 300 characters" in page, note
        consent.refresh_from_db()
        assert consent.revoked_at is None
    assert 'data-testid="consent"' in page and "In force" in page
