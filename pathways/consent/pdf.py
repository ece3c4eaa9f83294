"""The printable consent: one letter-size PDF of a recorded consent, in English or Spanish, with
every element of 42 CFR 2.31 filled from the record (and the 2.35 statements for a
criminal-justice consent), the 2.32 notice on redisclosure, the signature and the consent's
status when printed.

It uses the PDF core font (Helvetica), so no font file ships with the app. That font prints
Latin-1 only: Spanish accents, ñ, ¿ and ¡ are in it; anything else (a Vietnamese or Chinese name)
is printed as "?" and a line at the end of the form says so. The record keeps the full spelling.

The wording of both languages lives in TEXTS below: one dict per language, with the same keys."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import io
import zoneinfo
from typing import Any

from fpdf import FPDF
from fpdf.fonts import FontFace
from PIL import Image, UnidentifiedImageError

from pathways.accounts.models import Role
from pathways.consent.forms import DEFAULT_INTERMEDIARY, DEFAULT_PURPOSE, DEFAULT_REVOCATION
from pathways.consent.models import Consent, ConsentKind, InfoCategory, SignatureMethod
from pathways.consent.selectors import REDISCLOSURE_NOTICE, consent_state
from pathways.consent.services import PNG_DATA_URL
from pathways.core import clock
from pathways.core.pdftext import Printable

LANGUAGES = ("en", "es")

TEXTS: dict[str, dict[str, str]] = {
    "en": {
        "title": "Consent to share substance use disorder information (42 CFR Part 2)",
        "kind.general": "General consent (42 CFR §2.31)",
        "kind.criminal_justice": "Criminal-justice referral consent (42 CFR §2.31 and §2.35)",
        "intro": "The person named in this form authorizes {discloser} to disclose the "
        "information described below to the recipients named, for the purpose stated.",
        "status": "Status",
        "status.as_of": "as of {moment}",
        "status.in_force": "IN FORCE",
        "status.revoked": "REVOKED on {date}",
        "status.expired": "EXPIRED on {date}",
        "status.ended": "ENDED: {event}",
        "person": "The person",
        "dob": "Date of birth",
        "dob.unknown": "not recorded",
        "discloser": "Who may disclose",
        "categories": "What may be disclosed",
        "categories.intro": "Only this substance use disorder information:",
        "recipient": "To whom",
        "recipient.text": "{agency}: only {roles}",
        "intermediary": "Through (intermediary)",
        "intermediary.default": DEFAULT_INTERMEDIARY,
        "purpose": "Purpose",
        "purpose.default": DEFAULT_PURPOSE,
        "revoke": "Right to revoke",
        "revoke.default": DEFAULT_REVOCATION,
        "expiry": "When it ends",
        "expiry.date": "This consent expires on {date}.",
        "expiry.event": "This consent expires when {event}.",
        "expiry.both": "This consent expires on {date} or when {event}, whichever comes first.",
        "cj": "Criminal-justice consent (42 CFR §2.35)",
        "cj.irrevocable.date": "This consent cannot be revoked before {date}.",
        "cj.irrevocable.event": "This consent cannot be revoked until {event}.",
        "cj.irrevocable.both": "This consent cannot be revoked before {date}, nor until {event}.",
        "cj.limited": "The person gave this consent as a condition of a criminal-justice "
        "referral. The information is disclosed only to the staff of the recipient agency who "
        "need it to monitor the person's progress, and they may use or redisclose it only to "
        "carry out their official duties in connection with that referral.",
        "signature": "Signature",
        "signed_by": "Signed by",
        "signed_on": "Date signed",
        "signature.on_screen": "Signed on screen in the presence of {staff}.",
        "signature.unreadable": "Signed on screen in the presence of {staff}. The signature "
        "image could not be printed; it is kept in the record.",
        "signature.paper": "Paper signature attested; scanned copy on file. Attested by {staff}.",
        "notice": "Notice to recipients on redisclosure (42 CFR §2.32)",
        "notice.text": REDISCLOSURE_NOTICE,
        "quoted": 'Text in quotation marks ("...") is printed as staff recorded it.',
        "replaced": "Characters this form cannot print are shown as ?; the record keeps the full "
        "spelling.",
        "generated": "Generated {moment}",
        "reference": "Consent ref. {reference}",
        "page": "Page {page} of {pages}",
        "date": "{month} {day}, {year}",
        "moment": "{date}, {time} {zone}",
        "time": "%-I:%M %p",
        "month.1": "January",
        "month.2": "February",
        "month.3": "March",
        "month.4": "April",
        "month.5": "May",
        "month.6": "June",
        "month.7": "July",
        "month.8": "August",
        "month.9": "September",
        "month.10": "October",
        "month.11": "November",
        "month.12": "December",
        "category.referral_status": "Referral status (accepted, declined, intake, engaged in "
        "treatment)",
        "category.attendance": "Attendance at appointments and sessions",
        "category.assessment": "Assessment results",
        "category.progress": "Treatment progress",
        "category.diagnosis": "Diagnosis",
        "role.officer": "officers, firefighters and paramedics",
        "role.supervisor": "supervisors",
        "role.outreach": "outreach staff, peers and clinicians",
        "role.provider_intake": "intake staff",
        "role.case_manager": "case managers",
        "role.prosecutor": "the prosecutor monitoring the case",
        "role.coordinator": "program coordinators",
        "role.researcher": "researchers and evaluators",
        "role.admin": "administrators",
        "event.case_closed": "the person's diversion case is closed",
        "event.treatment_ended": "the referral is completed or the person leaves treatment",
        "event_past.case_closed": "the person's diversion case was closed",
        "event_past.treatment_ended": "the referral was completed or the person left treatment",
    },
    "es": {
        "title": "Consentimiento para compartir información sobre trastornos por consumo de "
        "sustancias (42 CFR Parte 2)",
        "kind.general": "Consentimiento general (42 CFR §2.31)",
        "kind.criminal_justice": "Consentimiento para una remisión del sistema de justicia "
        "penal (42 CFR §2.31 y §2.35)",
        "intro": "La persona que se nombra en este formulario autoriza a {discloser} a divulgar "
        "la información que se describe abajo a los destinatarios indicados, con el propósito "
        "que se señala.",
        "status": "Estado",
        "status.as_of": "al {moment}",
        "status.in_force": "VIGENTE",
        "status.revoked": "REVOCADO el {date}",
        "status.expired": "VENCIDO el {date}",
        "status.ended": "TERMINADO: {event}",
        "person": "La persona",
        "dob": "Fecha de nacimiento",
        "dob.unknown": "no consta",
        "discloser": "Quién puede divulgar",
        "categories": "Qué se puede divulgar",
        "categories.intro": "Solo esta información sobre el trastorno por consumo de sustancias:",
        "recipient": "A quién",
        "recipient.text": "{agency}: solo {roles}",
        "intermediary": "Por medio de (intermediario)",
        "intermediary.default": "Pathways, el sistema de información de {program}",
        "purpose": "Propósito",
        "purpose.default": "Para que el personal de primera respuesta que remitió a la persona "
        "sepa si esta se conectó con el tratamiento.",
        "revoke": "Derecho a revocar",
        "revoke.default": "Usted puede revocar este consentimiento en cualquier momento, salvo "
        "en lo que ya se haya divulgado, avisando al personal del proveedor en persona, por "
        "teléfono o por escrito.",
        "expiry": "Cuándo termina",
        "expiry.date": "Este consentimiento vence el {date}.",
        "expiry.event": "Este consentimiento vence cuando {event}.",
        "expiry.both": "Este consentimiento vence el {date} o cuando {event}, lo que ocurra "
        "primero.",
        "cj": "Consentimiento para el sistema de justicia penal (42 CFR §2.35)",
        "cj.irrevocable.date": "Este consentimiento no se puede revocar antes del {date}.",
        "cj.irrevocable.event": "Este consentimiento no se puede revocar hasta que {event}.",
        "cj.irrevocable.both": "Este consentimiento no se puede revocar antes del {date} ni "
        "hasta que {event}.",
        "cj.limited": "La persona dio este consentimiento como condición de una remisión del "
        "sistema de justicia penal. La información se divulga solo al personal de la agencia "
        "destinataria que la necesita para dar seguimiento al progreso de la persona, y ese "
        "personal solo puede usarla o volver a divulgarla para cumplir sus funciones oficiales "
        "relacionadas con esa remisión.",
        "signature": "Firma",
        "signed_by": "Firmado por",
        "signed_on": "Fecha de la firma",
        "signature.on_screen": "Firmado en pantalla en presencia de {staff}.",
        "signature.unreadable": "Firmado en pantalla en presencia de {staff}. La imagen de la "
        "firma no se pudo imprimir; se conserva en el expediente.",
        "signature.paper": "Firma en papel certificada; la copia escaneada consta en el "
        "expediente. Certificada por {staff}.",
        "notice": "Aviso a los destinatarios sobre la redivulgación (42 CFR §2.32)",
        "notice.text": "Este registro, que se le ha divulgado a usted, está protegido por las "
        "normas federales de confidencialidad (42 CFR parte 2). Estas normas le prohíben usarlo "
        "o divulgarlo en procedimientos civiles, penales, administrativos o legislativos contra "
        "la persona, salvo que lo autorice el consentimiento por escrito de la persona o una "
        "orden judicial, y le prohíben volver a divulgarlo, salvo en la medida en que las normas "
        "lo permitan. Una autorización general para divulgar información médica o de otro tipo "
        "no es suficiente para este fin.",
        "quoted": 'El texto entre comillas ("...") se imprime tal como lo registró el personal, '
        "en el idioma en que se escribió.",
        "replaced": "Los caracteres que este formulario no puede imprimir aparecen como ?; el "
        "expediente conserva la ortografía completa.",
        "generated": "Generado el {moment}",
        "reference": "Ref. del consentimiento {reference}",
        "page": "Página {page} de {pages}",
        "date": "{day} de {month} de {year}",
        "moment": "{date}, a las {time} ({zone})",
        "time": "%H:%M",
        "month.1": "enero",
        "month.2": "febrero",
        "month.3": "marzo",
        "month.4": "abril",
        "month.5": "mayo",
        "month.6": "junio",
        "month.7": "julio",
        "month.8": "agosto",
        "month.9": "septiembre",
        "month.10": "octubre",
        "month.11": "noviembre",
        "month.12": "diciembre",
        "category.referral_status": "Estado de la remisión (aceptada, rechazada, admisión, "
        "participación en el tratamiento)",
        "category.attendance": "Asistencia a citas y sesiones",
        "category.assessment": "Resultados de la evaluación",
        "category.progress": "Progreso en el tratamiento",
        "category.diagnosis": "Diagnóstico",
        "role.officer": "agentes de policía, bomberos y paramédicos",
        "role.supervisor": "supervisores",
        "role.outreach": "personal de alcance comunitario, especialistas de apoyo entre pares "
        "y clínicos",
        "role.provider_intake": "personal de admisión",
        "role.case_manager": "administradores de casos",
        "role.prosecutor": "el fiscal que supervisa el caso",
        "role.coordinator": "coordinadores del programa",
        "role.researcher": "investigadores y evaluadores",
        "role.admin": "administradores del sistema",
        "event.case_closed": "se cierre el caso de la persona en el programa de desvío",
        "event.treatment_ended": "se complete la remisión o la persona deje el tratamiento",
        "event_past.case_closed": "se cerró el caso de la persona en el programa de desvío",
        "event_past.treatment_ended": "se completó la remisión o la persona dejó el tratamiento",
    },
}

#: The largest signature image embedded (the pad is 600 by 180).
MAX_SIGNATURE_PIXELS = 4000 * 4000

SIGNATURE_HEIGHT = 18.0  # mm: the drawn signature's box (the pad is 600 by 180)
PAGE_MARGIN = 19.0  # mm: three quarters of an inch
LABEL_WIDTH = 46.0
INK = (27, 27, 27)
MUTED = (86, 92, 101)
RULE = (169, 174, 177)
IN_FORCE = ((236, 243, 236), (0, 140, 40))
NOT_IN_FORCE = ((244, 227, 219), (181, 9, 9))


class _Form(FPDF):
    def __init__(self, footer_left: str, page_text: str) -> None:
        super().__init__(orientation="P", unit="mm", format="letter")
        self.footer_left = footer_left
        self.page_text = page_text

    def footer(self) -> None:
        self.set_y(-14)
        self.set_font("helvetica", size=8)
        self.set_text_color(*MUTED)
        self.cell(0, 4, self.footer_left, align="L")
        self.set_x(self.l_margin)
        self.cell(
            0,
            4,
            self.page_text.format(page=self.page_no(), pages="{nb}"),
            align="R",
        )


def _date(value: dt.date, t: dict[str, str]) -> str:
    return t["date"].format(month=t[f"month.{value.month}"], day=value.day, year=value.year)


def _moment(value: dt.datetime, zone: zoneinfo.ZoneInfo, t: dict[str, str]) -> str:
    local = value.astimezone(zone)
    return t["moment"].format(
        date=_date(local.date(), t), time=local.strftime(t["time"]), zone=local.tzname()
    )


def _full_name(person: Any) -> str:
    parts = [person.first_name, person.middle_name, person.last_name, person.suffix]
    return " ".join(str(p) for p in parts if p)


def _staff_name(user: Any) -> str:
    return (user.get_full_name() or user.username) if user is not None else ""


def _status(consent: Consent, now: dt.datetime, zone: zoneinfo.ZoneInfo) -> tuple[bool, str, Any]:
    """(in force, the status key, its date or event) at `now`, by the one rule of
    selectors.consent_state."""
    in_force, _ = consent_state(consent=consent, at=now)
    if in_force:
        return True, "status.in_force", None
    if consent.revoked_at is not None and consent.revoked_at <= now:
        return False, "status.revoked", consent.revoked_at.astimezone(zone).date()
    if consent.expires_on is not None and now.astimezone(zone).date() > consent.expires_on:
        return False, "status.expired", consent.expires_on
    return False, "status.ended", consent.expiry_event


def _when(date: dt.date | None, event: str, keys: str, t: dict[str, str]) -> str:
    """A date, an event or both, in the sentence `keys`.date / .event / .both."""
    values = {
        "date": _date(date, t) if date else "",
        "event": t[f"event.{event}"] if event else "",
    }
    if date and event:
        return t[f"{keys}.both"].format(**values)
    return t[f"{keys}.date" if date else f"{keys}.event"].format(**values)


def _signature_image(data_url: str) -> Image.Image | None:
    """The drawn signature (a PNG data URL) as an image, or None when it cannot be read."""
    if not data_url.startswith(PNG_DATA_URL):
        return None
    try:
        raw = base64.b64decode(data_url.removeprefix(PNG_DATA_URL), validate=True)
        image = Image.open(io.BytesIO(raw), formats=["PNG"])
        width, height = image.size
        if width * height > MAX_SIGNATURE_PIXELS or not width or not height:
            return None
        image.load()
    except (
        binascii.Error,
        ValueError,
        OSError,
        UnidentifiedImageError,
        Image.DecompressionBombError,
    ):
        return None
    return image


def consent_pdf(consent: Consent, *, lang: str, now: dt.datetime | None = None) -> bytes:
    """The consent as a printable letter-size PDF in `lang` ("en" or "es"), with its status
    at `now` (the clock's now by default) and the time it was generated in the program's zone."""
    if lang not in LANGUAGES:
        raise ValueError(f"No consent form in {lang!r}.")
    t = TEXTS[lang]
    now = now or clock.now()
    zone = zoneinfo.ZoneInfo(consent.program.time_zone)
    safe = Printable()
    quoted = False

    def recorded(text: str, default: str, translated: str) -> str:
        """A free-text element: the form's translated default, or the text as recorded."""
        nonlocal quoted
        if text.strip() == default:
            return translated
        quoted = True
        return f'"{text.strip()}"'

    program_name = consent.program.name
    footer = "  |  ".join(
        (
            t["generated"].format(moment=_moment(now, zone, t)),
            t["reference"].format(reference=str(consent.pk)[:8]),
        )
    )
    pdf = _Form(safe(footer), t["page"])
    pdf.set_title(t["title"])
    pdf.set_creator("Pathways")
    pdf.set_lang(lang)
    pdf.set_margins(PAGE_MARGIN, 16, PAGE_MARGIN)
    pdf.set_auto_page_break(auto=True, margin=20)
    pdf.add_page()
    width = pdf.epw

    def text(
        value: str, *, size: float = 10, style: str = "", color: Any = INK, h: float = 5
    ) -> None:
        pdf.set_font("helvetica", style=style, size=size)
        pdf.set_text_color(*color)
        pdf.multi_cell(width, h, safe(value), align="L", new_x="LMARGIN", new_y="NEXT")

    # --- heading ---------------------------------------------------------------------------
    text(program_name, size=9, style="B", color=MUTED, h=4.5)
    pdf.ln(1)
    text(t["title"], size=14, style="B", h=6.5)
    text(t[f"kind.{consent.kind}"], size=10, color=MUTED)
    pdf.ln(2.5)

    in_force, key, value = _status(consent, now, zone)
    if key == "status.ended":
        status = t[key].format(event=t[f"event_past.{value}"])
    else:
        status = t[key].format(date=_date(value, t) if value else "")
    fill, edge = IN_FORCE if in_force else NOT_IN_FORCE
    top = pdf.get_y()
    pdf.set_fill_color(*fill)
    pdf.set_draw_color(*edge)
    pdf.set_line_width(0.6)
    pdf.rect(pdf.l_margin, top, width, 14, style="DF")
    pdf.set_line_width(0.2)
    pdf.set_xy(pdf.l_margin + 3, top + 1.8)
    pdf.set_font("helvetica", style="B", size=12)
    pdf.set_text_color(*edge)
    pdf.cell(width - 6, 6, safe(f"{t['status']}: {status}"))
    pdf.set_xy(pdf.l_margin + 3, top + 8)
    pdf.set_font("helvetica", size=9)
    pdf.set_text_color(*INK)
    pdf.cell(width - 6, 4.5, safe(t["status.as_of"].format(moment=_moment(now, zone, t))))
    pdf.set_xy(pdf.l_margin, top + 17)

    text(t["intro"].format(discloser=consent.disclosing_agency.name))
    pdf.ln(2)

    # --- the elements of 42 CFR 2.31 ------------------------------------------------------
    person = consent.person
    dob = _date(person.date_of_birth, t) if person.date_of_birth else t["dob.unknown"]
    categories = "\n".join(
        [t["categories.intro"]]
        + [f"- {t.get(f'category.{c}', c)}" for c in consent.categories if c in InfoCategory]
    )
    roles = "; ".join(t.get(f"role.{r}", r) for r in consent.recipient_roles if r in Role)
    rows: list[tuple[str, str]] = [
        (t["person"], f"{_full_name(person)}\n{t['dob']}: {dob}"),
        (t["discloser"], consent.disclosing_agency.name),
        (t["categories"], categories),
        (
            t["recipient"],
            t["recipient.text"].format(agency=consent.recipient_agency.name, roles=roles),
        ),
        (
            t["intermediary"],
            recorded(
                consent.intermediary,
                TEXTS["en"]["intermediary.default"].format(program=program_name),
                t["intermediary.default"].format(program=program_name),
            ),
        ),
        (
            t["purpose"],
            recorded(consent.purpose, TEXTS["en"]["purpose.default"], t["purpose.default"]),
        ),
        (
            t["revoke"],
            recorded(
                consent.revocation_statement, TEXTS["en"]["revoke.default"], t["revoke.default"]
            ),
        ),
    ]
    if consent.kind == ConsentKind.CRIMINAL_JUSTICE:
        irrevocable = _when(
            consent.revocable_after, consent.revocable_after_event, "cj.irrevocable", t
        )
        rows.append((t["cj"], f"{irrevocable}\n{t['cj.limited']}"))
    rows.append((t["expiry"], _when(consent.expires_on, consent.expiry_event, "expiry", t)))

    pdf.set_draw_color(*RULE)
    pdf.set_fill_color(255, 255, 255)
    pdf.set_text_color(*INK)
    pdf.set_font("helvetica", size=10)
    with pdf.table(
        col_widths=(LABEL_WIDTH, width - LABEL_WIDTH),
        width=width,
        first_row_as_headings=False,
        borders_layout="HORIZONTAL_LINES",
        text_align="LEFT",
        v_align="TOP",
        line_height=5,
        padding=(1.3, 2, 1.3, 0),
    ) as table:
        bold = FontFace(emphasis="BOLD")
        for name, content in rows:
            row = table.row()
            row.cell(safe(name), style=bold)
            row.cell(safe(content))

    # --- the signature: the drawn image or the paper attestation, and the date -------------
    staff = _staff_name(consent.attested_by)
    image = _signature_image(consent.signature_image) if consent.signature_image else None
    if consent.signature_method == SignatureMethod.PAPER:
        image = None
        in_place = t["signature.paper"].format(staff=staff)
    else:
        in_place = t["signature.unreadable"].format(staff=staff)
    if pdf.will_page_break(40):
        pdf.add_page()
    pdf.ln(3)
    text(t["signature"], style="B")
    left, top = pdf.l_margin, pdf.get_y() + 1
    sign_width, date_x = 104.0, pdf.l_margin + 116
    date_width = pdf.l_margin + width - date_x
    if image is not None:
        pdf.image(
            image,
            x=left + 2,
            y=top,
            w=sign_width - 4,
            h=SIGNATURE_HEIGHT,
            keep_aspect_ratio=True,
            alt_text=safe(t["signature"]),
        )
    else:
        pdf.set_xy(left + 2, top + 4)
        pdf.set_font("helvetica", style="I", size=9)
        pdf.set_text_color(*INK)
        pdf.multi_cell(sign_width - 4, 4.5, safe(in_place), align="L")
    pdf.set_xy(date_x, top + SIGNATURE_HEIGHT - 6)
    pdf.set_font("helvetica", size=11)
    pdf.set_text_color(*INK)
    pdf.cell(date_width, 6, safe(_date(consent.signed_on, t)))
    line_y = top + SIGNATURE_HEIGHT + 1
    pdf.set_draw_color(*INK)
    pdf.line(left, line_y, left + sign_width, line_y)
    pdf.line(date_x, line_y, date_x + date_width, line_y)
    pdf.set_font("helvetica", size=9)
    pdf.set_text_color(*MUTED)
    pdf.set_xy(date_x, line_y + 1)
    pdf.cell(date_width, 4.5, safe(t["signed_on"]))
    pdf.set_xy(left, line_y + 1)
    pdf.set_text_color(*INK)
    pdf.multi_cell(
        sign_width,
        4.5,
        safe(f"{t['signed_by']}: {consent.signed_by}"),
        align="L",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    if image is not None:
        text(t["signature.on_screen"].format(staff=staff), size=9, color=MUTED, h=4.5)

    # --- the notice on redisclosure (42 CFR 2.32) ------------------------------------------
    pdf.ln(4)
    heading, body = safe(t["notice"]), safe(t["notice.text"])
    pdf.set_font("helvetica", size=9)
    inner = width - 6
    body_height = pdf.multi_cell(inner, 4.5, body, align="L", dry_run=True, output="HEIGHT")
    assert isinstance(body_height, float | int)
    height = 4.5 + float(body_height) + 5
    if pdf.will_page_break(height):
        pdf.add_page()
    top = pdf.get_y()
    pdf.set_draw_color(*INK)
    pdf.set_fill_color(240, 240, 240)
    pdf.rect(pdf.l_margin, top, width, height, style="DF")
    pdf.set_xy(pdf.l_margin + 3, top + 2.5)
    pdf.set_text_color(*INK)
    pdf.set_font("helvetica", style="B", size=9)
    pdf.cell(inner, 4.5, heading)
    pdf.set_xy(pdf.l_margin + 3, top + 7)
    pdf.set_font("helvetica", size=9)
    pdf.multi_cell(inner, 4.5, body, align="L", new_x="LMARGIN", new_y="NEXT")
    pdf.set_y(top + height)

    notes = [t["quoted"]] if quoted else []
    if safe.replaced:
        notes.append(t["replaced"])
    if notes:
        pdf.ln(2)
        for note in notes:
            text(note, size=8.5, color=MUTED, h=4.2)
    return bytes(pdf.output())
