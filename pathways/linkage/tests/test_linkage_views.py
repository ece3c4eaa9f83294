"""The program office's linkage pages through the test client: start a run, follow it,
review a pair side by side, decide, a stale or bad decision refused with nothing changed."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from pathways.accounts.testing import verified_client
from pathways.audit.models import AuditEvent
from pathways.imports.tests.helpers import run_jobs_at_once
from pathways.linkage.models import CandidatePair, LinkageRun, LinkDecision, PairStatus
from pathways.linkage.tests.linkage_helpers import people_from_generator

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _runs_at_once(settings: Any, tmp_path: Any) -> None:
    run_jobs_at_once(settings, tmp_path)


def test_run_review_decide_and_refusals(cast: Any, django_capture_on_commit_callbacks: Any) -> None:
    people_from_generator(cast.police_a, 200, seed=5)
    client = verified_client(cast.coordinator)
    page = client.get(reverse("linkage:linkage"))
    assert page.status_code == 200
    assert b"Not trained yet" in page.content
    with django_capture_on_commit_callbacks(execute=True):
        started = client.post(reverse("linkage:linkage_start"))
    run = LinkageRun.objects.get()
    assert started.status_code == 302 and started["Location"] == reverse(
        "linkage:run", kwargs={"run_id": run.pk}
    )
    shown = client.get(started["Location"])
    assert b'data-status="done"' in shown.content
    partial = client.get(started["Location"], headers={"HX-Request": "true"})
    assert partial.content.strip().startswith(b'<div id="run-progress"')

    pair = CandidatePair.objects.filter(status=PairStatus.OPEN).first() or (
        CandidatePair.objects.order_by("probability").first()
    )
    assert pair is not None
    if pair.status == PairStatus.OPEN:
        assert reverse("linkage:pair", kwargs={"pair_id": pair.pk}).encode() in (
            client.get(reverse("linkage:review")).content
        )
    url = reverse("linkage:pair", kwargs={"pair_id": pair.pk})
    detail = client.get(url)
    assert detail.status_code == 200 and b"What agrees" in detail.content
    assert AuditEvent.objects.filter(
        event_type__endswith="candidatepair", object_id=str(pair.pk)
    ).exists()

    # a decision that is neither button is refused, nothing saved
    bad = client.post(url, {"decision": "maybe", "expected": pair.status}, follow=True)
    assert "Choose “Same person” or “Not the same person”." in bad.content.decode()
    assert not LinkDecision.objects.exists()
    # decided; then the same page posted again (stale) is a conflict, nothing more saved
    done = client.post(url, {"decision": "not_same", "expected": pair.status})
    assert done.status_code == 302
    assert CandidatePair.objects.get(pk=pair.pk).status == PairStatus.NOT_SAME
    stale = client.post(url, {"decision": "same", "expected": pair.status})
    assert stale.status_code == 409
    assert LinkDecision.objects.count() == 1
    # undone from the linkage page
    decision = LinkDecision.objects.get()
    client.post(reverse("linkage:undo", kwargs={"decision_id": decision.pk}))
    assert LinkDecision.objects.get().undone_at is not None
    assert CandidatePair.objects.get(pk=pair.pk).status in (PairStatus.OPEN, PairStatus.AUTO)


def test_a_second_run_while_one_waits_is_refused_clearly(cast: Any) -> None:
    client = verified_client(cast.coordinator)
    client.post(reverse("linkage:linkage_start"))  # queued, never run (no commit here)
    again = client.post(reverse("linkage:linkage_start"), follow=True)
    assert "already under way" in again.content.decode()
    assert LinkageRun.objects.count() == 1


def test_the_pages_of_another_program_are_not_found(cast: Any) -> None:
    from pathways.accounts.factories import AgencyFactory, member
    from pathways.programs.factories import ProgramFactory

    client = verified_client(cast.coordinator)
    client.post(reverse("linkage:linkage_start"))
    run = LinkageRun.objects.get()
    office = AgencyFactory.create(
        program=ProgramFactory.create(name="Other County"), kind="program_office"
    )
    elsewhere = verified_client(member(office, "coordinator", "coord.elsewhere"))
    assert elsewhere.get(reverse("linkage:run", kwargs={"run_id": run.pk})).status_code == 404


def test_another_programs_pairs_and_people_are_not_found_and_nothing_changes(
    cast: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from pathways.accounts.factories import AgencyFactory, member
    from pathways.programs.factories import ProgramFactory

    people_from_generator(cast.police_a, 150, seed=8)
    client = verified_client(cast.coordinator)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("linkage:linkage_start"))
    pair = CandidatePair.objects.order_by("-probability").first()
    assert pair is not None
    office = AgencyFactory.create(
        program=ProgramFactory.create(name="Other County"), kind="program_office"
    )
    elsewhere = verified_client(member(office, "coordinator", "coord.elsewhere"))
    url = reverse("linkage:pair", kwargs={"pair_id": pair.pk})
    assert elsewhere.get(url).status_code == 404
    posted = elsewhere.post(url, {"decision": "not_same", "expected": pair.status})
    assert posted.status_code == 404
    cluster = reverse("linkage:cluster", kwargs={"key": pair.left_key})
    assert elsewhere.get(cluster).status_code == 404
    assert client.get(cluster).status_code == 200
    # a malformed key is not found either (never a database error)
    bad = reverse("linkage:cluster", kwargs={"key": "person:' OR 1=1 --"})
    assert client.get(bad).status_code == 404
    assert not LinkDecision.objects.exists()
    assert CandidatePair.objects.get(pk=pair.pk).status == pair.status
