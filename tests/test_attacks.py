"""The attack suite: what an attacker inside or outside the program would try, each as one case
that must fail. Each case is marked with its group; the run ends with the count of cases by group
(tests/attack_report.py). Many attacks are also covered where their feature is
tested; here they are tried the way an attacker would, through the web, one channel at a time."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import time
import uuid
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils.html import escape

from pathways.accounts.factories import TEST_PASSWORD, member
from pathways.accounts.models import Membership, User
from pathways.accounts.testing import totp_device, user_code, verified_client
from pathways.audit.models import AuditEvent
from pathways.cases.factories import intervention_config, open_case
from pathways.cases.models import Case
from pathways.consent.factories import consent_values
from pathways.consent.models import Consent, Disclosure
from pathways.consent.selectors import NOT_SHARED
from pathways.consent.services import consent_record, consent_revoke
from pathways.core import clock
from pathways.directory.models import Service
from pathways.encounters.factories import EncounterFactory, field_entry_data
from pathways.encounters.models import Encounter
from pathways.people.models import Person
from pathways.referrals.models import Referral, ReferralStatusChange
from pathways.referrals.services import referral_accept, referral_record_intake, referral_send

attack = pytest.mark.attack

NEW_URL = reverse("encounters:new", kwargs={"code": "officer_prevention"})
LOGIN = reverse("login")
MFA = reverse("mfa_verify")


# --- The world under attack ---------------------------------------------------------------------


@pytest.fixture
def engaged(cast: Any) -> Referral:
    """Officer A's referral of a person to provider P, now engaged in treatment."""
    encounter = EncounterFactory.create(
        program=cast.program, agency=cast.police_a, responder=cast.officer_a
    )
    sent = referral_send(
        actor=cast.officer_a, encounter=encounter, service=cast.detox_p, warm_handoff=True
    )
    referral_accept(actor=cast.intake_p, referral=sent)
    return referral_record_intake(actor=cast.intake_p, referral=sent, intake_at=clock.now())


def consent_for(cast: Any, referral: Referral, **overrides: Any) -> Consent:
    """Provider P's consent for the officers of police A to see the referral status."""
    return consent_record(
        **consent_values(
            actor=cast.intake_p,
            person=referral.person,
            disclosing_agency=cast.provider_p,
            recipient_agency=cast.police_a,
            **{"recipient_roles": ["officer"], **overrides},
        )
    )


#: Words that show a provider's record of the person's treatment (beyond "Sent"): a referral's
#: status, a provider's work item, a placement.
PROGRESS_WORDS = (
    "engaged",
    "intake recorded",
    "accepted",
    "placed",
    "assessment done",
    "intake assessment",
    "scheduled",
    "completed",
    "disengaged",
)


def shows_progress(page: str) -> bool:
    """Whether a page shows the provider's treatment record, in any letter case (what the
    attacker typed, echoed back in a search box's value, does not count)."""
    text = re.sub(r'value="[^"]*"', "", page).lower()
    return any(word in text for word in PROGRESS_WORDS)


def snapshot() -> tuple[int, ...]:
    return (
        Person.objects.count(),
        Encounter.objects.count(),
        Referral.objects.count(),
        ReferralStatusChange.objects.count(),
        Case.objects.count(),
        Consent.objects.count(),
        Membership.objects.count(),
        AuditEvent.objects.writes().count(),
    )


# --- Cross-agency reads ---------------------------------------------------------------------------


@attack(group="cross-agency reads")
def test_another_police_agency_cannot_open_the_contact(cast: Any, engaged: Referral) -> None:
    url = reverse("encounters:detail", args=[engaged.encounter_id])
    assert cast.client_for(cast.officer_b).get(url).status_code == 404


@attack(group="cross-agency reads")
def test_another_provider_cannot_open_the_referral(cast: Any, engaged: Referral) -> None:
    url = reverse("referrals:detail", args=[engaged.pk])
    assert cast.client_for(cast.intake_q).get(url).status_code == 404


@attack(group="cross-agency reads")
def test_another_provider_cannot_read_the_consents(cast: Any, engaged: Referral) -> None:
    url = reverse("consent:referral_consents", args=[engaged.pk])
    assert cast.client_for(cast.intake_q).get(url).status_code == 404


@attack(group="cross-agency reads")
def test_another_agency_cannot_open_a_case(cast: Any) -> None:
    intervention_config(cast.program, charges="civil_citation")
    case = open_case(actor=cast.officer_a, agency=cast.police_a, case_agency=cast.provider_p)
    url = reverse("cases:detail", args=[case.pk])
    for user in (cast.officer_b, cast.intake_q):
        assert cast.client_for(user).get(url).status_code == 404


@attack(group="cross-agency reads")
def test_guessing_record_ids_finds_nothing(cast: Any) -> None:
    client = cast.client_for(cast.officer_b)
    for name, key in (
        ("encounters:detail", "encounter_id"),
        ("referrals:detail", "referral_id"),
        ("cases:detail", "case_id"),
    ):
        assert client.get(reverse(name, kwargs={key: uuid.uuid4()})).status_code == 404
    assert client.get("/encounters/1/").status_code == 404
    assert client.get("/referrals/../admin/").status_code == 404


@attack(group="cross-agency reads")
def test_another_agencys_contacts_are_not_in_the_list(cast: Any, engaged: Referral) -> None:
    page = cast.client_for(cast.officer_b).get(reverse("encounters:list")).content.decode()
    assert str(engaged.encounter_id) not in page
    assert engaged.person.last_name not in page


# --- Cross-agency writes --------------------------------------------------------------------------


@attack(group="cross-agency writes")
def test_another_provider_cannot_decide_the_referral(cast: Any, engaged: Referral) -> None:
    before = snapshot()
    url = reverse("referrals:act", args=[engaged.pk, "disengage"])
    response = cast.client_for(cast.intake_q).post(
        url, {"disengage-expected_status": engaged.status, "disengage-note": "x"}
    )
    assert response.status_code == 404
    assert snapshot() == before


@attack(group="cross-agency writes")
def test_another_provider_cannot_set_our_capacity(cast: Any) -> None:
    before = cast.detox_p.capacity_open
    response = cast.client_for(cast.intake_q).post(
        reverse("directory:capacity", args=[cast.detox_p.pk]), {"capacity_open": 0}
    )
    assert response.status_code == 404
    assert Service.objects.get(pk=cast.detox_p.pk).capacity_open == before


@attack(group="cross-agency writes")
def test_another_provider_cannot_record_or_revoke_a_consent(cast: Any, engaged: Referral) -> None:
    consent = consent_for(cast, engaged)
    before = snapshot()
    client = cast.client_for(cast.intake_q)
    assert client.post(reverse("consent:consent_new", args=[engaged.pk]), {}).status_code == 404
    revoke = reverse("consent:revoke", args=[engaged.pk, consent.pk])
    assert client.post(revoke, {"note": "x"}).status_code == 404
    assert snapshot() == before
    assert Consent.objects.get(pk=consent.pk).revoked_at is None


@attack(group="cross-agency writes")
def test_another_agency_cannot_work_a_case(cast: Any) -> None:
    intervention_config(cast.program, charges="civil_citation")
    case = open_case(actor=cast.officer_a, agency=cast.police_a, case_agency=cast.provider_p)
    before = snapshot()
    url = reverse("cases:act", args=[case.pk, "withdraw"])
    for user in (cast.officer_b, cast.intake_q):
        response = cast.client_for(user).post(
            url, {"withdraw-expected_status": case.status, "withdraw-reason": "x"}
        )
        assert response.status_code == 404
    assert snapshot() == before


# --- Consent bypass -------------------------------------------------------------------------------


@attack(group="consent bypass")
def test_without_consent_the_officer_sees_only_sent_on_every_page(
    cast: Any, engaged: Referral
) -> None:
    client = cast.client_for(cast.officer_a)
    for url in (
        reverse("encounters:detail", args=[engaged.encounter_id]),
        reverse("referrals:detail", args=[engaged.pk]),
        reverse("encounters:list"),
    ):
        page = client.get(url).content.decode()
        assert "Sent" in page, url
        assert not shows_progress(page), url


@attack(group="consent bypass")
def test_filters_sort_and_search_parameters_reveal_nothing(cast: Any, engaged: Referral) -> None:
    client = cast.client_for(cast.officer_a)
    plain = client.get(reverse("encounters:list")).content.decode()
    for params in (
        {"status": "engaged"},
        {"referrals__status": "engaged"},
        {"sort": "referrals__status"},
        {"ordering": "-status"},
        {"q": "engaged"},
        {"search": "status:engaged"},
    ):
        page = client.get(reverse("encounters:list"), params).content.decode()
        assert not shows_progress(page), params
        assert page.count('data-testid="referral-status"') == plain.count(
            'data-testid="referral-status"'
        )


@attack(group="consent bypass")
def test_htmx_fragments_and_partials_reveal_nothing(cast: Any, engaged: Referral) -> None:
    client = cast.client_for(cast.officer_a)
    page = client.get(reverse("encounters:list"), HTTP_HX_REQUEST="true").content.decode()
    assert not shows_progress(page)
    duplicates = client.get(
        reverse("people:duplicates"),
        {
            "first_name": engaged.person.first_name,
            "last_name": engaged.person.last_name,
            "date_of_birth": str(engaged.person.date_of_birth or ""),
        },
    ).content.decode()
    assert not shows_progress(duplicates)
    assert "treatment" not in duplicates.lower()


@attack(group="consent bypass")
def test_counts_on_the_outreach_and_list_pages_reveal_nothing(cast: Any, engaged: Referral) -> None:
    from pathways.followups.factories import OutreachListFactory
    from pathways.followups.services import outreach_entry_add

    team = cast.provider_p
    outreach_list = OutreachListFactory.create(program=cast.program, team=team)
    entry = outreach_entry_add(
        actor=cast.coordinator,
        outreach_list=outreach_list,
        person=engaged.person,
        reason="repeat_overdose",
    )
    entry.status = "in_treatment"
    entry.save(update_fields=["status"])
    outsider = member(cast.police_b, "officer", "outsider")
    page = cast.client_for(outsider).get(reverse("followups:outreach_lists")).content.decode()
    assert "In treatment" not in page and "in treatment" not in page
    assert "Reached" in page  # the count is there, merged so it reveals nothing


@attack(group="consent bypass")
def test_a_revoked_consent_discloses_nothing_at_the_next_request(
    cast: Any, engaged: Referral
) -> None:
    consent = consent_for(cast, engaged)
    client = cast.client_for(cast.officer_a)
    url = reverse("referrals:detail", args=[engaged.pk])
    assert shows_progress(client.get(url).content.decode())
    consent_revoke(actor=cast.intake_p, consent=consent, note="The person asked.")
    page = client.get(url).content.decode()
    assert not shows_progress(page)
    # the one refusal: the officer is not told that a consent existed, nor that it was revoked
    assert escape(NOT_SHARED) in page and "revoked" not in page.lower()


@attack(group="consent bypass")
def test_an_expired_consent_discloses_nothing(cast: Any, engaged: Referral) -> None:
    consent_for(cast, engaged)
    url = reverse("referrals:detail", args=[engaged.pk])
    later = clock.now() + dt.timedelta(days=400)
    client = cast.client_for(cast.officer_a)
    with clock.frozen(later):
        page = client.get(url).content.decode()
    assert not shows_progress(page)


@attack(group="consent bypass")
def test_a_consent_naming_another_agency_or_role_discloses_nothing(
    cast: Any, engaged: Referral
) -> None:
    consent_for(cast, engaged, recipient_roles=["supervisor"])
    url = reverse("referrals:detail", args=[engaged.pk])
    assert not shows_progress(cast.client_for(cast.officer_a).get(url).content.decode())
    officer_elsewhere = member(cast.police_b, "officer", "officer_elsewhere")
    assert cast.client_for(officer_elsewhere).get(url).status_code == 404
    assert Disclosure.objects.count() == 0


@attack(group="consent bypass")
def test_a_consent_for_another_category_discloses_nothing(cast: Any, engaged: Referral) -> None:
    consent_for(cast, engaged, categories=["diagnosis"])
    url = reverse("referrals:detail", args=[engaged.pk])
    page = cast.client_for(cast.officer_a).get(url).content.decode()
    assert not shows_progress(page)
    assert Disclosure.objects.count() == 0


# --- Mass assignment ------------------------------------------------------------------------------


def field_entry(cast: Any, **overrides: Any) -> dict[str, Any]:
    return field_entry_data(cast.detox_p, **overrides)


@attack(group="mass assignment")
def test_extra_fields_on_the_field_form_are_ignored(cast: Any) -> None:
    response = cast.client_for(cast.officer_a).post(
        NEW_URL,
        field_entry(
            cast,
            agency=str(cast.police_b.pk),
            responder=str(cast.officer_b.pk),
            program=str(uuid.uuid4()),
            status="completed",
            eligibility_outcome="eligible",
            is_archived="on",
        ),
    )
    assert response.status_code == 302
    encounter = Encounter.objects.get()
    assert (encounter.agency_id, encounter.responder_id) == (cast.police_a.pk, cast.officer_a.pk)
    assert Referral.objects.get().status == "sent"


@attack(group="mass assignment")
def test_extra_fields_on_a_referral_action_are_ignored(cast: Any, engaged: Referral) -> None:
    url = reverse("referrals:act", args=[engaged.pk, "complete"])
    response = cast.client_for(cast.intake_p).post(
        url,
        {
            "complete-expected_status": engaged.status,
            "complete-note": "Finished the program.",
            "complete-receiving_agency": str(cast.provider_q.pk),
            "receiving_agency": str(cast.provider_q.pk),
            "person": str(uuid.uuid4()),
        },
    )
    assert response.status_code == 302
    referral = Referral.objects.get(pk=engaged.pk)
    assert referral.receiving_agency_id == cast.provider_p.pk
    assert referral.person_id == engaged.person_id


# --- Privilege escalation -------------------------------------------------------------------------


@attack(group="privilege escalation")
def test_field_staff_reach_no_coordinator_page(cast: Any) -> None:
    client = cast.client_for(cast.officer_a)
    for name, kwargs in (
        ("audit:search", {}),
        ("programs:pathway_list", {}),
        ("programs:template_list", {}),
        ("programs:pathway_edit", {"code": "naloxone_plus"}),
        ("outcomes:dashboard", {}),
    ):
        assert client.get(reverse(name, kwargs=kwargs)).status_code == 403, name


@attack(group="privilege escalation")
def test_program_staff_cannot_reach_the_admin(cast: Any) -> None:
    before = snapshot()
    client = cast.client_for(cast.coordinator)
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    url = reverse("admin:accounts_user_change", args=[cast.coordinator.pk])
    client.post(url, {"is_superuser": "on", "is_staff": "on"})
    assert not User.objects.get(pk=cast.coordinator.pk).is_superuser
    assert snapshot() == before


@attack(group="privilege escalation")
def test_a_researcher_sees_no_records(cast: Any, engaged: Referral) -> None:
    client = cast.client_for(cast.researcher)
    for url in (
        reverse("encounters:detail", args=[engaged.encounter_id]),
        reverse("referrals:detail", args=[engaged.pk]),
        reverse("encounters:list"),
        reverse("consent:referral_consents", args=[engaged.pk]),
    ):
        assert client.get(url).status_code in (403, 404), url


@attack(group="privilege escalation")
def test_an_officer_cannot_act_as_the_provider(cast: Any, engaged: Referral) -> None:
    before = snapshot()
    url = reverse("referrals:act", args=[engaged.pk, "complete"])
    response = cast.client_for(cast.officer_a).post(
        url, {"complete-expected_status": engaged.status}
    )
    assert response.status_code == 403
    assert snapshot() == before


# --- Brute force ----------------------------------------------------------------------------------


@attack(group="brute force")
def test_password_guessing_is_paused_after_five(cast: Any) -> None:
    client = Client(REMOTE_ADDR="203.0.113.50")
    for _ in range(5):
        client.post(LOGIN, {"username": "officer_a", "password": "guess"})
    response = client.post(LOGIN, {"username": "officer_a", "password": TEST_PASSWORD})
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


@attack(group="brute force")
def test_one_address_cannot_lock_everyone_out(cast: Any) -> None:
    attacker = Client(REMOTE_ADDR="203.0.113.51")
    for name in ("officer_a", "intake_p", "coordinator"):
        for _ in range(5):
            attacker.post(LOGIN, {"username": name, "password": "guess"})
    for name in ("officer_a", "intake_p", "coordinator"):
        client = Client(REMOTE_ADDR="198.51.100.7")
        client.post(LOGIN, {"username": name, "password": TEST_PASSWORD})
        assert "_auth_user_id" in client.session, name


@attack(group="brute force")
def test_guessing_second_step_codes_is_paused_after_five(cast: Any) -> None:
    totp_device(cast.officer_a)
    client = Client()
    client.post(LOGIN, {"username": "officer_a", "password": TEST_PASSWORD})
    real = user_code(cast.officer_a)
    wrong = f"{(int(real) + 1) % 1_000_000:06d}"
    for _ in range(5):
        client.post(MFA, {"code": wrong})
    response = client.post(MFA, {"code": user_code(cast.officer_a)})
    assert response.status_code == 429
    assert client.get(reverse("encounters:list")).status_code == 302


# --- MFA skip and TOTP reuse ----------------------------------------------------------------------


@attack(group="MFA skip and TOTP reuse")
def test_a_password_alone_reaches_no_protected_page(cast: Any, engaged: Referral) -> None:
    totp_device(cast.officer_a)
    client = Client()
    client.post(LOGIN, {"username": "officer_a", "password": TEST_PASSWORD})
    assert "_auth_user_id" in client.session
    before = snapshot()
    for url in (
        reverse("encounters:list"),
        reverse("encounters:detail", args=[engaged.encounter_id]),
        reverse("referrals:detail", args=[engaged.pk]),
        reverse("encounters:start"),
    ):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(MFA), url
    response = client.post(NEW_URL, field_entry(cast))
    assert response.status_code == 302 and response["Location"].startswith(MFA)
    assert snapshot() == before


@attack(group="MFA skip and TOTP reuse")
def test_a_code_cannot_be_used_twice(cast: Any) -> None:
    device = totp_device(cast.officer_a)
    code = user_code(cast.officer_a)
    first = Client()
    first.post(LOGIN, {"username": "officer_a", "password": TEST_PASSWORD})
    assert first.post(MFA, {"code": code}).status_code == 302
    second = Client()
    second.post(LOGIN, {"username": "officer_a", "password": TEST_PASSWORD})
    replay = second.post(MFA, {"code": code})
    assert replay.status_code != 302 or replay["Location"].startswith(MFA)
    assert second.get(reverse("encounters:list")).status_code == 302
    assert device.pk


@attack(group="MFA skip and TOTP reuse")
def test_another_users_code_does_not_finish_sign_in(cast: Any) -> None:
    totp_device(cast.officer_a)
    client = Client()
    client.post(LOGIN, {"username": "officer_a", "password": TEST_PASSWORD})
    client.post(MFA, {"code": user_code(cast.officer_b)})
    assert client.get(reverse("encounters:list")).status_code == 302


# --- Idle timeout ---------------------------------------------------------------------------------


@attack(group="idle timeout")
def test_an_idle_session_is_signed_out(cast: Any) -> None:
    client = cast.client_for(cast.officer_a)
    session = client.session
    session["last_activity"] = int(time.time()) - 31 * 60
    session.save()
    response = client.get(reverse("encounters:list"))
    assert response.status_code == 302 and LOGIN in response["Location"]
    assert client.get(reverse("encounters:list")).status_code == 302


@attack(group="idle timeout")
def test_background_polling_does_not_keep_a_session_alive(cast: Any) -> None:
    client = cast.client_for(cast.officer_a)
    session = client.session
    session["last_activity"] = int(time.time()) - 29 * 60
    session.save()
    client.get(reverse("encounters:list"), HTTP_X_PATHWAYS_BACKGROUND="1")
    assert client.session["last_activity"] <= int(time.time()) - 29 * 60


# --- CSRF -----------------------------------------------------------------------------------------


@attack(group="CSRF")
def test_a_forged_field_submission_is_refused(cast: Any) -> None:
    client = verified_client(cast.officer_a, Client(enforce_csrf_checks=True))
    before = snapshot()
    response = client.post(NEW_URL, field_entry(cast))
    assert response.status_code == 403
    assert snapshot() == before


@attack(group="CSRF")
def test_a_forged_revocation_is_refused(cast: Any, engaged: Referral) -> None:
    consent = consent_for(cast, engaged)
    client = verified_client(cast.intake_p, Client(enforce_csrf_checks=True))
    response = client.post(reverse("consent:revoke", args=[engaged.pk, consent.pk]), {})
    assert response.status_code == 403
    assert Consent.objects.get(pk=consent.pk).revoked_at is None


# --- Open redirect --------------------------------------------------------------------------------


@attack(group="open redirect")
@pytest.mark.parametrize(
    "target",
    ["https://evil.example/", "//evil.example/", "/\\evil.example", "https:evil.example"],
)
def test_sign_in_never_sends_the_user_to_another_site(cast: Any, target: str) -> None:
    totp_device(cast.officer_a)
    client = Client()
    response = client.post(
        f"{LOGIN}?next={target}", {"username": "officer_a", "password": TEST_PASSWORD}
    )
    assert "evil.example" not in response.get("Location", "").split("?")[0]
    response = client.post(f"{MFA}?next={target}", {"code": user_code(cast.officer_a)})
    assert response.status_code == 302
    assert "evil.example" not in response["Location"]


# --- Stored XSS -----------------------------------------------------------------------------------

SCRIPT = '<script>alert("x")</script>'


@attack(group="stored XSS")
def test_script_in_free_text_is_shown_as_text(cast: Any) -> None:
    client = cast.client_for(cast.officer_a)
    response = client.post(NEW_URL, field_entry(cast, location_text=f"Elm St {SCRIPT}"))
    assert response.status_code == 302
    encounter = Encounter.objects.get()
    page = client.get(reverse("encounters:detail", args=[encounter.pk])).content.decode()
    assert SCRIPT not in page
    assert "&lt;script&gt;" in page


@attack(group="stored XSS")
def test_markup_in_a_name_is_shown_as_text_everywhere(cast: Any) -> None:
    client = cast.client_for(cast.officer_a)
    response = client.post(NEW_URL, field_entry(cast, last_name='O"Neil<img src=x onerror=1>'))
    if response.status_code == 302:
        for url in (reverse("encounters:list"), response["Location"]):
            page = client.get(url).content.decode()
            assert "<img src=x" not in page
    else:
        assert response.status_code == 422
        assert Person.objects.count() == 0


# --- SQL injection through sort and search --------------------------------------------------------

INJECTIONS = ["' OR 1=1 --", "status; DROP TABLE referrals_referral; --", "1') UNION SELECT 1--"]


@attack(group="SQL injection")
def test_injection_through_the_audit_search_matches_nothing(cast: Any, engaged: Referral) -> None:
    client = cast.client_for(cast.coordinator)
    for text in INJECTIONS:
        for field in ("actor", "event_type", "object_id", "sort", "order"):
            response = client.get(reverse("audit:search"), {field: text})
            assert response.status_code in (200, 422)
            if field in ("actor", "event_type", "object_id") and response.status_code == 200:
                assert "No event matches." in response.content.decode(), (field, text)
    assert Referral.objects.count() == 1


@attack(group="SQL injection")
def test_injection_through_the_duplicate_search_is_just_a_name(cast: Any) -> None:
    client = cast.client_for(cast.officer_a)
    for text in INJECTIONS:
        response = client.get(reverse("people:duplicates"), {"first_name": text, "last_name": text})
        assert response.status_code in (200, 422)
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM referrals_referral")
        assert cursor.fetchone() is not None


@attack(group="SQL injection")
def test_injection_through_report_filters_is_refused_or_just_a_value(cast: Any) -> None:
    from pathways.outcomes.testing import contact

    contact(cast, area="B1")
    client = cast.client_for(cast.coordinator)
    url = reverse("outcomes:report", kwargs={"slug": "equity"})  # it has every filter
    for text in INJECTIONS:
        for field in ("area", "pathway", "agency", "start", "compare", "reference"):
            response = client.get(url, {"start": "2026-01-01", "end": "2026-12-31", field: text})
            assert response.status_code == 400, (field, text)  # not a choice: refused
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM encounters_encounter")
        assert cursor.fetchone() == (1,)


@attack(group="cross-agency reads")
def test_another_programs_office_cannot_read_this_programs_report_figures(cast: Any) -> None:
    from pathways.accounts.factories import AgencyFactory
    from pathways.outcomes.testing import contact
    from pathways.programs.factories import ProgramFactory, enable_all_pathways

    for _ in range(15):
        contact(cast)
    other = ProgramFactory.create(name="Elsewhere County Program")
    enable_all_pathways(other)
    office = AgencyFactory.create(program=other, name="Elsewhere Office", kind="program_office")
    outsider = member(office, "coordinator", "elsewhere_coordinator")
    client = verified_client(outsider)
    url = reverse("outcomes:report", kwargs={"slug": "funnel"})
    agency = str(cast.police_a.pk)  # this program's agency, named in the other's filter
    response = client.get(url, {"start": "2026-01-01", "end": "2026-12-31", "agency": agency})
    assert response.status_code == 400
    page = client.get(url, {"start": "2026-01-01", "end": "2026-12-31"})
    row = next(r for r in page.context["report"].sections[0].table.rows if r.key == "all")
    assert row.values[0].number == 0


# --- CSV injection --------------------------------------------------------------------------------


@attack(group="CSV injection")
def test_formulas_in_usernames_are_neutralised_in_the_export(cast: Any) -> None:
    for name in ("=HYPERLINK(1)", "+SUM(1)", "-1+1", "@cmd", "\t=1", " =trimmed"):
        sly = member(cast.police_b, "officer", name.strip() if name.startswith(" ") else name)
        sly.username = name
        sly.save(update_fields=["username"])
        EncounterFactory.create(program=cast.program, agency=cast.police_b, responder=sly)
        AuditEvent.objects.create(
            actor=sly, event_type="auth.login", object_type="user", object_id=str(sly.pk)
        )
    response = cast.client_for(cast.coordinator).get(reverse("audit:search"), {"format": "csv"})
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    for row in rows[1:]:
        for cell in row:
            assert not cell.strip().startswith(("=", "+", "@", "\t", "\r", "|", "%")), cell
            assert not (cell.startswith("-") and len(cell) > 1), cell


# --- Oversized and malformed input ----------------------------------------------------------------


@attack(group="oversized and malformed input")
def test_an_oversized_field_entry_is_refused_and_saves_nothing(cast: Any) -> None:
    before = snapshot()
    response = cast.client_for(cast.officer_a).post(
        NEW_URL, field_entry(cast, notes="x" * 200_000, last_name="y" * 5000)
    )
    assert response.status_code in (400, 413, 422)
    assert snapshot() == before


@attack(group="oversized and malformed input")
def test_malformed_values_are_refused_and_save_nothing(cast: Any) -> None:
    before = snapshot()
    client = cast.client_for(cast.officer_a)
    for bad in (
        {"date_of_birth": "1990-02-30"},
        {"service": "not-a-uuid"},
        {"idempotency_key": "'; DROP TABLE x"},
        {"presenting_needs": ["no_such_need"]},
        {"disposition": "x" * 500},
    ):
        response = client.post(NEW_URL, field_entry(cast, **bad))
        assert response.status_code == 422, bad
    assert snapshot() == before


@attack(group="oversized and malformed input")
def test_a_huge_request_body_is_refused(cast: Any) -> None:
    client = cast.client_for(cast.officer_a)
    response = client.post(
        NEW_URL,
        data=b"a=" + b"x" * (11 * 1024 * 1024),
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code in (400, 413)
    assert Encounter.objects.count() == 0


# --- Unicode and NUL in names ---------------------------------------------------------------------


@attack(group="Unicode and NUL")
def test_nul_in_a_name_is_a_clear_refusal(cast: Any) -> None:
    before = snapshot()
    client = cast.client_for(cast.officer_a)
    response = client.post(NEW_URL, field_entry(cast, last_name="Whit\x00field"))
    assert response.status_code in (400, 422)
    assert snapshot() == before
    assert client.get(reverse("encounters:list") + "?q=%00").status_code == 400


@attack(group="Unicode and NUL")
def test_invisible_and_direction_characters_in_names_are_refused(cast: Any) -> None:
    before = snapshot()
    client = cast.client_for(cast.officer_a)
    for name in ("Whit\u202efield", "Whit\u200bfield", "Whit\x1bfield"):
        response = client.post(NEW_URL, field_entry(cast, last_name=name))
        assert response.status_code == 422, repr(name)
    assert snapshot() == before


@attack(group="Unicode and NUL")
def test_real_names_in_any_script_are_kept_exactly(cast: Any) -> None:
    client = cast.client_for(cast.officer_a)
    for last in ("Nguyễn", "李", "Ōtsuka-Ñúñez"):
        response = client.post(NEW_URL, field_entry(cast, last_name=last, person_choice="new"))
        assert response.status_code == 302, last
    assert set(Person.objects.values_list("last_name", flat=True)) == {
        "Nguyễn",
        "李",
        "Ōtsuka-Ñúñez",
    }


# --- Duplicate and concurrent submissions ---------------------------------------------------------


@attack(group="duplicate submissions")
def test_a_replayed_submission_creates_one_record(cast: Any) -> None:
    client = cast.client_for(cast.officer_a)
    data = field_entry(cast)
    responses = [client.post(NEW_URL, data) for _ in range(3)]
    assert {r.status_code for r in responses} == {302}
    assert Encounter.objects.count() == 1 and Referral.objects.count() == 1


@attack(group="duplicate submissions")
def test_a_replayed_key_with_a_changed_body_is_refused(cast: Any) -> None:
    client = cast.client_for(cast.officer_a)
    data = field_entry(cast)
    client.post(NEW_URL, data)
    before = snapshot()
    response = client.post(NEW_URL, {**data, "notes": "something else"})
    assert response.status_code == 409
    assert snapshot() == before


@attack(group="duplicate submissions")
def test_another_officer_cannot_claim_a_submission_by_its_key(cast: Any) -> None:
    data = field_entry(cast)
    first = cast.client_for(cast.officer_a).post(NEW_URL, data)
    other = cast.client_for(cast.supervisor_a).post(NEW_URL, {**data, "person_choice": "new"})
    assert other.status_code == 302
    assert other["Location"] != first["Location"]  # their own contact, never officer A's


# --- Audit tampering ------------------------------------------------------------------------------


@attack(group="audit tampering")
def test_the_application_cannot_change_or_delete_an_audit_event(cast: Any) -> None:
    cast.client_for(cast.officer_a).post(NEW_URL, field_entry(cast))
    event = AuditEvent.objects.filter(event_type="encounter.create").get()
    event.event_type = "nothing.happened"
    with pytest.raises(Exception):  # noqa: B017 - the model refuses; on PostgreSQL the database too
        event.save()
    with pytest.raises(Exception):  # noqa: B017
        event.delete()
    assert AuditEvent.objects.filter(pk=event.pk, event_type="encounter.create").exists()


@attack(group="audit tampering")
def test_bulk_and_raw_changes_to_audit_rows_are_refused(cast: Any) -> None:
    """Through the ORM in bulk (any database) and, on PostgreSQL, in raw SQL: the database
    itself refuses."""
    from django.db import DatabaseError, transaction

    cast.client_for(cast.officer_a).post(NEW_URL, field_entry(cast))
    with pytest.raises(PermissionError):
        AuditEvent.objects.filter(event_type="encounter.create").update(event_type="x")
    with pytest.raises(PermissionError):
        AuditEvent.objects.all().delete()
    if connection.vendor == "postgresql":
        for sql in (
            "UPDATE audit_auditevent SET event_type = 'x'",
            "DELETE FROM audit_auditevent",
        ):
            with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as c:
                c.execute(sql)
    assert AuditEvent.objects.filter(event_type="encounter.create").count() == 1


@attack(group="audit tampering")
def test_no_one_can_edit_the_audit_log_in_the_admin(cast: Any) -> None:
    from pathways.accounts.factories import UserFactory

    root = UserFactory.create(username="root", is_staff=True, is_superuser=True)
    client = verified_client(root)
    cast.client_for(cast.officer_a).post(NEW_URL, field_entry(cast))
    event = AuditEvent.objects.filter(event_type="encounter.create").get()
    change = reverse("admin:audit_auditevent_change", args=[event.pk])
    client.post(change, {"event_type": "x"})
    client.post(reverse("admin:audit_auditevent_delete", args=[event.pk]), {"post": "yes"})
    assert AuditEvent.objects.filter(pk=event.pk, event_type="encounter.create").exists()
