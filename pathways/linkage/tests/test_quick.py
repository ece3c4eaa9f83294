"""The quick scorer (engine/quick.py) against Splink itself: on generated records and a model
trained here, every pair gets the same level of every comparison as Splink's gamma, and the
same weight and probability (to 1e-9; they come out equal), with term frequencies from the
records (predict, CandidatePool) and neutral (score_pairs without a pool, as explain does).
No database, no Django."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import defaultdict
from typing import Any

import pandas as pd  # type: ignore[import-untyped]
import pytest

from pathways.linkage.engine import model as M
from pathways.linkage.engine import quick as Q
from pathways.linkage.engine.generator import generate
from pathways.linkage.engine.normalise import prepare
from pathways.linkage.engine.records import COLUMNS, RecordFrameError, frame

#: weights and probabilities of the quick scorer and of Splink agree to this (the sums are
#: done in the same order, so they come out equal; the tolerance only allows a last-bit
#: difference between Python's and DuckDB's log2)
TOLERANCE = 1e-9


@pytest.fixture(scope="module")
def people() -> pd.DataFrame:
    return generate(1200, seed=21)[list(COLUMNS)]


@pytest.fixture(scope="module")
def trained(people: pd.DataFrame) -> M.TrainedModel:
    return M.train(people, seed=3, u_max_pairs=3e5)


@pytest.fixture(scope="module")
def scorer(trained: M.TrainedModel) -> Q.QuickScorer:
    return Q.QuickScorer(trained)


def _rows(df: pd.DataFrame) -> list[dict[str, Any]]:
    return [
        {k: (None if isinstance(v, float) and v != v else v) for k, v in row.items()}
        for row in df.to_dict("records")
    ]


def _plain(value: Any) -> Any:
    if value is None or (isinstance(value, float) and value != value):
        return None
    if hasattr(value, "tolist"):
        return value.tolist()
    return value


def _assert_same(quick: Q.PairScore, splink_row: Any, where: str) -> None:
    for level in quick.levels:
        gamma = getattr(splink_row, f"{level.field}_gamma")
        assert level.gamma == gamma, f"{where}: {level.field} level {level.label!r}, Splink {gamma}"
        weight = getattr(splink_row, f"{level.field}_weight")
        assert level.weight == pytest.approx(weight, abs=TOLERANCE), f"{where}: {level.field}"
    assert quick.match_weight == pytest.approx(splink_row.match_weight, abs=TOLERANCE), where
    assert quick.match_probability == pytest.approx(splink_row.match_probability, abs=TOLERANCE), (
        where
    )


# --- the record, prepared ---------------------------------------------------------------

_EDGE_ROWS: list[dict[str, Any]] = [
    {
        "unique_id": "person:edge-1",
        "source": "pathways",
        "first_name": "Billy",
        "middle_name": "J.",
        "last_name": "García-López",
        "aliases": "Bobby Smith|Lopez, Guillermo|, Ann",
        "dob": "1980-03-07",
        "sex": "male",
        "postal_code": "60601-1234",
        "address": "1200 N. Main St Apt 4",
        "phone": "+1 (312) 555-0101",
        "ext_ids": "DL:IL1234|jail:55",
    },
    {
        "unique_id": "person:edge-2",
        "first_name": "Ann",
        "last_name": "de la Cruz",
        "sex": "unknown",
    },
    {"unique_id": "person:edge-3", "first_name": "  ", "last_name": "", "dob": "1990-12-25"},
    {"unique_id": "arrest:edge-4", "source": "arrest", "dob": "1990-05-05", "ext_ids": "rms:9"},
    {"unique_id": "person:edge-5", "first_name": "Nguyen Van", "last_name": "Minh", "aliases": ""},
]


def test_prepare_record_is_prepare_for_one_record(people: pd.DataFrame) -> None:
    rows = _rows(people.iloc[:1500]) + _EDGE_ROWS
    expected = prepare(frame(rows))
    for row, (_, want) in zip(rows, expected.iterrows(), strict=True):
        got = Q.prepare_record(row)
        assert list(got) == list(expected.columns)
        assert got == {c: _plain(want[c]) for c in expected.columns}, row["unique_id"]


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ({"unique_id": ""}, "missing value"),
        ({"unique_id": "p:1", "dob": "03/07/1980"}, "ISO date"),
        ({"unique_id": "p:1", "dob": "1980-02-30"}, "does not exist"),
        ({"unique_id": "p:1", "source": "jail"}, "'source'"),
        ({"unique_id": "p:1", "sex": "F"}, "'sex'"),
        ({"unique_id": "p:1", "ext_ids": "IL1234"}, "SYSTEM:NUMBER"),
        ({"unique_id": "p:1", "first_name": 12}, "strings"),
        ({"unique_id": "p:1", "shoe_size": "9"}, "unknown column"),
    ],
)
def test_a_bad_record_is_refused_without_its_value(row: dict[str, Any], message: str) -> None:
    with pytest.raises(RecordFrameError, match=message) as caught:
        Q.prepare_record(row)
    for value in row.values():
        if isinstance(value, str) and len(value) > 3:
            assert value not in str(caught.value)


# --- the key test: the same levels and scores as Splink -------------------------------------


def test_every_predicted_pair_gets_splinks_levels_and_probability(
    trained: M.TrainedModel, scorer: Q.QuickScorer, people: pd.DataFrame
) -> None:
    """Every pair the blocking rules find among ~3,000 generated records (all of them, at
    threshold 0), with term frequencies from those records as Splink's predict takes them."""
    pairs = M.predict(trained, people, threshold=0)
    rows = _rows(people)
    by_id = {row["unique_id"]: Q.prepare_record(row) for row in rows}
    tf = Q.term_frequencies(rows)
    seen: dict[str, set[int]] = defaultdict(set)
    for pair in pairs.itertuples(index=False):
        got = scorer.score_prepared(by_id[pair.unique_id_l], by_id[pair.unique_id_r], tf=tf)
        _assert_same(got, pair, f"{pair.unique_id_l} x {pair.unique_id_r}")
        for level in got.levels:
            seen[level.field].add(level.gamma)
    assert len(pairs) > 2000
    # the pairs try every level of the names, the birth date, the ids and the twins check
    assert seen["first_name"] == set(range(-1, 8))
    assert seen["last_name"] == set(range(-1, 7))
    assert seen["dob"] == set(range(-1, 5))
    assert seen["ext_ids"] == set(range(-1, 3))
    assert seen["twins"] == {0, 1}


def _edge_pairs() -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """Hand-made pairs for the levels generated pairs seldom reach (names swapped, twins in
    either name order, one digit off in a phone, missing names), each both ways round."""
    family: dict[str, Any] = {
        "dob": "1992-03-15",
        "address": "4483 Forest Dr",
        "postal_code": "66587",
    }
    pairs: list[tuple[dict[str, Any], dict[str, Any]]] = [
        ({"first_name": "Minh", "last_name": "Tran"}, {"first_name": "Tran", "last_name": "Minh"}),
        (
            {"first_name": "Yan", "last_name": "Nguyen"},
            {"first_name": "Nguyen", "last_name": "Yaz"},
        ),
        ({"first_name": "Kim", "last_name": "Tao"}, {"first_name": "Ming", "last_name": "Kim"}),
        ({"first_name": "Kim", "last_name": "Tao"}, {"first_name": "Kim", "last_name": "Ming"}),
        ({"first_name": "Lin", "last_name": "Pham"}, {"first_name": "Xin", "last_name": "Pham"}),
        (
            {"first_name": "Xiu", "last_name": "Nguyen"},
            {"first_name": "iXu", "last_name": "Nguyen"},
        ),
        (
            {"first_name": "Jason", "last_name": "Sato"},
            {"first_name": "aJson", "last_name": "Sato"},
        ),
        (
            {"first_name": "Byron", "last_name": "Booker"},
            {"first_name": "Marcus", "last_name": "Booker"},
        ),
        ({"first_name": "Mary", "last_name": "Jones"}, {"first_name": "Mary", "last_name": "Tao"}),
        (
            {"first_name": "Robert", "last_name": "Okafor"},
            {"first_name": "Bob", "last_name": "Okafor"},
        ),
        ({"first_name": "Rosa", "last_name": None}, {"first_name": "Rosa", "last_name": "Garcia"}),
        (
            {"first_name": None, "last_name": "Garcia"},
            {"first_name": "Tran", "last_name": "Garcia"},
        ),
        (
            {"first_name": "Ana", "phone": "3125550101"},
            {"first_name": "Ana", "phone": "3125550102"},
        ),
        (
            {"first_name": "Jo", "last_name": "Li", "aliases": "Joanne Li"},
            {"first_name": "Joanne", "last_name": "Lee", "ext_ids": "dl:1"},
        ),
    ]
    out = []
    for number, (a, b) in enumerate(pairs):
        left = {"unique_id": f"person:e{number}a", "source": "pathways", **family, **a}
        right = {"unique_id": f"person:e{number}b", "source": "pathways", **family, **b}
        if number % 3 == 0:
            right["dob"] = "1992-03-16"  # within a week
        out.extend([(left, right), (right | {"unique_id": right["unique_id"] + "r"}, left)])
    return out


def test_neutral_term_frequencies_score_as_splinks_score_pairs(
    trained: M.TrainedModel, scorer: Q.QuickScorer, people: pd.DataFrame
) -> None:
    """Every pair of 40 x 60 generated records and the hand-made pairs, scored by Splink
    with neutral term frequencies (model._score_pairs without a pool, what explain does)."""
    left_rows, right_rows = _rows(people.iloc[:40]), _rows(people.iloc[40:100])
    cases = [(a, b) for a in left_rows for b in right_rows] + _edge_pairs()
    by_id: dict[str, dict[str, Any]] = {}
    lefts, rights = [], []
    for a, b in cases:
        by_id[a["unique_id"]], by_id[b["unique_id"]] = a, b
        lefts.append(a)
        rights.append(b)
    left_frame = prepare(frame(list({r["unique_id"]: r for r in lefts}.values())))
    right_frame = prepare(frame(list({r["unique_id"]: r for r in rights}.values())))
    scored = M._score_pairs(trained, left_frame, right_frame)
    wanted = {(a["unique_id"], b["unique_id"]) for a, b in cases}
    checked = 0
    for pair in scored.itertuples(index=False):
        ids = (pair.unique_id_l, pair.unique_id_r)
        key = ids if ids in wanted else ids[::-1]
        if key not in wanted:
            continue
        got = scorer.score(by_id[key[0]], [by_id[key[1]]])[0]
        _assert_same(got, pair, f"{key[0]} x {key[1]}")
        checked += 1
    assert checked == len(wanted)


def test_a_candidate_pool_and_the_quick_scorer_agree_with_the_pools_frequencies(
    trained: M.TrainedModel, scorer: Q.QuickScorer, people: pd.DataFrame
) -> None:
    """CandidatePool scores a new record against every record of the pool with the pool's
    term frequencies; term_frequencies(pool) gives the quick scorer the same ones."""
    pool_frame = people.iloc[300:600]
    pool = M.CandidatePool(trained, pool_frame)
    pool_rows = _rows(pool_frame)
    tf = Q.term_frequencies(pool_rows)
    for row in _rows(people.iloc[:8]):
        got = pool.candidates(row, top=len(pool_rows), threshold=0)
        quick = {s.unique_id: s for s in scorer.score(row, pool_rows, tf=tf)}
        assert len(got) == len(pool_rows)
        for pair in got.itertuples(index=False):
            other = pair.unique_id_r if pair.unique_id_l == row["unique_id"] else pair.unique_id_l
            _assert_same(quick[other], pair, f"{row['unique_id']} x {other}")
        best = scorer.best(row, pool_rows, top=5, tf=tf)
        top = pool.candidates(row, top=5)
        pool_ids = [
            p.unique_id_r if p.unique_id_l == row["unique_id"] else p.unique_id_l
            for p in top.itertuples(index=False)
        ]
        assert [s.unique_id for s in best] == pool_ids


# --- term frequencies, refusals, the threshold -------------------------------------------


def _named(uid: str, first: str) -> dict[str, Any]:
    return {"unique_id": uid, "first_name": first, "last_name": "Okafor", "dob": "1984-03-07"}


def test_term_frequencies_weigh_a_rare_name_above_a_common_one(scorer: Q.QuickScorer) -> None:
    pool = [_named(f"p:{n}", "James") for n in range(40)] + [_named("p:z", "Zebulon")]
    tf = Q.term_frequencies(pool)
    assert tf["first_name"]["james"] == pytest.approx(40 / 41)
    assert tf["first_canon"]["zebulon"] == pytest.approx(1 / 41)
    rare = scorer.score(_named("new:1", "Zebulon"), [pool[-1]], tf=tf)[0]
    common = scorer.score(_named("new:2", "James"), [pool[0]], tf=tf)[0]
    assert rare.level("first_name").weight > common.level("first_name").weight + 4
    # neutral: both exact names weigh the same, the level's own weight
    neutral_rare = scorer.score(_named("new:1", "Zebulon"), [pool[-1]])[0]
    neutral_common = scorer.score(_named("new:2", "James"), [pool[0]])[0]
    assert neutral_rare.level("first_name").weight == neutral_common.level("first_name").weight
    # a name in no table has no frequency: the exact level is not adjusted
    unknown = scorer.score(_named("new:3", "Ozymandias"), [_named("p:o", "Ozymandias")], tf=tf)
    assert unknown[0].level("first_name").weight == pytest.approx(
        scorer.score(_named("new:3", "Ozymandias"), [_named("p:o", "Ozymandias")], tf={})[0]
        .level("first_name")
        .weight
    )


def test_best_keeps_the_top_candidates_over_the_threshold_and_never_itself(
    scorer: Q.QuickScorer,
) -> None:
    record = _named("person:new", "Robert")
    candidates = [
        _named("person:new", "Robert"),
        _named("person:1", "Bob"),
        _named("person:2", "Robert") | {"dob": "1984-07-03"},
        _named("person:3", "Alice") | {"last_name": "Zimmerman", "dob": "1950-01-01"},
    ]
    best = scorer.best(record, candidates, top=5, threshold=M.REVIEW_BAND)
    assert [s.unique_id for s in best] == ["person:2", "person:1"]
    assert best[0].level("dob").label == "day and month swapped"
    assert best[1].level("first_name").label == "same name (nickname)"
    assert best[0].match_weight >= best[1].match_weight
    assert all(s.match_probability >= M.REVIEW_BAND for s in best)
    assert len(scorer.best(record, candidates, top=1)) == 1


def test_the_mirrored_comparisons_are_the_models() -> None:
    assert Q.settings_fingerprint(M.settings()) == Q.MIRRORED_FINGERPRINT, (
        "model._comparisons() changed: mirror the change in engine/quick.py, then update "
        "MIRRORED_FINGERPRINT"
    )


def test_a_model_with_other_comparisons_is_refused(trained: M.TrainedModel) -> None:
    data = json.loads(trained.to_json())
    levels = data["splink"]["comparisons"][2]["comparison_levels"]
    levels[2]["sql_condition"] = "dob_l = dob_r"
    changed = M.TrainedModel.from_splink(data["splink"], data["counts"])
    with pytest.raises(Q.UnsupportedModel, match="not the ones the quick scorer mirrors"):
        Q.QuickScorer(changed)


def test_quick_imports_neither_django_nor_splink() -> None:
    code = (
        "import sys; import pathways.linkage.engine.quick; "
        "bad = [m for m in sys.modules if m.split('.')[0] in ('django', 'splink', 'duckdb')]; "
        "print(','.join(bad))"
    )
    out = subprocess.run(  # noqa: S603 - our own interpreter, a fixed snippet
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env={}
    )
    assert out.stdout.strip() == ""
