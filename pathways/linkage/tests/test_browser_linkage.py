"""In Debian's Chromium: the coordinator runs the record linkage, reviews a pair side by side
with each field's weight, decides it is not the same person, sees the decision kept, and undoes
it. Screenshots go to $PATHWAYS_SCREENSHOTS (default: screenshots/)."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Browser, expect

from pathways.accounts.browser import DESKTOP, PHONE, open_as, shoot, watch
from pathways.imports.tests.helpers import run_jobs_at_once
from pathways.linkage.models import CandidatePair, ClusterMember, LinkDecision, PairStatus
from pathways.linkage.tests.linkage_helpers import people_from_generator

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
expect.set_options(timeout=30_000)


@pytest.fixture(autouse=True)
def _runs_at_once(settings: Any, tmp_path: Any) -> None:
    run_jobs_at_once(settings, tmp_path)


def test_run_review_a_pair_decide_and_undo(cast: Any, live_server: Any, browser: Browser) -> None:
    people_from_generator(cast.police_a, 250, seed=21)
    base = live_server.url
    page = open_as(browser, base, "coordinator", PHONE, at=None)
    problems = watch(page)
    page.goto(f"{base}/program/records/linkage/")
    expect(page.get_by_role("heading", name="Record linkage", exact=True)).to_be_visible()
    page.get_by_role("button", name="Start a linkage run").click()
    expect(page.get_by_test_id("run-progress")).to_have_attribute("data-status", "done")
    expect(page.get_by_test_id("run-done")).to_contain_text("linked automatically")
    shoot(page, "linkage-run-done")

    assert CandidatePair.objects.filter(status=PairStatus.OPEN).exists(), "nothing to review"
    page.goto(f"{base}/program/records/linkage/review/")
    queue = page.get_by_test_id("review-queue")
    expect(queue).to_be_visible()
    shoot(page, "linkage-review-queue")
    queue.get_by_role("link", name="Review pair 1").click()
    expect(page.get_by_role("heading", name="Are these the same person?")).to_be_visible()
    expect(page.get_by_test_id("pair-weights")).to_contain_text("Date of birth")
    expect(page.get_by_test_id("pair-records")).to_contain_text("Person in Pathways")
    shoot(page, "linkage-pair")
    page.get_by_role("button", name="Not the same person").click()
    expect(page.get_by_text("Decision recorded; the clusters are rebuilt.")).to_be_visible()
    decision = LinkDecision.objects.get()
    assert decision.same is False and decision.decided_by == cast.coordinator

    # a person's linked records: the automatic link between two of them is undone there
    # an automatic link still holding two records together (the decision above may have cut
    # the weakest links around its own pair)
    clusters = dict(ClusterMember.objects.values_list("record_key", "cluster_key"))
    auto = next(
        pair
        for pair in CandidatePair.objects.filter(status=PairStatus.AUTO).order_by("probability")
        if pair.left_key in clusters and clusters[pair.left_key] == clusters.get(pair.right_key)
    )
    page.goto(f"{base}/program/records/linkage/records/{auto.left_key}/")
    expect(page.get_by_role("heading", name="Linked records")).to_be_visible()
    records = page.get_by_test_id("cluster-records")
    expect(records.locator(".usa-summary-box")).to_have_count(
        ClusterMember.objects.filter(
            cluster_key=ClusterMember.objects.get(record_key=auto.left_key).cluster_key
        ).count()
    )
    shoot(page, "linkage-cluster")
    link = page.get_by_test_id("cluster-links").locator(
        "li", has=page.locator(f'form[action$="/pairs/{auto.pk}/"]')
    )
    link.get_by_role("button").click()
    expect(page.get_by_text("Decision recorded; the clusters are rebuilt.")).to_be_visible()
    assert CandidatePair.objects.get(pk=auto.pk).status == PairStatus.NOT_SAME
    members = dict(
        ClusterMember.objects.filter(record_key__in=(auto.left_key, auto.right_key)).values_list(
            "record_key", "cluster_key"
        )
    )
    assert len(members) < 2 or len(set(members.values())) == 2

    page.set_viewport_size(DESKTOP)
    page.goto(f"{base}/program/records/linkage/")
    decisions = page.get_by_test_id("decisions")
    expect(decisions).to_contain_text("Not the same person, by coordinator")
    decisions.get_by_role("button", name="Undo this decision").first.click()
    expect(page.get_by_text("Decision undone; the model decides the pair again.")).to_be_visible()
    assert LinkDecision.objects.filter(undone_at__isnull=False).count() == 1
    assert problems == []
