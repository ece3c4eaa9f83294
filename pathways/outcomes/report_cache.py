"""Built reports, kept until the extract is next refreshed, in a cache every web worker and the
refresh job share (the "reports" cache: files under PATHWAYS_REPORT_CACHE_DIR).

After each refresh the job builds each program's reports as they first open (the default
filters) and the home page's quarter, so the first coordinator to open a report after a
refresh does not wait for ten million contacts to be counted; other filters are built on
first view and kept the same way."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable

from django.core.cache import caches

from pathways.core import clock
from pathways.outcomes import extract
from pathways.outcomes.filters import ReportFilters
from pathways.outcomes.reports import funder
from pathways.outcomes.reports.catalog import CATALOG
from pathways.outcomes.selectors import report_areas, report_inputs_stamp
from pathways.outcomes.tables import Report
from pathways.programs.models import Program

CACHE_ALIAS = "reports"
#: Past the next refresh a key cannot match anyway (the extract's identity is part of it).
REPORT_CACHE_SECONDS = 24 * 3600


def cached_report(program: Program, key: str, build: Callable[[], Report]) -> Report:
    """A built report, kept until the extract is next refreshed or the program changes what
    else its reports read (costs, population figures, pathway targets): the extract's file
    identity and that change's time are part of the key. Every viewer of a program with the
    same suppression gets the same figures, so the key needs no user."""
    stat = extract.path().stat()
    inputs = report_inputs_stamp(program_id=program.pk)
    full = f"{program.pk}|{key}|{inputs}|{stat.st_ino}|{stat.st_mtime_ns}"
    name = f"pathways-report:{hashlib.sha256(full.encode()).hexdigest()}"
    cache = caches[CACHE_ALIAS]
    report: Report | None = cache.get(name)
    if report is None:
        report = build()
        cache.set(name, report, timeout=REPORT_CACHE_SECONDS)
    return report


def report_key(slug: str, filters: ReportFilters) -> str:
    return f"{slug}|{filters.query_string()}"


def quarter_report(program: Program, *, suppress_small: bool) -> Report:
    """This quarter's key figures and the eight-quarter trend (the funder report's), for the
    program's home page."""
    as_of = extract.ensure_fresh()
    quarter = funder.Quarter.containing(clock.local_date(program.time_zone))
    filters = ReportFilters(program.pk, program.time_zone, quarter.start, quarter.end)

    def build() -> Report:
        with extract.connect() as db:
            return funder.build(db, filters, as_of=as_of, suppress_small=suppress_small)

    return cached_report(program, f"quarter|{quarter.label}|{suppress_small}", build)


def warm(program: Program) -> dict[str, float]:
    """Build the program's reports as they first open, and its home page's quarter, into the
    cache; returns the seconds each took (next to nothing when already there)."""
    as_of = extract.refreshed_at()
    if as_of is None:
        return {}
    seconds: dict[str, float] = {}
    for slug, spec in CATALOG.items():
        started = time.perf_counter()
        with extract.connect() as db:
            form = spec.form({}, program=program, areas=report_areas(program=program))
            if not form.is_valid():  # the defaults always are; nothing to warm otherwise
                continue
            filters = form.filters()
            cached_report(
                program,
                report_key(slug, filters),
                lambda: spec.run(db, filters, as_of=as_of),  # noqa: B023 (called at once)
            )
        seconds[slug] = time.perf_counter() - started
    for suppress_small in (True, False):
        started = time.perf_counter()
        quarter_report(program, suppress_small=suppress_small)
        seconds[f"home page{' (suppressed)' if suppress_small else ''}"] = (
            time.perf_counter() - started
        )
    return seconds
