"""NEMSIS import speed and memory: generate N patient care reports (default 100,000, every
one a suspected opioid overdose inside the recovery window), import them the way the worker
does (validate the whole file, then apply it in one transaction) and print reports/s for each
pass and the peak memory (the process's peak RSS; with --tracemalloc also Python's traced
allocations, which slows the run).

    .venv/bin/python bench/imports.py --reports 2000
    DATABASE_URL=postgres://... .venv/bin/python bench/imports.py

Runs against a fresh SQLite database in a temporary folder unless DATABASE_URL is set (then
that database is migrated and written to: use a scratch one)."""

from __future__ import annotations

import argparse
import datetime as dt
import os
import resource
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=100_000)
    parser.add_argument("--overdose-every", type=int, default=1)
    parser.add_argument(
        "--tracemalloc",
        action="store_true",
        help="also trace Python allocations (peak MB); slows the run about tenfold",
    )
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="pathways-bench-imports-"))
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{scratch / 'bench.sqlite3'}")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pathways.settings")
    os.environ["PATHWAYS_IMPORTS_DIR"] = str(scratch / "imports")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from pathways.accounts.factories import AgencyFactory, member
    from pathways.core import clock
    from pathways.imports import nemsis
    from pathways.imports.models import ImportJob, ImportStatus
    from pathways.imports.problems import Problems
    from pathways.imports.services import import_job_run
    from pathways.imports.testing import write_nemsis
    from pathways.programs.factories import ProgramFactory, enable_all_pathways

    program = ProgramFactory.create(name=f"Bench County {time.time_ns()}")
    enable_all_pathways(program)
    ems = AgencyFactory.create(program=program, kind="ems", name="Bench EMS")
    office = AgencyFactory.create(program=program, kind="program_office", name="Bench Office")
    coordinator = member(office, "coordinator", f"bench_coordinator_{time.time_ns()}")

    path = scratch / "reports.xml"
    start = clock.now() - dt.timedelta(minutes=args.reports + 60)
    t0 = time.perf_counter()
    write_nemsis(path, args.reports, start, overdose_every=args.overdose_every)
    print(
        f"generated {args.reports:,} reports, {path.stat().st_size / 1e6:.1f} MB "
        f"in {time.perf_counter() - t0:.1f} s",
        flush=True,
    )

    def rss_mb() -> float:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    before = rss_mb()
    if args.tracemalloc:
        tracemalloc.start()
    t0 = time.perf_counter()
    problems = Problems()
    nemsis.validate(path, problems, lambda done: None)
    validate_s = time.perf_counter() - t0
    assert not problems, problems.items[:3]
    traced = ""
    if args.tracemalloc:
        traced = f", peak {tracemalloc.get_traced_memory()[1] / 1e6:.1f} MB traced"
        tracemalloc.reset_peak()
    print(
        f"validate (XSD + rules): {args.reports / validate_s:,.0f} reports/s, "
        f"peak RSS {rss_mb():.0f} MB (before: {before:.0f} MB){traced}",
        flush=True,
    )

    job = ImportJob.objects.create(
        program=program,
        kind="nemsis",
        agency=ems,
        file_name=path.name,
        file_size=path.stat().st_size,
        stored_path=str(path),
        created_by=coordinator,
    )
    t0 = time.perf_counter()
    done = import_job_run(job_id=job.pk)
    total_s = time.perf_counter() - t0
    traced = ""
    if args.tracemalloc:
        traced = f", {tracemalloc.get_traced_memory()[1] / 1e6:.1f} MB traced (job)"
        tracemalloc.stop()
    assert done is not None and done.status == ImportStatus.DONE, done and done.problems
    print(
        f"whole job (validate + apply, one transaction): {args.reports / total_s:,.0f} "
        f"reports/s, {done.added:,} overdoses, {done.work_items:,} follow-ups, "
        f"{total_s:.1f} s",
        flush=True,
    )
    print(
        f"peak memory: {rss_mb():.0f} MB RSS (process; {before:.0f} MB before the import){traced}"
    )


if __name__ == "__main__":
    main()
