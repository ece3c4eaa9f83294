#!/usr/bin/env python3
"""Field-entry benchmark: how fast the officer's submit is, served the production way.

For each database (SQLite, and PostgreSQL when --pg-url is given) it loads the demo county into a
fresh database, serves the app with gunicorn sync workers on 127.0.0.1, and runs wrk
(bench/submit.lua) with 10 and with 50 simulated officers against (a) the real Officer
Prevention submit (encounter + referral + history + audit), (b) a bare Django view that
validates a form and inserts two rows, signed in like the officer, and (c) the same bare view
with no session (FIELD-NOTES' reference: what Django alone does on this machine).
Each simulated officer has their own signed-in session, and every target is first loaded untimed
for --warmup seconds. It prints submits/s, p50/p95/p99 latency (ms) and errors, each throughput
as a ratio to the signed-in bare view's, and issue 19's targets as ratios within the run. Then
a scripted officer in headless Chromium does the Officer Prevention flow and the script counts
the interactions (fields filled, taps) and the seconds it took.

    apt-get install wrk chromium     # the load generator and the scripted officer's browser
    .venv/bin/python bench/field_entry.py --duration 20 \
        --pg-url postgres://pathways:pathways@127.0.0.1:5432/pathways_bench

`--server granian` serves with granian's WSGI workers instead (`pip install granian` first); on
2026-11-23 it made the bare views faster but not the submit (bench/RESULTS.md).

Loopback only; every run is bounded by --duration. Figures go to bench/RESULTS.md by hand."""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script from anywhere: pathways is importable
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


SESSION_CODE = """
import sys
from importlib import import_module
import django
django.setup()
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.auth import get_user_model
from django_otp import DEVICE_ID_SESSION_KEY
from pathways.accounts.testing import totp_device
SessionStore = import_module(settings.SESSION_ENGINE).SessionStore  # the configured sessions
users = list(get_user_model().objects.filter(username__in=sys.argv[2].split(",")))
for i in range(int(sys.argv[1])):
    user = users[i % len(users)]
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[-1]  # the password backend
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session[DEVICE_ID_SESSION_KEY] = totp_device(user).persistent_id  # the second step, passed
    session.create()
    print(session.session_key)
"""


def make_sessions(env: dict[str, str], count: int) -> Path:
    """Signed-in sessions for the simulated officers, as a login and the second step (an
    authenticator-app code; each officer gets an app device) would leave them."""
    result = subprocess.run(
        [PY, "-c", SESSION_CODE, str(count), OFFICERS],
        cwd=ROOT, env=env, check=True, capture_output=True, text=True,
    )  # fmt: skip
    path = OUT / "sessions.txt"
    path.write_text(result.stdout)
    return path


CODE_CODE = """
import sys
import django
django.setup()
from django.contrib.auth import get_user_model
from pathways.accounts.testing import user_code
print(user_code(get_user_model().objects.get(username=sys.argv[1])))
"""


def current_code(env: dict[str, str], username: str) -> str:
    """The code the user's authenticator app shows now (the app gets added when missing)."""
    result = subprocess.run(
        [PY, "-c", CODE_CODE, username],
        cwd=ROOT, env=env, check=True, capture_output=True, text=True,
    )  # fmt: skip
    return result.stdout.strip()


def server_command(kind: str, port: int, workers: int) -> list[str]:
    """gunicorn's sync workers (the operations guide's set-up), or granian's WSGI workers with
    one blocking thread each (the same one-request-at-a-time model, served from Rust)."""
    if kind == "granian":
        return [
            PY, "-m", "granian", "--interface", "wsgi", "pathways.wsgi:application",
            "--workers", str(workers), "--blocking-threads", "1",
            "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning",
        ]  # fmt: skip
    return [
        PY, "-m", "gunicorn", "pathways.wsgi", "--workers", str(workers),
        "--bind", f"127.0.0.1:{port}", "--log-level", "warning",
    ]  # fmt: skip


def serve(env: dict[str, str], port: int, workers: int, kind: str) -> subprocess.Popen[bytes]:
    server = subprocess.Popen(server_command(kind, port, workers), cwd=ROOT, env=env)
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return server
        except OSError:
            time.sleep(0.2)
    server.kill()
    raise RuntimeError(f"{kind} did not start")


def form_tokens(port: int, session: str) -> dict[str, str]:
    """The CSRF cookie and form token a signed-in officer's form page carries, and an open
    service to refer to."""
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/encounters/new/officer_prevention/",
        headers={"Cookie": f"sessionid={session}"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 (loopback)
        html = response.read().decode()
        cookies = response.headers.get_all("Set-Cookie") or []
    csrf_cookie = next(c.split(";")[0].split("=", 1)[1] for c in cookies if c.startswith("csrf"))
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    service = re.search(r'name="service" value="([0-9a-f-]{36})" data-full="0"', html)
    if not token or not service:
        raise RuntimeError("the form page has no CSRF token or no open service")
    return {
        "BENCH_CSRF_COOKIE": csrf_cookie,
        "BENCH_CSRF_TOKEN": token.group(1),
        "BENCH_SERVICE": service.group(1),
    }


#: What wrk submits to: the bare view with no session, the signed-in bare view, our submit.
TARGETS = {
    "anonymous": "/bench/bare-anonymous/",
    "bare": "/bench/bare/",
    "pathways": "/encounters/new/officer_prevention/",
}


def run_wrk(
    port: int, users: int, seconds: int, target: str, tokens: dict[str, str], sessions: list[str]
) -> dict:
    """`users` connections, each a simulated officer submitting as soon as the last answer came;
    the requests take the officers' `users` signed-in sessions in turn."""
    path = TARGETS[target]
    env = {**os.environ, **tokens, "BENCH_PATH": path, "BENCH_SESSIONS": ",".join(sessions[:users])}
    if target == "anonymous":
        env["BENCH_ANONYMOUS"] = "1"
    result = subprocess.run(
        ["wrk", "-t", "2", "-c", str(users), "-d", f"{seconds}s", "--timeout", "10s",
         "-s", str(ROOT / "bench" / "submit.lua"), f"http://127.0.0.1:{port}"],
        env=env, check=True, capture_output=True, text=True, timeout=seconds + 60,
    )  # fmt: skip
    line = next(x for x in result.stdout.splitlines() if x.startswith("RESULT "))
    requests, rps, p50, p95, p99, errors = line.split()[1:]
    return {
        "requests": int(requests),
        "rps": float(rps),
        "p50": float(p50),
        "p95": float(p95),
        "p99": float(p99),
        "errors": int(errors),
    }


def count_officer_interactions(port: int, env: dict[str, str]) -> tuple[int, float]:
    """A scripted officer does the Officer Prevention flow in Chromium; count what they do."""
    from playwright.sync_api import sync_playwright

    from pathways.accounts.browser import launch_chromium

    actions = 0
    base = f"http://127.0.0.1:{port}"
    with sync_playwright() as p:
        browser = launch_chromium(p)
        page = browser.new_context(viewport={"width": 390, "height": 844}).new_page()
        code = current_code(env, "officer.rivera")  # adds the officer's app when missing
        page.goto(f"{base}/accounts/login/")
        page.get_by_label("Username").fill("officer.rivera")
        page.get_by_label("Password").fill("pathways-demo")
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(lambda url: "/accounts/mfa/" in url)  # the second step
        page.get_by_label("6-digit code").fill(code)
        page.get_by_role("button", name="Verify").click()
        page.wait_for_url(lambda url: "/accounts/" not in url)
        started = time.perf_counter()  # the officer is signed in and on the home page

        def tap(locator: Any) -> None:
            nonlocal actions
            locator.click()
            actions += 1

        def fill(locator: Any, value: str) -> None:
            nonlocal actions
            locator.fill(value)
            actions += 1

        # the pathway's link, whatever the program calls it (the demo: "LEAD ... social contact")
        tap(page.locator("a[href$='/encounters/new/officer_prevention/']"))
        fill(page.get_by_label("First name"), "Wren")
        fill(page.get_by_label("Last name"), f"Bench{int(time.time())}")
        fill(page.get_by_label("Date of birth"), "1987-09-14")
        fill(page.get_by_label("Where"), "Riverside Park, north gate")
        tap(page.locator("label", has_text="Substance use"))
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
    # one signed-in session per simulated officer (officer.rivera, sgt.okafor, deputy.hale in
    # turn), as a login and the second step leave them
    sessions = make_sessions(env, max(args.users)).read_text().split()
    port = free_port()
    server = serve(env, port, args.workers, args.server)
    rows = []
    try:
        tokens = form_tokens(port, sessions[0])
        if args.warmup:  # every worker loads its code, templates and connection before timing
            print(f"   warming up: each target {args.warmup} s, not counted", flush=True)
            for target in TARGETS:
                run_wrk(port, min(args.users), args.warmup, target, tokens, sessions)
        for users in args.users:
            for target in TARGETS:
                print(f"   {target:9} {users:3} officers, {args.duration} s ...", flush=True)
                result = run_wrk(port, users, args.duration, target, tokens, sessions)
                rows.append({"db": label, "users": users, "target": target, **result})
                print(  # at once, so a later failure (or Ctrl-C) does not lose the figure
                    f"   {target:9} {users:3} officers: {result['rps']:.0f}/s, p95 "
                    f"{result['p95']:.0f} ms, {result['errors']} errors",
                    flush=True,
                )
        if label == "sqlite" and not args.skip_browser:
            actions, seconds = count_officer_interactions(port, env)
            print(f"   scripted officer: {actions} interactions, {seconds:.1f} s", flush=True)
            rows.append({"db": label, "interactions": actions, "seconds": seconds})
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    return rows


def print_targets(rows: list[dict[str, Any]]) -> None:
    """Issue 19's targets, as ratios within this run: the signed-in bare view >= 0.6x the
    anonymous one, the submit >= 0.6x the signed-in bare view, and the submit's p95 at 10
    officers <= 2x the signed-in bare view's."""
    by = {(r["db"], r["users"], r["target"]): r for r in rows if "target" in r}
    print("\nTargets (issue 19), ratios in this run:")
    for db, users in sorted({(d, u) for d, u, _ in by}):
        anonymous, bare, submit = (by.get((db, users, t)) for t in TARGETS)
        if not (anonymous and bare and submit):
            continue
        signed_in = bare["rps"] / anonymous["rps"]
        relative = submit["rps"] / bare["rps"]
        line = (
            f"  {db:10} {users:3} officers: signed-in/anonymous {signed_in:.2f} "
            f"({'met' if signed_in >= 0.6 else 'NOT met'}, >= 0.6); submit/signed-in "
            f"{relative:.2f} ({'met' if relative >= 0.6 else 'NOT met'}, >= 0.6)"
        )
        if users == 10:
            p95 = submit["p95"] / bare["p95"] if bare["p95"] else 0.0
            line += f"; p95 submit/signed-in {p95:.2f} ({'met' if p95 <= 2 else 'NOT met'}, <= 2)"
        print(line)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=20, help="seconds per load run")
    parser.add_argument("--users", type=int, nargs="+", default=[10, 50])
    parser.add_argument(
        "--warmup", type=int, default=3, help="untimed seconds per target first (0: none)"
    )
    parser.add_argument("--workers", type=int, default=4, help="server worker processes")
    parser.add_argument(
        "--server",
        choices=("gunicorn", "granian"),
        default="gunicorn",
        help="gunicorn sync workers (default) or granian WSGI workers (pip install granian)",
    )
    parser.add_argument("--encounters", type=int, default=3000, help="demo county size")
    parser.add_argument("--pg-url", default="", help="an empty PostgreSQL database to use")
    parser.add_argument("--skip-browser", action="store_true")
    parser.add_argument("--no-sqlite", action="store_true", help="PostgreSQL only")
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    rows: list[dict[str, Any]] = []
    if not args.no_sqlite:
        with tempfile.TemporaryDirectory() as tmp:
            rows += bench_database("sqlite", f"sqlite:///{tmp}/bench.sqlite3", args)
    if args.pg_url:
        rows += bench_database("postgresql", args.pg_url, args)

    print(
        f"\nField-entry benchmark, {dt.datetime.now(dt.UTC):%Y-%m-%d}, {os.cpu_count()} cores, "
        f"{args.server} {args.workers} workers (one request at a time each), wrk on the same "
        f"cores, {args.duration} s runs"
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
    print_targets(rows)
    for r in rows:
        if "interactions" in r:
            print(
                f"Officer Prevention flow, scripted officer at 390x844: {r['interactions']} "
                f"interactions, {r['seconds']:.1f} s"
            )


if __name__ == "__main__":
    main()
