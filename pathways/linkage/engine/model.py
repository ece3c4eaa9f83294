"""The probabilistic linkage model: Splink 5 settings, training, prediction and the fast
paths the app needs (one new record against a pool; a daily file against the records
already linked).

Splink, DuckDB and pyarrow are imported inside the functions that use them, so importing
this module is cheap. Every frame handed in is a linkage frame (:mod:`.records`) or a frame
already prepared by :func:`.normalise.prepare`; the model never sees ``group``.
"""

from __future__ import annotations

import copy
import hashlib
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd  # type: ignore[import-untyped]

from .normalise import INT_COLUMNS, PREPARED_COLUMNS, prepare
from .records import frame as records_frame

if TYPE_CHECKING:
    import pyarrow as pa

#: a pair at or above this match probability links without review
AUTO_LINK = 0.95
#: a pair from this probability up to :data:`AUTO_LINK` goes to a reviewer
REVIEW_BAND = 0.50

#: the default limit on the comparisons the prediction blocking rules may generate
MAX_COMPARISONS = 200_000_000
#: above this many records, training checks the blocking on a sample (an estimate)
BLOCKING_SAMPLE_RECORDS = 200_000

#: columns holding lists of strings in a prepared frame
LIST_COLUMNS = ("given_names", "surnames", "ext_ids", "ext_systems")

#: comparisons of the model, as (output column, the field a reviewer reads)
FIELDS: tuple[tuple[str, str], ...] = (
    ("first_name", "First name"),
    ("last_name", "Last name"),
    ("dob", "Date of birth"),
    ("sex", "Sex"),
    ("postal_code", "ZIP code"),
    ("address", "Address"),
    ("phone", "Phone"),
    ("ext_ids", "External ids"),
    ("twins", "Twins check"),
)

_SPLINK_VERSION = "splink-5"

#: the smallest u a term-frequency adjustment may use: a name seen once or twice in the data
#: is not taken as a one-in-a-million name (caps an exact match's weight)
TF_MINIMUM_U = 0.001

#: fixed m and u of the twins level (different first name, same surname and date of birth):
#: a weight of log2(m/u), about -39, that outweighs every other field agreeing
TWIN_M = 1e-12
#: fixed m and u of a shared external number: a weight of log2(0.9 / 1e-6), about +19.8
SHARED_ID_M = 0.9
SHARED_ID_U = 1e-6
TWIN_U = 0.5


def _typo_like(a: str, b: str) -> str:
    """SQL: one edit between ``a`` and ``b`` that a typist makes: anywhere in a long name, or
    in a short one (five letters or fewer) unless it replaces the first letter. 'Lin'/'Xin'
    and 'Minh'/'Linh' are other names; 'Jason'/'aJson', 'Lan'/'Lna' and 'Xiu'/'Xu' are typos."""
    return (
        f"(abs(length({a}) - length({b})) <= 1 AND damerau_levenshtein({a}, {b}) <= 1 "
        f"AND (left({a}, 1) = left({b}, 1) "
        f"OR least(length({a}), length({b})) > 5 OR length({a}) <> length({b}) "
        f"OR (substr({a}, 1, 1) = substr({b}, 2, 1) AND substr({a}, 2, 1) = substr({b}, 1, 1))))"
    )


def _close_name(a: str, b: str) -> str:
    """SQL: ``a`` and ``b`` are the same name, allowing one typo (Jaro-Winkler 0.88 or one
    typist's edit, so short names are covered too)."""
    return f"({a} = {b} OR jaro_winkler_similarity({a}, {b}) >= 0.88 OR {_typo_like(a, b)})"


def _other_name(a: str, b: str) -> str:
    """SQL: ``a`` and ``b`` are different names by every spelling test: not a typist's edit
    apart, and far apart (Jaro-Winkler under 0.8 and over one edit) or both short."""
    return (
        f"({a} <> {b} AND NOT {_typo_like(a, b)} "
        f"AND (jaro_winkler_similarity({a}, {b}) < 0.8 OR least(length({a}), length({b})) <= 5))"
    )


#: given and family names swapped (either way round, one typo allowed in the other name, or
#: a typo in each)
SWAP_SQL = (
    f"((first_name_l = last_name_r AND {_close_name('last_name_l', 'first_name_r')}) "
    f"OR (last_name_l = first_name_r AND {_close_name('first_name_l', 'last_name_r')}) "
    "OR (left(first_name_l, 1) = left(last_name_r, 1) "
    "AND left(last_name_l, 1) = left(first_name_r, 1) "
    "AND jaro_winkler_similarity(first_name_l, last_name_r) >= 0.88 "
    "AND jaro_winkler_similarity(last_name_l, first_name_r) >= 0.88))"
)


#: two of year, month and day equal and the third one typo (or any day of the month), or
#: within a week: string equality and integer arithmetic on prepared columns, no per-pair
#: date parsing
_DOB_TYPO = (
    "((dob_year_l = dob_year_r AND (dob_month_l = dob_month_r "
    "OR (dob_day_l = dob_day_r AND damerau_levenshtein(dob_month_l, dob_month_r) <= 1))) "
    "OR (dob_month_l = dob_month_r AND dob_day_l = dob_day_r "
    "AND damerau_levenshtein(dob_year_l, dob_year_r) <= 1) "
    "OR abs(dob_days_l - dob_days_r) <= 7)"
)
#: birth dates equal or one slip apart (twins check)
_DOB_CLOSE = (
    "(dob_l = dob_r OR dob_l = dob_swapped_r "
    "OR (dob_month_l = dob_month_r AND dob_day_l = dob_day_r "
    "AND abs(cast(dob_year_l as int) - cast(dob_year_r as int)) = 1) "
    f"OR {_DOB_TYPO})"
)
_NO_SHARED_ID = "NOT coalesce(list_has_any(ext_ids_l, ext_ids_r), false)"
_SAME_HOME = "coalesce(address_l = address_r OR phone_l = phone_r, false)"

#: twins written in the usual order: other first names (not a nickname, middle name or
#: alias of each other, not the names swapped) and one family (surname, address or phone)
_TWINS_ALIGNED = (
    "(first_canon_l <> first_canon_r "
    f"AND {_other_name('first_name_l', 'first_name_r')} "
    "AND NOT coalesce(list_contains(given_names_r, first_name_l), false) "
    "AND NOT coalesce(list_contains(given_names_l, first_name_r), false) "
    f"AND NOT coalesce({SWAP_SQL}, false) "
    "AND NOT coalesce(first_name_l = last_name_r OR last_name_l = first_name_r, false) "
    "AND (last_name_l = last_name_r OR jaro_winkler_similarity(last_name_l, last_name_r) >= 0.88 "
    "OR coalesce(list_has_any(surnames_l, surnames_r), false) "
    f"OR {_SAME_HOME}))"
)
#: one record written family name first: the family name crosses over, the given names differ
_TWINS_ONE_SWAPPED = (
    f"((first_name_l = last_name_r AND {_other_name('last_name_l', 'first_name_r')}) "
    f"OR (last_name_l = first_name_r AND {_other_name('first_name_l', 'last_name_r')}))"
)
#: both written family name first: the same (family) name in the first field, other names in
#: the last field, one home. Only for a first name that is a common family name.
_TWINS_BOTH_SWAPPED = (
    "(first_name_l = first_name_r AND first_is_family_l IS NOT NULL "
    f"AND {_other_name('last_name_l', 'last_name_r')} "
    "AND NOT coalesce(list_has_any(surnames_l, surnames_r), false) "
    f"AND {_SAME_HOME})"
)

#: the twins level: another given name with the same family and birth date (equal or one
#: slip apart) and no shared external id, in either name order
TWIN_SQL = (
    "first_name_l IS NOT NULL AND first_name_r IS NOT NULL "
    f"AND {_DOB_CLOSE} AND {_NO_SHARED_ID} "
    f"AND ({_TWINS_ALIGNED} OR {_TWINS_ONE_SWAPPED} OR {_TWINS_BOTH_SWAPPED})"
)


class BlockingTooWide(Exception):
    """The blocking rules would generate more comparisons than allowed.

    Raised by :func:`check_blocking` (and so before any training or prediction)."""

    def __init__(self, total: int, limit: int, per_rule: Sequence[tuple[str, int]]) -> None:
        self.total = total
        self.limit = limit
        self.per_rule = list(per_rule)
        widest = max(self.per_rule, key=lambda r: r[1])[0] if self.per_rule else "-"
        super().__init__(
            f"blocking rules generate {total:,} comparisons, over the limit of {limit:,}; "
            f"the widest rule is {widest}"
        )


@dataclass(frozen=True)
class BlockingCounts:
    """Comparisons the blocking rules generate: per rule (marginal, after the rules before
    it) and in total."""

    per_rule: tuple[tuple[str, int], ...]
    total: int
    is_estimate: bool


@dataclass(frozen=True)
class TrainedModel:
    """A trained model: the Splink settings with their m and u probabilities and the prior,
    a version derived from them, and counts from the training run."""

    splink: Mapping[str, Any]
    version: str
    counts: Mapping[str, int] = field(default_factory=dict)

    @classmethod
    def from_splink(cls, splink: Mapping[str, Any], counts: Mapping[str, int]) -> TrainedModel:
        clean = _canonical_settings(splink)
        return cls(splink=clean, version=model_version(clean), counts=dict(counts))

    def to_json(self) -> str:
        return json.dumps(
            {"version": self.version, "counts": dict(self.counts), "splink": self.splink},
            sort_keys=True,
        )

    @classmethod
    def from_json(cls, text: str) -> TrainedModel:
        data = json.loads(text)
        if not isinstance(data, dict) or "splink" not in data or "version" not in data:
            raise ValueError("not a trained linkage model")
        splink = data["splink"]
        if model_version(splink) != data["version"]:
            raise ValueError("trained linkage model does not match its version")
        return cls(splink=splink, version=data["version"], counts=data.get("counts", {}))

    def settings_for(self, link_type: str) -> dict[str, Any]:
        """A copy of the Splink settings for ``link_type``, ready for a Linker."""
        out = copy.deepcopy(dict(self.splink))
        out["link_type"] = link_type
        return out


def model_version(splink: Mapping[str, Any]) -> str:
    """``splink-5/<sha256 prefix>`` of the settings' canonical JSON."""
    digest = hashlib.sha256(json.dumps(splink, sort_keys=True).encode()).hexdigest()
    return f"{_SPLINK_VERSION}/{digest[:16]}"


def _round(value: Any) -> Any:
    if isinstance(value, float) and math.isfinite(value) and value != 0:
        return float(f"{value:.9g}")
    return value


def _canonical_settings(splink: Mapping[str, Any]) -> dict[str, Any]:
    """Drop the run-specific linker id and round probabilities to 9 significant digits (DuckDB's
    parallel sums differ in the last bits between runs), so a seed gives one version."""
    out = copy.deepcopy(dict(splink))
    out.pop("linker_uid", None)
    out["probability_two_random_records_match"] = _round(
        out.get("probability_two_random_records_match")
    )
    for comparison in out.get("comparisons", []):
        for level in comparison.get("comparison_levels", []):
            for key in ("m_probability", "u_probability"):
                if key in level:
                    level[key] = _round(level[key])
    return out


# --- settings -------------------------------------------------------------------------


def _comparisons(dialect: str = "duckdb") -> list[Any]:
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl

    def custom(sql: str, **kwargs: Any) -> Any:
        # DuckDB's list_has_any becomes Spark's arrays_overlap (sqlglot reads both)
        if dialect == "spark":
            sql = sql.replace("list_has_any(", "arrays_overlap(")
        return cll.CustomLevel(sql, base_dialect_str="duckdb", **kwargs)

    first = cl.CustomComparison(
        output_column_name="first_name",
        comparison_description="first name",
        comparison_levels=[
            cll.NullLevel("first_name"),
            cll.ExactMatchLevel("first_name", term_frequency_adjustments=True).configure(
                label_for_charts="exact", tf_minimum_u_value=TF_MINIMUM_U
            ),
            cll.ExactMatchLevel("first_canon", term_frequency_adjustments=True).configure(
                label_for_charts="same name (nickname)", tf_minimum_u_value=TF_MINIMUM_U
            ),
            cll.JaroWinklerLevel("first_name", 0.92).configure(label_for_charts="close (JW>0.92)"),
            custom(
                _typo_like("first_name_l", "first_name_r"),
                label_for_charts="one edit",
            ),
            custom(
                SWAP_SQL,
                label_for_charts="first and last swapped",
            ),
            custom(
                "list_contains(given_names_r, first_name_l) "
                "OR list_contains(given_names_l, first_name_r)",
                label_for_charts="matches middle name or alias",
            ),
            custom(
                "jaro_winkler_similarity(first_name_l, first_name_r) >= 0.8 AND NOT "
                + _other_name("first_name_l", "first_name_r"),
                label_for_charts="similar (JW>0.8)",
            ),
            cll.ElseLevel().configure(label_for_charts="different"),
        ],
    )
    last = cl.CustomComparison(
        output_column_name="last_name",
        comparison_description="last name",
        comparison_levels=[
            cll.NullLevel("last_name"),
            cll.ExactMatchLevel("last_name", term_frequency_adjustments=True).configure(
                label_for_charts="exact", tf_minimum_u_value=TF_MINIMUM_U
            ),
            custom(
                "list_has_any(surnames_l, surnames_r)",
                label_for_charts="shares a surname part or alias",
            ),
            # the swap is one event, weighed once (in the first name): weight 0 here
            custom(
                SWAP_SQL,
                label_for_charts="first and last swapped (weighed in first name)",
            ).configure(
                m_probability=0.01,
                u_probability=0.01,
                fix_m_probability=True,
                fix_u_probability=True,
            ),
            cll.JaroWinklerLevel("last_name", 0.92).configure(label_for_charts="close (JW>0.92)"),
            custom(
                _typo_like("last_name_l", "last_name_r"),
                label_for_charts="one edit",
            ),
            custom(
                "jaro_winkler_similarity(last_name_l, last_name_r) >= 0.8 AND NOT "
                + _other_name("last_name_l", "last_name_r"),
                label_for_charts="similar (JW>0.8)",
            ),
            cll.ElseLevel().configure(label_for_charts="different"),
        ],
    )
    dob = cl.CustomComparison(
        output_column_name="dob",
        comparison_description="date of birth",
        comparison_levels=[
            cll.NullLevel("dob"),
            cll.ExactMatchLevel("dob").configure(label_for_charts="exact"),
            custom("dob_l = dob_swapped_r", label_for_charts="day and month swapped"),
            custom(
                "dob_month_l = dob_month_r AND dob_day_l = dob_day_r "
                "AND abs(cast(dob_year_l as int) - cast(dob_year_r as int)) = 1",
                label_for_charts="year off by one",
            ),
            custom(
                _DOB_TYPO,
                label_for_charts="one-digit typo or within a week",
            ),
            cll.ElseLevel().configure(label_for_charts="different"),
        ],
    )
    sex = cl.CustomComparison(
        output_column_name="sex",
        comparison_description="sex",
        comparison_levels=[
            cll.NullLevel("sex"),
            cll.ExactMatchLevel("sex").configure(label_for_charts="same"),
            cll.ElseLevel().configure(label_for_charts="different"),
        ],
    )
    postal = cl.CustomComparison(
        output_column_name="postal_code",
        comparison_description="ZIP code",
        comparison_levels=[
            cll.NullLevel("postal_code"),
            cll.ExactMatchLevel("postal_code").configure(label_for_charts="same ZIP"),
            cll.ExactMatchLevel("postal_3").configure(label_for_charts="same 3-digit area"),
            cll.ElseLevel().configure(label_for_charts="different"),
        ],
    )
    address = cl.CustomComparison(
        output_column_name="address",
        comparison_description="address",
        comparison_levels=[
            cll.NullLevel("address"),
            cll.ExactMatchLevel("address").configure(label_for_charts="same number and street"),
            cll.JaroWinklerLevel("address", 0.9).configure(label_for_charts="close"),
            cll.ElseLevel().configure(label_for_charts="different"),
        ],
    )
    phone = cl.CustomComparison(
        output_column_name="phone",
        comparison_description="phone",
        comparison_levels=[
            cll.NullLevel("phone"),
            cll.ExactMatchLevel("phone").configure(label_for_charts="same"),
            cll.DamerauLevenshteinLevel("phone", 1).configure(label_for_charts="one digit off"),
            cll.ElseLevel().configure(label_for_charts="different"),
        ],
    )
    ext = cl.CustomComparison(
        output_column_name="ext_ids",
        comparison_description="external ids",
        comparison_levels=[
            cll.NullLevel("ext_ids"),
            # strong evidence, fixed: a number two people share is an error in one system,
            # about one random pair in a million; EM cannot learn it where (as in a new
            # program) few records carry numbers
            custom(
                "list_has_any(ext_ids_l, ext_ids_r)",
                label_for_charts="a shared id",
            ).configure(
                m_probability=SHARED_ID_M,
                u_probability=SHARED_ID_U,
                fix_m_probability=True,
                fix_u_probability=True,
            ),
            custom(
                "list_has_any(ext_systems_l, ext_systems_r)",
            ).configure(label_for_charts="different id in the same system"),
            cll.ElseLevel().configure(label_for_charts="no common system"),
        ],
    )
    # Twins: another first name with the same family and birth date. The other fields agree
    # too (a family shares an address and a phone), so only a fixed, overwhelming weight
    # against keeps them apart. Its own comparison, fixed, so EM never moves it and it does
    # not stop the first name being trained in the date-of-birth block.
    twins = cl.CustomComparison(
        output_column_name="twins",
        comparison_description="twins pattern",
        comparison_levels=[
            custom(
                TWIN_SQL,
                label_for_charts="other first name, same family and birth date",
            ).configure(
                m_probability=TWIN_M,
                u_probability=TWIN_U,
                fix_m_probability=True,
                fix_u_probability=True,
            ),
            cll.ElseLevel()
            .configure(label_for_charts="not twins")
            .configure(
                m_probability=1.0,
                u_probability=1.0,
                fix_m_probability=True,
                fix_u_probability=True,
            ),
        ],
    )
    return [first, last, dob, sex, postal, address, phone, ext, twins]


def blocking_rules() -> list[Any]:
    """The rules that generate candidate pairs for prediction (each a Splink rule creator)."""
    from splink import block_on
    from splink.blocking_rule_library import CustomRule

    # Every rule is narrow enough for a million people with the common names of a county
    # (thousands of "Mary Smith"s): a name pair alone is never a rule, it comes with a birth
    # year, a date part, or a ZIP code. Name + ZIP code rules only pair records when one of
    # them has no birth date (with a birth date on both, the date-keyed rules find the pair):
    # a ZIP code holds ~15k people, so name + ZIP alone grows with the square of the county.
    # Rules comparing one field with another (swapped names) are written both ways round,
    # because Splink only compares l.id < r.id. Comparison counts per rule at a million
    # people: bench/RESULTS.md.
    return [
        block_on("dob", "last_meta"),
        block_on("dob", "first_meta"),
        block_on("dob", "last_meta_2"),
        block_on("first_canon", "last_name", "dob_year"),
        block_on("first_meta", "last_meta", "dob_year"),
        CustomRule(
            "l.first_initial = r.first_initial AND l.last_name = r.last_name"
            f" AND l.postal_code = r.postal_code AND {_A_DOB_MISSING}"
        ),
        block_on("first_canon", "last_meta_2", "dob_year"),
        # a wrong birth year: the first name (its initial) and the sex narrow the day
        block_on("first_initial", "last_meta", "dob_month", "dob_day", "sex"),
        block_on("first_canon", "last_meta", "dob_month", "dob_day"),
        # a changed surname with a wrong birth day
        block_on("first_meta", "dob_year", "dob_month", "sex"),
        block_on("first_meta", "last_meta", "dob_month", "dob_day"),
        CustomRule("l.dob = r.dob_swapped AND l.last_meta = r.last_meta"),
        CustomRule("l.dob_swapped = r.dob AND l.first_meta = r.first_meta"),
        CustomRule(
            "l.first_name = r.last_name AND l.last_name = r.first_name"
            f" AND (l.dob_month = r.dob_month OR {_A_DOB_MISSING})"
        ),
        CustomRule("l.dob = r.dob AND l.first_meta = r.last_meta"),
        CustomRule("l.dob = r.dob AND l.last_meta = r.first_meta"),
        CustomRule(
            "l.first_meta = r.last_meta AND l.last_meta = r.first_meta AND l.dob_year = r.dob_year"
        ),
        CustomRule(
            f"l.first_name = r.last_name AND l.postal_code = r.postal_code AND {_A_DOB_MISSING}"
        ),
        CustomRule(
            f"l.last_name = r.first_name AND l.postal_code = r.postal_code AND {_A_DOB_MISSING}"
        ),
        block_on("dob", "postal_code"),
        block_on("phone"),
        block_on("postal_code", "first_canon", "dob_year"),
        block_on("address", "first_initial"),
        block_on("ext_ids", arrays_to_explode=["ext_ids"]),
    ]


#: a blocking-rule condition: one record of the pair has no birth date
_A_DOB_MISSING = "(l.dob IS NULL OR r.dob IS NULL)"


def training_rules() -> list[Any]:
    """EM blocking rules: together they leave no comparison untrained (dob is trained from
    the name block, the names from the dob block)."""
    from splink import block_on

    return [block_on("dob_year", "dob_month", "dob_day"), block_on("first_canon", "last_name")]


def settings(
    frames: int = 1, *, dialect: str = "duckdb", rules: Sequence[Any] | None = None
) -> dict[str, Any]:
    """The Splink settings dict (untrained): ``dedupe_only`` for one frame,
    ``link_and_dedupe`` for two. ``dialect`` is a Splink SQL dialect ("duckdb", "spark")."""
    from splink import SettingsCreator

    if frames not in (1, 2):
        raise ValueError("settings are for one frame (dedupe) or two (link and dedupe)")
    creator = SettingsCreator(
        link_type="dedupe_only" if frames == 1 else "link_and_dedupe",
        comparisons=_comparisons(dialect),
        blocking_rules_to_generate_predictions=list(rules or blocking_rules()),
        retain_matching_columns=True,
        retain_intermediate_calculation_columns=True,
        additional_columns_to_retain=["source"],
        max_iterations=25,
        em_convergence=0.0001,
    )
    out = creator.create_settings_dict(dialect)
    if dialect == "spark":
        # sqlglot writes DuckDB's jaro_winkler_similarity as JAROWINKLER_SIMILARITY; Splink's
        # Spark backend registers that UDF as jaro_winkler
        text = json.dumps(out).replace("JAROWINKLER_SIMILARITY(", "jaro_winkler(")
        out = json.loads(text)
    return out


# --- DuckDB plumbing --------------------------------------------------------------------


def _arrow(prepared: pd.DataFrame) -> pa.Table:
    """A prepared frame as an Arrow table with a fixed schema (so an all-missing column of a
    one-row frame still has the right type)."""
    import pyarrow as pa

    fields = [
        pa.field(
            c,
            pa.list_(pa.string())
            if c in LIST_COLUMNS
            else (pa.int32() if c in INT_COLUMNS else pa.string()),
        )
        for c in PREPARED_COLUMNS
    ]
    schema = pa.schema(fields)
    arrays = []
    for column in PREPARED_COLUMNS:
        values = prepared[column].to_numpy(dtype=object)
        values = [None if (v is None or v is pd.NA or v != v) else v for v in values]
        arrays.append(pa.array(values, type=schema.field(column).type))
    return pa.Table.from_arrays(arrays, schema=schema)


def _as_prepared(df: pd.DataFrame) -> pd.DataFrame:
    return prepare(df)


def _db() -> Any:
    from splink import DuckDBAPI

    return DuckDBAPI()


def _linker(db: Any, tables: Sequence[Any], settings_dict: Mapping[str, Any]) -> Any:
    from splink import Linker

    inputs = tables[0] if len(tables) == 1 else list(tables)
    return Linker(inputs, dict(settings_dict), log_level=None)


# --- blocking ---------------------------------------------------------------------------


def check_blocking(
    df: pd.DataFrame,
    rules: Sequence[Any] | None = None,
    max_comparisons: int = MAX_COMPARISONS,
    *,
    right: pd.DataFrame | None = None,
    record_sample_proportion: float = 1.0,
) -> BlockingCounts:
    """Count the comparisons the blocking rules generate (Splink's
    ``count_comparisons_from_blocking_rules``) and raise :class:`BlockingTooWide` when the
    total is over ``max_comparisons``. ``rules`` default to :func:`blocking_rules`."""
    from splink.blocking_analysis import count_comparisons_from_blocking_rules

    db = _db()
    tables = [db.register(_arrow(_as_prepared(df)), table_name="__pathways_left")]
    if right is not None:
        tables.append(db.register(_arrow(_as_prepared(right)), table_name="__pathways_right"))
    records = count_comparisons_from_blocking_rules(
        tables[0] if len(tables) == 1 else tables,
        blocking_rules=list(rules or blocking_rules()),
        link_type="dedupe_only" if right is None else "link_and_dedupe",
        unique_id_column_name="unique_id",
        record_sample_proportion=record_sample_proportion,
    )
    per_rule = tuple((r["blocking_rule"], int(r["marginal_comparison_count"])) for r in records)
    total = int(records[-1]["cumulative_comparison_count"]) if records else 0
    counts = BlockingCounts(
        per_rule=per_rule, total=total, is_estimate=any(r["is_estimate"] for r in records)
    )
    if total > max_comparisons:
        raise BlockingTooWide(total, max_comparisons, per_rule)
    return counts


# --- training ---------------------------------------------------------------------------


def prior_floor(n_records: int) -> float:
    """The smallest prior a model is trained with: one record in a hundred has another record
    of the same person, among the n(n-1)/2 pairs of ``n_records``."""
    n = max(n_records, 2)
    return min(0.5, 0.01 * n / (n * (n - 1) / 2))


def train(
    df: pd.DataFrame,
    *,
    seed: int = 42,
    right: pd.DataFrame | None = None,
    u_max_pairs: float = 5e6,
    em_max_pairs: float | None = 2e6,
    recall: float = 0.5,
    max_comparisons: int = MAX_COMPARISONS,
) -> TrainedModel:
    """Train the model on one frame (or two, linked and deduplicated together).

    u by random sampling (seeded), the prior from deterministic rules (exact first name,
    last name and dob; a shared external id) at the assumed ``recall``, m by EM over the
    :func:`training_rules`. The blocking is checked first (:class:`BlockingTooWide`)."""
    from splink import block_on

    left = _as_prepared(df)
    right_prepared = _as_prepared(right) if right is not None else None
    n_records = len(left) + (len(right_prepared) if right_prepared is not None else 0)
    # counting every pair of a million records costs minutes and gigabytes: past
    # BLOCKING_SAMPLE_RECORDS the count is Splink's estimate from a sample of the records
    check_blocking(
        left,
        max_comparisons=max_comparisons,
        right=right_prepared,
        record_sample_proportion=min(1.0, BLOCKING_SAMPLE_RECORDS / max(n_records, 1)),
    )

    db = _db()
    tables = [db.register(_arrow(left), table_name="__pathways_left")]
    if right_prepared is not None:
        tables.append(db.register(_arrow(right_prepared), table_name="__pathways_right"))
    settings_dict = settings(len(tables))
    settings_dict["linker_uid"] = "pathways"
    linker = _linker(db, tables, settings_dict)

    linker.training.estimate_probability_two_random_records_match(
        [block_on("first_name", "last_name", "dob")], recall=recall
    )
    n_all = len(left) + (len(right_prepared) if right_prepared is not None else 0)
    floor = prior_floor(n_all)
    settings_obj = linker._settings_obj
    if settings_obj._probability_two_random_records_match < floor:
        # no two records share name and birth date (a new program, a clean registry): the
        # estimate is 0 and every weight would be -inf; assume 1 in 100 records has another
        settings_obj._probability_two_random_records_match = floor
    linker.training.estimate_u_using_random_sampling(max_pairs=u_max_pairs, seed=seed)
    em_pairs: dict[str, int] = {}
    for number, rule in enumerate(training_rules()):
        try:
            session = linker.training.estimate_parameters_using_expectation_maximisation(
                rule, max_pairs=em_max_pairs
            )
        except ValueError:
            # a block with no matching pair at all (a registry with no duplicates yet): EM
            # drives some m to 0, which Splink refuses; that rule's comparisons keep the m
            # of the other rules (or the comparison's starting values)
            em_pairs[f"em_rule_{number}_skipped"] = 1
            continue
        em_pairs[f"em_rule_{number}_iterations"] = len(
            getattr(session, "_iteration_history", []) or []
        )
    model_dict = linker.misc.save_model_to_json()
    n_records = len(left) + (len(right_prepared) if right_prepared is not None else 0)
    counts = {"records": n_records, "seed": seed, "u_max_pairs": int(u_max_pairs), **em_pairs}
    return TrainedModel.from_splink(model_dict, counts)


# --- prediction -------------------------------------------------------------------------


def _levels(model: TrainedModel) -> dict[str, dict[int, str]]:
    """For each comparison, its gamma value -> level label."""
    out: dict[str, dict[int, str]] = {}
    for comparison in model.splink["comparisons"]:
        levels = comparison["comparison_levels"]
        non_null = [lv for lv in levels if not lv.get("is_null_level")]
        mapping: dict[int, str] = {-1: "missing"}
        for index, level in enumerate(non_null):
            mapping[len(non_null) - 1 - index] = level.get("label_for_charts", str(index))
        out[comparison["output_column_name"]] = mapping
    return out


def _tidy(model: TrainedModel, raw: pd.DataFrame) -> pd.DataFrame:
    """Splink's predictions -> the engine's pair frame: ids, probability, weight, and per
    comparison ``<name>_level`` (label), ``<name>_gamma`` and ``<name>_weight``."""
    columns: dict[str, Any] = {
        "unique_id_l": raw["unique_id_l"].astype(str).to_numpy(),
        "unique_id_r": raw["unique_id_r"].astype(str).to_numpy(),
        "match_probability": raw["match_probability"].astype(float).to_numpy(),
        "match_weight": raw["match_weight"].astype(float).to_numpy(),
    }
    for name, labels in _levels(model).items():
        gamma = raw[f"gamma_{name}"].astype(int)
        columns[f"{name}_level"] = gamma.map(labels).to_numpy()
        columns[f"{name}_gamma"] = gamma.to_numpy()
        weight = raw[f"mw_{name}"].astype(float).fillna(0.0)
        if f"mw_tf_adj_{name}" in raw.columns:
            weight = weight + raw[f"mw_tf_adj_{name}"].astype(float).fillna(0.0)
        columns[f"{name}_weight"] = weight.to_numpy()
    out = pd.DataFrame(columns)
    # the lower id on the left, whichever table Splink put first
    swap = out["unique_id_l"] > out["unique_id_r"]
    if swap.any():
        left = out.loc[swap, "unique_id_l"].copy()
        out.loc[swap, "unique_id_l"] = out.loc[swap, "unique_id_r"]
        out.loc[swap, "unique_id_r"] = left
    return out.sort_values(
        ["match_probability", "unique_id_l", "unique_id_r"],
        ascending=[False, True, True],
        kind="stable",
        ignore_index=True,
    )


def predict(
    model: TrainedModel,
    left: pd.DataFrame,
    right: pd.DataFrame | None = None,
    *,
    threshold: float = 0.5,
    max_comparisons: int | None = None,
) -> pd.DataFrame:
    """Score the candidate pairs the blocking rules find within ``left`` (or within and
    between ``left`` and ``right``) and return those at or above ``threshold``, best first.

    Columns: ``unique_id_l`` < ``unique_id_r``, ``match_probability``, ``match_weight`` and for
    each comparison in :data:`FIELDS` ``<name>_level``, ``<name>_gamma`` and ``<name>_weight``
    (log2 Bayes factor, term frequencies included)."""
    prepared = [_as_prepared(left)] + ([_as_prepared(right)] if right is not None else [])
    if max_comparisons is not None:
        check_blocking(
            prepared[0],
            max_comparisons=max_comparisons,
            right=prepared[1] if len(prepared) > 1 else None,
        )
    db = _db()
    tables = [db.register(_arrow(p), table_name=f"__pathways_{n}") for n, p in enumerate(prepared)]
    link_type = "dedupe_only" if len(tables) == 1 else "link_and_dedupe"
    linker = _linker(db, tables, model.settings_for(link_type))
    result = linker.inference.predict(
        threshold_match_probability=threshold if threshold > 0 else None, warning_mode="never"
    )
    raw = result.as_pandas_dataframe()
    return _tidy(model, raw)


@dataclass(frozen=True)
class Explanation:
    """Why two records score as they do: one row per field and the total."""

    rows: tuple[tuple[str, str, float], ...]
    match_weight: float
    match_probability: float
    prior_weight: float


def _score_pairs(
    model: TrainedModel,
    left: pd.DataFrame,
    right: pd.DataFrame,
    *,
    tf_from: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Score every pair of ``left`` x ``right`` (no blocking). Term frequencies come from
    ``tf_from``; without it they are neutral (each exact level weighs its average)."""
    import pyarrow as pa

    db = _db()
    left_t, right_t = _arrow(left), _arrow(right)
    if tf_from is None:
        neutral = _neutral_tf(model)
        for column, u in neutral.items():
            left_t = left_t.append_column(f"tf_{column}", pa.array([u] * len(left_t)))
            right_t = right_t.append_column(f"tf_{column}", pa.array([u] * len(right_t)))
        base = db.register(left_t, table_name="__pathways_pool")
        linker = _linker(db, [base], model.settings_for("dedupe_only"))
    else:
        pool = tf_from.drop_duplicates("unique_id")
        base = db.register(_arrow(pool), table_name="__pathways_pool")
        linker = _linker(db, [base], model.settings_for("dedupe_only"))
        for column in _tf_columns(model):
            linker.table_management.compute_tf_table(column)
    left_s = db.register(left_t, table_name="__pathways_l")
    right_s = db.register(right_t, table_name="__pathways_r")
    raw = linker.inference.score_pairs(left_s, right_s).as_pandas_dataframe()
    return _tidy(model, raw)


def _neutral_tf(model: TrainedModel) -> dict[str, float]:
    """For each term-frequency column, the u of its level: as a record's term frequency it
    makes the adjustment zero."""
    out: dict[str, float] = {}
    for comparison in model.splink["comparisons"]:
        for level in comparison["comparison_levels"]:
            column = level.get("tf_adjustment_column")
            if column and column not in out:
                out[column] = float(level.get("u_probability", 0.01))
    return out


def _tf_columns(model: TrainedModel) -> list[str]:
    names: list[str] = []
    for comparison in model.splink["comparisons"]:
        for level in comparison["comparison_levels"]:
            column = level.get("tf_adjustment_column")
            if column and column not in names:
                names.append(column)
    return names


def explain(
    model: TrainedModel,
    a: Mapping[str, Any] | pd.DataFrame,
    b: Mapping[str, Any] | pd.DataFrame,
    *,
    pool: pd.DataFrame | None = None,
) -> Explanation:
    """How one pair scores: (field, level label, weight) per comparison, the prior's weight,
    and the total weight and probability. Term frequencies come from ``pool`` when given
    (the records the pair was found among); without it a name weighs its average."""
    left = _as_prepared(_one(a))
    right = _as_prepared(_one(b))
    prepared_pool = _as_prepared(pool) if pool is not None else None
    if prepared_pool is not None:
        prepared_pool = pd.concat([prepared_pool, left, right], ignore_index=True)
    scored = _score_pairs(model, left, right, tf_from=prepared_pool)
    row = scored.iloc[0]
    rows = tuple(
        (label, str(row[f"{name}_level"]), float(row[f"{name}_weight"])) for name, label in FIELDS
    )
    prior = float(model.splink["probability_two_random_records_match"])
    return Explanation(
        rows=rows,
        match_weight=float(row["match_weight"]),
        match_probability=float(row["match_probability"]),
        prior_weight=math.log2(prior / (1 - prior)),
    )


def _one(record: Mapping[str, Any] | pd.DataFrame) -> pd.DataFrame:
    if isinstance(record, pd.DataFrame):
        if len(record) != 1:
            raise ValueError("expected exactly one record")
        return record
    return records_frame([record])


class CandidatePool:
    """A pool of records prepared once for the duplicate check: the DuckDB table, the linker
    and the pool's term-frequency tables are built here, so each :meth:`candidates` call only
    registers the one new record and scores it against the pool.

    Build one per pool (e.g. the records of an agency) and reuse it while the pool does not
    change; a changed pool needs a new object."""

    def __init__(self, model: TrainedModel, pool: pd.DataFrame) -> None:
        self.model = model
        self._pool = _as_prepared(pool).drop_duplicates("unique_id").reset_index(drop=True)
        self._db = _db()
        self._table = self._db.register(_arrow(self._pool), table_name="__pathways_pool")
        self._calls = 0
        self._linker = _linker(self._db, [self._table], model.settings_for("dedupe_only"))
        for column in _tf_columns(model):
            self._linker.table_management.compute_tf_table(column)

    def __len__(self) -> int:
        return len(self._pool)

    def candidates(
        self, record: Mapping[str, Any] | pd.DataFrame, *, top: int = 5, threshold: float = 0.0
    ) -> pd.DataFrame:
        """The ``top`` records of the pool most likely to be the same person as ``record``,
        best first (see :func:`candidates`). A pool record with the record's own id is left
        out."""
        new = _as_prepared(_one(record))
        uid = str(new["unique_id"].iloc[0])
        if self._pool.empty or (len(self._pool) == 1 and self._pool["unique_id"].iloc[0] == uid):
            return _tidy(self.model, _empty_raw(self.model))
        self._calls += 1
        new_t = self._db.register(_arrow(new), table_name=f"__pathways_new_{self._calls}")
        result = self._linker.inference.score_pairs(new_t, self._table)
        # only the best rows leave DuckDB (the full 10k-row frame costs more than the scoring)
        raw = self._db._con.execute(
            f"SELECT * FROM {result.physical_name} "  # noqa: S608 - Splink's own table name
            "WHERE unique_id_l <> unique_id_r AND match_probability >= ? "
            "ORDER BY match_weight DESC, unique_id_r LIMIT ?",
            [threshold, top],
        ).df()
        # the one-record table and the scores are dropped, so a long-lived pool does not grow
        result.drop_table_from_database_and_remove_from_cache()
        new_t.drop_table_from_database_and_remove_from_cache(force_non_splink_table=True)
        scored = _tidy(self.model, raw)
        scored = scored[
            (scored["unique_id_l"] != scored["unique_id_r"])
            & (scored["match_probability"] >= threshold)
        ]
        return scored.head(top).reset_index(drop=True)


def candidates(
    model: TrainedModel,
    record: Mapping[str, Any] | pd.DataFrame,
    pool: pd.DataFrame | CandidatePool,
    *,
    top: int = 5,
    threshold: float = 0.0,
) -> pd.DataFrame:
    """The ``top`` records of ``pool`` most likely to be the same person as ``record`` (the
    field entry's duplicate check), best first, with their probability and per-field levels.

    The record is scored against every record of the pool (no blocking: a pool of ~10k is a
    single vectorised pass), with term frequencies from the pool. ``pool`` may be a linkage
    frame, a prepared one or a :class:`CandidatePool`; a frame is prepared on every call, so
    a caller checking many records against one pool builds a :class:`CandidatePool` once."""
    prepared = pool if isinstance(pool, CandidatePool) else CandidatePool(model, pool)
    return prepared.candidates(record, top=top, threshold=threshold)


def _empty_raw(model: TrainedModel) -> pd.DataFrame:
    columns: dict[str, list[Any]] = {
        "unique_id_l": [],
        "unique_id_r": [],
        "match_probability": [],
        "match_weight": [],
    }
    for name, _label in FIELDS:
        columns[f"gamma_{name}"] = []
        columns[f"mw_{name}"] = []
    return pd.DataFrame(columns)


def link_incremental(
    model: TrainedModel,
    new: pd.DataFrame,
    existing: pd.DataFrame,
    *,
    threshold: float = REVIEW_BAND,
    within_new: bool = True,
) -> pd.DataFrame:
    """Link a daily file against the records already held, with the trained model (no
    retraining): the pairs between ``new`` and ``existing`` and, when ``within_new``, among
    the new records, at or above ``threshold``. Term frequencies come from ``existing``."""
    new_p = _as_prepared(new)
    existing_p = _as_prepared(existing)
    db = _db()
    existing_t = db.register(_arrow(existing_p), table_name="__pathways_existing")
    new_t = db.register(_arrow(new_p), table_name="__pathways_new")
    linker = _linker(db, [existing_t], model.settings_for("dedupe_only"))
    for column in _tf_columns(model):
        linker.table_management.compute_tf_table(column)
    limit = threshold if threshold > 0 else None
    between = linker.inference.predict_between(
        new_t, existing_t, threshold_match_probability=limit, warning_mode="never"
    ).as_pandas_dataframe()
    parts = [between]
    if within_new:
        within = linker.inference.predict_within(
            new_t, threshold_match_probability=limit, warning_mode="never"
        ).as_pandas_dataframe()
        parts.append(within)
    raw = pd.concat(parts, ignore_index=True)
    return _tidy(model, raw)


def pairs_of(predictions: pd.DataFrame, threshold: float) -> Iterable[tuple[str, str, float]]:
    """(id, id, probability) of the predictions at or above ``threshold``."""
    kept = predictions[predictions["match_probability"] >= threshold]
    return zip(
        kept["unique_id_l"].tolist(),
        kept["unique_id_r"].tolist(),
        kept["match_probability"].tolist(),
        strict=True,
    )
