"""The work items a contact's page lists (selectors.work_items_of_contact): a viewer sees the
items of their own agency and of the program office; a provider's items, their notes and
visits, only under the person's consent (consent.selectors.may_disclose). A met placement says
so without naming the provider or that it accepted."""

from __future__ import annotations

import base64
import datetime as dt
import io
from typing import Any

import pytest
from django.urls import reverse
from PIL import Image, ImageDraw

from pathways.accounts.models import Agency
from pathways.consent.factories import consent_values
from pathways.consent.models import Disclosure
from pathways.consent.services import consent_record
from pathways.core import clock
from pathways.encounters.factories import EncounterFactory
from pathways.followups.factories import WorkItemFactory
from pathways.followups.models import WorkItem, WorkKind
from pathways.followups.selectors import work_items_of_contact
from pathways.followups.services import (
    PLACEMENT_MET_NOTE,
    placement_meet,
    work_item_open,
    work_items_disclosures_record,
)
from pathways.referrals.factories import make_referral

NOW = dt.datetime(2026, 11, 20, 18, 0, tzinfo=dt.UTC)


def drawn_signature() -> str:
    """A PNG data URL of a stroke drawn on the signature pad."""
    image = Image.new("RGBA", (300, 100), (255, 255, 255, 0))
    ImageDraw.Draw(image).line([(20, 70), (120, 30), (280, 60)], fill=(0, 0, 0, 255), width=4)
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


@pytest.fixture
def contact(cast: Any) -> Any:
    """An officer's contact with the provider's intake assessment done, a referral answered
    by the provider, the officer's own placement target, a program office item and another
    police department's item."""
    with clock.frozen(NOW):
        encounter = EncounterFactory.create(agency=cast.police_a, responder=cast.officer_a)
        office = Agency.objects.get(program=cast.program, kind="program_office")
        items = {
            "intake": WorkItemFactory.create(
                team=cast.provider_p,
                kind=WorkKind.INTAKE_DUE,
                title="Intake assessment for a diversion on Nov 20",
                encounter=encounter,
                person=encounter.person,
                completed_at=NOW,
                outcome_note="Assessment done.",
            ),
            "response": WorkItemFactory.create(
                team=cast.provider_p,
                kind=WorkKind.REFERRAL_RESPONSE,
                title="Respond to an officer prevention referral sent Nov 20",
                encounter=encounter,
                person=encounter.person,
                completed_at=NOW,
                outcome_note="Accepted",
            ),
            "placement": work_item_open(
                actor=cast.officer_a,
                program=cast.program,
                team=cast.police_a,
                kind=WorkKind.PLACEMENT,
                title="Treatment placement for a request for help on Nov 20",
                due_at=NOW + dt.timedelta(hours=24),
                person=encounter.person,
                encounter=encounter,
            ),
            "office": WorkItemFactory.create(
                team=office,
                kind=WorkKind.COMPLETION_DUE,
                title="Program completion review",
                encounter=encounter,
                person=encounter.person,
            ),
            "other": WorkItemFactory.create(
                team=cast.police_b,
                kind=WorkKind.OVERDOSE_FOLLOWUP,
                title="Southside follow-up",
                encounter=encounter,
                person=encounter.person,
            ),
        }
        referral = make_referral(actor=cast.officer_a, encounter=encounter, service=cast.detox_p)
        placement_meet(actor=cast.intake_p, referral=referral)
    return encounter, items


def kinds(items: list[WorkItem]) -> set[str]:
    return {i.title for i in items}


def test_the_officer_sees_own_and_program_office_items_but_not_the_providers(
    cast: Any, contact: Any
) -> None:
    encounter, items = contact
    shown = work_items_of_contact(encounter=encounter, viewer=cast.officer_a)
    assert kinds(shown) == {items["placement"].title, items["office"].title}
    placement = next(i for i in shown if i.kind == WorkKind.PLACEMENT)
    assert placement.outcome_note == PLACEMENT_MET_NOTE
    assert "Harbor" not in placement.outcome_note and "accepted" not in placement.outcome_note


def test_the_provider_and_the_program_office_see_the_providers_items(
    cast: Any, contact: Any
) -> None:
    encounter, items = contact
    provider_sees = kinds(work_items_of_contact(encounter=encounter, viewer=cast.intake_p))
    assert {items["intake"].title, items["response"].title} <= provider_sees
    assert items["other"].title not in provider_sees
    assert len(work_items_of_contact(encounter=encounter, viewer=cast.coordinator)) == len(items)


def test_with_the_persons_consent_the_officer_sees_what_it_covers_and_it_is_accounted(
    cast: Any, contact: Any
) -> None:
    encounter, items = contact
    with clock.frozen(NOW):
        consent_record(
            **consent_values(
                actor=cast.intake_p,
                person=encounter.person,
                disclosing_agency=cast.provider_p,
                recipient_agency=cast.police_a,
                categories=["referral_status"],
                signature_image=drawn_signature(),
            )
        )
        shown = work_items_of_contact(encounter=encounter, viewer=cast.officer_a)
        # the referral's answer is covered; the assessment is not
        assert items["response"].title in kinds(shown)
        assert items["intake"].title not in kinds(shown)
        assert Disclosure.objects.count() == 0  # the selector records nothing
        assert work_items_disclosures_record(viewer=cast.officer_a, items=shown) == 1
    disclosure = Disclosure.objects.get()
    assert disclosure.recipient_user == cast.officer_a
    assert disclosure.categories == ["referral_status"]


def test_the_contact_page_accounts_for_what_it_shows_under_consent(cast: Any, contact: Any) -> None:
    encounter, items = contact
    with clock.frozen(NOW):
        consent_record(
            **consent_values(
                actor=cast.intake_p,
                person=encounter.person,
                disclosing_agency=cast.provider_p,
                recipient_agency=cast.police_a,
                categories=["assessment"],
                signature_image=drawn_signature(),
            )
        )
    page = (
        cast.client_for(cast.officer_a)
        .get(reverse("encounters:detail", args=[encounter.pk]))
        .content.decode()
    )
    assert items["intake"].get_kind_display() in page
    disclosure = Disclosure.objects.get(categories=["assessment"], recipient_user=cast.officer_a)
    assert disclosure.person_id == encounter.person_id


def test_the_officers_contact_page_shows_no_provider_work_item(cast: Any, contact: Any) -> None:
    encounter, _ = contact
    page = (
        cast.client_for(cast.officer_a)
        .get(reverse("encounters:detail", args=[encounter.pk]))
        .content.decode()
    )
    assert "Intake assessment due" not in page
    assert "Assessment done." not in page
    assert "Referral response" not in page
    assert "referral accepted by" not in page
    assert PLACEMENT_MET_NOTE in page


def test_an_old_placement_note_naming_the_provider_is_shown_neutral(cast: Any) -> None:
    encounter = EncounterFactory.create(agency=cast.police_a, responder=cast.officer_a)
    WorkItemFactory.create(
        team=cast.police_a,
        kind=WorkKind.PLACEMENT,
        encounter=encounter,
        person=encounter.person,
        completed_at=NOW,
        outcome_note="Placed: referral accepted by Harbor Test Recovery",
    )
    (shown,) = work_items_of_contact(encounter=encounter, viewer=cast.officer_a)
    assert shown.outcome_note == PLACEMENT_MET_NOTE
    stored = WorkItem.objects.get(pk=shown.pk)
    assert stored.outcome_note.startswith("Placed: referral accepted by")  # not rewritten
