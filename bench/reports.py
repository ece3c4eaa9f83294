#!/usr/bin/env python3
"""Reports benchmark: every report page on a large synthetic county, on the columnar path
(DuckDB over the analytics extract) and on the plain ORM path, on PostgreSQL.

1. Loads the demo county with --base encounters through the demo generator (skip with
   --skip-load to reuse a database loaded before), then scales it to --encounters by copying its
   people, contacts, referrals and status histories with new ids (each copy a new set of people
   over the same 18 months), in SQL on the server.
2. Builds the analytics extract from scratch, then times an incremental refresh after a few new
   contacts.
3. Times each report: the columnar build, the whole page as a coordinator gets it (HTTP GET
   through Django's test client: filters, extract, report, charts, template) over two years
   (everything) as the first viewer after a refresh and from the cache; the page as it first
   opens (default filters) after the refresh job built it ahead; one pathway over two years
   (not built ahead); and the plain ORM path (reports.orm, orm_referrals, orm_outcomes) with the
   build's filters, on the PostgreSQL county. Prints seconds and the ratio.

    .venv/bin/python bench/reports.py --encounters 10000000 --base 1000000 \
        --pg-url postgres://pathways:pathways@127.0.0.1:5433/pathways_reports

Figures go to bench/RESULTS.md by hand."""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PY = sys.executable
#: Every report of the catalog (checked against it once Django is set up).
REPORTS = ("funnel", "time-to-treatment", "referral-loop", "equity", "outcomes", "cost", "funder")


def manage(env: dict[str, str], *args: str) -> None:
    subprocess.run([PY, "manage.py", *args], cwd=ROOT, env=env, check=True)


def scale(copies: int) -> None:
    """Add `copies` copies of every person with their contacts, referrals and histories."""
    round_id = f"{time.time_ns()}"
    from django.db import connection, transaction

    from pathways.encounters.models import Encounter
    from pathways.people.models import Person
    from pathways.referrals.models import Referral, ReferralStatusChange

    replicated = {Person, Encounter, Referral}
    quote = connection.ops.quote_name
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        row = cursor.fetchone()
        if row and row[0]:
            # The copies' keys point at copied rows or at the shared cast, valid by construction:
            # skip the deferred foreign-key checks, which otherwise run one by one at COMMIT
            # (about 20 minutes for 50 million rows here).
            cursor.execute("SET LOCAL session_replication_role = replica")
        else:
            print("  (not a superuser: foreign keys are checked at commit, which is slow)")
        for model in (Person, Encounter, Referral, ReferralStatusChange):
            names, exprs = [], []
            for field in model._meta.concrete_fields:
                column = quote(field.column)
                target = field.related_model if field.is_relation else None
                if field.primary_key and model is ReferralStatusChange:
                    continue  # a sequence gives the copies their ids
                names.append(column)
                if field.primary_key or target in replicated:
                    # the round makes ids new even when a scaled county is scaled again
                    exprs.append(f"md5(t.{column}::text || ':' || k || ':' || %s)::uuid")
                elif field.column == "idempotency_key":
                    exprs.append("NULL")
                else:
                    exprs.append(f"t.{column}")
            started = time.perf_counter()
            cursor.execute(
                f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(names)}) "  # noqa: S608
                f"SELECT {', '.join(exprs)} FROM {quote(model._meta.db_table)} t "
                f"CROSS JOIN generate_series(1, %s) AS k",
                [*([round_id] * sum("%s" in e for e in exprs)), copies],
            )
            print(
                f"  {model._meta.label}: +{cursor.rowcount:,} rows "
                f"in {time.perf_counter() - started:.0f} s",
                flush=True,
            )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def scale_extract(factor: int) -> int:
    """Copy the extract's people, contacts, reviews, referrals and histories `factor - 1` times
    with new ids, inside DuckDB, and rebuild its facts: the columnar path on a county `factor`
    times larger without loading it into PostgreSQL first."""
    import duckdb

    from pathways.outcomes import extract

    db = duckdb.connect(str(extract.path()))
    try:
        keys = {"person_id", "encounter_id", "referral_id"}
        # each copy's times move a little, row by row, so the copies' durations differ as ten
        # million real contacts' would (the medians' histograms would see ten times fewer
        # distinct values otherwise): contacts up to 90 minutes earlier, status changes up to
        # 30 minutes later
        contact = "- to_seconds(CAST(hash(encounter_id, k) % 5400 AS BIGINT))"
        change = "+ to_seconds(CAST(hash(referral_id, to_status, k) % 1800 AS BIGINT))"
        jitter = {("encounters", "occurred_at"): contact, ("status_changes", "changed_at"): change}
        for table in ("people", "encounters", "reviews", "referrals", "status_changes"):
            columns = [r[0] for r in db.execute(f"DESCRIBE {table}").fetchall()]
            exprs = [
                f"CAST(md5(CAST({c} AS VARCHAR) || ':extract:' || k) AS UUID)"
                if c in keys
                else f"{c} {jitter[(table, c)]}"
                if (table, c) in jitter
                else c
                for c in columns
            ]
            db.execute(
                f"INSERT INTO {table} SELECT {', '.join(exprs)} "  # noqa: S608
                f"FROM {table}, range(1, {int(factor)}) r(k)"
            )
        extract._refresh_facts(db, full=True)
        refreshed = extract._meta(db, "refreshed_at")
        assert refreshed is not None
        extract.refresh_stage_days(db, dt.datetime.fromisoformat(refreshed))
        db.execute("CHECKPOINT")
        row = db.execute("SELECT count(*) FROM encounter_facts").fetchone()
        return int(row[0]) if row else 0
    finally:
        db.close()


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    value = fn()
    return time.perf_counter() - started, value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pg-url", required=True, help="a PostgreSQL database to (re)fill")
    parser.add_argument("--encounters", type=int, default=10_000_000)
    parser.add_argument("--base", type=int, default=1_000_000, help="made by the generator")
    parser.add_argument("--skip-load", action="store_true")
    parser.add_argument(
        "--orm",
        default=",".join(REPORTS),
        help="reports to time on the plain ORM path too (comma-separated; '' for none)",
    )
    parser.add_argument("--repeat", type=int, default=3, help="page timings: best of N")
    parser.add_argument(
        "--scale-extract",
        type=int,
        default=1,
        help="copy the extract N times in DuckDB before timing (10 with a 1M county: 10M)",
    )
    parser.add_argument(
        "--reuse-extract",
        metavar="DIR",
        default="",
        help="time the reports on the extract a run before left in DIR (printed at the end)",
    )
    args = parser.parse_args()

    analytics = args.reuse_extract or tempfile.mkdtemp(prefix="pathways-bench-analytics-")
    env = {
        **os.environ,
        "DATABASE_URL": args.pg_url,
        "PATHWAYS_ANALYTICS_DIR": analytics,
        "PATHWAYS_ANALYTICS_MAX_AGE": "86400",
        "PATHWAYS_MFA_REQUIRED": "1",
        "DJANGO_SETTINGS_MODULE": "pathways.settings",
    }
    os.environ.update(env)
    manage(env, "migrate", "--no-input", "-v0")
    if not args.skip_load:
        print(f"Loading {args.base:,} encounters with the demo generator")
        started = time.perf_counter()
        manage(env, "demo_load", "--encounters", str(args.base), "--quiet")
        print(f"  generator: {time.perf_counter() - started:.0f} s", flush=True)

    import django

    django.setup()
    from django.core.cache import caches
    from django.test import Client

    from pathways.accounts.models import User
    from pathways.accounts.testing import verified_client
    from pathways.core import clock
    from pathways.encounters.models import Encounter
    from pathways.outcomes import extract, report_cache
    from pathways.outcomes.filters import QuarterForm, ReportFilters
    from pathways.outcomes.reports import orm, orm_outcomes, orm_referrals
    from pathways.outcomes.reports.catalog import CATALOG
    from pathways.outcomes.reports.funder import quarters_before
    from pathways.programs.models import Pathway, Program

    program = Program.objects.get(name__icontains="Riverbend")
    total = Encounter.objects.filter(program=program).count()
    if total < args.encounters:  # scale what is there up to --encounters
        copies = args.encounters // total - 1
        print(f"Scaling {total:,} encounters with {copies} copies")
        scale(copies)
        total = Encounter.objects.filter(program=program).count()
    print(f"\nCounty: {total:,} encounters")

    if not args.reuse_extract:
        seconds, result = timed(lambda: extract.refresh(full=True))
        print(f"Extract, full build: {seconds:.1f} s ({sum(result.rows.values()):,} rows)")
        size = extract.path().stat().st_size / 1e6
        print(f"Extract file: {size:,.0f} MB")
        live = Encounter.objects.filter(program=program, archived_at__isnull=True).count()
        with extract.connect() as db:
            row = db.execute(
                "SELECT count(*) FROM encounter_facts WHERE program_id = $p", {"p": str(program.pk)}
            ).fetchone()
        if row is None or row[0] != live:  # a broken refresh must not pass for a fast one
            sys.exit(f"The extract holds {row[0] if row else 0:,} contacts, not {live:,}.")
        sample = list(Encounter.objects.filter(program=program).order_by("-occurred_at")[:20])
        for encounter in sample:  # touch a few contacts, as a day's edits would
            encounter.save()
        seconds, result = timed(extract.refresh)
        read = sum(result.rows.values())
        print(f"Extract, incremental refresh: {seconds:.1f} s ({read:,} rows read)")
        if args.scale_extract > 1:
            seconds, rows = timed(lambda: scale_extract(args.scale_extract))
            print(
                f"Extract scaled x{args.scale_extract} in DuckDB: {rows:,} contacts "
                f"in {seconds:.0f} s ({extract.path().stat().st_size / 1e6:,.0f} MB); "
                "the plain ORM path still reads PostgreSQL's"
            )

    end = clock.local_date(program.time_zone)
    start = end - dt.timedelta(days=365 * 2)
    as_of = extract.refreshed_at()
    assert as_of is not None
    coordinator = User.objects.get(username="coord.nguyen")
    client: Client = verified_client(coordinator)
    # each report's raw figures on the plain ORM path, for the filters its columnar build had
    plain: dict[str, Callable[[ReportFilters], Any]] = {
        "funnel": lambda f: orm.funnel_counts(f, as_of),
        "time-to-treatment": orm.treatment_figures,
        "referral-loop": lambda f: orm_referrals.loop_counts(f, as_of),
        "equity": lambda f: orm.equity_counts(f, as_of),
        "outcomes": lambda f: orm_outcomes.recurrence_counts(f, as_of),
        "cost": orm_outcomes.diverted_counts,
        "funder": lambda f: orm_outcomes.funder_figures(f, as_of),
    }
    assert set(plain) == set(CATALOG) == set(REPORTS), "every report on both paths"
    cache = caches[report_cache.CACHE_ALIAS]
    cache.clear()
    seconds, _ = timed(lambda: report_cache.warm(program))
    print(f"\nRefresh job: reports built ahead (first views, home page) in {seconds:.1f} s")
    client.get("/program/reports/")  # the process's first request loads URLs and templates
    first_views: dict[str, float] = {}
    for slug in CATALOG:  # each report as it first opens, after the job
        started = time.perf_counter()
        response = client.get(f"/program/reports/{slug}/")
        first_views[slug] = time.perf_counter() - started
        assert response.status_code == 200, (slug, response.status_code)
    pathway = Pathway.objects.get(code="officer_prevention").code
    print(
        f"\n{'report':<20} {'columnar s':>10} {'page s':>8} {'cached s':>9} {'first s':>8} "
        f"{'pathway s':>10} {'ORM s':>8} {'ORM/columnar':>13}",
        flush=True,
    )
    for slug, spec in CATALOG.items():
        # the page's own filters: two years, or the quarterly report's last whole quarter
        query = {"start": start.isoformat(), "end": end.isoformat()}
        if spec.form is QuarterForm:
            query = {"start": quarters_before(end, 1)[0][1].isoformat()}
        builds = []
        form = spec.form(query, program=program, areas=[])
        assert form.is_valid(), form.errors
        for _ in range(args.repeat):
            with extract.connect() as db:
                started = time.perf_counter()
                spec.run(db, form.filters(), as_of=as_of)
                builds.append(time.perf_counter() - started)
        pages: list[float] = []
        cached: list[float] = []
        one_pathway: list[float] = []
        url = f"/program/reports/{slug}/"
        for _ in range(args.repeat):
            cache.clear()  # the page as the first viewer after a refresh gets it
            for times in (pages, cached):  # then as the next one does, from the cache
                started = time.perf_counter()
                response = client.get(url, query)
                times.append(time.perf_counter() - started)
                assert response.status_code == 200, (slug, response.status_code)
            started = time.perf_counter()  # another filter: not built ahead
            response = client.get(url, {**query, "pathway": pathway})
            one_pathway.append(time.perf_counter() - started)
            assert response.status_code == 200, (slug, response.status_code)
        columnar = min(builds)
        orm_s = ""
        ratio = ""
        if slug in plain and slug in args.orm.split(","):
            seconds, _ = timed(functools.partial(plain[slug], form.filters()))
            orm_s = f"{seconds:.1f}"
            ratio = f"{seconds / columnar:.0f}x"
        print(
            f"{slug:<20} {columnar:>10.2f} {min(pages):>8.2f} {min(cached):>9.2f} "
            f"{first_views[slug]:>8.2f} {min(one_pathway):>10.2f} {orm_s:>8} {ratio:>13}",
            flush=True,
        )
    print(f"\nThe extract stays in {analytics} (--reuse-extract {analytics})")


if __name__ == "__main__":
    main()
