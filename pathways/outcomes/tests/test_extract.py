"""The analytics extract: an incremental refresh gives what a full rebuild gives, readers are
never disturbed by a refresh, and nothing personal or encrypted is copied."""

from __future__ import annotations

import datetime as dt
from io import StringIO
from pathlib import Path
from typing import Any

import duckdb
from django.core.management import call_command
from django.test import override_settings

from pathways.core import clock
from pathways.outcomes import extract
from pathways.outcomes.testing import T0, arrest, contact, person
from pathways.referrals.models import Referral, ReferralStatusChange


def _facts() -> dict[str, list[tuple[Any, ...]]]:
    with extract.connect() as db:
        return {
            view: sorted(db.execute(f"SELECT * FROM {view}").fetchall(), key=str)  # noqa: S608
            for view in (
                "encounter_facts",
                "referral_facts",
                "open_referral_facts",
                "answer_days",
                "person_facts",
            )
        }


def test_an_incremental_refresh_equals_a_full_rebuild(cast: Any) -> None:
    now = clock.now()
    with clock.frozen(now - dt.timedelta(hours=2)):
        kept = contact(cast, steps=[("accepted", 2)])
        moved = contact(cast, who=person(races=["white"], ethnicity="not_hispanic"))
    with clock.frozen(now - dt.timedelta(hours=1)):
        gone = contact(cast)
    assert extract.refresh().full
    # changes after the first refresh: a new contact with a referral, a status change on an old
    # referral, an archived contact, a person's recorded race
    contact(cast, pathway="self_referral", steps=[("accepted", 1), ("engaged", 5)])
    referral = Referral.objects.get(encounter=kept)
    ReferralStatusChange.objects.create(
        referral=referral,
        from_status="accepted",
        to_status="engaged",
        changed_at=T0 + dt.timedelta(hours=9),
    )
    referral.status = "engaged"
    referral.save()
    gone.archived_at = clock.now()
    gone.archive_reason = "Entered twice"
    gone.save()
    moved.person.races = ["black"]
    moved.person.save()
    # an imported arrest of the first contact's person: their contacts' facts change too
    arrest(cast, who=kept.person, at=T0 + dt.timedelta(days=5))

    result = extract.refresh()
    assert not result.full
    assert result.rows["arrests"] == 1
    # only the rows changed since the last refresh (less the overlap) were read again: the new
    # contact, the archived one and the contact of the person whose record changed (it carries
    # their age band), not the other one from two hours before
    assert result.rows["encounters"] == 3
    incremental = _facts()
    # the referral accepted before the first refresh and engaged since is no longer open
    assert str(referral.pk) not in {str(r[0]) for r in incremental["open_referral_facts"]}
    extract.refresh(full=True)
    assert incremental == _facts()
    with extract.connect() as db:
        assert db.execute("SELECT count(*) FROM encounter_facts").fetchone() == (3,)
        engaged = db.execute(
            "SELECT engaged_at FROM referral_facts WHERE referral_id = $id",
            {"id": str(referral.pk)},
        ).fetchone()
    assert engaged is not None and engaged[0] is not None
    with extract.connect() as db:
        rearrest = db.execute(
            "SELECT next_arrest_at FROM encounter_facts WHERE encounter_id = $id",
            {"id": str(kept.pk)},
        ).fetchone()
    assert rearrest == (T0.replace(tzinfo=None) + dt.timedelta(days=5),)


def test_a_reader_keeps_its_view_while_a_refresh_swaps_the_file(cast: Any) -> None:
    contact(cast)
    extract.refresh()
    with extract.connect() as before:
        contact(cast)
        extract.refresh()
        assert before.execute("SELECT count(*) FROM encounters").fetchone() == (1,)
    with extract.connect() as after:
        assert after.execute("SELECT count(*) FROM encounters").fetchone() == (2,)


def test_an_old_schema_is_rebuilt(cast: Any) -> None:
    contact(cast)
    extract.refresh()
    db = duckdb.connect(str(extract.path()))
    db.execute("UPDATE meta SET value = 'old' WHERE key = 'schema'")
    db.close()
    assert extract.refresh().full


def test_nothing_personal_or_encrypted_is_copied(cast: Any) -> None:
    who = person(first_name="Zebulon", last_name="Quackenbush")
    encounter = contact(cast, who=who, steps=[("accepted", 1)])
    encounter.notes = "Talked about the sister in Toledo"
    encounter.location_text = "Behind the Larkspur laundromat"
    encounter.save()
    extract.refresh()
    data = Path(extract.path()).read_bytes()
    for secret in ("Zebulon", "Quackenbush", "Toledo", "Larkspur"):
        assert secret.encode() not in data
    with extract.connect() as db:
        columns = {
            row[0]
            for row in db.execute("SELECT column_name FROM information_schema.columns").fetchall()
        }
    assert not columns & {"first_name", "last_name", "notes", "location_text", "latitude"}


def test_pages_refresh_only_when_the_extract_is_old(cast: Any) -> None:
    contact(cast)
    with override_settings(PATHWAYS_ANALYTICS_MAX_AGE=300):
        first = extract.ensure_fresh()
        contact(cast)
        assert extract.ensure_fresh() == first  # still fresh: not refreshed
        with clock.frozen(first + dt.timedelta(minutes=6)):
            assert extract.ensure_fresh() > first
    with extract.connect() as db:
        assert db.execute("SELECT count(*) FROM encounters").fetchone() == (2,)


def test_refresh_command(cast: Any) -> None:
    contact(cast, steps=[("accepted", 1)])
    out = StringIO()
    call_command("refresh_analytics", "--full", stdout=out)
    assert "Rebuilt the analytics extract" in out.getvalue()
    call_command("refresh_analytics", stdout=out)
    assert "Refreshed the analytics extract" in out.getvalue()


def test_small_answers_are_read_once_per_extract_file(cast: Any) -> None:
    """Report pages read the refresh time and the area choices without opening the extract
    again until a refresh swaps a new file in."""
    assert extract.remembered("contacts", lambda db: 1) is None  # no extract yet
    contact(cast, area="Beat 1")
    extract.refresh()
    reads: list[int] = []

    def read(db: duckdb.DuckDBPyConnection) -> int:
        reads.append(1)
        row = db.execute("SELECT count(*) FROM encounters").fetchone()
        return int(row[0]) if row else 0

    assert extract.remembered("contacts", read) == 1
    assert extract.remembered("contacts", read) == 1
    assert len(reads) == 1
    taken = extract.refreshed_at()
    contact(cast, area="Beat 2")
    extract.refresh()
    assert extract.remembered("contacts", read) == 2
    assert len(reads) == 2
    later = extract.refreshed_at()
    assert taken is not None and later is not None and later > taken
    from pathways.outcomes.selectors import report_areas

    assert report_areas(program=cast.program) == ["Beat 1", "Beat 2"]


def test_the_index_condition_on_stored_flags_picks_the_index_dispositions(cast: Any) -> None:
    """The outcomes report finds possible index contacts by their stored flags
    (INDEX_CONTACT): exactly the contacts whose disposition is one of INDEX_DISPOSITIONS."""
    from pathways.encounters.models import Disposition

    for disposition in Disposition.values:
        contact(cast, disposition=disposition)
    extract.refresh()
    with extract.connect() as db:
        picked = db.execute(
            f"SELECT disposition FROM encounter_facts WHERE {extract.INDEX_CONTACT}"  # noqa: S608
        ).fetchall()
    assert sorted(d for (d,) in picked) == sorted(extract.INDEX_DISPOSITIONS)


def test_the_extract_is_readable_by_the_app_user_only(cast: Any, tmp_path: Path) -> None:
    """The extract holds every contact's groups and treatment timeline: the file is 0600 in a
    0700 folder, also when the folder was made before, more open, and after a refresh swaps a
    new file in."""
    import os
    import stat

    folder = tmp_path / "analytics"
    folder.mkdir(mode=0o755)
    folder.chmod(0o755)
    contact(cast, steps=[("accepted", 1)])
    with override_settings(PATHWAYS_ANALYTICS_DIR=str(folder)):
        for full in (True, False):
            extract.refresh(full=full)
            assert stat.S_IMODE(os.stat(folder).st_mode) == 0o700
            assert stat.S_IMODE(os.stat(extract.path()).st_mode) == 0o600
            for left in folder.iterdir():  # the lock file, nothing else readable either
                assert stat.S_IMODE(os.stat(left).st_mode) & 0o077 == 0, left.name


def test_no_date_of_birth_or_zip_code_is_kept_only_age_bands(cast: Any) -> None:
    """The reports group people by age band at the contact: that is what the extract keeps,
    never the date of birth (or the ZIP code, which no report uses)."""
    who = person(date_of_birth=dt.date(1987, 6, 19), postal_code="47401")
    encounter = contact(cast, who=who)  # T0 is 2 March 2026: 38 years old
    arrest(cast, who=who, at=T0 + dt.timedelta(days=3))
    arrest(cast, at=T0, date_of_birth=dt.date(2009, 3, 3))  # unlinked, its own: 16 at T0
    extract.refresh()
    data = Path(extract.path()).read_bytes()
    for secret in (b"1987-06-19", b"47401", b"2009-03-03"):
        assert secret not in data
    with extract.connect() as db:
        columns = {
            row[0]
            for row in db.execute("SELECT column_name FROM information_schema.columns").fetchall()
        }
        assert not columns & {"date_of_birth", "postal_code", "zip", "birth_year"}
        assert db.execute(
            "SELECT age_band FROM encounter_facts WHERE encounter_id = $id",
            {"id": str(encounter.pk)},
        ).fetchone() == ("36-45",)
        assert sorted(db.execute("SELECT age_band FROM arrest_facts").fetchall()) == [
            ("36-45",),
            ("under 18",),
        ]
    # a corrected date of birth reaches the contact's band at the next (incremental) refresh
    who.date_of_birth = dt.date(2000, 3, 3)  # 25 on T0
    who.save()
    assert not extract.refresh().full
    with extract.connect() as db:
        assert db.execute(
            "SELECT age_band FROM encounter_facts WHERE encounter_id = $id",
            {"id": str(encounter.pk)},
        ).fetchone() == ("18-25",)
