"""The duplicate check's fast path: one record scored against a few candidates in plain
Python, with a trained model's m and u probabilities, and no DuckDB or Splink.

Building a Splink linker costs hundreds of milliseconds, which the field submit cannot pay; its
candidates are already narrowed by the database (a few dozen at most). :class:`QuickScorer`
works out, for each pair, the level of every comparison of :func:`.model._comparisons`
(the same conditions, in the same order, with SQL's NULL rules) and adds up the weights as
Splink does::

    weight = log2(prior / (1 - prior)) + sum over comparisons of log2(m / u) at the level
             (+ the level's term-frequency adjustment)
    probability = 2^weight / (1 + 2^weight)

**Term frequencies.** Without ``tf`` a record's term frequency is the u of its level, as
:func:`.model.explain` does without a pool (its ``_neutral_tf``): a name weighs what an
average name weighs (an exact level whose u is below ``tf_minimum_u_value`` still loses the
difference, as in Splink). With ``tf`` (see :func:`term_frequencies`) each side's frequency is
looked up there, as Splink joins its term-frequency tables; a value not in them has none, and
a pair where neither side has one is not adjusted.

Only the comparisons this module mirrors can be scored: a model whose comparison conditions
differ (a changed :func:`.model._comparisons`) is refused with :class:`UnsupportedModel`, so
this file is updated with them (``linkage/tests/test_quick.py`` fails until it is).

The record layout is :mod:`.records`; :func:`prepare_record` is :func:`.normalise.prepare`
for one record, without building a frame (importing :mod:`.normalise` still loads pandas).
Nothing here imports Django, Splink or DuckDB.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import jellyfish

from .normalise import (
    FAMILY_NAMES_WRITTEN_FIRST,
    PREPARED_COLUMNS,
    _address_key,
    _ext,
    _metaphone,
    _phone10,
    _split_aliases,
    _zip5,
    canonical_first_name,
    clean_name,
    surname_parts,
)
from .records import COLUMNS, SEXES, SOURCES, RecordFrameError

if TYPE_CHECKING:
    from .model import TrainedModel

#: a prepared record: the columns of :data:`.normalise.PREPARED_COLUMNS`
Prepared = dict[str, Any]
#: term frequencies: tf column -> value -> share of the non-missing values
TermFrequencies = Mapping[str, Mapping[str, float]]

#: Splink's floor on m and u when it takes their log (``M_U_CLAMP_MIN``)
_CLAMP = 1e-300
#: Splink's m and u for a level the training did not observe (``LEVEL_NOT_OBSERVED_TEXT``)
_NOT_OBSERVED = 1e-6
_NOT_OBSERVED_TEXT = "level not observed in training dataset"
_DOB = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_EXT_ID = re.compile(r"^[^:|]+:[^:|]+$")
_EPOCH = dt.date(1900, 1, 1)


class UnsupportedModel(ValueError):
    """The model's comparisons are not the ones this module mirrors (no value is named)."""


# --- one record prepared ------------------------------------------------------------------


def _text(value: Any) -> str | None:
    """A record's value as the layout has it: a string, or missing (None, NaN or '')."""
    if value is None or (isinstance(value, float) and value != value) or value == "":
        return None
    if not isinstance(value, str):
        raise RecordFrameError("record values must be strings or missing")
    return value


def prepare_record(row: Mapping[str, Any]) -> Prepared:
    """:func:`.normalise.prepare` for one record of the layout (a mapping of
    :data:`.records.COLUMNS`; absent keys are missing). Raises :class:`RecordFrameError` for
    an unknown key or a value that breaks the layout; the message names no value."""
    unknown = set(row) - set(COLUMNS)
    if unknown:
        raise RecordFrameError(f"unknown column(s) {sorted(unknown)}")
    values = {column: _text(row.get(column)) for column in COLUMNS}
    uid = values["unique_id"]
    if uid is None:
        raise RecordFrameError("column 'unique_id' has a missing value")
    if values["source"] is not None and values["source"] not in SOURCES:
        raise RecordFrameError(f"column 'source' must be one of {sorted(SOURCES)}")
    if values["sex"] is not None and values["sex"] not in SEXES:
        raise RecordFrameError(f"column 'sex' must be one of {sorted(SEXES)}")

    first = clean_name(values["first_name"])
    middle = clean_name(values["middle_name"])
    last = clean_name(values["last_name"])
    canon = canonical_first_name(first) if first else None
    word = first.split(" ")[0] if first else None
    parts = surname_parts(last) if last else []
    given: list[str] = []
    if first:
        given.extend(first.split(" "))
        given.append(str(canon))
    if middle:
        given.extend(middle.split(" "))
    surnames = list(parts)
    if values["aliases"] is not None:
        alias_given, alias_surnames = _split_aliases(values["aliases"])
        given.extend(alias_given)
        given.extend(canonical_first_name(g) for g in alias_given)
        surnames.extend(alias_surnames)

    out: Prepared = {
        "unique_id": uid,
        "source": values["source"],
        "first_name": first,
        "first_canon": canon,
        "first_meta": _metaphone(word),
        "first_initial": first[:1] if first else None,
        "first_is_family": "y" if word in FAMILY_NAMES_WRITTEN_FIRST else None,
        "middle_name": middle,
        "last_name": last,
        "last_meta": _metaphone(parts[0]) if last else None,
        "last_meta_2": _metaphone(parts[max(0, len(parts) - 2)]) if last else None,
        "given_names": sorted({g for g in given if len(g) > 1}) or None,
        "surnames": sorted(set(surnames)) or None,
    }
    out.update(_dob_parts(values["dob"]))
    out["sex"] = None if values["sex"] in (None, "unknown") else values["sex"]
    postal = _zip5(values["postal_code"])
    out["postal_code"] = postal
    out["postal_3"] = postal[:3] if postal else None
    address = _address_key(values["address"])
    out["address"], out["house_number"] = address
    out["phone"] = _phone10(values["phone"])
    out["ext_ids"], out["ext_systems"] = _ext(values["ext_ids"])
    if values["ext_ids"] is not None:
        items = [i.strip() for i in values["ext_ids"].split("|") if i.strip()]
        if not all(_EXT_ID.match(i) for i in items):
            raise RecordFrameError("column 'ext_ids' items must be SYSTEM:NUMBER joined by '|'")
    return {column: out[column] for column in PREPARED_COLUMNS}


def _dob_parts(dob: str | None) -> dict[str, Any]:
    if dob is None:
        return dict.fromkeys(
            ("dob", "dob_swapped", "dob_year", "dob_month", "dob_day", "dob_days"), None
        )
    if not _DOB.match(dob):
        raise RecordFrameError("column 'dob' must be an ISO date YYYY-MM-DD")
    try:
        date = dt.date.fromisoformat(dob)
    except ValueError:
        raise RecordFrameError("column 'dob' holds a date that does not exist") from None
    year, month, day = dob[0:4], dob[5:7], dob[8:10]
    swappable = int(day) <= 12 and day != month
    return {
        "dob": dob,
        "dob_swapped": f"{year}-{day}-{month}" if swappable else None,
        "dob_year": year,
        "dob_month": month,
        "dob_day": day,
        "dob_days": (date - _EPOCH).days,
    }


def term_frequencies(records: Iterable[Mapping[str, Any]]) -> dict[str, dict[str, float]]:
    """Splink's term-frequency tables of ``records`` (raw or prepared): for each tf column
    of the model (first name, its canonical form, last name), each value's count over the
    count of records with a value. Records with the same ``unique_id`` count once."""
    seen: set[str] = set()
    counts: dict[str, dict[str, int]] = {column: {} for column in _TF_COLUMNS}
    for record in records:
        prepared = record if "first_canon" in record else prepare_record(record)
        if prepared["unique_id"] in seen:
            continue
        seen.add(prepared["unique_id"])
        for column in _TF_COLUMNS:
            value = prepared[column]
            if value is not None:
                counts[column][value] = counts[column].get(value, 0) + 1
    out: dict[str, dict[str, float]] = {}
    for column, by_value in counts.items():
        total = sum(by_value.values())
        out[column] = {value: n / total for value, n in by_value.items()}
    return out


_TF_COLUMNS = ("first_name", "first_canon", "last_name")


# --- the comparisons, as _comparisons() writes them in SQL ------------------------------
#
# Each function answers like the SQL condition it mirrors under SQL's NULL rules, where a
# level is taken only when its condition is TRUE: None stands for NULL. A name helper gets
# None for a missing name and answers None then (every one of its SQL parts is NULL).


def _jw(a: str, b: str) -> float:
    # DuckDB's jaro_winkler_similarity (checked equal on the generator's names in the tests)
    return float(jellyfish.jaro_winkler_similarity(a, b))


def _dl(a: str, b: str) -> int:
    return int(jellyfish.damerau_levenshtein_distance(a, b))


def _typo_like(a: str | None, b: str | None) -> bool | None:
    """``model._typo_like``: one edit a typist makes."""
    if a is None or b is None:
        return None
    if abs(len(a) - len(b)) > 1 or _dl(a, b) > 1:
        return False
    return (
        a[:1] == b[:1]
        or min(len(a), len(b)) > 5
        or len(a) != len(b)
        or (a[0:1] == b[1:2] and a[1:2] == b[0:1])
    )


def _close_name(a: str | None, b: str | None) -> bool | None:
    """``model._close_name``."""
    if a is None or b is None:
        return None
    return a == b or _jw(a, b) >= 0.88 or bool(_typo_like(a, b))


def _other_name(a: str | None, b: str | None) -> bool | None:
    """``model._other_name``."""
    if a is None or b is None:
        return None
    return a != b and not _typo_like(a, b) and (_jw(a, b) < 0.8 or min(len(a), len(b)) <= 5)


def _swap(left: Prepared, right: Prepared) -> bool | None:
    """``model.SWAP_SQL``: given and family names swapped (NULL when a name is missing)."""
    fl, ll, fr, lr = left["first_name"], left["last_name"], right["first_name"], right["last_name"]
    if fl is None or ll is None or fr is None or lr is None:
        return None
    return (
        (fl == lr and bool(_close_name(ll, fr)))
        or (ll == fr and bool(_close_name(fl, lr)))
        or (fl[:1] == lr[:1] and ll[:1] == fr[:1] and _jw(fl, lr) >= 0.88 and _jw(ll, fr) >= 0.88)
    )


def _contains(items: list[str] | None, value: str | None) -> bool:
    """``coalesce(list_contains(items, value), false)``."""
    return items is not None and value is not None and value in items


def _overlap(a: list[str] | None, b: list[str] | None) -> bool:
    """``coalesce(list_has_any(a, b), false)``."""
    return a is not None and b is not None and not set(a).isdisjoint(b)


def _eq(a: Any, b: Any) -> bool:
    """``coalesce(a = b, false)``."""
    return a is not None and b is not None and a == b


def _dob_typo(left: Prepared, right: Prepared) -> bool:
    """``model._DOB_TYPO`` (both dates present)."""
    yl, ml, dl = left["dob_year"], left["dob_month"], left["dob_day"]
    yr, mr, dr = right["dob_year"], right["dob_month"], right["dob_day"]
    return (
        (yl == yr and (ml == mr or (dl == dr and _dl(ml, mr) <= 1)))
        or (ml == mr and dl == dr and _dl(yl, yr) <= 1)
        or abs(left["dob_days"] - right["dob_days"]) <= 7
    )


def _year_off(left: Prepared, right: Prepared) -> bool:
    return (
        left["dob_month"] == right["dob_month"]
        and left["dob_day"] == right["dob_day"]
        and abs(int(left["dob_year"]) - int(right["dob_year"])) == 1
    )


def _dob_close(left: Prepared, right: Prepared) -> bool:
    """``model._DOB_CLOSE`` taken as TRUE (NULL when a date is missing)."""
    if left["dob"] is None or right["dob"] is None:
        return False
    return (
        left["dob"] == right["dob"]
        or _eq(left["dob"], right["dob_swapped"])
        or _year_off(left, right)
        or _dob_typo(left, right)
    )


def _same_home(left: Prepared, right: Prepared) -> bool:
    return _eq(left["address"], right["address"]) or _eq(left["phone"], right["phone"])


def _twins(left: Prepared, right: Prepared) -> bool:
    """``model.TWIN_SQL`` taken as TRUE."""
    fl, ll, fr, lr = left["first_name"], left["last_name"], right["first_name"], right["last_name"]
    if fl is None or fr is None or not _dob_close(left, right):
        return False
    if _overlap(left["ext_ids"], right["ext_ids"]):
        return False
    aligned = (
        left["first_canon"] != right["first_canon"]
        and _other_name(fl, fr) is True
        and not _contains(right["given_names"], fl)
        and not _contains(left["given_names"], fr)
        and _swap(left, right) is not True
        and not (_eq(fl, lr) or _eq(ll, fr))
        and (
            (ll is not None and lr is not None and (ll == lr or _jw(ll, lr) >= 0.88))
            or _overlap(left["surnames"], right["surnames"])
            or _same_home(left, right)
        )
    )
    if aligned:
        return True
    one_swapped = (_eq(fl, lr) and _other_name(ll, fr) is True) or (
        _eq(ll, fr) and _other_name(fl, lr) is True
    )
    if one_swapped:
        return True
    return (
        fl == fr
        and left["first_is_family"] is not None
        and _other_name(ll, lr) is True
        and not _overlap(left["surnames"], right["surnames"])
        and _same_home(left, right)
    )


Condition = Callable[[Prepared, Prepared], bool]


def _both(column: str) -> Callable[[Prepared, Prepared], bool]:
    """A null level: the column is missing on either side."""
    return lambda a, b: a[column] is None or b[column] is None


def _exact(column: str) -> Condition:
    return lambda a, b: _eq(a[column], b[column])


def _jw_at_least(column: str, threshold: float) -> Condition:
    return lambda a, b: (
        a[column] is not None and b[column] is not None and _jw(a[column], b[column]) >= threshold
    )


def _similar(column: str) -> Condition:
    """``jaro_winkler_similarity >= 0.8 AND NOT _other_name`` (both present)."""
    return lambda a, b: (
        _jw(a[column], b[column]) >= 0.8 and _other_name(a[column], b[column]) is False
    )


def _else(_l: Prepared, _r: Prepared) -> bool:
    return True


@dataclass(frozen=True)
class _Mirror:
    """One comparison as mirrored: its null level (None: it has none) and its other levels,
    as (label, condition), in Splink's order."""

    null: Condition | None
    levels: tuple[tuple[str, Condition], ...]


_MIRRORS: dict[str, _Mirror] = {
    "first_name": _Mirror(
        _both("first_name"),
        (
            ("exact", _exact("first_name")),
            ("same name (nickname)", _exact("first_canon")),
            ("close (JW>0.92)", _jw_at_least("first_name", 0.92)),
            ("one edit", lambda a, b: _typo_like(a["first_name"], b["first_name"]) is True),
            ("first and last swapped", lambda a, b: _swap(a, b) is True),
            (
                "matches middle name or alias",
                lambda a, b: (
                    _contains(b["given_names"], a["first_name"])
                    or _contains(a["given_names"], b["first_name"])
                ),
            ),
            ("similar (JW>0.8)", _similar("first_name")),
            ("different", _else),
        ),
    ),
    "last_name": _Mirror(
        _both("last_name"),
        (
            ("exact", _exact("last_name")),
            ("shares a surname part or alias", lambda a, b: _overlap(a["surnames"], b["surnames"])),
            (
                "first and last swapped (weighed in first name)",
                lambda a, b: _swap(a, b) is True,
            ),
            ("close (JW>0.92)", _jw_at_least("last_name", 0.92)),
            ("one edit", lambda a, b: _typo_like(a["last_name"], b["last_name"]) is True),
            ("similar (JW>0.8)", _similar("last_name")),
            ("different", _else),
        ),
    ),
    "dob": _Mirror(
        _both("dob"),
        (
            ("exact", _exact("dob")),
            ("day and month swapped", lambda a, b: _eq(a["dob"], b["dob_swapped"])),
            ("year off by one", _year_off),
            ("one-digit typo or within a week", _dob_typo),
            ("different", _else),
        ),
    ),
    "sex": _Mirror(_both("sex"), (("same", _exact("sex")), ("different", _else))),
    "postal_code": _Mirror(
        _both("postal_code"),
        (
            ("same ZIP", _exact("postal_code")),
            ("same 3-digit area", _exact("postal_3")),
            ("different", _else),
        ),
    ),
    "address": _Mirror(
        _both("address"),
        (
            ("same number and street", _exact("address")),
            ("close", _jw_at_least("address", 0.9)),
            ("different", _else),
        ),
    ),
    "phone": _Mirror(
        _both("phone"),
        (
            ("same", _exact("phone")),
            ("one digit off", lambda a, b: _dl(a["phone"], b["phone"]) <= 1),
            ("different", _else),
        ),
    ),
    "ext_ids": _Mirror(
        _both("ext_ids"),
        (
            ("a shared id", lambda a, b: _overlap(a["ext_ids"], b["ext_ids"])),
            (
                "different id in the same system",
                lambda a, b: _overlap(a["ext_systems"], b["ext_systems"]),
            ),
            ("no common system", _else),
        ),
    ),
    "twins": _Mirror(
        None,
        (
            ("other first name, same family and birth date", _twins),
            ("not twins", _else),
        ),
    ),
}

#: sha256 of the comparison conditions this module mirrors (:func:`settings_fingerprint` of
#: ``model.settings()`` when it was written); a model with other conditions is refused
MIRRORED_FINGERPRINT = "95d48dabcb598cf7d4beb02af61543da8fa0ebb71c74f7c6f91a2ac84ab18cc0"


def settings_fingerprint(splink: Mapping[str, Any]) -> str:
    """sha256 of a Splink settings dict's comparisons: each output column with its levels'
    SQL conditions and labels, in order (probabilities left out)."""
    shape = [
        [
            comparison["output_column_name"],
            [
                [level["sql_condition"], level.get("label_for_charts", "")]
                for level in comparison["comparison_levels"]
            ],
        ]
        for comparison in splink["comparisons"]
    ]
    return hashlib.sha256(json.dumps(shape).encode()).hexdigest()


# --- scoring ----------------------------------------------------------------------------


@dataclass(frozen=True)
class LevelScore:
    """The level a pair takes on one comparison, and what it weighs."""

    field: str
    gamma: int
    label: str
    #: log2 Bayes factor, the term-frequency adjustment included
    weight: float


@dataclass(frozen=True)
class PairScore:
    """A candidate scored against the record: its id, the total and each comparison."""

    unique_id: str
    match_weight: float
    match_probability: float
    levels: tuple[LevelScore, ...]

    def level(self, field: str) -> LevelScore:
        for level in self.levels:
            if level.field == field:
                return level
        raise KeyError(field)


@dataclass(frozen=True)
class _Level:
    label: str
    gamma: int
    condition: Condition
    weight: float
    #: term-frequency adjustment: (column, adjustment weight, log2 u of the exact level,
    #: tf_minimum_u_value, neutral tf), or None
    tf: tuple[str, float, float, float, float] | None


def _default_m(levels: int) -> list[float]:
    """Splink's starting m per comparison vector value (``_default_m_values``)."""
    rest = 0.05 / (levels - 1)
    return [rest] * (levels - 1) + [0.95]


def _default_u(levels: int) -> list[float]:
    """Splink's starting u per comparison vector value (``_default_u_values``)."""
    if levels == 2:
        weights = [-5.0]
    else:
        step = 8 / (levels - 2)
        weights = [-5 + i * step for i in range(levels - 1)]
    weights.append(10.0)
    return [m / 2**w for m, w in zip(_default_m(levels), weights, strict=True)]


def _probability(value: Any, default: float) -> float:
    if value is None:
        return default
    if value == _NOT_OBSERVED_TEXT:
        return _NOT_OBSERVED
    return float(value)


def _weight(m: float, u: float) -> float:
    return math.log2(max(m, _CLAMP) / max(u, _CLAMP))


def match_probability(weight: float) -> float:
    """Splink's probability of a match weight (stable on both sides of 0)."""
    if weight >= 0:
        return 1.0 / (1.0 + math.pow(2.0, -weight))
    return math.pow(2.0, weight) / (1.0 + math.pow(2.0, weight))


class QuickScorer:
    """A trained model ready to score pairs in Python; build one per model and keep it (it
    holds no record)."""

    def __init__(self, model: TrainedModel) -> None:
        splink = model.splink
        if settings_fingerprint(splink) != MIRRORED_FINGERPRINT:
            raise UnsupportedModel(
                "the model's comparisons are not the ones the quick scorer mirrors"
            )
        self.version = model.version
        prior = float(splink["probability_two_random_records_match"])
        self.prior_weight = math.log2(prior / (1 - prior))
        self._comparisons: list[tuple[str, Condition | None, list[_Level]]] = []
        for comparison in splink["comparisons"]:
            name = comparison["output_column_name"]
            self._comparisons.append((name, _MIRRORS[name].null, self._levels(comparison)))

    @staticmethod
    def _levels(comparison: Mapping[str, Any]) -> list[_Level]:
        mirror = _MIRRORS[comparison["output_column_name"]]
        raw = [lv for lv in comparison["comparison_levels"] if not lv.get("is_null_level")]
        count = len(raw)
        default_m, default_u = _default_m(count), _default_u(count)
        probabilities = []
        for index, level in enumerate(raw):
            gamma = count - 1 - index
            m = _probability(level.get("m_probability"), default_m[gamma])
            u = _probability(level.get("u_probability"), default_u[gamma])
            probabilities.append((m, u))
        out = []
        for index, (level, (label, condition)) in enumerate(zip(raw, mirror.levels, strict=True)):
            gamma = count - 1 - index
            m, u = probabilities[index]
            tf = None
            column = level.get("tf_adjustment_column")
            weight_tf = float(level.get("tf_adjustment_weight", 1.0))
            if column and weight_tf != 0 and level["sql_condition"] != "ELSE":
                # the u of the exact-match level on the tf column (for both our tf levels,
                # the level itself); the first level on a column gives the neutral tf
                exact_u = next(
                    uu
                    for lv, (_mm, uu) in zip(raw, probabilities, strict=True)
                    if lv.get("tf_adjustment_column") == column
                    and lv["sql_condition"] == f'"{column}_l" = "{column}_r"'
                )
                # the neutral tf is what model._neutral_tf gives: the stored u of the first
                # level on the column (0.01 when none is stored)
                stored = next(
                    lv.get("u_probability", 0.01)
                    for lv in raw
                    if lv.get("tf_adjustment_column") == column
                )
                neutral = _probability(stored, 0.01)
                tf = (
                    column,
                    weight_tf,
                    math.log2(exact_u),
                    float(level.get("tf_minimum_u_value", 0.0)),
                    neutral,
                )
            out.append(_Level(label, gamma, condition, _weight(m, u), tf))
        return out

    def score_prepared(
        self, left: Prepared, right: Prepared, *, tf: TermFrequencies | None = None
    ) -> PairScore:
        """One pair of prepared records (``left`` the record, ``right`` the candidate)."""
        total = self.prior_weight
        levels = []
        for name, null, comparison_levels in self._comparisons:
            if null is not None and null(left, right):
                levels.append(LevelScore(name, -1, "missing", 0.0))
                continue
            level = next(lv for lv in comparison_levels if lv.condition(left, right))
            weight = level.weight
            total += weight
            adjustment = _tf_adjustment(level, left, right, tf)
            total += adjustment
            levels.append(LevelScore(name, level.gamma, level.label, weight + adjustment))
        return PairScore(
            unique_id=str(right["unique_id"]),
            match_weight=total,
            match_probability=match_probability(total),
            levels=tuple(levels),
        )

    def score(
        self,
        record: Mapping[str, Any],
        candidates: Sequence[Mapping[str, Any]],
        *,
        tf: TermFrequencies | None = None,
    ) -> list[PairScore]:
        """Each candidate scored against ``record``, in the candidates' order. Records are
        in the layout of :mod:`.records` (or already prepared by :func:`prepare_record`)."""
        left = _prepared(record)
        return [self.score_prepared(left, _prepared(c), tf=tf) for c in candidates]

    def best(
        self,
        record: Mapping[str, Any],
        candidates: Sequence[Mapping[str, Any]],
        *,
        top: int = 5,
        threshold: float = 0.0,
        tf: TermFrequencies | None = None,
    ) -> list[PairScore]:
        """The ``top`` candidates at or above ``threshold``, best first (by match weight,
        then id, as :class:`.model.CandidatePool` orders them). A candidate with the
        record's own id is left out."""
        left = _prepared(record)
        scored = [
            self.score_prepared(left, right, tf=tf)
            for right in map(_prepared, candidates)
            if right["unique_id"] != left["unique_id"]
        ]
        kept = [s for s in scored if s.match_probability >= threshold]
        kept.sort(key=lambda s: (-s.match_weight, s.unique_id))
        return kept[:top]


def _prepared(record: Mapping[str, Any]) -> Prepared:
    if "first_canon" in record:
        return dict(record)
    return prepare_record(record)


def _tf_adjustment(
    level: _Level, left: Prepared, right: Prepared, tf: TermFrequencies | None
) -> float:
    """Splink's term-frequency adjustment of ``level`` for the pair (0 without one)."""
    if level.tf is None:
        return 0.0
    column, weight, log2_u, minimum, neutral = level.tf
    if tf is None:
        tf_l: float | None = neutral
        tf_r: float | None = neutral
    else:
        table = tf.get(column, {})
        tf_l = table.get(left[column]) if left[column] is not None else None
        tf_r = table.get(right[column]) if right[column] is not None else None
    if tf_l is None and tf_r is None:
        return 0.0
    a = tf_l if tf_l is not None else tf_r
    b = tf_r if tf_r is not None else tf_l
    assert a is not None and b is not None
    return weight * (log2_u - math.log2(max(a, b, minimum)))
