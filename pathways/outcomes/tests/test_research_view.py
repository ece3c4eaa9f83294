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


def _study_ids(response: Any) -> dict[str, str]:
    """The people's study ids in an extract ZIP, by sex (one person of each in the test)."""
    import csv

    files = zipfile.ZipFile(io.BytesIO(response.content))
    rows = list(csv.DictReader(io.StringIO(files.read("people.csv").decode("utf-8-sig"))))
    return {row["sex"]: row["study_id"] for row in rows}


def test_every_extract_has_its_own_pseudonyms(cast: Any) -> None:
    """A years-only and a shifted-dates extract joined by study id would pin each person's
    date shift (the shifted date against the true year): the same person has other pseudonyms
    in every extract, of either kind and of the same kind made again. The date shift stays the
    same from one shifted extract to the next (it cannot be averaged away)."""
    import csv

    contact(cast, who=person(sex="female"), steps=[("accepted", 2)])
    contact(cast, who=person(sex="male"))
    client = cast.client_for(cast.researcher)
    year = client.post(URL, {"dates": "year"})
    shifted = client.post(URL, {"dates": "shift"})
    shifted_again = client.post(URL, {"dates": "shift"})
    year_again = client.post(URL, {"dates": "year"})
    extracts = [_study_ids(r) for r in (year, shifted, shifted_again, year_again)]
    for sex in ("female", "male"):
        ids = [e[sex] for e in extracts]
        assert len(set(ids)) == len(ids), ids

    def shifted_dates(response: Any) -> set[str]:
        files = zipfile.ZipFile(io.BytesIO(response.content))
        rows = csv.DictReader(io.StringIO(files.read("encounters.csv").decode("utf-8-sig")))
        return {row["contact_date_shifted"] for row in rows}

    assert shifted_dates(shifted) == shifted_dates(shifted_again)
    readme = zipfile.ZipFile(io.BytesIO(year.content)).read("README.txt").decode()
    assert "cannot be joined" in readme
