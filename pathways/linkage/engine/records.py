"""The record layout the linkage engine works on.

A linkage frame is a pandas DataFrame with one row per record and the columns in
:data:`COLUMNS`, all strings; a missing value is ``''`` or ``None``. ``unique_id`` is globally
unique (``"person:<uuid>"``, ``"arrest:<uuid>"``), ``aliases`` holds other names separated by
``|`` and ``ext_ids`` holds ``SYSTEM:NUMBER`` identifiers separated by ``|``. ``group`` is a
race/ethnicity label kept for evaluation only: no comparison or blocking rule reads it.

Nothing here imports Django; pandas is imported with the module, which only the engine
imports.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd  # type: ignore[import-untyped]

#: the columns of a linkage frame, in order
COLUMNS: tuple[str, ...] = (
    "unique_id",
    "source",
    "first_name",
    "middle_name",
    "last_name",
    "aliases",
    "dob",
    "sex",
    "postal_code",
    "address",
    "phone",
    "ext_ids",
    "group",
)

#: the systems a record may come from
SOURCES: frozenset[str] = frozenset({"pathways", "arrest", "ems", "cad", "provider"})

#: the values ``sex`` may take (``''``/``None`` count as ``unknown``)
SEXES: frozenset[str] = frozenset({"female", "male", "x", "unknown"})

_DOB = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_EXT_ID = re.compile(r"^[^:|]+:[^:|]+$")


class RecordFrameError(ValueError):
    """A frame handed to the engine does not have the record layout.

    The message names the column and the rule, never a value, so it may be logged."""


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, float) and value != value) or value == ""


def frame(rows: Iterable[Mapping[str, Any]]) -> pd.DataFrame:
    """Build a linkage frame from mappings, filling absent columns with ``None``.

    Raises :class:`RecordFrameError` when a key is not a known column or a value breaks the
    layout (see :func:`validate`)."""
    records = []
    for number, row in enumerate(rows):
        unknown = set(row) - set(COLUMNS)
        if unknown:
            raise RecordFrameError(f"row {number}: unknown column(s) {sorted(unknown)}")
        records.append({column: row.get(column) for column in COLUMNS})
    df = pd.DataFrame.from_records(records, columns=list(COLUMNS))
    validate(df)
    return df


def validate(df: pd.DataFrame, *, extra_allowed: bool = True) -> None:
    """Check that ``df`` has the record layout; raise :class:`RecordFrameError` if not.

    Checked: every column of :data:`COLUMNS` is there (``group`` may be absent), values are
    strings or missing, ``unique_id`` is present and unique, ``source`` and ``sex`` take known
    values, ``dob`` is ISO ``YYYY-MM-DD`` and ``ext_ids`` items are ``SYSTEM:NUMBER``. Extra
    columns (such as a generator's ``true_id``) are allowed unless ``extra_allowed`` is false.
    """
    if not isinstance(df, pd.DataFrame):
        raise RecordFrameError("expected a pandas DataFrame of records")
    required = [c for c in COLUMNS if c != "group"]
    missing = [c for c in required if c not in df.columns]
    if missing:
        raise RecordFrameError(f"missing column(s) {missing}")
    if not extra_allowed:
        extra = [c for c in df.columns if c not in COLUMNS]
        if extra:
            raise RecordFrameError(f"unexpected column(s) {extra}")
    present = [c for c in COLUMNS if c in df.columns]
    for column in present:
        values = df[column]
        not_blank = values[~values.isna() & (values != "")]
        if len(not_blank) and not not_blank.map(type).eq(str).all():
            raise RecordFrameError(f"column {column!r} must hold strings or be missing")
    ids = df["unique_id"]
    if ids.isna().any() or (ids == "").any():
        raise RecordFrameError("column 'unique_id' has a missing value")
    if ids.duplicated().any():
        raise RecordFrameError("column 'unique_id' has duplicate values")
    sources = df["source"].dropna()
    if not sources.isin(SOURCES).all():
        raise RecordFrameError(f"column 'source' must be one of {sorted(SOURCES)}")
    sexes = df["sex"].dropna()
    sexes = sexes[sexes != ""]
    if not sexes.isin(SEXES).all():
        raise RecordFrameError(f"column 'sex' must be one of {sorted(SEXES)}")
    dobs = df["dob"].dropna()
    dobs = dobs[dobs != ""]
    if len(dobs) and not dobs.str.match(_DOB).all():
        raise RecordFrameError("column 'dob' must be an ISO date YYYY-MM-DD")
    if len(dobs) and pd.to_datetime(dobs, format="%Y-%m-%d", errors="coerce").isna().any():
        raise RecordFrameError("column 'dob' holds a date that does not exist")
    ext = df["ext_ids"].dropna()
    ext = ext[ext != ""]
    if len(ext):
        items = ext.str.split("|").explode().str.strip()
        items = items[items != ""]
        if not items.str.match(_EXT_ID).all():
            raise RecordFrameError("column 'ext_ids' items must be SYSTEM:NUMBER joined by '|'")
