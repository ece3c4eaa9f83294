"""The attack suite, part 2: the Part 2, CJIS and privacy defects of issue 18, each tried the
way an attacker inside the program would, through the web (a signed-in test client), and each
a case that must fail: what was refused changed nothing, what is shown reveals nothing.
tests/test_attacks.py holds the first part; both count by group
(tests/attack_report.py)."""

from __future__ import annotations

import base64
import binascii
import csv
import datetime as dt
import io
import json
import os
import re
import stat
import zipfile
import zlib
import zoneinfo
from pathlib import Path
from typing import Any

import pytest
from django.contrib.messages.storage.cookie import CookieStorage
from django.contrib.messages.storage.session import SessionStorage
from django.contrib.sessions.models import Session
from django.core import serializers
from django.db import connection
from django.test import Client, override_settings
from django.urls import reverse
from django.utils.html import escape
from django_otp.oath import TOTP
from PIL import Image

from pathways.accounts.factories import TEST_PASSWORD, AgencyFactory, member
from pathways.accounts.models import AuthenticatorApp, EnrolmentCode
from pathways.accounts.services import enrolment_code_issue
from pathways.audit.models import SEARCH_EVENT, AuditEvent
from pathways.consent.factories import SIGNATURE, consent_values
from pathways.consent.models import Consent, ConsentDocument, Disclosure
from pathways.consent.selectors import NOT_SHARED
from pathways.consent.services import consent_record, consent_revoke
from pathways.core import clock
from pathways.encounters.factories import EncounterFactory, field_entry_data
from pathways.encounters.models import Encounter
from pathways.followups.factories import WorkItemFactory, outreach_team
from pathways.followups.models import OutreachEntry, WorkItem, WorkKind
from pathways.followups.services import outreach_list_create
from pathways.outcomes import extract
from pathways.outcomes.reports import equity
from pathways.outcomes.testing import T0, contact, person
from pathways.outcomes.tests.test_equity_report import _determined
from pathways.people.factories import PersonFactory
from pathways.people.models import Identity, Person
from pathways.people.selectors import SEARCH_LIMIT
from pathways.programs.factories import ProgramFactory, enable_all_pathways
from pathways.referrals.models import Referral
from pathways.referrals.services import (
    referral_accept,
    referral_disengage,
    referral_record_intake,
    referral_send,
)
from tests.test_attacks import shows_progress, snapshot

attack = pytest.mark.attack

NEW_URL = reverse("encounters:new", kwargs={"code": "officer_prevention"})
LOGIN = reverse("login")
NOW = dt.datetime(2026, 11, 20, 16, 0, tzinfo=dt.UTC)  # Fri Nov 20, 10:00 in Chicago
REFUSAL = str(escape(NOT_SHARED))


# --- The world under attack ---------------------------------------------------------------------


@pytest.fixture
def accepted(cast: Any) -> Referral:
    """Officer A's referral of a person to provider P, accepted by P two hours before NOW."""
    encounter = EncounterFactory.create(
        program=cast.program, agency=cast.police_a, responder=cast.officer_a
    )
    with clock.frozen(NOW - dt.timedelta(hours=2)):
        sent = referral_send(
            actor=cast.officer_a, encounter=encounter, service=cast.detox_p, warm_handoff=True
        )
        return referral_accept(actor=cast.intake_p, referral=sent)


def consent_for(cast: Any, referral: Referral, **overrides: Any) -> Consent:
    """Provider P's consent, recorded at NOW, for the officers of police A to see the referral's
    status, until a year on (any element overridden)."""
    values: dict[str, Any] = {
        "actor": cast.intake_p,
        "person": referral.person,
        "disclosing_agency": cast.provider_p,
        "recipient_agency": cast.police_a,
        "recipient_roles": ["officer"],
        "expires_on": dt.date(2027, 11, 20),
        "signed_on": dt.date(2026, 11, 20),
        "signature_image": SIGNATURE,
    }
    with clock.frozen(NOW):
        return consent_record(**consent_values(**{**values, **overrides}))


def consent_form(cast: Any, **overrides: Any) -> dict[str, Any]:
    """What provider P's consent form posts for the officers of police A (signed on NOW)."""
    return {
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
        **overrides,
    }


def officer_pages(cast: Any, referral: Referral, at: dt.datetime) -> dict[str, str]:
    """Every page where officer A meets the referral, as they read it at `at`, with what
    differs from one request to the next taken out (the form token, the scripts' nonce)."""
    client = cast.client_for(cast.officer_a)
    pages = {}
    with clock.frozen(at):
        for url in (
            reverse("referrals:detail", args=[referral.pk]),
            reverse("encounters:detail", args=[referral.encounter_id]),
            reverse("encounters:list"),
            reverse("people:detail", args=[referral.person_id]),
        ):
            response = client.get(url)
            assert response.status_code == 200, url
            pages[url] = steady(response.content.decode())
    return pages


def steady(page: str) -> str:
    page = re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", page)
    return re.sub(r'nonce="[^"]*"', "", page)


def alerts(page: str) -> list[str]:
    """The flash messages a page shows (base.html's alerts)."""
    return re.findall(r'<p class="usa-alert__text">(.*?)</p>', page, flags=re.S)


# --- Consent bypass: one refusal for every reason ------------------------------------------------


@attack(group="consent bypass")
@pytest.mark.parametrize(
    "situation",
    ["revoked", "expired", "ended", "other information", "other staff", "other agency"],
)
def test_every_reason_a_consent_does_not_apply_reads_byte_for_byte_as_no_consent(
    cast: Any, accepted: Referral, situation: str
) -> None:
    """Each different refusal once told the officer that the person signed a consent at a
    treatment provider (and then revoked it, or let it lapse). Every page the officer has of
    the referral must read exactly as it did when no consent existed."""
    at = NOW + dt.timedelta(days=14)  # past the "expired" consent's date
    no_consent = {} if situation == "ended" else officer_pages(cast, accepted, at)
    if situation == "revoked":
        consent = consent_for(cast, accepted)
        with clock.frozen(NOW + dt.timedelta(minutes=5)):
            consent_revoke(actor=cast.intake_p, consent=consent, note="The person asked.")
    elif situation == "expired":
        consent_for(cast, accepted, expires_on=dt.date(2026, 12, 1))
    elif situation == "ended":
        consent = consent_for(cast, accepted, expires_on=None, expiry_event="treatment_ended")
        with clock.frozen(NOW + dt.timedelta(days=1)):
            referral_disengage(actor=cast.intake_p, referral=Referral.objects.get(pk=accepted.pk))
    elif situation == "other information":
        consent_for(cast, accepted, categories=["attendance"])
    elif situation == "other staff":
        consent_for(cast, accepted, recipient_roles=["supervisor"])
    elif situation == "other agency":
        consent_for(cast, accepted, recipient_agency=cast.police_b)
    refused = officer_pages(cast, accepted, at)
    if situation == "ended":
        # the consent ends with the referral: compare with the ended referral without any consent
        Consent.objects.filter(pk=consent.pk).delete()
        no_consent = officer_pages(cast, accepted, at)
    for url, page in refused.items():
        assert page == no_consent[url], (situation, url)
    detail = refused[reverse("referrals:detail", args=[accepted.pk])]
    assert REFUSAL in detail
    for word in ("revoked", "expired", "ended on", "attendance", "supervisor", "southside"):
        assert word not in detail.lower(), (situation, word)
    assert Disclosure.objects.count() == 0


# --- Consent bypass: the provider's work items ---------------------------------------------------


@attack(group="consent bypass")
def test_the_officers_contact_page_shows_no_provider_work_item_or_note(cast: Any) -> None:
    """The officer's contact page listed the provider's work items: "Intake assessment",
    "done", "Placed: referral accepted by Harbor". None of it, nor its note, without consent."""
    encounter = EncounterFactory.create(
        program=cast.program, agency=cast.police_a, responder=cast.officer_a
    )
    with clock.frozen(NOW):
        sent = referral_send(
            actor=cast.officer_a, encounter=encounter, service=cast.detox_p, warm_handoff=True
        )
        referral_accept(actor=cast.intake_p, referral=sent)
    for kind, title, note in (
        (WorkKind.INTAKE_DUE, "Intake assessment for a diversion on Nov 20", "Assessment done."),
        (WorkKind.REFERRAL_RESPONSE, "Respond to a referral sent Nov 20", "Accepted"),
        (WorkKind.OUTREACH_VISIT, "Follow-up visit", "Engaged, doing well at Harbor"),
    ):
        WorkItemFactory.create(
            team=cast.provider_p,
            kind=kind,
            title=title,
            encounter=encounter,
            person=encounter.person,
            completed_at=NOW,
            outcome_note=note,
        )
    WorkItemFactory.create(  # the officer's own placement target, with the old note
        team=cast.police_a,
        kind=WorkKind.PLACEMENT,
        title="Treatment placement for a request for help on Nov 20",
        encounter=encounter,
        person=encounter.person,
        completed_at=NOW,
        outcome_note="Placed: referral accepted by Harbor Test Recovery",
    )
    client = cast.client_for(cast.officer_a)
    urls = (
        reverse("encounters:detail", args=[encounter.pk]),
        reverse("people:detail", args=[encounter.person_id]),
        reverse("followups:list"),
        reverse("encounters:list"),
    )
    for url in urls:
        page = client.get(url).content.decode()
        assert not shows_progress(page), url
        for secret in ("Assessment done", "doing well", "accepted by", "Follow-up visit"):
            assert secret.lower() not in page.lower(), (url, secret)
    assert Disclosure.objects.count() == 0
    # the same page under the person's consent shows them: the detector does see them
    consent_for(cast, sent, categories=["assessment", "referral_status", "progress"])
    with clock.frozen(NOW + dt.timedelta(hours=1)):
        shown = client.get(urls[0]).content.decode()
    assert shows_progress(shown) and "Assessment done." in shown


# --- People search and linking -------------------------------------------------------------------

DOB = "1988-04-12"


@pytest.fixture
def outreach(cast: Any) -> dict[str, Any]:
    """An outreach team of the cast's program with a list; Casey Vandermolen, born on DOB,
    known to the team; in a program next door, another Casey Vandermolen born the same day."""
    team, worker = outreach_team(cast.program, name="Harbor Peer Outreach", username="outreach_w")
    outreach_list = outreach_list_create(
        actor=cast.coordinator, program=cast.program, name="East side repeat overdoses", team=team
    )
    ours = PersonFactory.create(first_name="Casey", last_name="Vandermolen", created_by_agency=team)
    elsewhere = ProgramFactory.create(name="Other County Program", jurisdiction="Other County")
    enable_all_pathways(elsewhere)
    police = AgencyFactory.create(program=elsewhere, name="Other Police", kind="law_enforcement")
    theirs = PersonFactory.create(
        first_name="Casey", last_name="Vandermolen", created_by_agency=police
    )
    EncounterFactory.create(
        program=elsewhere,
        agency=police,
        responder=member(police, "officer", "officer_elsewhere"),
        person=theirs,
    )
    return {"team": team, "worker": worker, "list": outreach_list, "ours": ours, "theirs": theirs}


def list_url(o: dict[str, Any]) -> str:
    return reverse("followups:outreach_list", kwargs={"list_id": o["list"].pk})


def add_url(o: dict[str, Any]) -> str:
    return reverse("followups:outreach_add", kwargs={"list_id": o["list"].pk})


@attack(group="people search and linking")
def test_the_outreach_search_finds_no_one_of_another_program(
    cast: Any, outreach: dict[str, Any]
) -> None:
    for user in (cast.officer_a, outreach["worker"], cast.coordinator):
        page = cast.client_for(user).get(list_url(outreach), {"q": "vandermolen", "dob": DOB})
        html = page.content.decode()
        assert page.status_code == 200
        assert f'value="{outreach["ours"].pk}"' in html  # this program's Casey: found
        assert str(outreach["theirs"].pk) not in html, user.username
        found = [p.pk for p, _ in page.context["results"]]
        assert found == [outreach["ours"].pk], user.username


@attack(group="people search and linking")
def test_a_responder_must_type_the_birth_date_to_search_the_program(
    cast: Any, outreach: dict[str, Any]
) -> None:
    """The search once gave anyone in the system, name and birth date, to any officer."""
    for user in (cast.officer_a, cast.supervisor_a, outreach["worker"]):
        client = cast.client_for(user)
        for params in ({"q": "vandermolen"}, {"q": "va"}, {"q": "vandermolen", "dob": ""}):
            page = client.get(list_url(outreach), params)
            html = page.content.decode()
            assert page.status_code == 422, (user.username, params)
            assert "date of birth as well as the name" in html
            assert "Casey" not in html and DOB not in html.replace(f'value="{DOB}"', "")
            assert str(outreach["ours"].pk) not in html
        wrong_day = client.get(list_url(outreach), {"q": "vandermolen", "dob": "1988-04-13"})
        assert wrong_day.context["results"] == []
        assert "Casey" not in wrong_day.content.decode()


@attack(group="people search and linking")
def test_the_31st_search_in_ten_minutes_is_refused_and_finds_no_one(
    cast: Any, outreach: dict[str, Any]
) -> None:
    """1,014 of 1,911 people were read out in 11 seconds."""
    client = cast.client_for(cast.officer_a)
    with clock.frozen(NOW):
        for n in range(SEARCH_LIMIT):
            page = client.get(list_url(outreach), {"q": "vandermolen", "dob": DOB})
            assert page.status_code == 200, n
        refused = client.get(list_url(outreach), {"q": "vandermolen", "dob": DOB})
        other_page = client.get(reverse("people:search"), {"q": "vandermolen"})
    for response in (refused, other_page):  # every search page shares the one limit
        html = response.content.decode()
        assert response.status_code == 422
        assert "Wait a few minutes" in html
        assert "Casey" not in html and str(outreach["ours"].pk) not in html
    with clock.frozen(NOW + dt.timedelta(minutes=11)):
        again = client.get(list_url(outreach), {"q": "vandermolen", "dob": DOB})
    assert again.status_code == 200 and "Casey Vandermolen" in again.content.decode()


@attack(group="people search and linking")
def test_every_search_is_audited_and_no_record_keeps_what_was_typed(
    cast: Any, outreach: dict[str, Any], caplog: Any
) -> None:
    client = cast.client_for(cast.officer_a)
    caplog.set_level("DEBUG")
    searches = [
        (list_url(outreach), {"q": "vandermolen, casey", "dob": DOB}),
        (list_url(outreach), {"q": "vandermolen"}),  # refused: no birth date
        (reverse("people:search"), {"q": "vandermolen"}),
    ]
    for url, params in searches:
        client.get(url, params)
    events = AuditEvent.objects.filter(event_type=SEARCH_EVENT, actor=cast.officer_a)
    # the refusal for a missing birth date searched nothing; each real search is one event
    assert events.count() == 2
    assert {e.changes["purpose"][1] for e in events} == {"outreach_add", "person_search"}
    stored = serializers.serialize("json", AuditEvent.objects.all()).lower()
    logged = "\n".join(r.getMessage() for r in caplog.records).lower()
    for typed in ("vandermolen", "casey", DOB, "1988"):
        assert typed not in stored, typed
        assert typed not in logged, typed


@attack(group="people search and linking")
@pytest.mark.parametrize("whose", ["another agency's", "another program's", "made up"])
def test_a_forged_person_choice_on_the_field_form_attaches_nothing(
    cast: Any, outreach: dict[str, Any], whose: str
) -> None:
    """A field POST naming any person's id (`person_choice`) attached the contact to them and
    showed their overdose history."""
    stranger = PersonFactory.create(
        first_name="Morgan", last_name="Quill", date_of_birth=dt.date(1979, 1, 2)
    )
    EncounterFactory.create(
        program=cast.program, agency=cast.police_b, responder=cast.officer_b, person=stranger
    )
    target = {
        "another agency's": str(stranger.pk),
        "another program's": str(outreach["theirs"].pk),
        "made up": "9b0e7a55-8e7f-4c4e-9d55-000000000000",
    }[whose]
    client = cast.client_for(cast.officer_a)
    before = snapshot()
    response = client.post(NEW_URL, field_entry_data(cast.detox_p, person_choice=target))
    html = response.content.decode()
    assert response.status_code == 422
    assert "does not match the name and birth date" in html
    assert snapshot() == before
    assert not Encounter.objects.filter(person_id=target, agency=cast.police_a).exists()
    for secret in ("Morgan", "Quill", "Casey", "1979"):
        assert secret not in html, secret


@attack(group="people search and linking")
def test_a_forged_person_on_the_outreach_add_form_is_refused(
    cast: Any, outreach: dict[str, Any]
) -> None:
    """Any person's id posted was put on the list, showing their name and birth date."""
    stranger = PersonFactory.create(
        first_name="Sam", last_name="Okoro", created_by_agency=cast.police_b
    )
    client = cast.client_for(cast.officer_a)
    before = (OutreachEntry.objects.count(), WorkItem.objects.count(), snapshot())
    for forged in (stranger, outreach["theirs"]):
        response = client.post(
            add_url(outreach),
            {"q": "vandermolen", "dob": DOB, "person": str(forged.pk), "reason": "repeat_overdose"},
        )
        html = response.content.decode()
        assert response.status_code == 422
        assert "We could not find that person." in html
        assert "Okoro" not in html and str(forged.pk) not in html.split("<main", 1)[1]
    assert (OutreachEntry.objects.count(), WorkItem.objects.count(), snapshot()) == before


def unknown_person(cast: Any) -> Encounter:
    """Officer A's contact with a person who gave no name."""
    person = Person.objects.create(
        identity=Identity.UNKNOWN, estimated_birth_year=1988, description="Black hoodie"
    )
    return EncounterFactory.create(
        program=cast.program, agency=cast.police_a, responder=cast.officer_a, person=person
    )


@attack(group="people search and linking")
@pytest.mark.parametrize("whose", ["not offered", "another program's namesake"])
def test_a_forged_link_target_on_the_identify_form_links_nothing(
    cast: Any, outreach: dict[str, Any], whose: str
) -> None:
    """Naming a person recorded without a name offers the people it matches; linking to anyone
    else (someone not offered, or the same name and birth date in another program) would move
    the contact to them and show their history."""
    encounter = unknown_person(cast)
    stranger = PersonFactory.create(first_name="Other", last_name="Person")
    EncounterFactory.create(
        program=cast.program, agency=cast.police_b, responder=cast.officer_b, person=stranger
    )
    target = stranger if whose == "not offered" else outreach["theirs"]
    url = reverse("people:identify", args=[encounter.person_id])
    client = cast.client_for(cast.officer_a)
    typed = {"first_name": "Casey", "last_name": "Vandermolen", "date_of_birth": DOB}
    offered = client.post(url, typed).content.decode()
    assert str(outreach["theirs"].pk) not in offered  # the namesake next door is never offered
    before = snapshot()
    response = client.post(url, {**typed, "person_choice": str(target.pk)})
    assert response.status_code == 422
    assert "Choose one of the people listed" in response.content.decode()
    assert snapshot() == before
    encounter.refresh_from_db()
    assert encounter.person_id not in (stranger.pk, outreach["theirs"].pk)
    unnamed = Person.objects.get(pk=encounter.person_id)
    assert not unnamed.is_named and not unnamed.is_archived and unnamed.merged_into_id is None


# --- Report differencing ---------------------------------------------------------------------

DASHBOARD = reverse("outcomes:dashboard")


def csv_tables(response: Any) -> dict[str, list[list[str]]]:
    """A report's CSV download as its tables: each table's heading, then its header row and
    its rows."""
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    tables: dict[str, list[list[str]]] = {}
    current: list[list[str]] | None = None
    for n, row in enumerate(rows):
        if len(row) > 1 and current is not None:
            current.append(row)
            continue
        current = None
        if len(row) == 1 and n + 1 < len(rows) and len(rows[n + 1]) > 1:
            current = tables.setdefault(row[0], [])
    return tables


def csv_counts(response: Any) -> dict[tuple[str, str, str], int]:
    """Every count a report's CSV download shows, by (table, column, row); a suppressed cell
    ("*"), a rate or a time is not a count."""
    found: dict[tuple[str, str, str], int] = {}
    for table, (header, *rows) in csv_tables(response).items():
        for row in rows:
            for column, cell in zip(header[1:], row[1:], strict=False):
                if re.fullmatch(r"\d[\d,]*", cell):
                    found[(table, column, row[0])] = int(cell.replace(",", ""))
    return found


@attack(group="report differencing")
def test_a_prosecutor_cannot_watch_one_intake_happen_on_the_program_page(cast: Any) -> None:
    """Live counts let a prosecutor reload the program page and watch one intake happen (200,
    then 201): outside the office the figures are the last refresh's, rounded to ten."""
    for _ in range(24):
        contact(cast, at=clock.now(), steps=[("accepted", 0.1)])
    referral = Referral.objects.filter(status="accepted").first()
    assert referral is not None
    client = cast.client_for(cast.prosecutor)
    with override_settings(PATHWAYS_ANALYTICS_MAX_AGE=300):
        before = client.get(DASHBOARD)
        referral_record_intake(actor=cast.intake_p, referral=referral, intake_at=clock.now())
        contact(cast, at=clock.now(), steps=[("accepted", 0.1)])
        after = client.get(DASHBOARD)
        office = cast.client_for(cast.coordinator).get(DASHBOARD).content.decode()
    assert after.status_code == 200
    assert steady(after.content.decode()) == steady(before.content.decode())
    assert 'data-testid="total-encounters">20<' in after.content.decode()  # 24, rounded
    assert 'data-testid="total-encounters">25<' in office  # the office: live, exact
    published = after.context["published"]
    shown = [c.value for r in published.rows for c in (r.encounters, r.referrals, *r.cells)] + [
        published.total_encounters.value
    ]
    assert all(v % 10 == 0 for v in shown), shown


@attack(group="report differencing")
@pytest.mark.parametrize("slug", ["funnel", "referral-loop", "equity"])
def test_two_downloads_over_overlapping_dates_do_not_isolate_one_days_contacts(
    cast: Any, slug: str
) -> None:
    """1 January to 1 March, then to 2 March (three contacts that day): no count of the two
    downloads differs by 1 to 10, so the day's three people are not isolated."""
    for n in range(23):
        contact(
            cast, at=T0 - dt.timedelta(days=20), steps=[("accepted", 1), ("engaged", 5)][: n % 3]
        )
    for _ in range(3):
        contact(cast, at=T0, steps=[("accepted", 1)])
    client = cast.client_for(cast.researcher)
    url = reverse("outcomes:report", kwargs={"slug": slug})
    downloads = [
        csv_counts(client.get(url, {"start": "2026-01-01", "end": end, "format": "csv"}))
        for end in ("2026-03-01", "2026-03-02")
    ]
    shorter, longer = downloads
    common = shorter.keys() & longer.keys()
    assert common, "the downloads share no count"
    for cell in common:
        difference = abs(longer[cell] - shorter[cell])
        assert difference % 10 == 0 and difference != 3, (cell, shorter[cell], longer[cell])


@attack(group="report differencing")
def test_the_same_download_a_day_later_does_not_isolate_that_days_contacts(cast: Any) -> None:
    for n in range(23):
        contact(cast, at=T0, steps=[("accepted", 1), ("engaged", 5)][: n % 3])
    client = cast.client_for(cast.researcher)
    url = reverse("outcomes:report", kwargs={"slug": "funnel"})
    window = {"start": "2026-01-01", "end": "2026-12-31", "format": "csv"}
    first = csv_counts(client.get(url, window))
    for _ in range(3):  # the next day's three contacts
        contact(cast, at=T0 + dt.timedelta(days=1), steps=[("accepted", 1)])
    later = csv_counts(client.get(url, window))
    for cell in first.keys() & later.keys():
        difference = abs(later[cell] - first[cell])
        assert difference % 10 == 0 and difference != 3, (cell, first[cell], later[cell])


@attack(group="linked report cells")
def test_no_count_the_offered_table_hides_is_recovered_from_the_diverted_table(
    cast: Any,
) -> None:
    """The equity report's "Diverted rather than arrested" table showed offer counts the
    "Offered services" table hid (the same count wherever no ineligible person was offered
    services). The reader takes every count of the download, each table's margins and how many
    ineligible people were offered services, and solves them all together: nothing comes out."""
    groups = {  # row label: (the person, offered services, ineligible people offered them)
        "Black": ({"races": ["black"], "ethnicity": "not_hispanic"}, 3, 0),
        "Hispanic": ({"races": ["white"], "ethnicity": "hispanic"}, 12, 20),
        "Asian": ({"races": ["asian"], "ethnicity": "not_hispanic"}, 15, 0),
        "White": ({"races": ["white"], "ethnicity": "not_hispanic"}, 40, 0),
    }
    for fields, offered, ineligible in groups.values():
        for n in range(offered):
            contact(cast, who=person(**fields), disposition="referred" if n % 2 else "declined")
        for _ in range(ineligible):
            contact(cast, who=person(**fields), eligibility_outcome="ineligible")
        for _ in range(20):
            contact(
                cast, who=person(**fields), pathway="officer_intervention", disposition="arrested"
            )
    url = reverse("outcomes:report", kwargs={"slug": "equity"})
    response = cast.client_for(cast.researcher).get(
        url, {"start": "2026-01-01", "end": "2026-12-31", "format": "csv"}
    )
    tables = csv_tables(response)

    def group_of(label: str) -> str | None:
        if label == "All groups":
            return "all"
        return next((g for g in groups if label.startswith(g)), None)

    known: dict[Any, float] = {}
    hidden: set[Any] = set()
    seen: set[str] = set()
    for decision in equity.DECISIONS:
        _, *rows = tables[decision.label]
        for row in rows:
            g = group_of(row[0])
            assert g is not None, row
            seen.add(g)
            for stage, cell in ((decision.base, row[1]), (decision.event, row[2])):
                if cell == "*":
                    hidden.add((stage, g))
                    assert (stage, g) not in known, f"{stage} {g}: shown in one table, not another"
                else:
                    known[(stage, g)] = int(cell.replace(",", ""))
                    assert (stage, g) not in hidden, f"{stage} {g}: hidden in one, shown in another"
    assert ("offered", "Black") in hidden  # three offers: hidden
    assert ("diverted", "Black") in hidden  # and the same count in the diverted table too
    members = sorted(seen - {"all"})
    equations: list[tuple[dict[Any, int], int]] = []
    for decision in equity.DECISIONS:
        for g in seen:
            lost = (f"lost:{decision.code}", g)
            equations.append(({(decision.base, g): 1, (decision.event, g): -1, lost: -1}, 0))
    for stage in {s for d in equity.DECISIONS for s in (d.base, d.event)}:
        equations.append(({**{(stage, g): 1 for g in members}, (stage, "all"): -1}, 0))
    also_offered = {g: x for g, (_, _, x) in groups.items()}  # ineligible, offered services
    also_offered["all"] = sum(also_offered.values())
    for g in seen:
        equations.append(({("diverted", g): 1, ("offered", g): -1}, also_offered[g]))
    assert _determined(equations, known, hidden) == set()


# --- Extract pseudonyms ----------------------------------------------------------------------

RESEARCH = reverse("outcomes:research")


def extract_ids(response: Any) -> set[str]:
    """Every id value of a research extract ZIP: any column named like an id, of every table."""
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    files = zipfile.ZipFile(io.BytesIO(response.content))
    ids: set[str] = set()
    for name in files.namelist():
        if not name.endswith(".csv") or name == "data_dictionary.csv":
            continue
        for row in csv.DictReader(io.StringIO(files.read(name).decode("utf-8-sig"))):
            ids |= {v for k, v in row.items() if k and k.endswith("_id") and v}
    return ids


@attack(group="extract pseudonyms")
def test_a_years_only_and_a_shifted_dates_extract_cannot_be_joined_by_study_id(
    cast: Any,
) -> None:
    """The years-only and shifted-dates extracts used the same pseudonyms: joined by study id,
    the shifted date against the true year pins each person's shift."""
    for n in range(6):
        contact(cast, who=person(sex=("female", "male")[n % 2]), steps=[("accepted", 2)])
    client = cast.client_for(cast.researcher)
    year = extract_ids(client.post(RESEARCH, {"dates": "year"}))
    shifted = extract_ids(client.post(RESEARCH, {"dates": "shift"}))
    year_again = extract_ids(client.post(RESEARCH, {"dates": "year"}))
    assert len(year) >= 18 and len(shifted) >= 18  # people, contacts and referrals
    assert not year & shifted
    assert not year & year_again  # nor the same kind made again
    office = extract_ids(cast.client_for(cast.coordinator).post(RESEARCH, {"dates": "shift"}))
    assert not office & (year | shifted | year_again)


# --- MFA skip and TOTP reuse -----------------------------------------------------------------

ENROL = reverse("mfa_enrol")
VERIFY = reverse("mfa_verify")
SETUP_APP = reverse("mfa_setup_totp")


def password_sign_in(username: str) -> Client:
    """What the attacker who learnt a password gets: the first step of signing in."""
    client = Client(REMOTE_ADDR="203.0.113.80")
    response = client.post(LOGIN, {"username": username, "password": TEST_PASSWORD})
    assert response.status_code == 302 and "_auth_user_id" in client.session
    return client


def totp_now(secret_b32: str) -> str:
    return f"{TOTP(base64.b32decode(secret_b32)).token():06d}"


@attack(group="MFA skip and TOTP reuse")
def test_a_password_alone_cannot_add_the_first_device(cast: Any) -> None:
    """The first device was enrolled with the password alone: whoever learnt the password
    owned the account's second step too."""
    client = password_sign_in("officer_a")
    before = snapshot()
    for url in (VERIFY, reverse("mfa_setup"), SETUP_APP, reverse("mfa_setup_key")):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(ENROL), url
    forged = client.post(SETUP_APP, {"code": "123456", "name": "Attacker's phone"})
    assert forged.status_code == 302 and forged["Location"].startswith(ENROL)
    options = client.post(reverse("mfa_webauthn_options"), {"purpose": "register"})
    assert options.status_code == 403
    # another user's enrolment code does not open this account
    theirs = enrolment_code_issue(actor=None, user=cast.officer_b, on_server=True).code
    assert client.post(ENROL, {"code": theirs}).status_code == 400
    assert client.get(SETUP_APP)["Location"].startswith(ENROL)
    assert not AuthenticatorApp.objects.filter(user=cast.officer_a).exists()
    assert client.get(reverse("encounters:list")).status_code == 302
    assert snapshot() == before
    assert EnrolmentCode.objects.get(user=cast.officer_b).used_at is None


@attack(group="MFA skip and TOTP reuse")
def test_guessing_enrolment_codes_is_paused_after_five(cast: Any) -> None:
    real = enrolment_code_issue(actor=None, user=cast.officer_a, on_server=True).code
    client = password_sign_in("officer_a")
    for guess in (
        "AAAA-AAAA-AAAA",
        "0000-0000-0000",
        "1234-5678-9ABC",
        "ZZZZ-ZZZZ-ZZZZ",
        "7KQ2M9XD4HTA",
    ):
        assert guess.replace("-", "") != real.replace("-", "")
        assert client.post(ENROL, {"code": guess}).status_code in (400, 429)
    paused = client.post(ENROL, {"code": real})
    assert paused.status_code == 429
    assert client.get(SETUP_APP)["Location"].startswith(ENROL)
    assert not AuthenticatorApp.objects.filter(user=cast.officer_a).exists()


@attack(group="MFA skip and TOTP reuse")
def test_field_staff_cannot_issue_themselves_or_others_an_enrolment_code(cast: Any) -> None:
    for user, target in ((cast.officer_a, cast.officer_b), (cast.intake_p, cast.intake_p)):
        client = cast.client_for(user)
        assert client.get(reverse("enrolment_codes")).status_code == 403
        url = reverse("enrolment_code_issue", kwargs={"user_id": target.pk})
        assert client.post(url).status_code == 403
    assert not EnrolmentCode.objects.exists()


# --- Secrets at rest -------------------------------------------------------------------------


def everything_stored() -> str:
    """What someone reading the database (a backup, a replica) sees: every row of every table,
    session data decoded as Django writes it (signed, not encrypted)."""
    dump: list[str] = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f'SELECT * FROM "{table}"')  # noqa: S608 - the database's own names
            dump.extend(repr(row) for row in cursor.fetchall())
    dump.extend(json.dumps(s.get_decoded(), default=str) for s in Session.objects.all())
    return "\n".join(dump)


@attack(group="secrets at rest")
def test_the_authenticator_secret_is_nowhere_in_the_database_in_plain_text(cast: Any) -> None:
    """TOTP secrets were stored in plain text: a database backup gave every second step."""
    code = enrolment_code_issue(actor=None, user=cast.officer_a, on_server=True).code
    client = password_sign_in("officer_a")
    assert client.post(ENROL, {"code": code}).status_code == 302
    setup = client.get(SETUP_APP)
    secret = "".join(setup.context["secret_groups"])  # what the user types into the app
    key_hex = base64.b32decode(secret).hex()
    forms = (secret, secret.lower(), key_hex, key_hex.upper())
    during = everything_stored()  # the secret waits in the session while the app is set up
    assert not any(f in during for f in forms)
    done = client.post(SETUP_APP, {"code": totp_now(secret), "name": "My phone"})
    assert done.status_code == 302
    assert AuthenticatorApp.objects.filter(user=cast.officer_a).count() == 1
    after = everything_stored()
    assert not any(f in after for f in forms)
    with connection.cursor() as cursor:
        cursor.execute("SELECT key FROM accounts_authenticatorapp")
        (stored,) = cursor.fetchone()
    assert str(stored).startswith("pw1:")


@attack(group="secrets at rest")
def test_the_analytics_file_is_the_app_users_own_and_holds_no_birth_date_or_zip(
    cast: Any, settings: Any, tmp_path: Path
) -> None:
    """The analytics DuckDB file (dates of birth, ZIP, treatment timeline per person) was
    world-readable: any account on the server could copy it."""
    folder = tmp_path / "open-analytics"
    folder.mkdir(mode=0o755)
    folder.chmod(0o755)  # made before, more open (an old install, a careless restore)
    settings.PATHWAYS_ANALYTICS_DIR = str(folder)
    who = person(date_of_birth=dt.date(1987, 6, 19), postal_code="47401")
    contact(cast, who=who, at=T0, steps=[("accepted", 1)])
    url = reverse("outcomes:report", kwargs={"slug": "funnel"})
    page = cast.client_for(cast.researcher).get(url, {"start": "2026-01-01", "end": "2026-12-31"})
    assert page.status_code == 200  # the page refreshed the extract
    file = Path(extract.path())
    assert file.parent == folder and file.exists()
    assert stat.S_IMODE(os.stat(folder).st_mode) == 0o700
    for left in folder.iterdir():
        assert stat.S_IMODE(os.stat(left).st_mode) & 0o077 == 0, left.name
    assert stat.S_IMODE(os.stat(file).st_mode) == 0o600
    data = file.read_bytes()
    for secret in (b"1987-06-19", b"19870619", b"47401", b"Vandermolen"):
        assert secret not in data, secret
    with extract.connect() as db:
        columns = {
            row[0]
            for row in db.execute("SELECT column_name FROM information_schema.columns").fetchall()
        }
    assert not columns & {"date_of_birth", "postal_code", "zip", "birth_year", "first_name"}


# --- Malformed signature ---------------------------------------------------------------------


def png_data_url(data: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(data).decode()


def blank_png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGBA", (300, 100), (255, 255, 255, 0)).save(buffer, "PNG")
    return buffer.getvalue()


@attack(group="malformed signature")
@pytest.mark.parametrize(
    "capture",
    [
        png_data_url(b"\x89PNG\r\n\x1a\n" + b"\x00" * 32),  # the header and junk
        png_data_url(b"\x89PNG\r\n\x1a\n<script>alert(1)</script>"),
        png_data_url(blank_png()),  # a real PNG with nothing drawn
        png_data_url(blank_png()[:60]),  # truncated
        "data:image/png;base64,not base64 at all!",
        "data:image/svg+xml;base64,"
        + base64.b64encode(b'<svg xmlns="http://www.w3.org/2000/svg"><script/></svg>').decode(),
    ],
    ids=["header and junk", "header and script", "blank", "truncated", "not base64", "svg"],
)
def test_a_signature_that_is_not_a_drawn_png_is_refused_and_nothing_saved(
    cast: Any, accepted: Referral, capture: str
) -> None:
    """A signature that was only a PNG header plus junk was accepted and kept: the consent on
    file had no signature at all."""
    data = consent_form(cast, signature_image=capture)
    url = reverse("consent:consent_new", args=[accepted.pk])
    client = cast.client_for(cast.intake_p)
    before = (Consent.objects.count(), ConsentDocument.objects.count(), snapshot())
    with clock.frozen(NOW):
        response = client.post(url, data)
    html = response.content.decode()
    assert response.status_code == 422
    assert 'class="usa-error-message"' in html
    assert "<script>alert(1)</script>" not in html
    assert (Consent.objects.count(), ConsentDocument.objects.count(), snapshot()) == before
    with clock.frozen(NOW):  # the same form with a drawn signature is taken: only it was wrong
        assert client.post(url, {**data, "signature_image": SIGNATURE}).status_code == 302
    assert Consent.objects.count() == before[0] + 1


# --- Personal data in cookies ----------------------------------------------------------------

MESSAGES_COOKIE = CookieStorage.cookie_name


def cookie_texts(response: Any, client: Client) -> str:
    """Every cookie the server set, and what its parts say once base64 (and zlib) are undone,
    the way Django's signed cookies are written: signed is not encrypted."""
    found = []
    for morsel in [*response.cookies.values(), *client.cookies.values()]:
        found.append(morsel.value)
        for part in morsel.value.replace('"', "").split(":"):
            compressed, body = part.startswith("."), part.lstrip(".")
            try:
                data = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
                if compressed:
                    data = zlib.decompress(data)
            except (binascii.Error, ValueError, zlib.error):
                continue
            found.append(data.decode("utf-8", errors="replace"))
    return "\n".join(found)


def assert_names_no_one(client: Client, response: Any, names: tuple[str, ...]) -> None:
    """The action's response set no messages cookie; no cookie, stored message or message shown
    on the next page holds any of `names`."""
    assert response.status_code == 302, response.status_code
    assert MESSAGES_COOKIE not in response.cookies
    assert MESSAGES_COOKIE not in client.cookies
    texts = cookie_texts(response, client)
    stored = json.dumps(client.session.get(SessionStorage.session_key, ""))
    assert stored not in ("", '""'), "the action flashed no message: nothing was tried"
    shown = alerts(client.get(response["Location"]).content.decode())
    assert shown, "the next page showed no message"
    for name in names:
        assert name not in texts, name
        assert name not in stored, name
        assert not any(name in message for message in shown), (name, shown)


@attack(group="personal data in cookies")
def test_saving_a_field_contact_puts_no_name_in_a_cookie_or_message(cast: Any) -> None:
    client = cast.client_for(cast.officer_a)
    response = client.post(NEW_URL, field_entry_data(cast.detox_p, person_choice="new"))
    assert_names_no_one(client, response, ("Dana", "Whitfield", "1990-06-01"))


@attack(group="personal data in cookies")
def test_putting_a_person_on_an_outreach_list_puts_no_name_in_a_cookie_or_message(
    cast: Any, outreach: dict[str, Any]
) -> None:
    client = cast.client_for(cast.officer_a)
    response = client.post(
        add_url(outreach),
        {
            "q": "vandermolen",
            "dob": DOB,
            "person": str(outreach["ours"].pk),
            "reason": "repeat_overdose",
        },
    )
    assert_names_no_one(client, response, ("Casey", "Vandermolen", DOB))


@attack(group="personal data in cookies")
def test_the_providers_referral_actions_put_no_name_in_a_cookie_or_message(
    cast: Any, accepted: Referral
) -> None:
    names = (accepted.person.first_name, accepted.person.last_name)
    client = cast.client_for(cast.intake_p)
    url = reverse("referrals:act", args=[accepted.pk, "intake"])
    intake_at = clock.now().astimezone(zoneinfo.ZoneInfo(cast.program.time_zone))
    response = client.post(
        url,
        {"intake-expected_status": "accepted", "intake-intake_at": f"{intake_at:%Y-%m-%dT%H:%M}"},
    )
    assert_names_no_one(client, response, names)
    done = reverse("referrals:act", args=[accepted.pk, "complete"])
    response = client.post(done, {"complete-expected_status": "engaged", "complete-note": "Done"})
    assert_names_no_one(client, response, names)


@attack(group="personal data in cookies")
def test_naming_and_linking_a_person_put_no_name_in_a_cookie_or_message(cast: Any) -> None:
    client = cast.client_for(cast.officer_a)
    first = unknown_person(cast)
    typed = {"first_name": "Rae", "last_name": "Okafor", "date_of_birth": "1996-03-02"}
    response = client.post(reverse("people:identify", args=[first.person_id]), typed)
    assert_names_no_one(client, response, ("Rae", "Okafor", "1996-03-02"))
    second = unknown_person(cast)
    url = reverse("people:identify", args=[second.person_id])
    assert first.person_id in [c.person.pk for c in client.post(url, typed).context["candidates"]]
    response = client.post(url, {**typed, "person_choice": str(first.person_id)})
    assert_names_no_one(client, response, ("Rae", "Okafor", "1996-03-02"))


@attack(group="personal data in cookies")
def test_recording_a_consent_puts_no_name_in_a_cookie_or_message(
    cast: Any, accepted: Referral
) -> None:
    client = cast.client_for(cast.intake_p)
    data = consent_form(cast)
    with clock.frozen(NOW):
        response = client.post(reverse("consent:consent_new", args=[accepted.pk]), data)
        names = (accepted.person.first_name, accepted.person.last_name, "Avery", "Nakamura")
        assert_names_no_one(client, response, names)
