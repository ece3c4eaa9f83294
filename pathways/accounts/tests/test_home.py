"""Issue 18: each role lands on the page it works from (the prosecutor and the case manager
once landed on the program dashboard)."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse


@pytest.mark.parametrize(
    ("who", "page"),
    [
        ("officer_a", "encounters:start"),
        ("intake_p", "referrals:queue"),
        ("case_manager_p", "cases:list"),
        ("prosecutor", "cases:review_queue"),
        ("researcher", "outcomes:report_index"),
        ("coordinator", "outcomes:dashboard"),
    ],
)
def test_each_role_lands_on_its_own_page(cast: Any, who: str, page: str) -> None:
    response = cast.client_for(getattr(cast, who)).get(reverse("home"))
    assert response.status_code == 302
    assert response.url == reverse(page)
