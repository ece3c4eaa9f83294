"""The analytics extract: a columnar copy (DuckDB) of the columns the reports need, refreshed
incrementally from the database, so heavy aggregations never loop over ORM rows.

Only coded, non-free-text columns are copied: no names, notes, locations or anything encrypted
at rest, and no more of a person than the reports group by: no date of birth (each contact and
imported arrest carries the person's age band at that moment, worked out by the database as it
is copied) and no ZIP code (no report groups people by theirs; contacts keep their recorded
area, which the reports filter on). The extract lives in one DuckDB file under
PATHWAYS_ANALYTICS_DIR, readable by the app's user only (the file 0600, its folder 0700). A
refresh works on a copy and swaps it in with an atomic rename, so report pages (read-only
connections, in any process) never wait for it and never see half a refresh; a file lock lets
one refresh run at a time.

Incremental refresh: each large table is copied again only where its rows changed since the last
refresh (by `updated_at`, with an overlap for transactions that committed late); a referral that
changed brings its whole status history along. Small tables (agencies, services, pathways) are
copied whole each time. `refresh(full=True)` rebuilds everything; so does a missing file or a
change of SCHEMA_VERSION."""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import os
import shutil
import tempfile
import time
import zoneinfo
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar, cast

import duckdb
import pyarrow as pa
from django.conf import settings
from django.db import connection

from pathways.accounts.models import Agency
from pathways.core import clock
from pathways.directory.models import Service
from pathways.encounters.models import EligibilityReview, Encounter
from pathways.imports.linkage_source import KIND as EMS_KIND
from pathways.imports.models import EmsReport
from pathways.linkage.models import DIVERTIBLE_LEVELS, ArrestRecord, ClusterMember
from pathways.linkage.selectors import LINKED, NEVER_RUN, cluster_people, linkage_figures
from pathways.linkage.thresholds import LOOSE, MAIN, STRICT, THRESHOLDS
from pathways.outcomes.filters import local_midnight_utc
from pathways.outcomes.reports.funnel import INTERVALS, STAGES
from pathways.outcomes.reports.referral_loop import STUCK_STATUSES, answer_days_sql
from pathways.people.models import Person
from pathways.programs.models import Pathway, Program
from pathways.referrals.models import Referral, ReferralStatusChange

Read = TypeVar("Read")

SCHEMA_VERSION = "15"
#: Rows changed this long before the last refresh's newest change are read again: a transaction
#: that began earlier may commit after the refresh that read its neighbours.
OVERLAP = dt.timedelta(minutes=10)
FETCH_ROWS = 50_000
#: The contacts an outcome can be measured from (the outcomes report's index contacts): the
#: person was offered services (and took or declined them) or was arrested.
INDEX_DISPOSITIONS = ("referred", "declined", "arrested")
#: The same, from a contact's stored flags (`offered`: referred or declined; `arrested`),
#: cheaper to test over millions of contacts than the disposition text.
INDEX_CONTACT = "(offered OR arrested)"
#: An imported arrest this close to one recorded before it (a contact ending in arrest, or another
#: imported record, of the same person) is the same arrest seen twice: an arrest and its booking.
SAME_ARREST = "INTERVAL 1 DAY"
#: An EMS-reported overdose this close to a Naloxone Plus contact or an index contact of the
#: same cluster person is the same overdose: counted once, as the contact (an index contact's
#: own overdose is never its repeat).
SAME_OVERDOSE = "INTERVAL 1 HOUR"
#: How long after a contact its person's next contact, overdose response and arrest count as
#: events of the outcomes report (days).
EVENT_HORIZON_DAYS = 365


@dataclass(frozen=True)
class Col:
    name: str  # in the extract
    source: str  # the model field, or AGE_BAND (worked out from the person's date of birth)
    kind: str  # uuid, text, ts, date, bool, int, json


#: The source of a column holding the person's age band at the row's moment (`occurred_at`'s
#: source field), computed by the database from the date of birth, which is never copied.
AGE_BAND = "@age_band"
#: an imported arrest's person: linked by number, else by the record linkage model
LINKED_PERSON = "@linked_person"
#: whether an imported arrest is linked to a person by number (1) or not (0)
NUMBER_LINKED = "@number_linked"
#: The same two at the stricter and looser linkage thresholds (pathways.linkage.thresholds):
#: the person the model puts the record with at that threshold, and their age band.
LINKED_PERSON_AT = {
    MAIN: LINKED_PERSON,
    STRICT: "@linked_person_strict",
    LOOSE: "@linked_person_loose",
}
AGE_BAND_AT = {MAIN: AGE_BAND, STRICT: "@age_band_strict", LOOSE: "@age_band_loose"}
#: ArrestRecord's field of the person the model puts the record with, per threshold.
MODEL_PERSON_AT = {
    MAIN: "model_person",
    STRICT: "model_person_strict",
    LOOSE: "model_person_loose",
}


def at_threshold(column: str, threshold: str) -> str:
    """A facts column's name at a linkage threshold: as it is at the main one, else with the
    threshold's name after it (`counted_strict`, `cluster_person_id_loose`)."""
    return column if threshold == MAIN else f"{column}_{threshold}"


@dataclass(frozen=True)
class Mirror:
    table: str
    model: Any
    key: str  # the extract column identifying a row
    cols: tuple[Col, ...]
    incremental: bool  # by updated_at; otherwise copied whole


U, T, TS, D, B, N, J = "uuid", "text", "ts", "date", "bool", "int", "json"

MIRRORS: tuple[Mirror, ...] = (
    Mirror(
        "agencies",
        Agency,
        "agency_id",
        (Col("agency_id", "id", U), Col("name", "name", T), Col("kind", "kind", T)),
        incremental=False,
    ),
    Mirror(
        "pathways",
        Pathway,
        "pathway_id",
        (
            Col("pathway_id", "id", U),
            Col("code", "code", T),
            Col("short_name", "short_name", T),
            Col("display_order", "display_order", N),
        ),
        incremental=False,
    ),
    Mirror(
        "services",
        Service,
        "service_id",
        (
            Col("service_id", "id", U),
            Col("agency_id", "organization", U),
            Col("name", "name", T),
            Col("service_type", "service_type", T),
            Col("capacity_total", "capacity_total", N),
            Col("capacity_open", "capacity_open", N),
            Col("archived_at", "archived_at", TS),
        ),
        incremental=False,
    ),
    Mirror(
        "people",
        Person,
        "person_id",
        (
            Col("person_id", "id", U),
            Col("sex", "sex", T),
            Col("races", "races", J),
            Col("ethnicity", "ethnicity", T),
            Col("archived_at", "archived_at", TS),
            Col("updated_at", "updated_at", TS),
        ),
        incremental=True,
    ),
    Mirror(
        "encounters",
        Encounter,
        "encounter_id",
        (
            Col("encounter_id", "id", U),
            Col("program_id", "program", U),
            Col("pathway_id", "pathway", U),
            Col("person_id", "person", U),
            Col("agency_id", "agency", U),
            Col("occurred_at", "occurred_at", TS),
            Col("area", "area", T),
            Col("call_source", "call_source", T),
            Col("disposition", "disposition", T),
            Col("eligibility_outcome", "eligibility_outcome", T),
            Col("age_band", AGE_BAND, T),
            Col("archived_at", "archived_at", TS),
            Col("updated_at", "updated_at", TS),
        ),
        incremental=True,
    ),
    Mirror(
        "reviews",
        EligibilityReview,
        "encounter_id",
        (
            Col("encounter_id", "encounter", U),
            Col("decision", "decision", T),
            Col("updated_at", "updated_at", TS),
        ),
        incremental=True,
    ),
    Mirror(
        "referrals",
        Referral,
        "referral_id",
        (
            Col("referral_id", "id", U),
            Col("encounter_id", "encounter", U),
            Col("person_id", "person", U),
            Col("service_id", "service", U),
            Col("provider_id", "receiving_agency", U),
            Col("warm_handoff", "warm_handoff", B),
            Col("capacity_override", "capacity_override_reason", T),
            Col("status", "status", T),
            Col("status_changed_at", "status_changed_at", TS),
            Col("intake_at", "intake_at", TS),
            Col("created_at", "created_at", TS),
            Col("archived_at", "archived_at", TS),
            Col("updated_at", "updated_at", TS),
        ),
        incremental=True,
    ),
    Mirror(
        "arrests",
        ArrestRecord,
        "arrest_id",
        (
            Col("arrest_id", "id", U),
            Col("program_id", "program", U),
            Col("person_id", LINKED_PERSON, U),
            Col("person_id_strict", LINKED_PERSON_AT[STRICT], U),
            Col("person_id_loose", LINKED_PERSON_AT[LOOSE], U),
            Col("number_linked", NUMBER_LINKED, B),
            Col("agency_id", "agency", U),
            Col("occurred_at", "arrested_at", TS),
            Col("area", "area", T),
            Col("charge_level", "charge_level", T),
            Col("age_band", AGE_BAND, T),
            Col("age_band_strict", AGE_BAND_AT[STRICT], T),
            Col("age_band_loose", AGE_BAND_AT[LOOSE], T),
            Col("sex", "sex", T),
            Col("race", "race", T),
            Col("ethnicity", "ethnicity", T),
            Col("archived_at", "archived_at", TS),
            Col("updated_at", "updated_at", TS),
        ),
        incremental=True,
    ),
)

#: The status history is append-only; it is copied for the referrals that changed.
STATUS_COLS: tuple[Col, ...] = (
    Col("referral_id", "referral", U),
    Col("to_status", "to_status", T),
    Col("changed_at", "changed_at", TS),
    Col("decline_reason", "decline_reason", T),
)

DUCK_TYPES = {
    U: "UUID",
    T: "VARCHAR",
    TS: "TIMESTAMP",
    D: "DATE",
    B: "BOOLEAN",
    N: "BIGINT",
    J: "VARCHAR",
}

#: Encrypted columns hold ciphertext, never worth copying; the override reason is reduced to
#: "was there one" (see _select).
PRESENCE_ONLY = {"capacity_override_reason"}


def _column(model: Any, field_name: str) -> str:
    return str(model._meta.get_field(field_name).column)


#: (lowest age, band) of the reports' age bands (equity.AGE_BANDS), youngest first.
AGE_BANDS: tuple[tuple[int, str], ...] = (
    (0, "under 18"),
    (18, "18-25"),
    (26, "26-35"),
    (36, "36-45"),
    (46, "46-55"),
    (56, "56-65"),
    (66, "66+"),
)


def _age_sql(born: str, moment: str) -> str:
    """Whole years from the date `born` to the UTC date of the timestamp `moment`, in the
    source database's SQL (NULL when `born` is)."""
    if connection.vendor == "postgresql":
        day = f"CAST({moment} AT TIME ZONE 'UTC' AS date)"
        return f"CAST(date_part('year', age({day}, {born})) AS integer)"
    return (
        f"(CAST(strftime('%Y', {moment}) AS INTEGER) - CAST(strftime('%Y', {born}) AS INTEGER)"
        f" - (strftime('%m%d', {moment}) < strftime('%m%d', {born})))"
    )


def _age_band_sql(model: Any, alias: str, threshold: str = MAIN) -> str:
    """The person's age band at the row's moment: the linked person's date of birth (for an
    imported arrest, the person linked at `threshold`), or for an imported arrest not linked
    to anyone, the record's own."""
    quote = connection.ops.quote_name
    people = quote(Person._meta.db_table)
    person_id = (
        _linked_person_sql(alias, threshold)
        if model is ArrestRecord
        else f"{alias}{quote(_column(model, 'person'))}"
    )
    born = (
        f"(SELECT pp.{quote(_column(Person, 'date_of_birth'))} FROM {people} pp "  # noqa: S608
        f"WHERE pp.{quote(_column(Person, 'id'))} = {person_id})"
    )
    if model is ArrestRecord:
        own = f"{alias}{quote(_column(model, 'date_of_birth'))}"
        born = f"(CASE WHEN {person_id} IS NULL THEN {own} ELSE {born} END)"
    moment_field = "arrested_at" if model is ArrestRecord else "occurred_at"
    age = _age_sql(born, f"{alias}{quote(_column(model, moment_field))}")
    bands = " ".join(
        f"WHEN {age} < {AGE_BANDS[i + 1][0]} THEN '{band}'"
        for i, (_, band) in enumerate(AGE_BANDS[:-1])
    )
    return f"(CASE WHEN {born} IS NULL THEN 'unknown' {bands} ELSE '{AGE_BANDS[-1][1]}' END)"


def _linked_person_sql(alias: str, threshold: str = MAIN) -> str:
    quote = connection.ops.quote_name
    by_number = f"{alias}{quote(_column(ArrestRecord, 'person'))}"
    by_model = f"{alias}{quote(_column(ArrestRecord, MODEL_PERSON_AT[threshold]))}"
    return f"COALESCE({by_number}, {by_model})"


def _select(model: Any, col: Col, alias: str = "") -> str:
    """A source column as text (or 0/1) in the same shape on SQLite and PostgreSQL."""
    for threshold in THRESHOLDS:
        if col.source == AGE_BAND_AT[threshold]:
            return _age_band_sql(model, alias, threshold)
        if col.source == LINKED_PERSON_AT[threshold]:
            linked = _linked_person_sql(alias, threshold)
            return f"CAST({linked} AS text)" if connection.vendor == "postgresql" else linked
    if col.source == NUMBER_LINKED:
        person = f"{alias}{connection.ops.quote_name(_column(ArrestRecord, 'person'))}"
        return f"CASE WHEN {person} IS NOT NULL THEN 1 ELSE 0 END"
    ref = f"{alias}{connection.ops.quote_name(_column(model, col.source))}"
    postgres = connection.vendor == "postgresql"
    if col.source in PRESENCE_ONLY:
        return f"CASE WHEN {ref} <> '' THEN 'yes' ELSE '' END"
    if col.kind == TS:
        if postgres:
            return f"to_char({ref} AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US')"
        return ref
    if col.kind == B:
        return f"CASE WHEN {ref} THEN 1 ELSE 0 END"
    if postgres and col.kind in (U, D, J):
        return f"CAST({ref} AS text)"
    return ref


def _duck_expr(col: Col) -> str:
    if col.kind == B:
        return f"CAST({col.name} AS INTEGER) = 1"
    if col.kind == N:
        return f"CAST({col.name} AS BIGINT)"
    return f"CAST({col.name} AS {DUCK_TYPES[col.kind]})"


def _fetch(sql: str, params: Sequence[Any], cols: Sequence[Col]) -> Iterator[pa.Table]:
    """The query's rows in Arrow batches of text columns (DuckDB casts them on the way in)."""
    names = [c.name for c in cols]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        while True:
            rows = cursor.fetchmany(FETCH_ROWS)
            if not rows:
                return
            columns = list(zip(*rows, strict=True))
            arrays = [
                pa.array(
                    [None if v is None else str(v) for v in values]
                    if c.kind not in (N, B)
                    else list(values),
                    type=pa.int64() if c.kind in (N, B) else pa.string(),
                )
                for c, values in zip(cols, columns, strict=True)
            ]
            yield pa.Table.from_arrays(arrays, names=names)


def _create(db: duckdb.DuckDBPyConnection) -> None:
    for mirror in MIRRORS:
        columns = ", ".join(f"{c.name} {DUCK_TYPES[c.kind]}" for c in mirror.cols)
        db.execute(f"CREATE TABLE {mirror.table} ({columns})")
    columns = ", ".join(f"{c.name} {DUCK_TYPES[c.kind]}" for c in STATUS_COLS)
    db.execute(f"CREATE TABLE status_changes ({columns})")
    db.execute("CREATE TABLE meta (key VARCHAR PRIMARY KEY, value VARCHAR)")
    db.execute(f"CREATE TABLE person_clusters ({PERSON_CLUSTER_COLUMNS})")
    db.execute(f"CREATE TABLE linkage_figures ({LINKAGE_FIGURE_COLUMNS})")
    db.execute(f"CREATE TABLE ems_overdoses ({EMS_OVERDOSE_COLUMNS})")
    db.execute(VIEWS)


def _load(
    db: duckdb.DuckDBPyConnection, table: str, cols: Sequence[Col], sql: str, params: Sequence[Any]
) -> int:
    """Copy the source query's rows into the extract table. PostgreSQL streams them with COPY
    into a CSV file DuckDB reads in one go (millions of rows a minute); SQLite goes through the
    cursor in Arrow batches."""
    select = ", ".join(_duck_expr(c) for c in cols)
    if connection.vendor == "postgresql":
        return _load_by_copy(db, table, cols, select, sql, params)
    rows = 0
    for batch in _fetch(sql, params, cols):
        db.register("incoming", batch)
        db.execute(f"INSERT INTO {table} SELECT {select} FROM incoming")  # noqa: S608
        db.unregister("incoming")
        rows += batch.num_rows
    return rows


def _load_by_copy(
    db: duckdb.DuckDBPyConnection,
    table: str,
    cols: Sequence[Col],
    select: str,
    sql: str,
    params: Sequence[Any],
) -> int:
    columns = "{" + ", ".join(f"'{c.name}': 'VARCHAR'" for c in cols) + "}"
    with tempfile.NamedTemporaryFile(suffix=".csv", dir=directory()) as handle:
        with connection.cursor() as cursor:
            raw = cursor.cursor  # psycopg's own cursor: COPY is not in the DB-API
            with raw.copy(f"COPY ({sql}) TO STDOUT (FORMAT csv)", params) as copy:
                for data in copy:
                    handle.write(data)
        handle.flush()
        inserted = db.execute(
            f"INSERT INTO {table} SELECT {select} FROM read_csv($path, header = false, "  # noqa: S608
            f"columns = {columns}, auto_detect = false, delim = ',', nullstr = '', "
            f"allow_quoted_nulls = false, quote = '\"', "
            "escape = '\"')",
            {"path": handle.name},
        ).fetchone()
    return int(inserted[0]) if inserted else 0


def _meta(db: duckdb.DuckDBPyConnection, key: str) -> str | None:
    row = db.execute("SELECT value FROM meta WHERE key = ?", [key]).fetchone()
    return None if row is None else str(row[0])


def _set_meta(db: duckdb.DuckDBPyConnection, key: str, value: str) -> None:
    db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", [key, value])


def _since(mark: str) -> dt.datetime:
    return dt.datetime.fromisoformat(mark).replace(tzinfo=dt.UTC) - OVERLAP


def _source_since(model: Any) -> str:
    return _column(model, "updated_at")


def _changed_since(mirror: Mirror) -> tuple[str, int]:
    """The condition for a mirror's rows changed since a moment (`%s`, once per placeholder):
    the row itself, or for rows with the person's age band, the person (a corrected date of
    birth changes the band)."""
    own = _source_since(mirror.model)
    if not any(c.source == AGE_BAND for c in mirror.cols):
        return f"{own} >= %s", 1
    quote = connection.ops.quote_name
    changed_people = (
        f"SELECT {quote(_column(Person, 'id'))} FROM {quote(Person._meta.db_table)} "  # noqa: S608
        f"WHERE {quote(_source_since(Person))} >= %s"
    )
    # an imported arrest's age bands are those of the people linked to it at each threshold
    fields = ["person"]
    if mirror.model is ArrestRecord:
        fields += list(MODEL_PERSON_AT.values())
    people = " OR ".join(f"{quote(_column(mirror.model, f))} IN ({changed_people})" for f in fields)
    return f"({own} >= %s OR {people})", 1 + len(fields)


def _refresh_mirror(db: duckdb.DuckDBPyConnection, mirror: Mirror, full: bool) -> int:
    table = connection.ops.quote_name(mirror.model._meta.db_table)
    select = ", ".join(_select(mirror.model, c) for c in mirror.cols)
    since = None if full or not mirror.incremental else _meta(db, f"mark:{mirror.table}")
    if since is None:
        db.execute(f"DELETE FROM {mirror.table}")  # noqa: S608
        sql = f"SELECT {select} FROM {table}"  # noqa: S608
        params: list[Any] = []
    else:
        condition, placeholders = _changed_since(mirror)
        sql = f"SELECT {select} FROM {table} WHERE {condition}"  # noqa: S608
        params = [_since(since)] * placeholders
    fresh = f"fresh_{mirror.table}"
    db.execute(f"CREATE TEMP TABLE {fresh} AS SELECT * FROM {mirror.table} LIMIT 0")  # noqa: S608
    rows = _load(db, fresh, mirror.cols, sql, params)
    if since is not None and mirror.table == "arrests":
        # the people the records copied again were linked to before: their contacts' next
        # arrest may have been one of them
        db.execute(
            "CREATE TEMP TABLE stale_arrests AS SELECT program_id, person_id FROM arrests "
            "WHERE arrest_id IN (SELECT arrest_id FROM fresh_arrests)"
        )
    if since is not None:
        db.execute(
            f"DELETE FROM {mirror.table} WHERE {mirror.key} IN "  # noqa: S608
            f"(SELECT {mirror.key} FROM {fresh})"
        )
    db.execute(f"INSERT INTO {mirror.table} SELECT * FROM {fresh}")  # noqa: S608
    if mirror.table == "referrals":
        _refresh_history(db, None if since is None else _since(since))
    if mirror.incremental:
        newest = db.execute(f"SELECT max(updated_at) FROM {mirror.table}").fetchone()  # noqa: S608
        if newest and newest[0] is not None:
            _set_meta(db, f"mark:{mirror.table}", newest[0].isoformat())
    return rows


def _refresh_history(db: duckdb.DuckDBPyConnection, since: dt.datetime | None) -> None:
    """Status histories of the referrals just copied (all of them on a full refresh)."""
    model = ReferralStatusChange
    quote = connection.ops.quote_name
    select = ", ".join(_select(model, c, "h.") for c in STATUS_COLS)
    sql = f"SELECT {select} FROM {quote(model._meta.db_table)} h"  # noqa: S608
    params: list[Any] = []
    if since is None:
        db.execute("DELETE FROM status_changes")
    else:
        db.execute(
            "DELETE FROM status_changes "
            "WHERE referral_id IN (SELECT referral_id FROM fresh_referrals)"
        )
        referrals = quote(Referral._meta.db_table)
        sql += (
            f" JOIN {referrals} r ON r.{quote(_column(Referral, 'id'))} = "
            f"h.{quote(_column(model, 'referral'))} WHERE r.{_source_since(Referral)} >= %s"
        )
        params = [since]
    _load(db, "status_changes", STATUS_COLS, sql, params)


# --- record linkage: the person each person's records count under (issue 21) ---------------

#: Each person in a linkage cluster with another record and their cluster person at each
#: threshold (pathways.linkage.selectors.cluster_people): opaque ids of people the extract
#: holds already. Everyone else is their own cluster person. Copied whole at each refresh.
PERSON_CLUSTER_COLUMNS = "person_id UUID, program_id UUID, main UUID, strict UUID, loose UUID"
#: What record linkage links in each program, per threshold (linkage_figures): one row per
#: threshold of a program whose clusters are built, one row with an empty threshold and the
#: state otherwise; none for a program that never ran linkage.
LINKAGE_FIGURE_COLUMNS = (
    "program_id UUID, state VARCHAR, threshold VARCHAR, probability DOUBLE, arrests BIGINT, "
    "by_number BIGINT, by_model BIGINT, recorded_more_than_once BIGINT, counted_as BIGINT"
)


def _refresh_clusters(db: duckdb.DuckDBPyConnection, *, full: bool) -> int:
    """Copy every program's cluster people and linkage figures again. On an incremental
    refresh, the people whose cluster person changed at any threshold are kept aside
    (`changed_people`, with the cluster person they had) so that their contacts, and those
    of the people they were or are now counted with, are rebuilt."""
    if not full:
        db.execute("CREATE TEMP TABLE old_person_clusters AS SELECT * FROM person_clusters")
    db.execute("DELETE FROM person_clusters")
    db.execute("DELETE FROM linkage_figures")
    rows = 0
    for program_id in Program.objects.order_by("pk").values_list("pk", flat=True):
        for chunk in cluster_people(program_id=program_id, chunk_size=FETCH_ROWS):
            incoming = pa.table(
                {
                    "person_id": [c.person_id for c in chunk],
                    "program_id": [str(program_id)] * len(chunk),
                    "main": [c.main for c in chunk],
                    "strict": [c.strict for c in chunk],
                    "loose": [c.loose for c in chunk],
                }
            )
            db.register("incoming", incoming)
            db.execute(
                "INSERT INTO person_clusters SELECT CAST(person_id AS UUID), "
                "CAST(program_id AS UUID), CAST(main AS UUID), CAST(strict AS UUID), "
                "CAST(loose AS UUID) FROM incoming"
            )
            db.unregister("incoming")
            rows += len(chunk)
        figures = linkage_figures(program_id=program_id)
        if figures.state != LINKED:
            if figures.state != NEVER_RUN:
                db.execute(
                    "INSERT INTO linkage_figures (program_id, state, threshold) VALUES (?, ?, '')",
                    [str(program_id), figures.state],
                )
            continue
        db.executemany(
            "INSERT INTO linkage_figures VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                [
                    str(program_id),
                    figures.state,
                    t.threshold,
                    t.probability,
                    t.arrests,
                    t.by_number,
                    t.by_model,
                    t.recorded_more_than_once,
                    t.counted_as,
                ]
                for t in figures.thresholds.values()
            ],
        )
    if not full:
        db.execute(
            """
            CREATE TEMP TABLE changed_people AS
            SELECT coalesce(n.person_id, o.person_id) AS person_id,
                   coalesce(n.program_id, o.program_id) AS program_id,
                   coalesce(o.main, n.person_id) AS old_main
            FROM person_clusters n
            FULL OUTER JOIN old_person_clusters o
              ON o.person_id = n.person_id AND o.program_id = n.program_id
            WHERE n.person_id IS NULL OR o.person_id IS NULL
               OR n.main IS DISTINCT FROM o.main OR n.strict IS DISTINCT FROM o.strict
               OR n.loose IS DISTINCT FROM o.loose
            """
        )
    return rows


# --- EMS-reported overdoses of people Pathways knows (issue 21) ----------------------------

#: Each EMS-imported overdose whose report record linkage puts in a cluster with a Pathways
#: person: only the program, the time and the cluster's first person at each threshold (none
#: where the report's cluster has no person at it). No name, birth date or place of the report.
#: Copied whole at each refresh.
EMS_OVERDOSE_COLUMNS = (
    "program_id UUID, occurred_at TIMESTAMP, person_id UUID, person_id_strict UUID, "
    "person_id_loose UUID"
)


def _ems_chunk(members: list[tuple[Any, ...]]) -> pa.Table:
    """The EMS overdoses of a chunk of cluster rows (program, record key, the cluster's person
    at each threshold), their times read from the reports' overdose events."""
    prefix = f"{EMS_KIND}:"
    by_report = {key.removeprefix(prefix): row for row in members for key in [str(row[1])]}
    times = {
        str(pk): at
        for pk, at in EmsReport.objects.filter(pk__in=list(by_report)).values_list(
            "pk", "overdose__occurred_at"
        )
    }
    found = [(row, times[pk]) for pk, row in by_report.items() if pk in times]
    columns: dict[str, list[str | None]] = {
        "program_id": [str(row[0]) for row, _ in found],
        "occurred_at": [at.astimezone(dt.UTC).replace(tzinfo=None).isoformat() for _, at in found],
    }
    for i, name in ((2, "main"), (3, "strict"), (4, "loose")):
        columns[name] = [None if row[i] is None else str(row[i]) for row, _ in found]
    return pa.table({k: pa.array(v, type=pa.string()) for k, v in columns.items()})


def _refresh_ems_overdoses(db: duckdb.DuckDBPyConnection, *, full: bool) -> int:
    """Copy the EMS overdoses in a cluster with a person again (few beside the contacts). On an
    incremental refresh, the rows that appeared, went or changed (a report linked, unlinked or
    moved to another cluster) are kept aside (`changed_ems`) so that the contacts of their
    cluster people, then and now, are rebuilt."""
    if not full:
        db.execute("CREATE TEMP TABLE old_ems_overdoses AS SELECT * FROM ems_overdoses")
    db.execute("DELETE FROM ems_overdoses")
    members = (
        ClusterMember.objects.filter(record_key__startswith=f"{EMS_KIND}:")
        .exclude(cluster_person=None, strict_person=None, loose_person=None)
        .order_by("pk")
        .values_list("program_id", "record_key", "cluster_person", "strict_person", "loose_person")
    )
    rows = 0
    chunk: list[tuple[Any, ...]] = []

    def flush() -> int:
        incoming = _ems_chunk(chunk)
        db.register("incoming", incoming)
        db.execute(
            "INSERT INTO ems_overdoses SELECT CAST(program_id AS UUID), "
            "CAST(occurred_at AS TIMESTAMP), CAST(main AS UUID), CAST(strict AS UUID), "
            "CAST(loose AS UUID) FROM incoming"
        )
        db.unregister("incoming")
        chunk.clear()
        return int(incoming.num_rows)

    for member in members.iterator(chunk_size=FETCH_ROWS):
        chunk.append(member)
        if len(chunk) >= FETCH_ROWS:
            rows += flush()
    if chunk:
        rows += flush()
    if not full:
        db.execute(
            """
            CREATE TEMP TABLE changed_ems AS
            (SELECT * FROM ems_overdoses EXCEPT SELECT * FROM old_ems_overdoses)
            UNION (SELECT * FROM old_ems_overdoses EXCEPT SELECT * FROM ems_overdoses)
            """
        )
    return rows


# --- where the extract lives, and refreshing it -------------------------------------------


#: The extract's folder and file are the app user's alone: it holds every contact's groups and
#: treatment timeline.
DIRECTORY_MODE = 0o700
FILE_MODE = 0o600


def directory() -> Path:
    path = Path(settings.PATHWAYS_ANALYTICS_DIR)
    path.mkdir(mode=DIRECTORY_MODE, parents=True, exist_ok=True)
    if path.stat().st_mode & 0o777 != DIRECTORY_MODE:  # made before, or by hand, more open
        path.chmod(DIRECTORY_MODE)
    return path


def path() -> Path:
    return directory() / "analytics.duckdb"


@dataclass(frozen=True)
class RefreshResult:
    full: bool
    rows: dict[str, int]
    seconds: float


@contextlib.contextmanager
def _refresh_lock() -> Iterator[None]:
    lock = directory() / "refresh.lock"
    fd = os.open(lock, os.O_WRONLY | os.O_CREAT, FILE_MODE)
    os.chmod(lock, FILE_MODE)  # one made before, more open
    with os.fdopen(fd, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def refresh(*, full: bool = False) -> RefreshResult:
    """Bring the extract up to date with the database (incrementally unless `full`)."""
    started = time.perf_counter()
    with _refresh_lock():
        current = path()
        work = current.with_suffix(".refreshing")
        work.unlink(missing_ok=True)
        rebuild = full or not current.exists()
        if not rebuild:
            shutil.copyfile(current, work)
        db = _open_private(work)
        try:
            if not rebuild and _meta(db, "schema") != SCHEMA_VERSION:
                db.close()
                work.unlink()
                db = _open_private(work)
                rebuild = True
            if rebuild:
                _create(db)
                _set_meta(db, "schema", SCHEMA_VERSION)
            taken = clock.now()  # the figures are as of when the copy began
            rows = {m.table: _refresh_mirror(db, m, rebuild) for m in MIRRORS}
            rows["person_clusters"] = _refresh_clusters(db, full=rebuild)
            rows["ems_overdoses"] = _refresh_ems_overdoses(db, full=rebuild)
            _refresh_facts(db, full=rebuild)
            refresh_stage_days(db, taken)
            _set_meta(db, "refreshed_at", taken.isoformat())
            db.execute("CHECKPOINT")
        finally:
            db.close()
        work.chmod(FILE_MODE)
        os.replace(work, current)
    return RefreshResult(rebuild, rows, time.perf_counter() - started)


def _open_private(work: Path) -> duckdb.DuckDBPyConnection:
    """The work file (new, or a copy of the current one), made readable and writable by the
    app's user only before anything is written to it (the 0700 folder keeps others out of the
    moment between)."""
    db = duckdb.connect(str(work))
    work.chmod(FILE_MODE)
    return db


def refreshed_at() -> dt.datetime | None:
    value = remembered("refreshed_at", lambda db: _meta(db, "refreshed_at"))
    return None if value is None else dt.datetime.fromisoformat(value)


#: Small answers read from the extract, per process, for the extract file they came from.
_remembered: dict[tuple[tuple[int, ...], str], Any] = {}


def _identity() -> tuple[int, ...] | None:
    """What tells one extract file from the next (a refresh swaps a new file in)."""
    try:
        st = path().stat()
    except FileNotFoundError:
        return None
    return (st.st_dev, st.st_ino, st.st_mtime_ns, st.st_ctime_ns, st.st_size)


def remembered(name: str, read: Callable[[duckdb.DuckDBPyConnection], Read]) -> Read | None:
    """`read` over the current extract, once per extract file in this process (None when there
    is none): opening the file costs tens of milliseconds at ten million contacts, more than a
    cached report page takes otherwise."""
    identity = _identity()
    if identity is None:
        return None
    key = (identity, name)
    if key not in _remembered:
        with connect() as db:
            value = read(db)
        if any(k[0] != identity for k in _remembered):  # the extract was refreshed
            _remembered.clear()
        _remembered[key] = value
    return cast(Read, _remembered[key])


def ensure_fresh() -> dt.datetime:
    """Refresh when the extract is older than PATHWAYS_ANALYTICS_MAX_AGE seconds; returns
    the time the figures were taken."""
    at = refreshed_at()
    max_age = dt.timedelta(seconds=settings.PATHWAYS_ANALYTICS_MAX_AGE)
    if at is None or clock.now() - at >= max_age:
        refresh()
        at = refreshed_at()
    assert at is not None
    return at


@contextlib.contextmanager
def connect() -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection to the current extract (never blocks on a refresh)."""
    db = duckdb.connect(str(path()), read_only=True)
    try:
        yield db
    finally:
        db.close()


# --- the facts the reports read ------------------------------------------------------------

#: Views over the copied tables: one row per referral with the time each milestone was first
#: reached, and one row per contact with the person's groups and the contact's furthest step.
#: The person's groups, read when the contacts' facts are built.
VIEWS = """
CREATE VIEW person_facts AS
SELECT person_id, sex,
       CASE
         WHEN ethnicity = 'hispanic' THEN 'hispanic'
         WHEN races IS NULL OR races = '[]' OR races LIKE '%declined%' THEN 'unknown'
         WHEN json_array_length(races) > 1 THEN 'multiple'
         ELSE json_extract_string(races, '$[0]')
       END AS race_group
FROM people;
"""

#: An imported arrest's linked person and their cluster person at each threshold, and the
#: contacts that ended in arrest with theirs: what ARREST_FACTS compares.
_ARREST_PEOPLE = """
WITH linked AS (
    SELECT a.*,
           coalesce(c.main, a.person_id) AS cluster_person_id,
           coalesce(cs.strict, a.person_id_strict) AS cluster_person_id_strict,
           coalesce(cl.loose, a.person_id_loose) AS cluster_person_id_loose
    FROM arrests a
    LEFT JOIN person_clusters c ON c.person_id = a.person_id AND c.program_id = a.program_id
    LEFT JOIN person_clusters cs
      ON cs.person_id = a.person_id_strict AND cs.program_id = a.program_id
    LEFT JOIN person_clusters cl
      ON cl.person_id = a.person_id_loose AND cl.program_id = a.program_id
    WHERE a.archived_at IS NULL
),
arrested AS (
    SELECT e.program_id, e.occurred_at,
           coalesce(c.main, e.person_id) AS cluster_person_id,
           coalesce(c.strict, e.person_id) AS cluster_person_id_strict,
           coalesce(c.loose, e.person_id) AS cluster_person_id_loose
    FROM encounters e
    LEFT JOIN person_clusters c ON c.person_id = e.person_id AND c.program_id = e.program_id
    WHERE e.archived_at IS NULL AND e.disposition = 'arrested'
)
"""


def _arrest_groups(threshold: str, alias: str) -> str:
    """An imported arrest's sex, race group and age band at a threshold: the person's linked
    at it (person facts `alias`), else the record's own."""
    sex, race, band = (at_threshold(c, threshold) for c in ("sex", "race_group", "age_band"))
    return f"""
       coalesce({alias}.sex, a.sex) AS {sex},
       coalesce({alias}.race_group, CASE
         WHEN a.ethnicity = 'hispanic' THEN 'hispanic'
         WHEN coalesce(a.race, '') = '' THEN 'unknown'
         ELSE a.race
       END) AS {race},
       a.{band}"""


def _arrest_counted(threshold: str) -> str:
    """Whether an imported arrest counts at a threshold: not the same arrest (SAME_ARREST) as
    one at a contact, or an earlier imported one, of the same cluster person at it."""
    person = at_threshold("cluster_person_id", threshold)
    return f"""
       NOT EXISTS (
           SELECT 1 FROM arrested e
           WHERE e.{person} = a.{person} AND e.program_id = a.program_id
             AND e.occurred_at BETWEEN a.occurred_at - {SAME_ARREST}
                                   AND a.occurred_at + {SAME_ARREST}
       ) AND NOT EXISTS (
           SELECT 1 FROM linked b
           WHERE b.{person} = a.{person} AND b.program_id = a.program_id
             AND (b.occurred_at < a.occurred_at
                  OR (b.occurred_at = a.occurred_at AND b.arrest_id < a.arrest_id))
             AND b.occurred_at >= a.occurred_at - {SAME_ARREST}
       ) AS {at_threshold("counted", threshold)}"""  # noqa: S608 (this module's constants)


def arrest_facts_sql() -> str:
    """One row per imported arrest, at each linkage threshold: the person it counts under (the
    cluster person of the person linked by number, else by the model), the person's groups
    (the linked person's, else the record's own) and whether it counts: not the same arrest
    as one recorded before it of the same cluster person (SAME_ARREST). Rebuilt whole at each
    refresh."""
    groups = ",".join(
        _arrest_groups(t, alias) for t, alias in ((MAIN, "pf"), (STRICT, "pfs"), (LOOSE, "pfl"))
    )
    counted = ",".join(_arrest_counted(t) for t in (MAIN, STRICT, LOOSE))
    return f"""{_ARREST_PEOPLE}
SELECT a.arrest_id, a.program_id, a.person_id,
       a.cluster_person_id, a.cluster_person_id_strict, a.cluster_person_id_loose,
       a.person_id_strict, a.person_id_loose, a.number_linked,
       a.agency_id, a.area, a.occurred_at,
       CAST(NULL AS VARCHAR) AS pathway,{groups},
       a.charge_level IN {sql_tuple(DIVERTIBLE_LEVELS)} AS divertible,{counted}
FROM linked a
LEFT JOIN person_facts pf ON pf.person_id = a.person_id
LEFT JOIN person_facts pfs ON pfs.person_id = a.person_id_strict
LEFT JOIN person_facts pfl ON pfl.person_id = a.person_id_loose
"""  # noqa: S608 (this module's constants only)


def _ems_counted(threshold: str) -> str:
    """Whether an EMS overdose counts at a threshold: not the same overdose (SAME_OVERDOSE) as
    a Naloxone Plus contact or an index contact of the same cluster person at it."""
    person = at_threshold("cluster_person_id", threshold)
    return f"""
       NOT EXISTS (
           SELECT 1 FROM seen e
           WHERE e.{person} = x.{person} AND e.program_id = x.program_id
             AND e.occurred_at BETWEEN x.occurred_at - {SAME_OVERDOSE}
                                   AND x.occurred_at + {SAME_OVERDOSE}
       ) AS {at_threshold("counted", threshold)}"""  # noqa: S608 (this module's constants)


def ems_facts_sql() -> str:
    """One row per EMS overdose in a cluster with a person: the cluster person it counts under
    at each threshold (that of the cluster's first person; none where the cluster has no person
    at the threshold) and whether it counts there (_ems_counted). Rebuilt whole at each
    refresh."""
    counted = ",".join(_ems_counted(t) for t in (MAIN, STRICT, LOOSE))
    return f"""
WITH seen AS (
    SELECT e.program_id, e.occurred_at,
           coalesce(c.main, e.person_id) AS cluster_person_id,
           coalesce(c.strict, e.person_id) AS cluster_person_id_strict,
           coalesce(c.loose, e.person_id) AS cluster_person_id_loose
    FROM encounters e JOIN pathways p ON p.pathway_id = e.pathway_id
    LEFT JOIN person_clusters c ON c.person_id = e.person_id AND c.program_id = e.program_id
    WHERE e.archived_at IS NULL
      AND (p.code = 'naloxone_plus' OR e.disposition IN {sql_tuple(INDEX_DISPOSITIONS)})
)
SELECT x.program_id, x.occurred_at, x.person_id, x.cluster_person_id,
       x.cluster_person_id_strict, x.cluster_person_id_loose,{counted}
FROM (
    SELECT x.*,
           coalesce(c.main, x.person_id) AS cluster_person_id,
           coalesce(cs.strict, x.person_id_strict) AS cluster_person_id_strict,
           coalesce(cl.loose, x.person_id_loose) AS cluster_person_id_loose
    FROM ems_overdoses x
    LEFT JOIN person_clusters c ON c.person_id = x.person_id AND c.program_id = x.program_id
    LEFT JOIN person_clusters cs
      ON cs.person_id = x.person_id_strict AND cs.program_id = x.program_id
    LEFT JOIN person_clusters cl
      ON cl.person_id = x.person_id_loose AND cl.program_id = x.program_id
) x
"""  # noqa: S608 (this module's constants only)


#: One row per referral with the time each milestone was first reached (the facts tables are
#: rebuilt from these at each refresh: whole, or for the contacts affected).
REFERRAL_FACTS = """
SELECT r.referral_id, r.encounter_id, r.person_id, r.service_id, r.provider_id,
       s.service_type, r.warm_handoff, r.capacity_override = 'yes' AS capacity_override,
       r.status, r.status_changed_at, r.created_at AS sent_at,
       h.received_at, h.accepted_at, h.declined_at, h.decline_reason,
       coalesce(r.intake_at, h.engaged_at) AS intake_at, h.engaged_at, h.completed_at,
       h.disengaged_at,
       -- sent to the first answer, in whole minutes (the referral loop's median)
       CAST(floor((epoch(least(h.accepted_at, h.declined_at)) - epoch(r.created_at)) / 60)
            AS BIGINT) AS response_minutes,
       -- the contact's own columns, so reports filter referrals without a join
       e.program_id, e.occurred_at, e.agency_id, e.area, p.code AS pathway
FROM referrals r
JOIN services s USING (service_id)
JOIN encounters e ON e.encounter_id = r.encounter_id AND e.archived_at IS NULL
JOIN pathways p ON p.pathway_id = e.pathway_id
LEFT JOIN (
    SELECT referral_id,
           min(changed_at) FILTER (WHERE to_status = 'received') AS received_at,
           min(changed_at) FILTER (WHERE to_status = 'accepted') AS accepted_at,
           min(changed_at) FILTER (WHERE to_status = 'declined') AS declined_at,
           max(decline_reason) FILTER (WHERE to_status = 'declined') AS decline_reason,
           min(changed_at) FILTER (WHERE to_status = 'engaged') AS engaged_at,
           min(changed_at) FILTER (WHERE to_status = 'completed') AS completed_at,
           min(changed_at) FILTER (WHERE to_status = 'disengaged') AS disengaged_at
    FROM status_changes {history_scope} GROUP BY referral_id
) h USING (referral_id)
WHERE r.archived_at IS NULL {referral_scope}
"""

#: One row per contact: the person's groups and the contact's furthest step. A contact's later
#: events and earlier index contacts are its *cluster person's* (the person's records linked
#: at the main threshold are one person's history); its first and earlier contacts for the
#: quarterly report's people served are its own person's.
ENCOUNTER_FACTS = """
SELECT e.encounter_id, e.program_id, e.person_id,
       e.cluster_person_id, e.cluster_person_id_strict, e.cluster_person_id_loose,
       e.agency_id, e.area, e.occurred_at,
       e.call_source, e.disposition, p.code AS pathway, pf.sex, pf.race_group,
       e.age_band,
       CASE
         WHEN rv.decision IS NOT NULL THEN rv.decision = 'eligible'
         ELSE e.eligibility_outcome IN ('', 'eligible')
       END AS eligible,
       e.disposition IN ('referred', 'declined') AS offered,
       e.disposition = 'referred' AS accepted,
       e.disposition = 'arrested' AS arrested,
       rf.first_sent_at, rf.provider_accepted_at, rf.intake_at, rf.intake_provider_id,
       rf.engaged_at,
       rf.completed_at, rf.retained_30, rf.retained_90, rf.engaged_referral,
       e.next_contact_at, e.next_overdose_at, e.next_arrest_at, e.first_contact_at,
       e.prev_index_at, e.prev_contact_at, e.prev_pathway_index_at, e.prev_pathway_contact_at
FROM (
    SELECT e.*,
           -- the cluster person's next contact, overdose response and arrest (at a contact,
           -- or in the imported records), strictly later (the outcomes report's events)
           min(CASE WHEN e.is_contact THEN e.occurred_at END) OVER later AS next_contact_at,
           min(CASE WHEN e.overdose THEN e.occurred_at END) OVER later AS next_overdose_at,
           min(CASE WHEN e.disposition = 'arrested' THEN e.occurred_at END) OVER later
             AS next_arrest_at,
           -- the person's first contact in the program (new people in the quarterly report)
           min(CASE WHEN e.is_contact THEN e.occurred_at END)
             OVER (PARTITION BY e.program_id, e.person_id)
             AS first_contact_at,
           -- the person's last earlier contact that could be an index contact: a contact is
           -- their first one in a window starting after it (the outcomes report, unfiltered)
           max(CASE WHEN e.is_contact AND e.disposition IN {index_dispositions}
                    THEN e.occurred_at END) OVER earlier_index AS prev_index_at,
           -- the person's last earlier contact (ties broken by id): a contact is their first
           -- in a window starting after it (people served in the quarterly report, unfiltered)
           max(CASE WHEN e.is_contact THEN e.occurred_at END) OVER earlier AS prev_contact_at,
           -- the same two on the contact's own pathway (the reports filtered to a pathway)
           max(CASE WHEN e.is_contact AND e.disposition IN {index_dispositions}
                    THEN e.occurred_at END) OVER earlier_index_on_pathway
             AS prev_pathway_index_at,
           max(CASE WHEN e.is_contact THEN e.occurred_at END) OVER earlier_on_pathway
             AS prev_pathway_contact_at
    FROM (
        SELECT e.*, TRUE AS is_contact, np.code = 'naloxone_plus' AS overdose,
               coalesce(pc.main, e.person_id) AS cluster_person_id,
               coalesce(pc.strict, e.person_id) AS cluster_person_id_strict,
               coalesce(pc.loose, e.person_id) AS cluster_person_id_loose
        FROM encounters e JOIN pathways np ON np.pathway_id = e.pathway_id
        LEFT JOIN person_clusters pc
          ON pc.person_id = e.person_id AND pc.program_id = e.program_id
        WHERE e.archived_at IS NULL {person_scope}
        UNION ALL BY NAME
        -- the person's imported arrests, as events only
        SELECT a.program_id, a.person_id, a.cluster_person_id, a.occurred_at,
               'arrested' AS disposition, FALSE AS is_contact, FALSE AS overdose
        FROM arrest_facts a
        WHERE a.counted AND a.person_id IS NOT NULL {arrest_scope}
        UNION ALL BY NAME
        -- the overdoses EMS reported that record linkage puts with the person, as events only
        SELECT x.program_id, x.person_id, x.cluster_person_id, x.occurred_at,
               FALSE AS is_contact, TRUE AS overdose
        FROM ems_facts x
        WHERE x.counted AND x.person_id IS NOT NULL {ems_scope}
    ) e JOIN person_facts pf USING (person_id)
    -- {cluster_partition}: the cluster person's (see _partitions); e.person_id: the person's
    WINDOW earlier AS (
        PARTITION BY e.program_id, e.person_id ORDER BY e.occurred_at, e.encounter_id
        ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING
    ),
    earlier_on_pathway AS (
        PARTITION BY e.program_id, e.person_id, e.pathway_id
        ORDER BY e.occurred_at, e.encounter_id
        ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING
    ),
    earlier_index AS (
        PARTITION BY e.program_id, {cluster_partition} ORDER BY e.occurred_at, e.encounter_id
        ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING
    ),
    earlier_index_on_pathway AS (
        PARTITION BY e.program_id, {cluster_partition}, e.pathway_id
        ORDER BY e.occurred_at, e.encounter_id
        ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING
    ),
    later AS (
        PARTITION BY e.program_id, {cluster_partition} ORDER BY e.occurred_at
        RANGE BETWEEN INTERVAL 1 MICROSECOND FOLLOWING AND UNBOUNDED FOLLOWING
    )
) e
JOIN pathways p USING (pathway_id)
JOIN person_facts pf USING (person_id)
LEFT JOIN reviews rv USING (encounter_id)
LEFT JOIN (
    SELECT encounter_id,
           min(sent_at) AS first_sent_at,
           min(accepted_at) AS provider_accepted_at,
           min(intake_at) FILTER (WHERE engaged_at IS NOT NULL) AS intake_at,
           arg_min(provider_id, intake_at) FILTER (WHERE engaged_at IS NOT NULL)
             AS intake_provider_id,
           min(engaged_at) AS engaged_at,
           min(completed_at) AS completed_at,
           bool_or(engaged_at IS NOT NULL) AS engaged_referral,
           -- in the service 30 (90) days after engaging: completed, or not disengaged by then
           bool_or(engaged_at IS NOT NULL AND (completed_at IS NOT NULL
                   OR disengaged_at IS NULL OR disengaged_at > engaged_at + INTERVAL 30 DAY))
             AS retained_30,
           bool_or(engaged_at IS NOT NULL AND (completed_at IS NOT NULL
                   OR disengaged_at IS NULL OR disengaged_at > engaged_at + INTERVAL 90 DAY))
             AS retained_90
    FROM referral_facts {encounter_scope} GROUP BY encounter_id
) rf USING (encounter_id)
WHERE e.is_contact
"""


def _minutes(end: str, start: str) -> str:
    return f"CAST(floor(epoch({end} - {start}) / 60) AS BIGINT)"


#: Each contact's times between funnel stages (NULL unless it reached the later stage) and from
#: contact to its first intake, in whole minutes, stored so that the medians and percentiles
#: read one narrow column each (minutes_<interval code>, minutes_to_treatment).
TIMING_COLUMNS = ", ".join(
    [
        *(
            f"CASE WHEN {next(st for st in STAGES if st.code == i.stage).condition} "
            f"THEN {_minutes(i.end, i.start)} END AS minutes_{i.code}"
            for i in INTERVALS
        ),
        "CASE WHEN engaged_at IS NOT NULL AND intake_at IS NOT NULL "
        "THEN CAST(floor(greatest(epoch(intake_at - occurred_at), 0) / 60) AS BIGINT) END "
        "AS minutes_to_treatment",
    ]
)
assert "$" not in TIMING_COLUMNS  # nothing that depends on when a report is run

#: Each contact's days (rounded up) to the person's next contact, overdose response and arrest
#: when within EVENT_HORIZON_DAYS (<event>_day), stored so that the outcomes report only checks
#: that the event had happened when it was built.
EVENT_DAY_COLUMNS = ", ".join(
    f"CASE WHEN next_{event}_at <= occurred_at + INTERVAL {int(EVENT_HORIZON_DAYS)} DAY "
    f"THEN CAST(ceil(epoch(next_{event}_at - occurred_at) / 86400) AS INTEGER) END "
    f"AS {event}_day"
    for event in ("contact", "overdose", "arrest")
)


def sql_tuple(codes: Sequence[str]) -> str:
    assert all(c.replace("_", "").isalnum() for c in codes)  # our own codes, never user input
    return "(" + ", ".join(f"'{c}'" for c in codes) + ")"


def _refresh_facts(db: duckdb.DuckDBPyConnection, *, full: bool) -> None:
    """Rebuild the facts tables the reports read: whole on a full refresh; otherwise only for
    the contacts touched by what was just copied (the contact itself, one of its referrals or
    their histories, its person, a supervisor's review, an imported arrest or EMS overdose of
    its cluster person now or before, a change of its person's linkage clusters), with every
    other contact of the same cluster person. A service's type is copied whole each time but
    reaches the facts at the next full refresh (nightly)."""
    # imported arrests: few beside the contacts, so always rebuilt whole
    db.execute("DROP TABLE IF EXISTS arrest_facts")
    db.execute(f"CREATE TABLE arrest_facts AS {arrest_facts_sql()}")
    # EMS overdoses linked to people: likewise
    db.execute("DROP TABLE IF EXISTS ems_facts")
    db.execute(f"CREATE TABLE ems_facts AS {ems_facts_sql()}")
    if full:
        scopes = {
            "history_scope": "",
            "referral_scope": "",
            "encounter_scope": "",
            "person_scope": "",
            "arrest_scope": "",
            "ems_scope": "",
            "index_dispositions": sql_tuple(INDEX_DISPOSITIONS),
            **_partitions(db),
        }
        db.execute("DROP TABLE IF EXISTS referral_facts")
        db.execute("DROP TABLE IF EXISTS encounter_facts")
        db.execute(f"CREATE TABLE referral_facts AS {REFERRAL_FACTS.format(**scopes)}")
        # in time order, so a report on a date range reads only the row groups it needs
        db.execute(
            f"CREATE TABLE encounter_facts AS SELECT *, {TIMING_COLUMNS}, {EVENT_DAY_COLUMNS} "  # noqa: S608
            f"FROM ({ENCOUNTER_FACTS.format(**scopes)}) ORDER BY program_id, occurred_at"
        )
        _refresh_open_referrals(db)
        return
    db.execute("CREATE TEMP TABLE IF NOT EXISTS stale_arrests (program_id UUID, person_id UUID)")
    db.execute(
        """
        CREATE TEMP TABLE affected AS
        SELECT encounter_id FROM fresh_encounters
        UNION SELECT encounter_id FROM fresh_referrals
        UNION SELECT encounter_id FROM fresh_reviews
        UNION SELECT encounter_id FROM encounters
              WHERE person_id IN (SELECT person_id FROM fresh_people)
        UNION SELECT encounter_id FROM encounters
              WHERE person_id IN (SELECT person_id FROM changed_people)
        """
    )
    # a cluster person's contacts know each other (the next contact, overdose, arrest): every
    # contact of a touched cluster person is rebuilt with the rest. Touched: the cluster
    # person of an affected contact, the one a person whose clusters changed had before, and
    # that of an imported arrest copied again, as it is linked now and as it was, and that of
    # an EMS overdose that appeared, went or moved (changed_ems: its rows then and now)
    db.execute(
        f"""
        CREATE TEMP TABLE touched AS
        SELECT {_CLUSTER_OF_CONTACT} AS cluster_person_id FROM encounters e {_CLUSTERS_JOIN}
        WHERE e.encounter_id IN (SELECT encounter_id FROM affected)
        UNION SELECT old_main FROM changed_people
        UNION SELECT coalesce(pc.main, e.person_id) FROM fresh_arrests e {_CLUSTERS_JOIN}
        UNION SELECT coalesce(pc.main, e.person_id) FROM stale_arrests e {_CLUSTERS_JOIN}
        UNION SELECT coalesce(pc.main, e.person_id) FROM changed_ems e {_CLUSTERS_JOIN}
        """  # noqa: S608 (this module's constants only)
    )
    db.execute(
        f"""
        INSERT INTO affected
        SELECT e.encounter_id FROM encounters e {_CLUSTERS_JOIN}
        WHERE {_CLUSTER_OF_CONTACT} IN (SELECT cluster_person_id FROM touched)
        EXCEPT SELECT encounter_id FROM affected
        """  # noqa: S608 (this module's constants only)
    )
    affected = "encounter_id IN (SELECT encounter_id FROM affected)"
    referrals = f"SELECT referral_id FROM referrals WHERE {affected}"  # noqa: S608
    scopes = {
        "history_scope": f"WHERE referral_id IN ({referrals})",
        "referral_scope": f"AND r.{affected}",
        "encounter_scope": f"WHERE {affected}",
        "person_scope": f"AND e.{affected}",
        "arrest_scope": "AND a.cluster_person_id IN (SELECT cluster_person_id FROM touched)",
        "ems_scope": "AND x.cluster_person_id IN (SELECT cluster_person_id FROM touched)",
        "index_dispositions": sql_tuple(INDEX_DISPOSITIONS),
        **_partitions(db),
    }
    db.execute(f"DELETE FROM referral_facts WHERE {affected}")  # noqa: S608
    db.execute(f"INSERT INTO referral_facts {REFERRAL_FACTS.format(**scopes)}")
    db.execute(f"DELETE FROM encounter_facts WHERE {affected}")  # noqa: S608
    db.execute(
        f"INSERT INTO encounter_facts SELECT *, {TIMING_COLUMNS}, {EVENT_DAY_COLUMNS} "  # noqa: S608
        f"FROM ({ENCOUNTER_FACTS.format(**scopes)})"
    )
    _refresh_open_referrals(db)


def _partitions(db: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """ENCOUNTER_FACTS' partition of a cluster person's windows. With no linkage clusters
    anywhere each person is their own cluster person, and partitioning by the person itself
    lets DuckDB sort once for both kinds of window. Measured on a million synthetic contacts
    (2 shared cores): the facts build 5.0 s before clusters, 5.6 s with none, 7.5 s when one
    person in ten is recorded twice."""
    row = db.execute("SELECT EXISTS (SELECT 1 FROM person_clusters)").fetchone()
    clustered = row is not None and bool(row[0])
    return {"cluster_partition": "e.cluster_person_id" if clustered else "e.person_id"}


#: A contact's (or an arrest's) cluster person at the main threshold, on a table `e` joined
#: with _CLUSTERS_JOIN.
_CLUSTER_OF_CONTACT = "coalesce(pc.main, e.person_id)"
_CLUSTERS_JOIN = (
    "LEFT JOIN person_clusters pc ON pc.person_id = e.person_id AND pc.program_id = e.program_id"
)


def _refresh_open_referrals(db: duckdb.DuckDBPyConnection) -> None:
    """The referral facts of the referrals in a status with a deadline (a few percent of them),
    where the referral loop looks for the ones past it. Rebuilt whole at each refresh."""
    db.execute("DROP TABLE IF EXISTS open_referral_facts")
    db.execute(
        "CREATE TABLE open_referral_facts AS SELECT * FROM referral_facts "  # noqa: S608
        f"WHERE status IN {sql_tuple(STUCK_STATUSES)}"
    )


def refresh_stage_days(db: duckdb.DuckDBPyConnection, as_of: dt.datetime) -> None:
    """Each program's funnel stage counts per local day (in the program's zone), pathway,
    agency and area, as of `as_of` (the refresh): what the funnel and the quarterly report
    sum instead of counting millions of contacts, when they are built as of the same moment
    (reports always are; see funnel.stage_counts_by_window). Likewise the referral loop's
    answers per local day, provider and service type (`answer_days`, see
    referral_loop.loop_counts). Rebuilt whole at each refresh."""
    zones = {str(pk): tz for pk, tz in Program.objects.values_list("pk", "time_zone")}
    days: list[tuple[str, str, dt.date, dt.datetime]] = []
    spans = db.execute(
        "SELECT CAST(program_id AS VARCHAR), min(occurred_at), max(occurred_at) "
        "FROM encounter_facts GROUP BY program_id"
    ).fetchall()
    for program_id, first, last in spans:
        zone = zones.get(program_id)
        if zone is None:
            continue
        tz = zoneinfo.ZoneInfo(zone)
        day = first.replace(tzinfo=dt.UTC).astimezone(tz).date() - dt.timedelta(days=1)
        end = last.replace(tzinfo=dt.UTC).astimezone(tz).date() + dt.timedelta(days=1)
        while day <= end:
            days.append((program_id, zone, day, local_midnight_utc(day, zone)))
            day += dt.timedelta(days=1)
    db.execute("DROP TABLE IF EXISTS local_days")
    db.execute(
        "CREATE TABLE local_days (program_id UUID, time_zone VARCHAR, day DATE, "
        "utc_start TIMESTAMP)"
    )
    if days:
        db.executemany("INSERT INTO local_days VALUES (?, ?, ?, ?)", days)
    counts = ", ".join(f"count(*) FILTER (WHERE {s.condition}) AS {s.code}" for s in STAGES)
    db.execute("DROP TABLE IF EXISTS stage_days")
    db.execute(
        f"CREATE TABLE stage_days AS SELECT e.program_id, d.day, e.pathway, e.agency_id, "  # noqa: S608
        f"e.area, {counts} FROM encounter_facts e ASOF JOIN local_days d "
        "ON e.program_id = d.program_id AND e.occurred_at >= d.utc_start GROUP BY ALL",
        {"as_of": as_of.astimezone(dt.UTC).replace(tzinfo=None)},
    )
    _set_meta(db, "stage_days_as_of", as_of.isoformat())
    # the referral loop's answers per day (these do not depend on `as_of`)
    db.execute("DROP TABLE IF EXISTS answer_days")
    db.execute(f"CREATE TABLE answer_days AS {answer_days_sql()}")
