#!/usr/bin/env python3
"""Field-entry benchmark: how fast the officer's submit is, served the production way.

For each database (SQLite, and PostgreSQL when --pg-url is given) it loads the demo county into a
fresh database, serves the app with gunicorn sync workers on 127.0.0.1, and runs locust headless
with 10 and with 50 simulated officers against (a) the real Officer Prevention submit (encounter +
referral + history + audit) and (b) a bare Django view that validates a form and inserts two rows.
It prints submits/s, p50/p95/p99 latency (ms) and errors, and our throughput as a ratio to the
bare view's. Then a scripted officer in headless Chromium does the Officer Prevention flow and the
script counts the interactions (fields filled, taps) and the seconds it took.

    .venv/bin/pip install -e '.[dev,bench]'
    .venv/bin/python bench/field_entry.py --duration 20 \
        --pg-url postgres://pathways:pathways@127.0.0.1:5432/pathways_bench

Loopback only; every run is bounded by --duration. Figures go to bench/RESULTS.md by hand."""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
OUT = ROOT / "bench" / "out"
OFFICERS = "officer.rivera,sgt.okafor,deputy.hale"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def manage(env: dict[str, str], *args: str) -> None:
    subprocess.run([PY, "manage.py", *args], cwd=ROOT, env=env, check=True)


def prepare_database(env: dict[str, str], encounters: int) -> None:
    manage(env, "migrate", "--no-input", "-v0")
    manage(env, "demo_load", "--encounters", str(encounters), "--quiet")
    code = "import django; django.setup(); from bench.bare import create_tables; create_tables()"
    subprocess.run([PY, "-c", code], cwd=ROOT, env=env, check=True)


def serve(env: dict[str, str], port: int, workers: int) -> subprocess.Popen[bytes]:
    server = subprocess.Popen(
        [
            PY,
            "-m",
            "gunicorn",
            "pathways.wsgi",
            "--workers",
            str(workers),
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return server
        except OSError:
            time.sleep(0.2)
    server.kill()
    raise RuntimeError("gunicorn did not start")


def run_locust(port: int, users: int, seconds: int, target: str, tag: str) -> dict[str, Any]:
    prefix = OUT / f"{tag}-{target}-{users}"
    env = {**os.environ, "BENCH_TARGET": target, "BENCH_OFFICERS": OFFICERS}
    subprocess.run(
        [
            PY,
            "-m",
            "locust",
            "-f",
            str(ROOT / "bench" / "locustfile.py"),
            "--headless",
            "-u",
            str(users),
            "-r",
            str(users),
            "-t",
            f"{seconds}s",
            "--host",
            f"http://127.0.0.1:{port}",
            "--csv",
            str(prefix),
            "--only-summary",
            "--stop-timeout",
            "5",
            "--loglevel",
            "ERROR",
        ],
        cwd=ROOT,
        env=env,
        check=False,
        timeout=seconds + 120,
        stdout=subprocess.DEVNULL,
    )
    with open(f"{prefix}_stats.csv", newline="") as fh:
        for row in csv.DictReader(fh):
            if row["Name"] == f"submit ({target})":
                return {
                    "rps": float(row["Requests/s"]),
                    "p50": float(row["50%"]),
                    "p95": float(row["95%"]),
                    "p99": float(row["99%"]),
                    "requests": int(row["Request Count"]),
                    "errors": int(row["Failure Count"]),
                }
    raise RuntimeError(f"no submit row in {prefix}_stats.csv")


def count_officer_interactions(port: int) -> tuple[int, float]:
    """A scripted officer does the Officer Prevention flow in Chromium; count what they do."""
    from playwright.sync_api import sync_playwright

    actions = 0
    base = f"http://127.0.0.1:{port}"
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=os.environ.get("PATHWAYS_CHROMIUM", "/usr/bin/chromium"),
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        page = browser.new_context(viewport={"width": 390, "height": 844}).new_page()
        page.goto(f"{base}/accounts/login/")
        page.get_by_label("Username").fill("officer.rivera")
        page.get_by_label("Password").fill("pathways-demo")
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(lambda url: "/login/" not in url)
        started = time.perf_counter()  # the officer is signed in and on the home page

        def tap(locator: Any) -> None:
            nonlocal actions
            locator.click()
            actions += 1

        def fill(locator: Any, value: str) -> None:
            nonlocal actions
            locator.fill(value)
            actions += 1

        tap(page.get_by_role("link", name="Officer Prevention Referral"))
        fill(page.get_by_label("First name"), "Wren")
        fill(page.get_by_label("Last name"), f"Bench{int(time.time())}")
        fill(page.get_by_label("Date of birth"), "1987-09-14")
        fill(page.get_by_label("Where"), "Riverside Park, north gate")
        tap(page.locator("label", has_text="Mental health"))
        page.wait_for_load_state("networkidle")
        tap(page.locator("#services label").first)
        tap(page.locator("label", has_text="Warm hand-off"))
        tap(page.get_by_role("button", name="Record contact and send referral"))
        page.get_by_test_id("referral-status").wait_for()
        elapsed = time.perf_counter() - started
        browser.close()
    return actions, elapsed


def bench_database(label: str, url: str, args: argparse.Namespace) -> list[dict[str, Any]]:
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "PATHWAYS_DEBUG": "0",
        "PYTHONPATH": str(ROOT),
    }
    print(f"\n== {label}: loading the demo county ({args.encounters} encounters)", flush=True)
    prepare_database(env, args.encounters)
    port = free_port()
    server = serve(env, port, args.workers)
    rows = []
    try:
        for users in args.users:
            for target in ("bare", "pathways"):
                print(f"   {target:9} {users:3} officers, {args.duration} s ...", flush=True)
                result = run_locust(port, users, args.duration, target, label)
                rows.append({"db": label, "users": users, "target": target, **result})
        if label == "sqlite" and not args.skip_browser:
            actions, seconds = count_officer_interactions(port)
            print(f"   scripted officer: {actions} interactions, {seconds:.1f} s", flush=True)
            rows.append({"db": label, "interactions": actions, "seconds": seconds})
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=20, help="seconds per load run")
    parser.add_argument("--users", type=int, nargs="+", default=[10, 50])
    parser.add_argument("--workers", type=int, default=4, help="gunicorn sync workers")
    parser.add_argument("--encounters", type=int, default=3000, help="demo county size")
    parser.add_argument("--pg-url", default="", help="an empty PostgreSQL database to use")
    parser.add_argument("--skip-browser", action="store_true")
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        rows += bench_database("sqlite", f"sqlite:///{tmp}/bench.sqlite3", args)
    if args.pg_url:
        rows += bench_database("postgresql", args.pg_url, args)

    print(
        f"\nField-entry benchmark, {dt.datetime.now(dt.UTC):%Y-%m-%d}, {os.cpu_count()} cores, "
        f"gunicorn {args.workers} sync workers, locust on the same cores, {args.duration} s runs"
    )
    print(
        f"{'db':10} {'officers':>8} {'target':9} {'submits/s':>9} {'p50 ms':>7} {'p95 ms':>7} "
        f"{'p99 ms':>7} {'errors':>6} {'vs bare':>7}"
    )
    bare = {(r["db"], r["users"]): r["rps"] for r in rows if r.get("target") == "bare"}
    for r in rows:
        if "target" not in r:
            continue
        ratio = r["rps"] / bare[(r["db"], r["users"])] if bare.get((r["db"], r["users"])) else 0
        print(
            f"{r['db']:10} {r['users']:8} {r['target']:9} {r['rps']:9.0f} {r['p50']:7.0f} "
            f"{r['p95']:7.0f} {r['p99']:7.0f} {r['errors']:6} {ratio:7.2f}"
        )
    for r in rows:
        if "interactions" in r:
            print(
                f"Officer Prevention flow, scripted officer at 390x844: {r['interactions']} "
                f"interactions, {r['seconds']:.1f} s"
            )


if __name__ == "__main__":
    main()
