"""Consent (42 CFR 2.31 and 2.35) and the one disclosure check: every element is required, a
police user sees only "Sent" without consent, and only the consented categories with it;
revocation, expiry and the wrong recipient take effect at the next request; every disclosure is
accounted for."""

from __future__ import annotations

import base64
import datetime as dt
import io
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import escape
from PIL import Image, ImageDraw

from pathways.accounts.factories import AgencyFactory, member
from pathways.audit.models import AuditEvent
from pathways.consent.factories import SIGNATURE, consent_values, drawn_signature
from pathways.consent.models import Consent, ConsentDocument, Disclosure
from pathways.consent.selectors import NOT_SHARED, may_disclose
from pathways.consent.services import (
    ScannedCopy,
    consent_record,
    consent_revoke,
    signature_png,
    years_after,
)
from pathways.core import clock
from pathways.encounters.factories import EncounterFactory
from pathways.programs.factories import ProgramFactory
from pathways.referrals.disclosure import referrals_for_viewer, referrals_shown
from pathways.referrals.models import Referral
from pathways.referrals.services import (
    referral_accept,
    referral_complete,
    referral_disengage,
    referral_record_intake,
    referral_send,
)

NOW = dt.datetime(2026, 11, 20, 16, 0, tzinfo=dt.UTC)  # Fri Nov 20, 10:00 in Chicago
#: NOT_SHARED as a page shows it (HTML-escaped).
REFUSAL = str(escape(NOT_SHARED))
#: A PNG header and junk: what a forged or broken capture looks like.
HEADER_AND_JUNK = (
    "data:image/png;base64," + base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"\x00" * 32).decode()
)


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


def consents_page(cast: Any, referral: Referral, at: dt.datetime = NOW) -> str:
    """The holder's consents page, as the provider's intake worker sees it at `at`."""
    with clock.frozen(at):
        page = cast.client_for(cast.intake_p).get(
            reverse("consent:referral_consents", args=[referral.pk])
        )
    assert page.status_code == 200
    return page.content.decode()


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
    assert REFUSAL in page
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
    html = consents_page(cast, referral)
    officer = cast.officer_a.get_full_name()
    assert officer and f"{officer}, Northside Police Department" in html
    assert "Nov 20, 2026" in html and "officer_a" not in html
    # the staff member who attested the signature, by name (not "intake_p")
    assert f"attested by {cast.intake_p.get_full_name()}" in html
    assert "attested by intake_p" not in html


def test_revocation_takes_effect_at_the_next_request(cast: Any, referral: Referral) -> None:
    consent = record(cast, referral)
    officer = cast.client_for(cast.officer_a)
    assert "Accepted" in seen_by(officer, referral)
    with clock.frozen(NOW + dt.timedelta(minutes=5)):
        consent_revoke(actor=cast.intake_p, consent=consent, note="By phone")
    page = seen_by(officer, referral, NOW + dt.timedelta(minutes=6))
    assert "Accepted" not in page and REFUSAL in page and "revoked the consent" not in page
    later = consents_page(cast, referral, NOW + dt.timedelta(minutes=6))
    assert "The person revoked the consent on Nov 20, 2026." in later
    with pytest.raises(ValidationError):
        consent_revoke(actor=cast.intake_p, consent=consent)


def test_expiry_by_date_and_by_event_take_effect_at_once(cast: Any, referral: Referral) -> None:
    record(cast, referral, expires_on=dt.date(2026, 12, 1))
    officer = cast.client_for(cast.officer_a)
    assert "Accepted" in seen_by(officer, referral, dt.datetime(2026, 12, 2, 5, 0, tzinfo=dt.UTC))
    late = seen_by(officer, referral, dt.datetime(2026, 12, 2, 6, 0, tzinfo=dt.UTC))
    assert "Accepted" not in late and REFUSAL in late and "consent expired" not in late
    at = dt.datetime(2026, 12, 2, 6, 0, tzinfo=dt.UTC)
    assert "The consent expired on Dec 1, 2026." in consents_page(cast, referral, at)


def test_a_consent_ending_with_treatment_ends_when_the_person_leaves_it(
    cast: Any, referral: Referral
) -> None:
    record(cast, referral, expires_on=None, expiry_event="treatment_ended")
    officer = cast.client_for(cast.officer_a)
    assert "Accepted" in seen_by(officer, referral)
    with clock.frozen(NOW + dt.timedelta(days=1)):
        referral_disengage(actor=cast.intake_p, referral=Referral.objects.get(pk=referral.pk))
    page = seen_by(officer, referral, NOW + dt.timedelta(days=2))
    assert "Disengaged" not in page and REFUSAL in page and "consent ended" not in page
    on_file = consents_page(cast, referral, NOW + dt.timedelta(days=2))
    assert "The consent ended on Nov 21, 2026: when the referral is completed" in on_file


@pytest.mark.parametrize(
    "overrides",
    [
        {"recipient_agency": "police_b"},
        {"recipient_roles": ["supervisor"]},
        {"categories": ["attendance"]},
    ],
)
def test_a_consent_for_someone_or_something_else_discloses_nothing(
    cast: Any, referral: Referral, overrides: dict[str, Any]
) -> None:
    if overrides.get("recipient_agency") == "police_b":
        overrides = {**overrides, "recipient_agency": cast.police_b}
    record(cast, referral, **overrides)
    page = seen_by(cast.client_for(cast.officer_a), referral)
    assert "Accepted" not in page and REFUSAL in page
    assert Disclosure.objects.count() == 0
    decision = may_disclose(
        viewer=cast.officer_a,
        person_id=referral.person_id,
        category="referral_status",
        holder_id=cast.provider_p.pk,
    )
    assert not decision.allowed and decision.reason == NOT_SHARED


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
        ({"signature_image": HEADER_AND_JUNK}, "The signature capture is not an image"),
        ({"expires_on": "2030-01-01"}, "is more than 3 years after the date signed"),
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


# --- one refusal for every reason (docs/decisions/0018) -----------------------------------------


def withheld_text(page: str) -> str:
    """The referral page's "withheld" paragraph, as the officer reads it."""
    return page.split('data-testid="referral-withheld">', 1)[1].split("</p>", 1)[0]


@pytest.mark.parametrize(
    ("situation", "holder_sees"),
    [
        ("no consent", "No consent on file"),
        ("revoked", "The person revoked the consent on Nov 20, 2026."),
        ("expired", "The consent expired on Dec 1, 2026."),
        ("ended", "The consent ended on Nov 21, 2026: when the referral is completed"),
        ("other information", "Attendance at appointments and sessions"),
        ("other staff", "Northside Police Department (supervisor)"),
        ("other agency", "Southside"),
    ],
)
def test_every_reason_reads_the_same_refusal_to_the_officer(
    cast: Any, referral: Referral, situation: str, holder_sees: str
) -> None:
    """Each different refusal told the officer that the person signed a consent at a treatment
    provider; now every reason reads exactly NOT_SHARED, and only the holder sees why."""
    at = NOW + dt.timedelta(days=14)  # Dec 4: past the "expired" consent's date
    if situation == "revoked":
        consent = record(cast, referral)
        with clock.frozen(NOW + dt.timedelta(minutes=5)):
            consent_revoke(actor=cast.intake_p, consent=consent)
    elif situation == "expired":
        record(cast, referral, expires_on=dt.date(2026, 12, 1))
    elif situation == "ended":
        record(cast, referral, expires_on=None, expiry_event="treatment_ended")
        with clock.frozen(NOW + dt.timedelta(days=1)):
            referral_disengage(actor=cast.intake_p, referral=Referral.objects.get(pk=referral.pk))
    elif situation == "other information":
        record(cast, referral, categories=["attendance"])
    elif situation == "other staff":
        record(cast, referral, recipient_roles=["supervisor"])
    elif situation == "other agency":
        record(cast, referral, recipient_agency=cast.police_b)
    with clock.frozen(at):
        decision = may_disclose(
            viewer=cast.officer_a,
            person_id=referral.person_id,
            category="referral_status",
            holder_id=cast.provider_p.pk,
        )
        detail = cast.client_for(cast.officer_a).get(
            reverse("referrals:detail", args=[referral.pk])
        )
    assert not decision.allowed and decision.reason == NOT_SHARED and decision.consent is None
    assert withheld_text(detail.content.decode()) == (
        "What happened next is the provider's treatment record (42 CFR Part 2). " + REFUSAL
    )
    assert withheld_text(seen_by(cast.client_for(cast.officer_a), referral, at)).endswith(REFUSAL)
    assert Disclosure.objects.count() == 0
    holder = consents_page(cast, referral, at)
    assert holder_sees in holder
    if situation in ("other information", "other staff", "other agency"):
        assert "In force" in holder  # in force, for someone or something else


def test_the_suggested_end_is_a_date_a_year_on_so_the_officer_learns_of_success(
    cast: Any, referral: Referral
) -> None:
    """The form's old default ("when the referral is completed or the person disengages") ended
    the consent at the very outcome it was given to share: the officer saw "Sent" again."""
    client = cast.client_for(cast.intake_p)
    url = reverse("consent:consent_new", args=[referral.pk])
    with clock.frozen(NOW):
        form = client.get(url).content.decode()
    assert 'name="expires_on" value="2027-11-20"' in form
    event = form.split('name="expiry_event"', 1)[1].split("</select>", 1)[0]
    assert '<option value="" selected>' in event
    assert 'value="treatment_ended">When the referral is completed' in event  # still offered
    with clock.frozen(NOW):
        assert client.post(url, form_post(cast, referral)).status_code == 302
    consent = Consent.objects.get()
    assert consent.expires_on == dt.date(2027, 11, 20) and consent.expiry_event == ""
    with clock.frozen(NOW + dt.timedelta(days=1)):
        engaged = referral_record_intake(
            actor=cast.intake_p, referral=Referral.objects.get(pk=referral.pk), intake_at=NOW
        )
    with clock.frozen(NOW + dt.timedelta(days=40)):
        referral_complete(actor=cast.intake_p, referral=engaged)
    page = seen_by(cast.client_for(cast.officer_a), referral, NOW + dt.timedelta(days=41))
    assert 'data-testid="referral-status">Completed' in page
    with clock.frozen(NOW + dt.timedelta(days=41)):
        shown = referrals_for_viewer(cast.officer_a, [Referral.objects.get(pk=referral.pk)])
    assert shown[referral.pk].label == "Completed"


def test_a_treatment_that_ended_before_the_consent_does_not_end_it(
    cast: Any, referral: Referral
) -> None:
    """An earlier referral of the person to the same provider, completed or disengaged before
    the consent was signed, ended a new "ends with treatment" consent the moment it was
    recorded."""
    with clock.frozen(NOW - dt.timedelta(hours=1)):
        referral_disengage(actor=cast.intake_p, referral=Referral.objects.get(pk=referral.pk))
        again = EncounterFactory.create(
            program=cast.program,
            agency=cast.police_a,
            responder=cast.officer_a,
            person=referral.person,
        )
        second = referral_accept(
            actor=cast.intake_p,
            referral=referral_send(
                actor=cast.officer_a, encounter=again, service=cast.detox_p, warm_handoff=True
            ),
        )
    record(cast, second, expires_on=None, expiry_event="treatment_ended")
    page = seen_by(cast.client_for(cast.officer_a), second, NOW + dt.timedelta(minutes=1))
    assert 'data-testid="referral-status">Accepted' in page
    with clock.frozen(NOW + dt.timedelta(days=1)):
        referral_disengage(actor=cast.intake_p, referral=Referral.objects.get(pk=second.pk))
    page = seen_by(cast.client_for(cast.officer_a), second, NOW + dt.timedelta(days=2))
    assert 'data-testid="referral-status">Sent' in page


@pytest.mark.parametrize(
    ("signed_on", "expires_on", "message"),
    [
        (dt.date(2026, 10, 1), dt.date(2026, 11, 1), "Nov 1, 2026, has already passed"),
        (dt.date(2026, 11, 20), dt.date(2029, 11, 21), "on or before Nov 20, 2029"),
    ],
)
def test_an_end_date_passed_or_too_far_is_refused(
    cast: Any, referral: Referral, signed_on: dt.date, expires_on: dt.date, message: str
) -> None:
    before = counts()
    with clock.frozen(NOW), pytest.raises(ValidationError) as info:
        consent_record(**valid(cast, referral, signed_on=signed_on, expires_on=expires_on))
    assert message in " ".join(info.value.message_dict["expiry"])
    assert counts() == before
    assert record(cast, referral, expires_on=dt.date(2029, 11, 20)).expires_on == dt.date(
        2029, 11, 20
    )
    assert years_after(dt.date(2028, 2, 29), 1) == dt.date(2029, 2, 28)


# --- the drawn signature is decoded, not only sniffed -------------------------------------------


def png_url(image: Image.Image, tail: bytes = b"") -> str:
    out = io.BytesIO()
    image.save(out, "PNG")
    return "data:image/png;base64," + base64.b64encode(out.getvalue() + tail).decode()


#: A real drawn signature cut off half way (its header and size are right).
TRUNCATED = (
    "data:image/png;base64,"
    + base64.b64encode(
        (whole := base64.b64decode(drawn_signature().split(",", 1)[1]))[: len(whole) // 2]
    ).decode()
)


@pytest.mark.parametrize(
    ("capture", "message"),
    [
        (HEADER_AND_JUNK, "The signature capture is not an image: clear it and sign again."),
        ("data:image/png;base64,not base64!", "The signature capture is not an image"),
        (
            "data:image/jpeg;base64," + base64.b64encode(b"\xff\xd8\xff").decode(),
            "not a drawing from the signature pad",
        ),
        (
            png_url(Image.new("RGBA", (600, 180), (0, 0, 0, 0))),
            "The signature box is empty: the person signs in the box, then save.",
        ),
        (png_url(Image.new("RGB", (600, 180), "white")), "The signature box is empty"),
        (png_url(Image.new("RGB", (8, 8), "black")), "is 8 by 8 pixels"),
        (TRUNCATED, "The signature capture is not an image"),
    ],
    ids=[
        "header and junk",
        "not base64",
        "jpeg",
        "blank canvas",
        "white canvas",
        "too small",
        "truncated",
    ],
)
def test_a_capture_that_is_not_a_drawn_signature_is_refused_and_nothing_saved(
    cast: Any, referral: Referral, capture: str, message: str
) -> None:
    assert signature_png(capture) == ("", signature_png(capture)[1])
    assert message in signature_png(capture)[1]
    before = counts()
    with clock.frozen(NOW), pytest.raises(ValidationError) as info:
        consent_record(**valid(cast, referral, signature_image=capture))
    assert message in " ".join(info.value.message_dict["signature"])
    with clock.frozen(NOW):
        response = cast.client_for(cast.intake_p).post(
            reverse("consent:consent_new", args=[referral.pk]),
            form_post(cast, referral, signature_image=capture),
        )
    assert response.status_code == 422 and str(escape(message)) in response.content.decode()
    assert counts() == before


def test_a_drawn_signature_is_kept_as_a_clean_png(cast: Any, referral: Referral) -> None:
    drawing = Image.new("RGBA", (600, 180), (0, 0, 0, 0))
    ImageDraw.Draw(drawing).line([(30, 90), (200, 40), (400, 150)], fill="black", width=4)
    consent = record(cast, referral, signature_image=png_url(drawing, tail=b"<script>junk"))
    stored = Consent.objects.get(pk=consent.pk).signature_image
    raw = base64.b64decode(stored.removeprefix("data:image/png;base64,"))
    assert b"junk" not in raw  # only the pixels are kept
    with Image.open(io.BytesIO(raw)) as kept:
        assert kept.format == "PNG" and kept.size == (600, 180)
        assert kept.convert("RGBA").getchannel("A").getextrema() == (0, 255)
    assert signature_png(drawn_signature())[1] == ""


# --- lists: the consented status, in a fixed number of queries -----------------------------------


def referrals_with_consents(cast: Any, n: int, *, consented: bool = True) -> list[Referral]:
    """`n` accepted referrals of different people to provider P from the police of agency A,
    each with the person's consent for the officers (when `consented`)."""
    made = []
    for _ in range(n):
        encounter = EncounterFactory.create(
            program=cast.program, agency=cast.police_a, responder=cast.officer_a
        )
        with clock.frozen(NOW - dt.timedelta(hours=2)):
            sent = referral_send(
                actor=cast.officer_a,
                encounter=encounter,
                service=cast.detox_p,
                warm_handoff=True,
                capacity_override_reason="The provider confirmed a bed by phone.",
            )
            accepted = referral_accept(actor=cast.intake_p, referral=sent)
        if consented:  # ends at a date or with treatment, whichever comes first
            record(cast, accepted, expiry_event="treatment_ended")
        made.append(Referral.objects.get(pk=accepted.pk))
    return made


def test_a_list_shows_the_consented_status_and_accounts_for_it_once_a_day(cast: Any) -> None:
    consented = referrals_with_consents(cast, 2)
    plain = referrals_with_consents(cast, 1, consented=False)
    with clock.frozen(NOW + dt.timedelta(minutes=1)):
        shown = referrals_for_viewer(cast.officer_a, [*consented, *plain])
        referrals_for_viewer(cast.officer_a, [*consented, *plain])  # opened again: same day
    assert [shown[r.pk].label for r in consented] == ["Accepted", "Accepted"]
    assert shown[plain[0].pk].status == "sent" and shown[plain[0].pk].label == "Sent"
    refused = shown[plain[0].pk].decision
    assert refused is not None and refused.reason == NOT_SHARED
    assert [c.to_status for c in shown[consented[0].pk].history] == ["sent", "accepted"]
    assert [c.to_status for c in shown[plain[0].pk].history] == ["sent"]
    assert Disclosure.objects.count() == 2  # once per consent and viewer that day
    assert {d.recipient_user for d in Disclosure.objects.all()} == {cast.officer_a}
    with clock.frozen(NOW + dt.timedelta(days=1)):
        referrals_for_viewer(cast.officer_a, consented)
    assert Disclosure.objects.count() == 4
    # the provider's own staff see their record: nothing to account for
    with clock.frozen(NOW + dt.timedelta(days=1)):
        own = referrals_for_viewer(cast.intake_p, [*consented, *plain])
    assert own[plain[0].pk].label == "Accepted" and Disclosure.objects.count() == 4


def test_a_list_of_any_length_takes_the_same_number_of_queries(cast: Any) -> None:
    few = referrals_with_consents(cast, 1)
    many = referrals_with_consents(cast, 5)
    counted = []
    for referrals, at in ((few, NOW), (many, NOW + dt.timedelta(days=1))):
        officer = type(cast.officer_a).objects.get(pk=cast.officer_a.pk)  # memberships not cached
        with clock.frozen(at), CaptureQueriesContext(connection) as queries:
            shown = referrals_for_viewer(officer, referrals)
        assert {s.label for s in shown.values()} == {"Accepted"}
        counted.append(len(queries))
        with clock.frozen(at), CaptureQueriesContext(connection) as queries:
            referrals_shown(officer, referrals)
        counted.append(len(queries))
    assert counted[0] == counted[2] and counted[1] == counted[3], counted
    assert counted[1] <= 5 and counted[0] <= counted[1] + 5, counted
    assert Disclosure.objects.count() == 6
