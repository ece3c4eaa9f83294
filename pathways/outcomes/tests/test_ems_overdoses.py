"""EMS-reported overdoses count as repeat overdoses of the person record linkage puts them
with (issue 21), on hand-built records whose right answers are worked out here."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pathways.core import clock
from pathways.linkage.models import ClusterMember
from pathways.linkage.thresholds import LOOSE, MAIN, STRICT
from pathways.outcomes import extract
from pathways.outcomes.reports import recurrence
from pathways.outcomes.reports.recurrence import DIVERTED
from pathways.outcomes.testing import (
    T0,
    contact,
    ems_overdose,
    link_ems,
    person,
    report_filters,
)
from pathways.people.models import Person

DAY = dt.timedelta(days=1)
HOUR = dt.timedelta(hours=1)
#: The index contact is more than 365 days before: everyone is followed the whole year.
AS_OF = T0 + 500 * DAY
#: One person, followed 365 days, with no event.
NO_EVENT = [(365.0, 0, 1)]


def rows(cast: Any, threshold: str = MAIN, **options: Any) -> dict[Any, Any]:
    with extract.connect() as db:
        return recurrence.recurrence_counts(
            db, report_filters(cast), AS_OF, threshold=threshold, **options
        ).rows


def diverted(cast: Any) -> Person:
    """A person referred (offered services instead of arrest) at T0: their index contact."""
    someone = person()
    contact(cast, who=someone, disposition="referred")
    return someone


def test_a_linked_ems_overdose_20_days_later_is_a_repeat_overdose(cast: Any) -> None:
    someone = diverted(cast)
    ems_overdose(cast, at=T0 + 20 * DAY, linked_to=someone)
    extract.refresh()
    main = rows(cast)
    # one person, their overdose on day 20 (20 days exactly: ceil gives 20)
    assert main[(DIVERTED, "overdose")] == [(20.0, 1, 0)]
    # an EMS report is not a contact with the program
    assert main[(DIVERTED, "contact")] == NO_EVENT
    # the stored columns and recounting from the events agree
    assert rows(cast, recompute=True) == main
    assert rows(cast, force_grouped=True) == main


def test_an_ems_overdose_not_in_a_cluster_with_the_person_does_not_count(cast: Any) -> None:
    diverted(cast)
    ems_overdose(cast, at=T0 + 20 * DAY)  # imported, but linkage put it with nobody
    extract.refresh()
    assert rows(cast)[(DIVERTED, "overdose")] == NO_EVENT
    assert rows(cast, recompute=True)[(DIVERTED, "overdose")] == NO_EVENT


def test_an_ems_overdose_at_the_hour_of_the_index_contact_is_not_its_repeat(cast: Any) -> None:
    someone = diverted(cast)
    # EMS's report of the overdose the contact itself answered, 20 minutes after it
    ems_overdose(cast, at=T0 + dt.timedelta(minutes=20), linked_to=someone)
    extract.refresh()
    assert rows(cast)[(DIVERTED, "overdose")] == NO_EVENT
    assert rows(cast, recompute=True)[(DIVERTED, "overdose")] == NO_EVENT
    for threshold in (STRICT, LOOSE):
        assert rows(cast, threshold)[(DIVERTED, "overdose")] == NO_EVENT


def test_the_earlier_of_a_naloxone_contact_and_an_ems_overdose_is_the_next(cast: Any) -> None:
    someone = diverted(cast)
    # a Naloxone Plus contact on day 50 and EMS's report of it half an hour later (the same
    # overdose), then an EMS overdose on day 30 before both: day 30 is the next one
    contact(cast, who=someone, at=T0 + 50 * DAY, pathway="naloxone_plus", disposition="referred")
    ems_overdose(cast, at=T0 + 50 * DAY + HOUR / 2, linked_to=someone)
    extract.refresh()
    assert rows(cast)[(DIVERTED, "overdose")] == [(50.0, 1, 0)]
    ems_overdose(cast, at=T0 + 30 * DAY - HOUR, linked_to=someone)  # 29 days 23 hours: day 30
    extract.refresh(full=True)
    main = rows(cast)
    assert main[(DIVERTED, "overdose")] == [(30.0, 1, 0)]
    assert main[(DIVERTED, "contact")] == [(50.0, 1, 0)]
    assert rows(cast, recompute=True) == main
    with extract.connect() as db:
        # the report of the Naloxone Plus contact is not counted (one overdose, not two)
        counted = db.execute("SELECT counted FROM ems_facts ORDER BY occurred_at").fetchall()
    assert counted == [(True,), (False,)]


def test_at_the_stricter_threshold_an_unclustered_ems_record_does_not_count(cast: Any) -> None:
    someone = diverted(cast)
    # the model puts the report with the person at the main and the looser threshold only
    ems_overdose(cast, at=T0 + 20 * DAY, linked_to=someone, thresholds=(MAIN, LOOSE))
    extract.refresh()
    assert rows(cast)[(DIVERTED, "overdose")] == [(20.0, 1, 0)]
    assert rows(cast, LOOSE)[(DIVERTED, "overdose")] == [(20.0, 1, 0)]
    assert rows(cast, STRICT)[(DIVERTED, "overdose")] == NO_EVENT


def test_an_incremental_refresh_sees_an_ems_report_linked_and_unlinked(cast: Any) -> None:
    now = clock.now()
    with clock.frozen(now - 2 * HOUR):
        someone = diverted(cast)
        report = ems_overdose(cast, at=T0 + 20 * DAY)
    with clock.frozen(now - HOUR):
        assert extract.refresh(full=True).full
        assert rows(cast)[(DIVERTED, "overdose")] == NO_EVENT
    # a linkage run now puts the report with the person: only cluster rows change
    ems_overdose(cast, at=T0 + 400 * DAY)  # unrelated to anyone
    link_ems(cast, report, someone)
    result = extract.refresh()
    assert not result.full
    assert result.rows["ems_overdoses"] == 1
    assert rows(cast)[(DIVERTED, "overdose")] == [(20.0, 1, 0)]
    # and a later run takes it away again
    ClusterMember.objects.filter(record_key=f"ems:{report.pk}").delete()
    assert not extract.refresh().full
    assert rows(cast)[(DIVERTED, "overdose")] == NO_EVENT


def test_the_report_counts_and_explains_ems_overdoses(cast: Any) -> None:
    someone = diverted(cast)
    ems_overdose(cast, at=T0 + 20 * DAY, linked_to=someone)
    extract.refresh()
    with extract.connect() as db:
        report = recurrence.build(db, report_filters(cast), as_of=AS_OF, suppress_small=False)
    assert any("EMS patient care reports" in line for line in report.method)
    section = next(s for s in report.sections if s.heading == "Repeat overdose")
    assert "EMS reports" in (section.intro or "")
