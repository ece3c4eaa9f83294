"""The de-identified research extract: what it holds, what it never holds, and the checker that
refuses an extract with any Safe Harbor identifier in it."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import hmac
import io
import uuid
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pathways.accounts.factories import AgencyFactory, member
from pathways.core import clock
from pathways.encounters.factories import EncounterFactory
from pathways.encounters.models import Encounter
from pathways.outcomes import research
from pathways.outcomes.research import (
    DATA_DICTIONARY,
    ColumnType,
    ExtractRefused,
    KnownIdentifiers,
    ProblemKind,
    ResearchExtract,
    Row,
    build_extract,
    check_extract,
    columns_for,
    export_or_refuse,
    identifier_column_reason,
    identifier_kinds_in,
    identifiers_for,
)
from pathways.people.factories import PersonFactory
from pathways.people.models import ExternalIdentifier, Person, PersonAlias
from pathways.programs.factories import ProgramFactory
from pathways.programs.models import Pathway
from pathways.referrals import services
from pathways.referrals.factories import make_referral
from pathways.referrals.models import Referral

KEY = b"research-extract-test-key-32-by!"
OTHER_KEY = b"another-research-extract-key-32!"
NOW = dt.datetime(2025, 6, 15, 17, 0, tzinfo=dt.UTC)


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC)


@dataclass
class World:
    cast: Any
    zenobia: Person  # 95 years old, ZIP 03601, two contacts 10 days apart, a full referral
    bart: Person  # ZIP 47401, Hispanic, one contact, one declined referral
    cordelia: Person  # no birth date, no ZIP, two races, contact on New Year's Eve (local)
    archived_person: Person
    outsider: Person  # another program's person
    z1: Encounter
    z2: Encounter
    b1: Encounter
    c1: Encounter
    archived_encounter: Encounter
    z_referral: Referral
    b_referral: Referral
    archived_referral: Referral
    secrets: list[str]  # text that must never be in the extract

    @property
    def program(self) -> Any:
        return self.cast.program


def _archive(obj: Any) -> None:
    obj.archived_at = clock.now()
    obj.archive_reason = "entered in error"
    obj.save(update_fields=["archived_at", "archive_reason"])


@pytest.fixture
def world(cast: Any) -> World:
    outreach = Pathway.objects.get(code="active_outreach")

    def contact(person: Person, when: str, **kwargs: Any) -> Encounter:
        with clock.frozen(at(when)):
            return EncounterFactory.create(
                agency=cast.police_a,
                responder=cast.officer_a,
                person=person,
                occurred_at=at(when),
                **kwargs,
            )

    with clock.frozen(at("2025-01-01T00:00:00")):
        zenobia = PersonFactory.create(
            first_name="Zenobia",
            last_name="Featherstonehaugh",
            date_of_birth=dt.date(1930, 2, 3),
            sex="female",
            races=["white"],
            ethnicity="not_hispanic",
            postal_code="03601",
        )
        bart = PersonFactory.create(
            first_name="Bartholomew",
            last_name="Quiggley",
            date_of_birth=dt.date(1988, 4, 12),
            sex="male",
            races=["white"],
            ethnicity="hispanic",
            postal_code="47401",
        )
        cordelia = PersonFactory.create(
            first_name="Cordelia",
            last_name="Thistlewood",
            date_of_birth=None,
            races=["black", "asian"],
            postal_code="",
        )
        archived_person = PersonFactory.create(
            first_name="Archibald", last_name="Vanishington", postal_code="47402"
        )
        ExternalIdentifier.objects.create(
            person=zenobia, system="rms", assigning_agency=cast.police_a, value="RMS-2024-778812"
        )
        ExternalIdentifier.objects.create(person=bart, system="hmis", value="HMIS9981234")
        PersonAlias.objects.create(person=bart, first_name="Bartie", last_name="Quigsby")

    z1 = contact(
        zenobia,
        "2025-03-01T16:00:00",
        notes="Kitchen fire at her flat, neighbour Mrs Oldcastle called",
        location_text="12 Elm Street",
        latitude="39.165300",
        longitude="-86.526400",
    )
    z2 = contact(zenobia, "2025-03-11T16:00:00", pathway=outreach, notes="Follow-up visit")
    b1 = contact(
        bart,
        "2025-05-20T14:00:00",
        presenting_needs=["substance_use", "housing"],
        call_source="dispatched",
        notes="Sister's number 812-555-0199",
    )
    c1 = contact(cordelia, "2025-01-01T05:30:00")  # 2024-12-31 23:30 in Chicago
    archived_encounter = contact(bart, "2025-05-25T14:00:00", notes="Duplicate entry")
    contact(archived_person, "2025-04-01T14:00:00")

    with clock.frozen(at("2025-03-01T16:30:00")):
        z_referral = make_referral(actor=cast.officer_a, encounter=z1, service=cast.detox_p)
    with clock.frozen(at("2025-03-03T15:00:00")):
        services.referral_accept(actor=cast.intake_p, referral=z_referral)
    with clock.frozen(at("2025-03-06T15:00:00")):
        services.referral_record_intake(
            actor=cast.intake_p, referral=z_referral, intake_at=at("2025-03-06T15:00:00")
        )
    with clock.frozen(at("2025-03-31T15:00:00")):
        services.referral_complete(actor=cast.case_manager_p, referral=z_referral)
    with clock.frozen(at("2025-05-20T14:30:00")):
        b_referral = make_referral(actor=cast.officer_a, encounter=b1, service=cast.crisis_q)
        archived_referral = make_referral(actor=cast.officer_a, encounter=b1, service=cast.detox_p)
    with clock.frozen(at("2025-05-21T15:00:00")):
        services.referral_decline(
            actor=cast.intake_q,
            referral=b_referral,
            reason="no_capacity",
            note="Told Bartholomew to call back at 812-555-0123",
        )

    with clock.frozen(at("2025-06-01T12:00:00")):
        _archive(archived_encounter)
        _archive(archived_referral)
        _archive(archived_person)

    other_program = ProgramFactory.create(name="Elsewhere County Program")
    other_agency = AgencyFactory.create(program=other_program, name="Elsewhere Police")
    outsider = PersonFactory.create(first_name="Otto", last_name="Outlander")
    EncounterFactory.create(
        agency=other_agency,
        responder=member(other_agency, "officer", "officer_elsewhere"),
        person=outsider,
        occurred_at=at("2025-02-02T12:00:00"),
    )

    secrets = [
        "Zenobia",
        "Featherstonehaugh",
        "Bartholomew",
        "Quiggley",
        "Bartie",
        "Quigsby",
        "Cordelia",
        "Thistlewood",
        "Archibald",
        "Vanishington",
        "Otto",
        "Outlander",
        "1930-02-03",
        "02/03/1930",
        "1988-04-12",
        "04/12/1988",
        "03601",
        "47401",
        "RMS-2024-778812",
        "778812",
        "HMIS9981234",
        "Kitchen fire",
        "Oldcastle",
        "Follow-up visit",
        "812-555-0199",
        "812-555-0123",
        "Duplicate entry",
        "12 Elm Street",
        "Main St & 3rd Ave",
        "39.1653",
        "86.5264",
        "Northside Police",
        "Harbor Detox",
        "Harbor Test Recovery",
        "Lakeside",
        "officer_a",
        "intake_p",
    ]
    for model in (Person, Encounter, Referral):
        for pk in model.objects.values_list("id", flat=True):
            secrets += [str(pk), pk.hex]
    return World(
        cast=cast,
        zenobia=zenobia,
        bart=bart,
        cordelia=cordelia,
        archived_person=archived_person,
        outsider=outsider,
        z1=z1,
        z2=z2,
        b1=b1,
        c1=c1,
        archived_encounter=archived_encounter,
        z_referral=z_referral,
        b_referral=b_referral,
        archived_referral=archived_referral,
        secrets=secrets,
    )


def extract_of(world: World, dates: str = "year", key: bytes = KEY) -> ResearchExtract:
    with clock.frozen(NOW):
        return build_extract(world.program, dates=dates, key=key)


def sid(person: Person, key: bytes = KEY) -> str:
    return research.pseudonym(key, "people", person.pk)


def eid(encounter: Encounter, key: bytes = KEY) -> str:
    return research.pseudonym(key, "encounters", encounter.pk)


def rid(referral: Referral, key: bytes = KEY) -> str:
    return research.pseudonym(key, "referrals", referral.pk)


def person_row(extract: ResearchExtract, person: Person) -> Row:
    (row,) = [r for r in extract.tables["people"] if r["study_id"] == sid(person)]
    return row


def unzip(data: bytes) -> dict[str, str]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name).decode("utf-8") for name in archive.namelist()}


def read_csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


# --- The extract ------------------------------------------------------------------------------


@pytest.mark.parametrize("dates", ["year", "shift"])
def test_tables_have_exactly_the_dictionary_columns(world: World, dates: str) -> None:
    extract = extract_of(world, dates)
    assert list(extract.tables) == ["people", "encounters", "referrals"]
    for table, rows in extract.tables.items():
        assert rows
        expected = columns_for(table, dates)
        assert all(list(row) == expected for row in rows), table
    files = unzip(extract.to_zip())
    assert set(files) == {
        "people.csv",
        "encounters.csv",
        "referrals.csv",
        "data_dictionary.csv",
        "README.txt",
    }
    for table in extract.tables:
        header = next(csv.reader(io.StringIO(files[f"{table}.csv"])))
        assert header == columns_for(table, dates)
    described = [(r["table"], r["column"]) for r in read_csv(files["data_dictionary.csv"])]
    assert described == [(t, c) for t in DATA_DICTIONARY for c in columns_for(t, dates)]
    assert all(r["type"] and r["description"] for r in read_csv(files["data_dictionary.csv"]))


@pytest.mark.parametrize("dates", ["year", "shift"])
def test_no_identifier_appears_anywhere_in_the_zip(world: World, dates: str) -> None:
    data = extract_of(world, dates).to_zip()
    texts = [*unzip(data).values(), data.decode("latin-1")]
    for text in texts:
        lowered = text.casefold()
        leaked = [s for s in world.secrets if s.casefold() in lowered]
        assert not leaked


def test_only_the_programs_non_archived_records(world: World) -> None:
    extract = extract_of(world)
    assert sorted(str(r["study_id"]) for r in extract.tables["people"]) == sorted(
        sid(p) for p in (world.zenobia, world.bart, world.cordelia)
    )
    assert sorted(str(r["study_encounter_id"]) for r in extract.tables["encounters"]) == sorted(
        eid(e) for e in (world.z1, world.z2, world.b1, world.c1)
    )
    assert sorted(str(r["study_referral_id"]) for r in extract.tables["referrals"]) == sorted(
        rid(r) for r in (world.z_referral, world.b_referral)
    )


def test_people_rows(world: World) -> None:
    extract = extract_of(world)
    zenobia = person_row(extract, world.zenobia)
    assert zenobia == {
        "study_id": sid(world.zenobia),
        "sex": "female",
        "race_ethnicity": "White",
        "birth_year": "90 or older",
        "age_band_first_contact": "90 or older",
        "zip3": "000",
    }
    bart = person_row(extract, world.bart)
    assert bart["race_ethnicity"] == "Hispanic or Latino"
    assert bart["birth_year"] == 1988
    assert bart["age_band_first_contact"] == "36-45"
    assert bart["zip3"] == "474"
    cordelia = person_row(extract, world.cordelia)
    assert cordelia["race_ethnicity"] == "Two or more races"
    assert cordelia["birth_year"] is None
    assert cordelia["age_band_first_contact"] == ""
    assert cordelia["zip3"] == ""


def test_study_ids_are_pseudonyms_not_keys(world: World) -> None:
    extract = extract_of(world)
    study_id = sid(world.zenobia)
    assert study_id.startswith("P") and len(study_id) == 13
    assert not any(c.isdigit() for c in study_id)
    assert str(world.zenobia.pk) not in study_id and world.zenobia.pk.hex not in study_id
    # the pseudonym spells the HMAC's first 12 hex digits
    digest = hmac.new(KEY, f"people:{world.zenobia.pk}".encode(), hashlib.sha256).hexdigest()
    assert study_id[1:] == "".join(research.PSEUDONYM_LETTERS[int(c, 16)] for c in digest[:12])
    assert person_row(extract, world.zenobia)["study_id"] == study_id


def test_encounters_in_year_mode_have_years_only(world: World) -> None:
    extract = extract_of(world)
    rows = {r["study_encounter_id"]: r for r in extract.tables["encounters"]}
    z1 = rows[eid(world.z1)]
    assert z1 == {
        "study_encounter_id": eid(world.z1),
        "study_id": sid(world.zenobia),
        "pathway": "officer_prevention",
        "agency_kind": "law_enforcement",
        "call_source": "on_view",
        "presenting_needs": "mental_health",
        "disposition": "referred",
        "eligibility_outcome": "",
        "contact_year": 2025,
    }
    assert rows[eid(world.z2)]["pathway"] == "active_outreach"
    assert rows[eid(world.b1)]["presenting_needs"] == "housing;substance_use"
    assert rows[eid(world.c1)]["contact_year"] == 2024  # the program's local date
    for name, text in unzip(extract.to_zip()).items():
        if name.endswith(".csv") and name != "data_dictionary.csv":
            assert not research._has_full_date(text), name


def test_referral_rows_give_intervals_in_days(world: World) -> None:
    for dates in ("year", "shift"):
        extract = extract_of(world, dates)
        rows = {r["study_referral_id"]: r for r in extract.tables["referrals"]}
        assert rows[rid(world.z_referral)] == {
            "study_referral_id": rid(world.z_referral),
            "study_encounter_id": eid(world.z1),
            "study_id": sid(world.zenobia),
            "service_type": "detox",
            "warm_handoff": "true",
            "final_status": "completed",
            "decline_reason": "",
            "days_contact_to_accept": 2,
            "days_contact_to_intake": 5,
            "days_contact_to_end": 30,
        }
        declined = rows[rid(world.b_referral)]
        assert declined["final_status"] == "declined"
        assert declined["decline_reason"] == "no_capacity"
        assert declined["service_type"] == "mh_crisis"
        assert declined["days_contact_to_accept"] is None
        assert declined["days_contact_to_intake"] is None
        assert declined["days_contact_to_end"] == 1


def test_shift_mode_keeps_each_persons_intervals(world: World) -> None:
    extract = extract_of(world, "shift")
    rows = {r["study_encounter_id"]: r for r in extract.tables["encounters"]}
    assert all("contact_year" not in r for r in rows.values())

    def shifted(encounter: Encounter) -> dt.date:
        return dt.date.fromisoformat(str(rows[eid(encounter)]["contact_date_shifted"]))

    assert (shifted(world.z2) - shifted(world.z1)).days == 10
    offset = research.shift_days(KEY, world.zenobia.pk)
    assert offset != 0 and -180 <= offset <= 180
    assert shifted(world.z1) - dt.date(2025, 3, 1) == dt.timedelta(days=offset)
    assert shifted(world.z2) - dt.date(2025, 3, 11) == dt.timedelta(days=offset)
    c_offset = research.shift_days(KEY, world.cordelia.pk)
    assert shifted(world.c1) - dt.date(2024, 12, 31) == dt.timedelta(days=c_offset)
    assert extract_of(world, "shift").tables == extract.tables  # deterministic
    readme = unzip(extract.to_zip())["README.txt"]
    assert "SHIFTED" in readme and "expert determination" in readme
    assert "NOT part of the Safe Harbor" in readme


@given(st.uuids(), st.binary(min_size=16, max_size=64))
@settings(max_examples=200, deadline=None)
def test_shift_offsets_are_within_180_days_and_never_zero(person: uuid.UUID, key: bytes) -> None:
    offset = research.shift_days(key, person)
    assert offset != 0 and -180 <= offset <= 180
    assert offset == research.shift_days(key, person)


def test_the_same_key_gives_the_same_pseudonyms_another_key_others(world: World) -> None:
    first = extract_of(world)
    assert extract_of(world).tables == first.tables
    other = extract_of(world, key=OTHER_KEY)
    ids = {str(r["study_id"]) for r in first.tables["people"]}
    other_ids = {str(r["study_id"]) for r in other.tables["people"]}
    assert ids.isdisjoint(other_ids) and len(other_ids) == 3
    first_enc = {str(r["study_encounter_id"]) for r in first.tables["encounters"]}
    other_enc = {str(r["study_encounter_id"]) for r in other.tables["encounters"]}
    assert first_enc.isdisjoint(other_enc)


def test_year_is_the_default_and_bad_arguments_are_refused(world: World) -> None:
    with clock.frozen(NOW):
        assert build_extract(world.program, key=KEY).dates == "year"
        with pytest.raises(ValueError, match="dates"):
            build_extract(world.program, dates="month", key=KEY)
        with pytest.raises(ValueError, match="key"):
            build_extract(world.program, key=b"short")


def test_readme_states_the_method(world: World) -> None:
    readme = unzip(extract_of(world).to_zip())["README.txt"]
    for phrase in ("Safe Harbor", "164.514(b)(2)", "REMOVED", "only the year", "000", "SMALL"):
        assert phrase in readme


# --- The checker ------------------------------------------------------------------------------


@pytest.mark.parametrize("dates", ["year", "shift"])
def test_a_clean_extract_passes_with_zero_problems(world: World, dates: str) -> None:
    extract = extract_of(world, dates)
    assert check_extract(extract, known_identifiers=identifiers_for(world.program)) == []
    with clock.frozen(NOW):
        offered = export_or_refuse(world.program, dates=dates, key=KEY)
    assert offered.tables == extract.tables


def test_identifiers_for_collects_keys_names_aliases_and_other_systems(world: World) -> None:
    known = identifiers_for(world.program)
    for pk in (world.zenobia.pk, world.archived_person.pk, world.archived_encounter.pk):
        assert known.has_database_key(str(pk))
    assert not known.has_database_key(str(world.outsider.pk))
    for text in ("Zenobia", "quigsby", "Vanishington", "Bartie"):
        assert known.names.found_in(text)
    assert not known.names.found_in("Outlander")
    assert known.external_values.found_in("rms-2024-778812")
    assert known.external_values.found_in("seen as HMIS9981234 before")
    assert "Zenobia" not in repr(known) and "778812" not in repr(known)


Plant = Callable[[ResearchExtract, World], object]


def _first(table: str, column: str, value: Any) -> Plant:
    def plant(extract: ResearchExtract, world: World) -> object:
        extract.tables[table][0][column] = value
        return value

    return plant


def _extra_column(extract: ResearchExtract, world: World) -> object:
    for row in extract.tables["people"]:
        row["phone"] = ""
    return "phone"


def _in_row_of(person: str, column: str, value: Callable[[World], Any]) -> Plant:
    def plant(extract: ResearchExtract, world: World) -> object:
        target = sid(getattr(world, person))
        planted = value(world)
        (row,) = [r for r in extract.tables["people"] if r["study_id"] == target]
        row[column] = planted
        return planted

    return plant


PLANTS: list[tuple[str, Plant, ProblemKind]] = [
    ("phone column", _extra_column, ProblemKind.IDENTIFIER_COLUMN),
    ("ssn dashed", _first("encounters", "eligibility_outcome", "123-45-6789"), ProblemKind.SSN),
    ("ssn 9 digits", _first("referrals", "decline_reason", "123456789"), ProblemKind.SSN),
    ("phone number", _first("referrals", "decline_reason", "(812) 555-0199"), ProblemKind.PHONE),
    ("email", _first("referrals", "decline_reason", "dana.w@example.org"), ProblemKind.EMAIL),
    ("url", _first("people", "race_ethnicity", "https://example.org/p/1"), ProblemKind.URL),
    ("ip", _first("encounters", "call_source", "10.20.30.40"), ProblemKind.IP_ADDRESS),
    ("iso date", _first("encounters", "contact_year", "2025-03-01"), ProblemKind.FULL_DATE),
    ("us date", _first("encounters", "disposition", "03/01/2025"), ProblemKind.FULL_DATE),
    ("zip5", _first("people", "zip3", "47401"), ProblemKind.ZIP_CODE),
    ("zip+4", _first("referrals", "decline_reason", "47401-1234"), ProblemKind.ZIP_CODE),
    ("restricted zip3", _first("people", "zip3", "036"), ProblemKind.RESTRICTED_ZIP3),
    (
        "birth year over 89",
        _in_row_of("zenobia", "birth_year", lambda w: 1930),
        ProblemKind.AGE_OVER_89,
    ),
    ("age 95", _first("people", "age_band_first_contact", "95"), ProblemKind.AGE_OVER_89),
    (
        "person uuid as study id",
        _in_row_of("zenobia", "study_id", lambda w: str(w.zenobia.pk)),
        ProblemKind.DATABASE_KEY,
    ),
    (
        "uuid hex in a study id",
        _in_row_of("bart", "study_id", lambda w: "P" + w.bart.pk.hex),
        ProblemKind.DATABASE_KEY,
    ),
    (
        "external identifier",
        _in_row_of("bart", "study_id", lambda w: "RMS-2024-778812"),
        ProblemKind.EXTERNAL_IDENTIFIER,
    ),
    ("last name", _first("people", "sex", "Quiggley"), ProblemKind.NAME),
    (
        "last name as a word",
        _first("referrals", "decline_reason", "seen with Featherstonehaugh"),
        ProblemKind.NAME,
    ),
    ("unknown column", _first("encounters", "shoe_size", "42"), ProblemKind.UNKNOWN_COLUMN),
]


@pytest.mark.parametrize(("plant", "kind"), [p[1:] for p in PLANTS], ids=[p[0] for p in PLANTS])
def test_the_checker_refuses_a_planted_identifier(
    world: World,
    monkeypatch: pytest.MonkeyPatch,
    plant: Plant,
    kind: ProblemKind,
) -> None:
    extract = extract_of(world)
    planted = str(plant(extract, world))
    problems = check_extract(extract, known_identifiers=identifiers_for(world.program))
    assert kind in {p.kind for p in problems}, problems
    hit = next(p for p in problems if p.kind == kind)
    assert hit.table and hit.column and hit.message
    # the problem names where, never what (its value may be personal data)
    if kind not in (ProblemKind.IDENTIFIER_COLUMN, ProblemKind.UNKNOWN_COLUMN):
        assert all(planted not in str(p) for p in problems)

    real_build = research.build_extract

    def planting_build(program: Any, **kwargs: Any) -> ResearchExtract:
        built = real_build(program, **kwargs)
        plant(built, world)
        return built

    monkeypatch.setattr(research, "build_extract", planting_build)
    with clock.frozen(NOW), pytest.raises(ExtractRefused) as refused:
        export_or_refuse(world.program, dates="year", key=KEY)
    assert kind in {p.kind for p in refused.value.problems}
    if kind not in (ProblemKind.IDENTIFIER_COLUMN, ProblemKind.UNKNOWN_COLUMN):
        assert planted not in str(refused.value)


def test_known_identifiers_can_be_passed_directly(world: World) -> None:
    extract = extract_of(world)
    extract.tables["referrals"][0]["decline_reason"] = "Zed-77 Smithers"
    assert check_extract(extract, known_identifiers=KnownIdentifiers()) != []  # invalid value
    kinds = {
        p.kind
        for p in check_extract(
            extract,
            known_identifiers=KnownIdentifiers(external_values=["ZED-77"], names=["Smithers"]),
        )
    }
    assert {ProblemKind.EXTERNAL_IDENTIFIER, ProblemKind.NAME} <= kinds


def test_vocabulary_that_is_also_a_surname_is_not_a_name(world: World) -> None:
    """A person named White must not make "White" in race_ethnicity a leak."""
    extract = extract_of(world)
    known = KnownIdentifiers(names=["White", "Black", "Fire", "Female"])
    assert check_extract(extract, known_identifiers=known) == []


def test_shift_mode_checks_that_shifted_dates_are_real_dates(world: World) -> None:
    extract = extract_of(world, "shift")
    known = identifiers_for(world.program)
    extract.tables["encounters"][0]["contact_date_shifted"] = "2025-02-30"
    assert {p.kind for p in check_extract(extract, known_identifiers=known)} == {
        ProblemKind.INVALID_DATE
    }
    extract = extract_of(world, "shift")
    extract.tables["encounters"][0]["contact_year"] = 2025  # a year-mode column
    assert ProblemKind.UNKNOWN_COLUMN in {
        p.kind for p in check_extract(extract, known_identifiers=known)
    }
    extract = extract_of(world, "shift")
    extract.tables["referrals"][0]["decline_reason"] = "1988-04-12"  # a date outside its column
    assert ProblemKind.FULL_DATE in {
        p.kind for p in check_extract(extract, known_identifiers=known)
    }


def test_a_missing_column_or_table_is_refused(world: World) -> None:
    extract = extract_of(world)
    for row in extract.tables["people"]:
        del row["zip3"]
    del extract.tables["referrals"]
    kinds = {p.kind for p in check_extract(extract, known_identifiers=KnownIdentifiers())}
    assert kinds == {ProblemKind.MISSING_COLUMN, ProblemKind.MISSING_TABLE}


def test_dictionary_column_names_are_not_identifier_like() -> None:
    for columns in DATA_DICTIONARY.values():
        for column in columns:
            assert identifier_column_reason(column.name) == "", column.name
            assert column.description and column.allowed
    for name in (
        "phone",
        "FirstName",
        "last_name",
        "alias",
        "ssn",
        "date_of_birth",
        "DOB",
        "email_address",
        "street",
        "city",
        "latitude",
        "long",
        "ip",
        "url",
        "mrn",
        "medical_record_number",
        "license_plate",
        "vin",
        "device_serial",
        "account",
        "certificate",
        "photo",
        "biometric",
        "notes",
        "person_id",
        "contact_date",
    ):
        assert identifier_column_reason(name), name


# --- Building blocks (no database) ---------------------------------------------------------


def test_birth_year_groups_any_year_that_could_show_an_age_over_89() -> None:
    today = dt.date(2025, 6, 15)
    assert research.birth_year_value(dt.date(1930, 2, 3), today) == "90 or older"  # 95
    assert research.birth_year_value(dt.date(1935, 1, 1), today) == "90 or older"  # 90
    assert research.birth_year_value(dt.date(1935, 12, 31), today) == "90 or older"  # turns 90
    assert research.birth_year_value(dt.date(1936, 1, 1), today) == 1936
    assert research.birth_year_value(None, today) is None


def test_age_bands() -> None:
    expected = {
        0: "Under 18",
        17: "Under 18",
        18: "18-25",
        25: "18-25",
        26: "26-35",
        55: "46-55",
        85: "76-85",
        86: "86-89",
        89: "86-89",
        90: "90 or older",
        104: "90 or older",
    }
    assert {age: research.age_band(age) for age in expected} == expected


def test_zip3() -> None:
    assert research.zip3("47401") == "474"
    assert research.zip3(" 47401-1234 ") == "474"
    assert research.zip3("474011234") == "474"
    assert research.zip3("03601") == "000"
    assert all(research.zip3(f"{z}99") == "000" for z in research.RESTRICTED_ZIP3)
    assert research.zip3("4740") == research.zip3("K1A 0B6") == research.zip3("") == ""


def test_race_ethnicity() -> None:
    assert research.race_ethnicity(["black"], "hispanic") == "Hispanic or Latino"
    assert research.race_ethnicity(["asian"], "not_hispanic") == "Asian"
    assert research.race_ethnicity(["declined", "white"], "unknown") == "White"
    assert research.race_ethnicity(["white", "mena"], "declined") == "Two or more races"
    assert research.race_ethnicity(["declined"], "not_hispanic") == "Unknown"
    assert research.race_ethnicity([], "unknown") == "Unknown"
    assert research.race_ethnicity("white", "unknown") == "Unknown"  # not a list


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("123-45-6789", ProblemKind.SSN),
        ("123 45 6789", ProblemKind.SSN),
        ("123456789", ProblemKind.SSN),
        ("812-555-0199", ProblemKind.PHONE),
        ("(812) 555 0199", ProblemKind.PHONE),
        ("+1 812.555.0199", ProblemKind.PHONE),
        ("8125550199", ProblemKind.PHONE),
        ("someone@example.org", ProblemKind.EMAIL),
        ("http://example.org", ProblemKind.URL),
        ("www.example.org/x", ProblemKind.URL),
        ("192.168.0.1", ProblemKind.IP_ADDRESS),
        ("fe80::1ff:fe23:4567:890a", ProblemKind.IP_ADDRESS),
        ("1988-04-12", ProblemKind.FULL_DATE),
        ("4/12/1988", ProblemKind.FULL_DATE),
        ("1988-04", ProblemKind.FULL_DATE),
        ("April 12, 1988", ProblemKind.FULL_DATE),
        ("12 Apr 1988", ProblemKind.FULL_DATE),
        ("47401", ProblemKind.ZIP_CODE),
        ("47401-1234", ProblemKind.ZIP_CODE),
    ],
)
def test_identifier_shapes(text: str, kind: ProblemKind) -> None:
    assert kind in identifier_kinds_in(text)
    assert kind in identifier_kinds_in(f"seen at {text} today")


@pytest.mark.parametrize(
    "text",
    ["2025", "474", "000", "18-25", "90 or older", "30", "-3", "housing;substance_use", "1.2.3"],
)
def test_extract_values_are_not_identifier_shaped(text: str) -> None:
    assert identifier_kinds_in(text) == set()


# --- Properties (no database) -----------------------------------------------------------------


def _in_memory_extract(rows: dict[str, list[Row]]) -> ResearchExtract:
    return ResearchExtract(tables=rows, dates="year", created_at=clock.now(), time_zone="UTC")


@st.composite
def clean_tables(draw: st.DrawFn) -> dict[str, list[Row]]:
    """Random tables of valid values: every column of the dictionary, nothing else."""
    this_year = clock.now().year

    def value(column: research.Column, table: str) -> Any:
        if column.type is ColumnType.PSEUDONYM:
            return research.pseudonym(KEY, table, uuid.UUID(int=draw(st.integers(0, 2**128 - 1))))
        if column.type is ColumnType.CODE:
            return draw(st.sampled_from(column.choices + (("",) if column.blank else ())))
        if column.type is ColumnType.CODES:
            return ";".join(draw(st.lists(st.sampled_from(column.choices), unique=True)))
        if column.type is ColumnType.YEAR:
            return draw(
                st.one_of(st.integers(this_year - 89, this_year), st.sampled_from(column.choices))
                if column.choices
                else st.integers(2000, this_year)
            )
        if column.type is ColumnType.INTEGER:
            return draw(st.one_of(st.none(), st.integers(0, 3000)))
        if column.type is ColumnType.ZIP3:
            return draw(
                st.integers(0, 999)
                .map(lambda n: f"{n:03d}")
                .filter(lambda z: z not in research.RESTRICTED_ZIP3)
            )
        raise AssertionError(column.type)

    tables: dict[str, list[Row]] = {}
    for table, columns in DATA_DICTIONARY.items():
        prefix_table = {"study_id": "people", "study_encounter_id": "encounters"}
        tables[table] = [
            {
                c.name: value(c, prefix_table.get(c.name, table))
                for c in columns
                if "year" in c.modes
            }
            for _ in range(draw(st.integers(1, 4)))
        ]
    return tables


@given(clean_tables())
@settings(max_examples=150, deadline=None)
def test_random_valid_extracts_pass(tables: dict[str, list[Row]]) -> None:
    known = KnownIdentifiers(
        database_keys=[uuid.uuid4() for _ in range(3)],
        external_values=["RMS-2024-778812"],
        names=["White", "Quiggley"],
    )
    assert check_extract(_in_memory_extract(tables), known_identifiers=known) == []


letters = st.text(
    alphabet=st.sampled_from("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ ;_-',"),
    max_size=60,
)


@given(letters)
@settings(max_examples=300, deadline=None)
def test_text_without_digits_or_addresses_is_not_an_identifier(text: str) -> None:
    assert identifier_kinds_in(text) == set()


@given(
    st.integers(0, 999),
    st.integers(0, 99),
    st.integers(0, 9999),
    st.sampled_from(["-", "", " "]),
    letters.map(lambda s: s.strip(" ;_-',") + " " if s.strip(" ;_-',") else ""),
)
@settings(max_examples=300, deadline=None)
def test_ssn_shaped_strings_are_refused(
    area: int, group: int, serial: int, sep: str, before: str
) -> None:
    ssn = f"{area:03d}{sep}{group:02d}{sep}{serial:04d}"
    text = before + ssn
    assert ProblemKind.SSN in identifier_kinds_in(text)
    tables: dict[str, list[Row]] = {
        "people": [],
        "encounters": [],
        "referrals": [
            {
                "study_referral_id": research.pseudonym(KEY, "referrals", uuid.UUID(int=1)),
                "study_encounter_id": research.pseudonym(KEY, "encounters", uuid.UUID(int=2)),
                "study_id": research.pseudonym(KEY, "people", uuid.UUID(int=3)),
                "service_type": "detox",
                "warm_handoff": "true",
                "final_status": "declined",
                "decline_reason": text,
                "days_contact_to_accept": None,
                "days_contact_to_intake": None,
                "days_contact_to_end": 1,
            }
        ],
    }
    problems = check_extract(_in_memory_extract(tables), known_identifiers=KnownIdentifiers())
    assert ProblemKind.SSN in {p.kind for p in problems}
    assert all(ssn not in str(p) for p in problems)
