"""The printable consent (PDF) in English and Spanish: every element of 42 CFR 2.31 printed
from the record, the 2.35 statements of a criminal-justice consent, the 2.32 notice, the
signature (drawn image or paper attestation) and the status when printed; names the core font
cannot print do not break it; only the consent screens' staff get it, and each export is
audited without personal data."""

from __future__ import annotations

import base64
import datetime as dt
import io
import json
import string
import uuid
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from PIL import Image, ImageDraw
from pypdf import PdfReader

from pathways.accounts.models import Role
from pathways.audit.models import AuditEvent
from pathways.consent.forms import DEFAULT_PURPOSE, DEFAULT_REVOCATION
from pathways.consent.models import Consent, ExpiryEvent, InfoCategory
from pathways.consent.pdf import LANGUAGES, TEXTS, consent_pdf
from pathways.consent.selectors import REDISCLOSURE_NOTICE
from pathways.consent.services import ScannedCopy, consent_record, consent_revoke
from pathways.core import clock
from pathways.encounters.factories import EncounterFactory
from pathways.people.models import Person
from pathways.referrals.models import Referral
from pathways.referrals.services import referral_accept, referral_disengage, referral_send

NOW = dt.datetime(2026, 11, 20, 16, 0, tzinfo=dt.UTC)  # Fri Nov 20, 10:00 in Chicago


def drawn_signature() -> str:
    """A signature as the on-screen pad captures it: a 600 by 180 PNG data URL."""
    image = Image.new("RGBA", (600, 180), (0, 0, 0, 0))
    ImageDraw.Draw(image).line(
        [(40, 120), (90, 40), (130, 130), (190, 60), (260, 120), (330, 55), (420, 110)],
        fill=(20, 20, 60, 255),
        width=5,
    )
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


@pytest.fixture
def referral(cast: Any) -> Referral:
    encounter = EncounterFactory.create(
        program=cast.program, agency=cast.police_a, responder=cast.officer_a
    )
    Person.objects.filter(pk=encounter.person_id).update(
        first_name="María José",
        middle_name="",
        last_name="Peña Ibáñez",
        date_of_birth=dt.date(1991, 3, 7),
    )
    cast.intake_p.first_name, cast.intake_p.last_name = "Dana", "Whitfield"
    cast.intake_p.save()
    with clock.frozen(NOW - dt.timedelta(hours=2)):
        sent = referral_send(
            actor=cast.officer_a, encounter=encounter, service=cast.detox_p, warm_handoff=True
        )
        return referral_accept(actor=cast.intake_p, referral=sent)


def record(cast: Any, referral: Referral, **overrides: Any) -> Consent:
    values: dict[str, Any] = {
        "actor": cast.intake_p,
        "person": Person.objects.get(pk=referral.person_id),
        "kind": "general",
        "disclosing_agency": cast.provider_p,
        "categories": ["referral_status", "attendance"],
        "recipient_agency": cast.police_a,
        "recipient_roles": ["officer", "supervisor"],
        "intermediary": f"Pathways, the information system of {cast.program.name}",
        "purpose": DEFAULT_PURPOSE,
        "revocation_statement": DEFAULT_REVOCATION,
        "expires_on": dt.date(2027, 11, 20),
        "signature_method": "on_screen",
        "signed_by": "María José Peña Ibáñez",
        "signed_on": dt.date(2026, 11, 20),
        "signature_image": drawn_signature(),
    }
    values.update(overrides)
    with clock.frozen(NOW):
        return consent_record(**values)


def url(referral: Referral, consent: Any, lang: str | None = None) -> str:
    path = reverse("consent:pdf", args=[referral.pk, getattr(consent, "pk", consent)])
    return f"{path}?lang={lang}" if lang else path


def fetch(client: Any, address: str, at: dt.datetime = NOW) -> Any:
    with clock.frozen(at):
        return client.get(address)


def read(content: bytes) -> tuple[str, int, int]:
    """(the text with whitespace collapsed, the number of pages, the number of images)."""
    pdf = PdfReader(io.BytesIO(content))
    text = " ".join(" ".join(page.extract_text() for page in pdf.pages).split())
    return text, len(pdf.pages), sum(len(page.images) for page in pdf.pages)


def exports() -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(event_type="consent.export"))


# --- the wording -------------------------------------------------------------------------------


def test_both_languages_have_the_same_keys_placeholders_and_no_empty_text() -> None:
    assert set(TEXTS) == set(LANGUAGES)
    english, spanish = TEXTS["en"], TEXTS["es"]
    assert set(english) == set(spanish)
    fields = string.Formatter()
    for key in english:
        for lang in LANGUAGES:
            value = TEXTS[lang][key]
            assert isinstance(value, str) and value.strip(), (lang, key)
            value.encode("latin-1")  # the core font prints Latin-1 only
        placeholders = [
            {f for _, f, _, _ in fields.parse(TEXTS[lang][key]) if f} for lang in LANGUAGES
        ]
        assert placeholders[0] == placeholders[1], key
    for value in InfoCategory.values:
        assert f"category.{value}" in english
    for value in Role.values:
        assert f"role.{value}" in english
    for value in ExpiryEvent.values:
        if value:
            assert f"event.{value}" in english and f"event_past.{value}" in english
    assert english["notice.text"] == REDISCLOSURE_NOTICE


# --- what the form says ------------------------------------------------------------------------

EXPECTED = {
    "en": [
        "Test County Deflection Program",
        "Consent to share substance use disorder information (42 CFR Part 2)",
        "General consent (42 CFR §2.31)",
        "Status: IN FORCE",
        "as of November 20, 2026, 10:00 AM CST",
        "The person María José Peña Ibáñez Date of birth: March 7, 1991",
        "Who may disclose Harbor Test Recovery",
        "Referral status (accepted, declined, intake, engaged in treatment)",
        "Attendance at appointments and sessions",
        "Northside Police Department: only officers, firefighters and paramedics; supervisors",
        "Pathways, the information system of Test County Deflection Program",
        DEFAULT_PURPOSE,
        DEFAULT_REVOCATION,
        "This consent expires on November 20, 2027.",
        "Signed by: María José Peña Ibáñez",
        "November 20, 2026 Date signed",
        "Signed on screen in the presence of Dana Whitfield.",
        "Notice to recipients on redisclosure (42 CFR §2.32)",
        REDISCLOSURE_NOTICE,
        "Generated November 20, 2026, 10:00 AM CST",
        "Page 1 of 1",
    ],
    "es": [
        "Test County Deflection Program",
        "Consentimiento para compartir información sobre trastornos por consumo de sustancias "
        "(42 CFR Parte 2)",
        "Consentimiento general (42 CFR §2.31)",
        "Estado: VIGENTE",
        "al 20 de noviembre de 2026, a las 10:00 (CST)",
        "La persona María José Peña Ibáñez Fecha de nacimiento: 7 de marzo de 1991",
        "Quién puede divulgar Harbor Test Recovery",
        "Estado de la remisión (aceptada, rechazada, admisión, participación en el tratamiento)",
        "Asistencia a citas y sesiones",
        "Northside Police Department: solo agentes de policía, bomberos y paramédicos; "
        "supervisores",
        "Pathways, el sistema de información de Test County Deflection Program",
        "Para que el personal de primera respuesta que remitió a la persona sepa si esta se "
        "conectó con el tratamiento.",
        "Usted puede revocar este consentimiento en cualquier momento, salvo en lo que ya se "
        "haya divulgado",
        "Este consentimiento vence el 20 de noviembre de 2027.",
        "Firmado por: María José Peña Ibáñez",
        "20 de noviembre de 2026 Fecha de la firma",
        "Firmado en pantalla en presencia de Dana Whitfield.",
        "Aviso a los destinatarios sobre la redivulgación (42 CFR §2.32)",
        "Este registro, que se le ha divulgado a usted, está protegido por las normas federales "
        "de confidencialidad (42 CFR parte 2).",
        "Generado el 20 de noviembre de 2026, a las 10:00 (CST)",
        "Página 1 de 1",
    ],
}


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_printed_consent_states_every_element_in_the_language_chosen(
    cast: Any, referral: Referral, lang: str
) -> None:
    consent = record(cast, referral)
    response = fetch(cast.client_for(cast.intake_p), url(referral, consent, lang))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Cache-Control"] == "no-store"
    disposition = response["Content-Disposition"]
    assert disposition == f'attachment; filename="consent-{str(consent.pk)[:8]}-{lang}.pdf"'
    text, pages, images = read(response.content)
    for expected in EXPECTED[lang]:
        assert expected in text, expected
    t = TEXTS[lang]
    assert t["intro"].format(discloser="Harbor Test Recovery") in text
    assert t["reference"].format(reference=str(consent.pk)[:8]) in text
    other = "es" if lang == "en" else "en"
    assert TEXTS[other]["title"] not in text
    assert pages == 1 and images == 1  # the drawn signature


def test_without_a_language_the_form_is_in_english(cast: Any, referral: Referral) -> None:
    consent = record(cast, referral)
    response = fetch(cast.client_for(cast.case_manager_p), url(referral, consent))
    assert response.status_code == 200
    assert response["Content-Disposition"].endswith('-en.pdf"')
    assert TEXTS["en"]["title"] in read(response.content)[0]


def test_a_criminal_justice_consent_prints_its_limits(cast: Any, referral: Referral) -> None:
    consent = record(
        cast,
        referral,
        kind="criminal_justice",
        recipient_agency=cast.prosecutor.memberships.get().agency,
        recipient_roles=["prosecutor"],
        categories=[c.value for c in InfoCategory],
        revocable_after=dt.date(2027, 2, 1),
        revocable_after_event="case_closed",
        expiry_event="case_closed",
    )
    client = cast.client_for(cast.intake_p)
    english = read(fetch(client, url(referral, consent, "en")).content)[0]
    for expected in (
        "Criminal-justice referral consent (42 CFR §2.31 and §2.35)",
        "County Attorney: only the prosecutor monitoring the case",
        "This consent cannot be revoked before February 1, 2027, nor until the person's "
        "diversion case is closed.",
        "disclosed only to the staff of the recipient agency who need it to monitor the "
        "person's progress",
        "This consent expires on November 20, 2027 or when the person's diversion case is "
        "closed, whichever comes first.",
        "Assessment results",
        "Treatment progress",
        "Diagnosis",
    ):
        assert expected in english, expected
    spanish = read(fetch(client, url(referral, consent, "es")).content)[0]
    for expected in (
        "Consentimiento para una remisión del sistema de justicia penal (42 CFR §2.31 y §2.35)",
        "County Attorney: solo el fiscal que supervisa el caso",
        "Este consentimiento no se puede revocar antes del 1 de febrero de 2027 ni hasta que se "
        "cierre el caso de la persona en el programa de desvío.",
        "solo al personal de la agencia destinataria que la necesita para dar seguimiento al "
        "progreso de la persona",
        "Resultados de la evaluación",
        "Progreso en el tratamiento",
        "Diagnóstico",
    ):
        assert expected in spanish, expected
    general = read(consent_pdf(record(cast, referral), lang="en", now=NOW))[0]
    assert "cannot be revoked" not in general and "42 CFR §2.35" not in general


def test_the_status_printed_is_the_status_when_printed(cast: Any, referral: Referral) -> None:
    consent = record(cast, referral, expires_on=dt.date(2026, 12, 1))
    client = cast.client_for(cast.intake_p)
    expired_at = dt.datetime(2026, 12, 2, 6, 0, tzinfo=dt.UTC)  # Dec 2 in Chicago
    expired = read(fetch(client, url(referral, consent, "en"), expired_at).content)[0]
    assert "Status: EXPIRED on December 1, 2026" in expired and "IN FORCE" not in expired
    vencido = read(fetch(client, url(referral, consent, "es"), expired_at).content)[0]
    assert "Estado: VENCIDO el 1 de diciembre de 2026" in vencido

    revoked = record(cast, referral)
    # 03:00 UTC on Nov 21 is still Nov 20 in Chicago: the date printed is the local one
    with clock.frozen(dt.datetime(2026, 11, 21, 3, 0, tzinfo=dt.UTC)):
        consent_revoke(actor=cast.intake_p, consent=revoked, note="By phone")
    later = NOW + dt.timedelta(days=3)
    english = read(fetch(client, url(referral, revoked, "en"), later).content)[0]
    assert "Status: REVOKED on November 20, 2026" in english and "IN FORCE" not in english
    assert "By phone" not in english
    spanish = read(fetch(client, url(referral, revoked, "es"), later).content)[0]
    assert "Estado: REVOCADO el 20 de noviembre de 2026" in spanish and "VIGENTE" not in spanish


def test_a_consent_ended_by_its_event_says_so(cast: Any, referral: Referral) -> None:
    consent = record(cast, referral, expires_on=None, expiry_event="treatment_ended")
    with clock.frozen(NOW + dt.timedelta(days=1)):
        referral_disengage(actor=cast.intake_p, referral=Referral.objects.get(pk=referral.pk))
    text = read(consent_pdf(consent, lang="en", now=NOW + dt.timedelta(days=2)))[0]
    assert "Status: ENDED: the referral was completed or the person left treatment" in text
    assert "This consent expires when the referral is completed or the person leaves" in text
    texto = read(consent_pdf(consent, lang="es", now=NOW + dt.timedelta(days=2)))[0]
    assert "Estado: TERMINADO: se completó la remisión o la persona dejó el tratamiento" in texto


def test_a_paper_consent_prints_the_attestation_and_no_image(cast: Any, referral: Referral) -> None:
    consent = record(
        cast,
        referral,
        signature_method="paper",
        signature_image="",
        scanned_copy=ScannedCopy(b"%PDF-1.4 scan", "scan.pdf"),
    )
    client = cast.client_for(cast.intake_p)
    text, _, images = read(fetch(client, url(referral, consent, "en")).content)
    assert "Paper signature attested; scanned copy on file. Attested by Dana Whitfield." in text
    assert "Signed on screen" not in text and images == 0
    texto, _, images = read(fetch(client, url(referral, consent, "es")).content)
    assert "Firma en papel certificada; la copia escaneada consta en el expediente." in texto
    assert images == 0


def test_a_signature_that_cannot_be_read_is_said_not_hidden(cast: Any, referral: Referral) -> None:
    # The service decodes every capture now, so only a record saved before it did holds one.
    broken = "data:image/png;base64," + base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"\0" * 32).decode()
    consent = record(cast, referral)
    Consent.objects.filter(pk=consent.pk).update(signature_image=broken)
    consent.refresh_from_db()
    response = fetch(cast.client_for(cast.intake_p), url(referral, consent, "en"))
    assert response.status_code == 200
    text, _, images = read(response.content)
    assert "The signature image could not be printed; it is kept in the record." in text
    assert images == 0


def test_text_the_staff_wrote_is_printed_as_recorded_and_said_so(
    cast: Any, referral: Referral
) -> None:
    purpose = "Para que el oficial sepa si la persona llegó al tratamiento."
    consent = record(cast, referral, purpose=purpose, revocation_statement="x" * 500)
    english = read(consent_pdf(consent, lang="en", now=NOW))[0]
    assert f'"{purpose}"' in english and "x" * 500 in english.replace(" ", "")
    assert 'Text in quotation marks ("...") is printed as staff recorded it.' in english
    spanish = read(consent_pdf(consent, lang="es", now=NOW))[0]
    assert f'"{purpose}"' in spanish and "tal como lo registró el personal" in spanish
    unchanged = read(consent_pdf(record(cast, referral), lang="en", now=NOW))[0]
    assert "Text in quotation marks" not in unchanged


@pytest.mark.parametrize(
    ("first", "last", "printed"),
    [
        ("Nguyễn Thị", "Hương", "Nguy?n Th? H??ng"),
        ("小明", "王", "?? ?"),
        ("Zoë", "Ørsted-Ñúñez", "Zoë Ørsted-Ñúñez"),
    ],
)
def test_names_the_font_cannot_print_do_not_break_the_form(
    cast: Any, referral: Referral, first: str, last: str, printed: str
) -> None:
    Person.objects.filter(pk=referral.person_id).update(first_name=first, last_name=last)
    consent = record(cast, referral, signed_by=f"{first} {last} “Mom” – guardian")
    for lang in LANGUAGES:
        response = fetch(cast.client_for(cast.intake_p), url(referral, consent, lang))
        assert response.status_code == 200, lang
        text = read(response.content)[0]
        assert printed in text
        replaced = "?" in printed
        assert (TEXTS[lang]["replaced"] in text) is replaced
        assert f'{printed} "Mom" - guardian' in text  # typographic marks made plain, not "?"
        assert first not in response["Content-Disposition"]


# --- who gets it -------------------------------------------------------------------------------


def test_only_the_consent_screens_staff_print_it(cast: Any, referral: Referral) -> None:
    consent = record(cast, referral)
    address = url(referral, consent, "en")
    signed_out = fetch(Client(), address)
    assert signed_out.status_code == 302 and signed_out["Location"].startswith(reverse("login"))
    assert fetch(cast.client_for(cast.officer_a), address).status_code == 403
    assert fetch(cast.client_for(cast.researcher), address).status_code == 403
    assert fetch(cast.client_for(cast.prosecutor), address).status_code == 403
    assert fetch(cast.client_for(cast.intake_q), address).status_code == 404
    assert exports() == []
    for user in (cast.intake_p, cast.case_manager_p, cast.coordinator):
        assert fetch(cast.client_for(user), address).status_code == 200
    # a consent that is not this referral's person's consent to this provider: 404
    other = EncounterFactory.create(
        program=cast.program, agency=cast.police_a, responder=cast.officer_a
    )
    with clock.frozen(NOW - dt.timedelta(hours=1)):
        second = referral_send(
            actor=cast.officer_a, encounter=other, service=cast.detox_p, warm_handoff=False
        )
    client = cast.client_for(cast.intake_p)
    assert fetch(client, url(second, consent, "en")).status_code == 404
    assert fetch(client, url(referral, uuid.uuid4(), "en")).status_code == 404


@pytest.mark.parametrize("lang", ["fr", "EN", "", "es-MX", "en\u200b"])
def test_an_unknown_language_is_refused_and_nothing_is_exported(
    cast: Any, referral: Referral, lang: str
) -> None:
    consent = record(cast, referral)
    path = reverse("consent:pdf", args=[referral.pk, consent.pk])
    response = fetch(cast.client_for(cast.intake_p), f"{path}?lang={lang}")
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
    assert "English (lang=en) or Spanish (lang=es) only" in response.content.decode()
    assert exports() == []


def test_each_export_is_audited_without_personal_data(cast: Any, referral: Referral) -> None:
    consent = record(cast, referral)
    fetch(cast.client_for(cast.case_manager_p), url(referral, consent, "es"))
    (event,) = exports()
    assert event.actor == cast.case_manager_p
    assert (event.object_type, event.object_id) == ("consent.consent", str(consent.pk))
    assert event.changes == {"format": [None, "pdf"], "language": [None, "es"]}
    logged = json.dumps(event.changes)
    for private in ("Peña", "María", "1991", "Harbor", "Northside"):
        assert private not in logged


def test_the_consent_list_links_to_both_printable_forms(cast: Any, referral: Referral) -> None:
    consent = record(cast, referral)
    with clock.frozen(NOW):
        page = cast.client_for(cast.intake_p).get(
            reverse("consent:referral_consents", args=[referral.pk])
        )
    html = page.content.decode()
    assert f'href="{url(referral, consent, "en")}"' in html and "Print (English)" in html
    assert f'href="{url(referral, consent, "es")}"' in html and "Imprimir (español)" in html
