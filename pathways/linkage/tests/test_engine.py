"""The linkage engine's parts, each on small hand-made inputs: normalisation worked out by
hand, clusters with must-link and cannot-link, the trained model's JSON, the blocking limit,
explanations, the duplicate check and refusals of bad frames. No database, no Django."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pandas as pd  # type: ignore[import-untyped]
import pytest

from pathways.linkage.engine import model as M
from pathways.linkage.engine.clusters import clusters
from pathways.linkage.engine.generator import generate
from pathways.linkage.engine.normalise import canonical_first_name, clean_name, prepare
from pathways.linkage.engine.records import COLUMNS, RecordFrameError, frame


def _record(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"unique_id": "person:1", "source": "pathways"}
    base.update(fields)
    return base


# --- records ---------------------------------------------------------------------------


def test_frame_fills_absent_columns_with_none() -> None:
    df = frame([_record(first_name="Ana")])
    assert list(df.columns) == list(COLUMNS)
    assert df.loc[0, "first_name"] == "Ana"
    assert df.loc[0, "dob"] is None


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([_record(), _record()], "duplicate"),
        ([_record(unique_id="")], "missing value"),
        ([_record(dob="03/07/1980")], "ISO date"),
        ([_record(dob="1980-02-30")], "does not exist"),
        ([_record(source="jail")], "'source'"),
        ([_record(sex="F")], "'sex'"),
        ([_record(ext_ids="IL1234")], "SYSTEM:NUMBER"),
        ([_record(first_name=12)], "strings"),
        ([_record(shoe_size="9")], "unknown column"),
    ],
)
def test_bad_rows_are_refused_with_a_clear_error(rows: list[dict[str, Any]], message: str) -> None:
    with pytest.raises(RecordFrameError, match=message):
        frame(rows)


def test_a_frame_missing_a_column_is_refused_by_prepare() -> None:
    df = frame([_record(first_name="Ana")]).drop(columns=["phone"])
    with pytest.raises(RecordFrameError, match=r"missing column\(s\) \['phone'\]"):
        prepare(df)


def test_an_error_message_never_holds_the_value() -> None:
    with pytest.raises(RecordFrameError) as caught:
        frame([_record(dob="31/12/1990")])
    assert "31/12/1990" not in str(caught.value)


# --- normalise -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("José  Núñez", "jose nunez"),
        ("O'Brien", "obrien"),
        ("García-López", "garcia lopez"),
        ("St. John", "st john"),
        ("  ", None),
        (None, None),
    ],
)
def test_clean_name(raw: str | None, clean: str | None) -> None:
    assert clean_name(raw) == clean


@pytest.mark.parametrize(
    ("name", "canonical"),
    [
        ("bill", "william"),
        ("billy", "william"),
        ("will", "william"),
        ("william", "william"),
        ("liz", "elizabeth"),
        ("bob", "robert"),
        ("pepe", "jose"),
        ("michael", "michael"),
        ("wei", "wei"),
    ],
)
def test_canonical_first_name(name: str, canonical: str) -> None:
    assert canonical_first_name(name) == canonical
    assert canonical_first_name(canonical_first_name(name)) == canonical_first_name(name)


def test_prepare_worked_example() -> None:
    df = frame(
        [
            _record(
                first_name="Billy",
                middle_name="J.",
                last_name="García-López",
                aliases="Bobby Smith|Lopez, Guillermo",
                dob="1980-03-07",
                sex="male",
                postal_code="60601-1234",
                address="1200 N. Main St Apt 4",
                phone="+1 (312) 555-0101",
                ext_ids="DL:IL1234|jail:55",
            ),
            _record(unique_id="person:2", first_name="Ann", last_name="de la Cruz", sex="unknown"),
        ]
    )
    p = prepare(df)
    one, two = p.iloc[0], p.iloc[1]
    assert one["first_name"] == "billy"
    assert one["first_canon"] == "william"
    assert one["last_name"] == "garcia lopez"
    assert one["surnames"] == ["garcia", "garcia lopez", "lopez", "smith"]
    assert "guillermo" in one["given_names"] and "bobby" in one["given_names"]
    assert one["dob_swapped"] == "1980-07-03"
    assert (one["dob_year"], one["dob_month"], one["dob_day"]) == ("1980", "03", "07")
    assert one["postal_code"] == "60601" and one["postal_3"] == "606"
    assert one["address"] == "1200 main" and one["house_number"] == "1200"
    assert one["phone"] == "3125550101"
    assert one["ext_ids"] == ["dl:il1234", "jail:55"]
    assert one["ext_systems"] == ["dl", "jail"]
    assert one["last_meta"] != one["last_meta_2"]
    # missing values are None, never NaN or ''
    assert two["dob"] is None and two["dob_swapped"] is None and two["sex"] is None
    assert two["phone"] is None and two["ext_ids"] is None and two["middle_name"] is None
    assert two["surnames"] == ["cruz", "de la cruz"]


def test_a_day_over_twelve_has_no_swapped_date() -> None:
    p = prepare(frame([_record(dob="1990-12-25"), _record(unique_id="x:2", dob="1990-05-05")]))
    assert p["dob_swapped"].tolist() == [None, None]


def test_prepare_is_idempotent() -> None:
    p = prepare(frame([_record(first_name="Ana")]))
    assert prepare(p) is p


# --- clusters --------------------------------------------------------------------------


def test_clusters_are_components_above_the_threshold() -> None:
    pairs = [("a", "b", 0.99), ("b", "c", 0.96), ("d", "e", 0.5), ("f", "g", 0.97)]
    got = clusters(pairs, threshold=0.95, ids=["z"])
    assert got == {
        "a": "a",
        "b": "a",
        "c": "a",
        "d": "d",
        "e": "e",
        "f": "f",
        "g": "f",
        "z": "z",
    }


def test_cluster_id_is_the_smallest_id_whatever_the_order() -> None:
    one = clusters([("m", "c", 0.99), ("c", "x", 0.99)], threshold=0.9)
    two = clusters([("x", "c", 0.99), ("c", "m", 0.99)], threshold=0.9)
    assert one == two == {"c": "c", "m": "c", "x": "c"}


def test_cannot_link_cuts_the_weakest_edge_on_the_path() -> None:
    pairs = [("a", "b", 0.99), ("b", "c", 0.96), ("c", "d", 0.98)]
    got = clusters(pairs, threshold=0.95, cannot_link=[("a", "d")])
    assert got == {"a": "a", "b": "a", "c": "c", "d": "c"}


def test_cannot_link_with_two_paths_cuts_both() -> None:
    pairs = [
        ("a", "b", 0.99),
        ("b", "d", 0.97),
        ("a", "c", 0.98),
        ("c", "d", 0.96),
    ]
    got = clusters(pairs, threshold=0.95, cannot_link=[("a", "d")])
    assert got["a"] != got["d"]
    assert got["a"] == got["b"] == got["c"]  # the two weakest edges into d are cut


def test_must_link_joins_below_the_threshold_and_cannot_link_wins() -> None:
    got = clusters([("a", "b", 0.2)], threshold=0.95, must_link=[("a", "b"), ("b", "c")])
    assert got == {"a": "a", "b": "a", "c": "a"}
    got = clusters(
        [("a", "b", 0.99)], threshold=0.95, must_link=[("b", "c")], cannot_link=[("a", "c")]
    )
    assert got["a"] != got["c"]
    assert got["b"] == got["c"] != got["a"]  # the must-link stays, the probable edge goes


def test_clusters_take_a_prediction_frame() -> None:
    pairs = pd.DataFrame(
        {
            "unique_id_l": ["a", "c"],
            "unique_id_r": ["b", "d"],
            "match_probability": [0.99, 0.6],
        }
    )
    assert clusters(pairs, threshold=0.95) == {"a": "a", "b": "a", "c": "c", "d": "d"}


# --- the model -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def people() -> pd.DataFrame:
    return generate(700, seed=11)


@pytest.fixture(scope="module")
def trained(people: pd.DataFrame) -> M.TrainedModel:
    return M.train(people, seed=3, u_max_pairs=3e5)


def test_engine_imports_without_django_or_splink() -> None:
    code = (
        "import sys; import pathways.linkage.engine.model, pathways.linkage.engine.clusters; "
        "import pathways.linkage.engine.generator; "
        "bad = [m for m in sys.modules if m.split('.')[0] in ('django', 'splink')]; "
        "print(','.join(bad))"
    )
    out = subprocess.run(  # noqa: S603 - our own interpreter, a fixed snippet
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env={}
    )
    assert out.stdout.strip() == ""


def test_settings_link_types_and_dialects() -> None:
    assert M.settings(1)["link_type"] == "dedupe_only"
    assert M.settings(2)["link_type"] == "link_and_dedupe"
    names = [c["output_column_name"] for c in M.settings()["comparisons"]]
    assert names == [name for name, _label in M.FIELDS]
    spark = json.dumps(M.settings(dialect="spark"))
    assert "list_contains" not in spark and "ARRAY_CONTAINS" in spark
    assert "JAROWINKLER_SIMILARITY" not in spark and "jaro_winkler(" in spark


def test_trained_model_round_trips_through_json(trained: M.TrainedModel) -> None:
    again = M.TrainedModel.from_json(trained.to_json())
    assert again == trained
    assert again.version == trained.version and again.version.startswith("splink-5/")
    assert trained.counts["records"] > 700
    assert 0 < trained.splink["probability_two_random_records_match"] < 0.01
    levels = trained.splink["comparisons"][0]["comparison_levels"]
    assert all("m_probability" in lv for lv in levels if not lv.get("is_null_level"))


def test_a_tampered_model_is_refused(trained: M.TrainedModel) -> None:
    data = json.loads(trained.to_json())
    data["splink"]["probability_two_random_records_match"] = 0.5
    with pytest.raises(ValueError, match="does not match its version"):
        M.TrainedModel.from_json(json.dumps(data))


def test_training_is_deterministic_for_a_seed(
    people: pd.DataFrame, trained: M.TrainedModel
) -> None:
    assert M.train(people, seed=3, u_max_pairs=3e5).version == trained.version


def test_check_blocking_counts_and_raises_over_the_limit(people: pd.DataFrame) -> None:
    counts = M.check_blocking(people)
    assert counts.total == sum(n for _rule, n in counts.per_rule) > 0
    assert len(counts.per_rule) == len(M.blocking_rules())
    from splink import block_on

    with pytest.raises(M.BlockingTooWide, match="over the limit of 1,000") as caught:
        M.check_blocking(people, [block_on("sex")], max_comparisons=1000)
    assert caught.value.total > 1000
    with pytest.raises(M.BlockingTooWide):
        M.train(people, seed=1, max_comparisons=10)


def test_predict_finds_the_copies_and_explains_each_field(
    trained: M.TrainedModel, people: pd.DataFrame
) -> None:
    pred = M.predict(trained, people, threshold=M.AUTO_LINK)
    assert (pred["match_probability"] >= M.AUTO_LINK).all()
    assert (pred["unique_id_l"] < pred["unique_id_r"]).all()
    for name, _label in M.FIELDS:
        assert {f"{name}_level", f"{name}_weight", f"{name}_gamma"} <= set(pred.columns)
    true = people.set_index("unique_id")["true_id"]
    same = (true[pred["unique_id_l"]].to_numpy() == true[pred["unique_id_r"]].to_numpy()).mean()
    assert same > 0.97
    # per-field weights add up to the total with the prior
    prior = trained.splink["probability_two_random_records_match"]
    import math

    row = pred.iloc[0]
    parts = sum(row[f"{name}_weight"] for name, _label in M.FIELDS)
    assert parts + math.log2(prior / (1 - prior)) == pytest.approx(row["match_weight"], abs=1e-6)


def test_explain_a_nickname_and_swapped_dob(trained: M.TrainedModel) -> None:
    a = _record(
        unique_id="person:a",
        first_name="William",
        last_name="Okafor",
        dob="1984-03-07",
        sex="male",
        postal_code="60601",
        phone="3125550101",
    )
    b = _record(
        unique_id="arrest:b",
        source="arrest",
        first_name="Bill",
        last_name="Okafor",
        dob="1984-07-03",
        sex="male",
        postal_code="60601",
    )
    explanation = M.explain(trained, a, b)
    rows = {field: (level, weight) for field, level, weight in explanation.rows}
    assert rows["First name"][0] == "same name (nickname)" and rows["First name"][1] > 0
    assert rows["Date of birth"][0] == "day and month swapped"
    assert rows["Phone"] == ("missing", 0.0)
    assert rows["Twins check"][0] == "not twins"
    assert explanation.match_weight == pytest.approx(
        sum(w for _f, _l, w in explanation.rows) + explanation.prior_weight
    )
    assert explanation.match_probability > M.REVIEW_BAND


def test_explain_holds_twins_apart(trained: M.TrainedModel) -> None:
    common = {"last_name": "Booker", "dob": "1958-02-15", "address": "1024 Franklin Way"}
    common |= {"postal_code": "68313", "phone": "4722756154", "sex": "male"}
    twin_a = _record(unique_id="person:a", first_name="Byron", **common)
    twin_b = _record(unique_id="person:b", first_name="Marcus", **common)
    explanation = M.explain(trained, twin_a, twin_b)
    assert {f: lv for f, lv, _w in explanation.rows}["Twins check"].startswith("other")
    assert explanation.match_probability < 0.01


def test_candidates_finds_the_typoed_record_first(
    trained: M.TrainedModel, people: pd.DataFrame
) -> None:
    target = people[people["dob"].notna() & people["last_name"].notna()].iloc[5]
    record = target[list(COLUMNS)].to_dict()
    record["unique_id"] = "person:new"
    record["first_name"] = str(target["first_name"])[:-1] + "x"  # one edit
    record["phone"] = None
    got = M.candidates(trained, record, people, top=3)
    assert len(got) == 3
    assert got.loc[0, "unique_id_l"] == target["unique_id"] or (
        got.loc[0, "unique_id_r"] == target["unique_id"]
    )
    assert got["match_probability"].is_monotonic_decreasing


def test_link_incremental_links_a_new_file_without_retraining(
    trained: M.TrainedModel, people: pd.DataFrame
) -> None:
    by_person = people.groupby("true_id")["unique_id"].transform("count")
    multi = people[by_person > 1]
    first_of_each = multi.drop_duplicates("true_id")
    existing = people.drop(first_of_each.index)
    pairs = M.link_incremental(trained, first_of_each, existing, threshold=M.AUTO_LINK)
    new_ids = set(first_of_each["unique_id"])
    assert len(pairs) > 0.8 * len(first_of_each)
    true = people.set_index("unique_id")["true_id"]
    assert all(
        a in new_ids or b in new_ids
        for a, b in zip(pairs.unique_id_l, pairs.unique_id_r, strict=False)
    )
    correct = true[pairs["unique_id_l"]].to_numpy() == true[pairs["unique_id_r"]].to_numpy()
    assert correct.mean() > 0.97


def test_spark_settings_spell_list_overlap_as_arrays_overlap() -> None:
    spark = json.dumps(M.settings(dialect="spark"))
    assert "list_has_any" not in spark and "ARRAYS_OVERLAP(" in spark
    assert "list_has_any" in json.dumps(M.settings())


def test_no_blocking_rule_is_a_name_pair_alone() -> None:
    # "Mary Smith" alone is thousands of records at a million people
    rules = [r.get_blocking_rule("duckdb").blocking_rule_sql for r in M.blocking_rules()]
    for sql in rules:
        if "first_canon" in sql and "last_name" in sql:
            assert "dob_year" in sql or "postal_code" in sql, sql
        if "postal_code" in sql and "_name" in sql and "dob" not in sql.replace("dob IS", ""):
            # name + ZIP code: only for a record without a birth date
            assert "(l.dob IS NULL OR r.dob IS NULL)" in sql, sql


def _pair(a: dict[str, Any], b: dict[str, Any]) -> pd.DataFrame:
    return frame([_record(unique_id="person:1", **a), _record(unique_id="person:2", **b)])


_LOPEZ = {"first_name": "Maria", "last_name": "Lopez", "postal_code": "60601", "sex": "female"}


def test_name_and_zip_pair_records_only_when_a_birth_date_is_missing() -> None:
    # same first initial, surname and ZIP, but nothing of the two birth dates agrees: with
    # both dates the date-keyed rules decide, so no rule pairs them (a ZIP code holds
    # thousands of people)
    both = _pair(
        {**_LOPEZ, "dob": "1980-01-02", "address": "12 Oak St"},
        {**_LOPEZ, "first_name": "Marta", "dob": "1991-07-20", "address": "9 Elm Ave"},
    )
    assert M.check_blocking(both).total == 0
    one_missing = _pair(
        {**_LOPEZ, "dob": "1980-01-02", "address": "12 Oak St"},
        {**_LOPEZ, "first_name": "Marta", "address": "9 Elm Ave"},
    )
    assert M.check_blocking(one_missing).total == 1


def test_swapped_names_pair_with_the_birth_month_or_a_missing_date() -> None:
    minh = {"first_name": "Minh", "last_name": "Tran", "dob": "1980-03-05"}
    swapped = {"first_name": "Tran", "last_name": "Minh"}
    assert M.check_blocking(_pair(minh, {**swapped, "dob": "1983-03-17"})).total == 1
    assert M.check_blocking(_pair(minh, {**swapped})).total == 1
    assert M.check_blocking(_pair(minh, {**swapped, "dob": "1983-04-17"})).total == 0


def test_a_wrong_birth_year_pairs_on_initial_surname_sound_day_and_sex() -> None:
    # a typo in the first name (not its initial) and in the birth year
    jon = {"first_name": "Jonathan", "last_name": "Smith", "dob": "1980-03-05", "sex": "male"}
    typo = {**jon, "first_name": "Jonatahn", "dob": "1989-03-05"}
    assert M.check_blocking(_pair(jon, typo)).total == 1
    assert M.check_blocking(_pair(jon, {**typo, "sex": "female"})).total == 0


def test_generated_compound_surnames_stay_whole() -> None:
    people = generate(3000, seed=4)
    last = set(people["last_name"].dropna())
    assert not last & {"De", "la", "Del", "Van", "Running", "Two", "Little", "Iron"}
    assert {"De la Cruz", "Running Bear"} & {name.split("-")[0] for name in last}


_FAMILY = {"dob": "1992-03-15", "address": "4483 Forest Dr", "postal_code": "66587"}


def _twins_level(trained: M.TrainedModel, a: dict[str, Any], b: dict[str, Any]) -> str:
    rows = M.explain(trained, _record(unique_id="person:a", **a), _record(unique_id="x:b", **b))
    return {f: lv for f, lv, _w in rows.rows}["Twins check"]


@pytest.mark.parametrize(
    ("a", "b", "twins"),
    [
        # one twin written family name first, the other not
        (
            {"first_name": "Kim", "last_name": "Tao"},
            {"first_name": "Ming", "last_name": "Kim"},
            True,
        ),
        # both written family name first
        (
            {"first_name": "Kim", "last_name": "Tao"},
            {"first_name": "Kim", "last_name": "Ming"},
            True,
        ),
        # short names, another first letter: other names
        (
            {"first_name": "Lin", "last_name": "Pham"},
            {"first_name": "Xin", "last_name": "Pham"},
            True,
        ),
        # the same person, names swapped (with a typo), or a typo at the start of a short name
        (
            {"first_name": "Tao", "last_name": "Kim"},
            {"first_name": "Kim", "last_name": "Tao"},
            False,
        ),
        (
            {"first_name": "Yan", "last_name": "Nguyen"},
            {"first_name": "Nguyen", "last_name": "Yaz"},
            False,
        ),
        (
            {"first_name": "Xiu", "last_name": "Nguyen"},
            {"first_name": "iXu", "last_name": "Nguyen"},
            False,
        ),
        (
            {"first_name": "Jason", "last_name": "Sato"},
            {"first_name": "aJson", "last_name": "Sato"},
            False,
        ),
        # a first name that is no family name: a changed surname is not twins
        (
            {"first_name": "Mary", "last_name": "Jones"},
            {"first_name": "Mary", "last_name": "Tao"},
            False,
        ),
    ],
)
def test_twins_check_in_either_name_order(
    trained: M.TrainedModel, a: dict[str, Any], b: dict[str, Any], twins: bool
) -> None:
    level = _twins_level(trained, a | _FAMILY, b | _FAMILY)
    assert level.startswith("other") is twins


def test_a_candidate_pool_is_built_once_and_reused(
    trained: M.TrainedModel, people: pd.DataFrame
) -> None:
    pool = M.CandidatePool(trained, people)
    assert len(pool) == len(people)
    target = people[people["dob"].notna() & people["last_name"].notna()].iloc[9]
    record = target[list(COLUMNS)].to_dict()
    again = pool.candidates(record, top=3)
    # the record itself (same id) is never its own candidate
    assert len(again) == 3 and (again["unique_id_l"] != again["unique_id_r"]).all()
    record["unique_id"] = "person:new"
    first = pool.candidates(record, top=3)
    second = pool.candidates(record, top=3)
    assert first.equals(second)
    one_shot = M.candidates(trained, record, people, top=3)
    assert first[["unique_id_l", "unique_id_r"]].equals(one_shot[["unique_id_l", "unique_id_r"]])
    assert first.loc[0, "match_probability"] > 0.99
    assert len(pool.candidates(record, top=3, threshold=1.1)) == 0


def test_data_with_no_exact_duplicate_trains_with_the_prior_floor() -> None:
    """A registry where no two records share name and birth date (a new program) still
    trains: the prior is the floor, not 0 (which made every weight -inf)."""
    people = generate(300, seed=9, records_per_person=(1, 1), twin_rate=0.0)
    trained = M.train(people, seed=1)
    prior = trained.splink["probability_two_random_records_match"]
    assert prior == pytest.approx(M.prior_floor(len(people)))
    assert M.prior_floor(2) == 0.02 == M.prior_floor(1)  # 1 of 100 records, one pair
