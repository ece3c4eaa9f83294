"""The research extract page: a checked ZIP for researchers and the program office, audited;
bad choices and failed checks refused."""

from __future__ import annotations

import io
import zipfile
from typing import Any

from django.urls import reverse

from pathways.audit.models import AuditEvent
from pathways.outcomes import research
from pathways.outcomes.testing import contact, person

URL = reverse("outcomes:research")


def test_researcher_downloads_a_checked_extract(cast: Any) -> None:
    who = person(first_name="Ozymandias", last_name="Featherstonehaugh")
    contact(cast, who=who, steps=[("accepted", 2), ("engaged", 20)])
    client = cast.client_for(cast.researcher)
    assert "Safe Harbor" in client.get(URL).content.decode()
    response = client.post(URL, {"dates": "year"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    files = zipfile.ZipFile(io.BytesIO(response.content))
    assert {"people.csv", "encounters.csv", "referrals.csv", "data_dictionary.csv"} <= set(
        files.namelist()
    )
    everything = b"".join(files.read(name) for name in files.namelist())
    assert b"Featherstonehaugh" not in everything
    assert str(who.pk).encode() not in everything
    event = AuditEvent.objects.get(event_type="research.export")
    assert event.actor == cast.researcher
    assert event.changes["dates"] == [None, "year"]


def test_an_unknown_date_treatment_is_refused(cast: Any) -> None:
    client = cast.client_for(cast.researcher)
    before = AuditEvent.objects.count()
    response = client.post(URL, {"dates": "exact"})
    assert response.status_code == 400
    assert "Choose how dates are treated" in response.content.decode()
    assert AuditEvent.objects.count() == before


def test_an_extract_that_fails_the_check_is_not_offered(cast: Any, monkeypatch: Any) -> None:
    contact(cast, steps=[("accepted", 2)])
    real = research.build_extract

    def leaky(*args: Any, **kwargs: Any) -> research.ResearchExtract:
        extract = real(*args, **kwargs)
        extract.tables["people"][0]["sex"] = "call 555-867-5309"
        return extract

    monkeypatch.setattr(research, "build_extract", leaky)
    client = cast.client_for(cast.researcher)
    response = client.post(URL, {"dates": "year"})
    assert response.status_code == 409
    html = response.content.decode()
    assert "failed the check and was not offered" in html
    assert "867-5309" not in html  # the problem is named, its value never shown
    assert response["Content-Type"].startswith("text/html")
    assert AuditEvent.objects.filter(event_type="research.refused").count() == 1
    assert not AuditEvent.objects.filter(event_type="research.export").exists()


def test_field_staff_cannot_reach_it(cast: Any) -> None:
    assert cast.client_for(cast.officer_a).post(URL, {"dates": "year"}).status_code == 403
