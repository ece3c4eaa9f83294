#!/usr/bin/env python3
"""Set up and run Pathways with one command each.

    python3 dev.py demo    # venv, install, migrate, load the synthetic county, serve on :8000
    python3 dev.py test    # venv, install dev tools, ruff + mypy + import contracts + pytest
                           # (on every core; extra arguments go to pytest, e.g. -n 0 -k funnel)

Both are idempotent. The database is chosen by DATABASE_URL (SQLite by default).
Only the standard library is used here: this file runs before anything is installed.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
PY = VENV / "bin" / "python"


def run(*args: str | Path, env: dict[str, str] | None = None) -> None:
    print("+", " ".join(str(a) for a in args), flush=True)
    subprocess.run([str(a) for a in args], cwd=ROOT, check=True, env=env)


def ensure_venv(extras: str) -> None:
    """Create .venv and install the project with `extras`; skip when nothing changed."""
    if sys.version_info < (3, 11):
        sys.exit("Pathways needs Python 3.11 or newer.")
    if not PY.exists():
        venv.EnvBuilder(with_pip=True).create(VENV)
        run(PY, "-m", "pip", "install", "--quiet", "--upgrade", "pip")
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes() + extras.encode()).hexdigest()
    stamp = VENV / f".installed-{extras or 'base'}"
    if stamp.exists() and stamp.read_text() == digest:
        return
    target = f".[{extras}]" if extras else "."
    run(PY, "-m", "pip", "install", "--quiet", "--editable", target)
    stamp.write_text(digest)


def demo() -> None:
    ensure_venv("")
    # the synthetic county's app (pathways.demo) is installed only when asked for, never in
    # production (docs/decisions/0025-house-rules-in-the-repo-and-no-demo-in-production.md)
    env = {**os.environ, "PATHWAYS_DEMO": "1"}
    run(PY, "manage.py", "migrate", "--no-input", env=env)
    run(PY, "manage.py", "demo_load", env=env)
    run(PY, "manage.py", "demo_logins", env=env)
    if "PATHWAYS_MFA_REQUIRED" not in env:
        # the demo skips two-step sign-in so an evaluator signs in with a password alone;
        # a real installation keeps it on (production refuses to start without it)
        env["PATHWAYS_MFA_REQUIRED"] = "0"
        print(
            "\nTwo-step sign-in (MFA) is off in this demo; to see it on: "
            "PATHWAYS_MFA_REQUIRED=1 python3 dev.py demo",
            flush=True,
        )
    elif env["PATHWAYS_MFA_REQUIRED"].strip().lower() not in {"0", "false", "no", "off"}:
        print(
            "\nTwo-step sign-in (MFA) is on: each demo login adds an authenticator app or a "
            "security key at first sign-in, with the enrolment code printed above (security "
            "keys need http://localhost:8000).",
            flush=True,
        )
    # the background worker that runs imports (django-tasks' database backend, decision 0032):
    # in the terminal's process group, so Ctrl-C stops it with the server
    worker = [str(PY), "manage.py", "db_worker", "--no-reload", "--no-startup-delay"]
    subprocess.Popen(worker, cwd=ROOT, env=env)
    print("\nPathways is starting on http://127.0.0.1:8000  (Ctrl-C stops it)\n", flush=True)
    args = [str(PY), "manage.py", "runserver", "127.0.0.1:8000", "--noreload"]
    os.execve(str(PY), args, env)


def chromium_path() -> Path:
    return Path(os.environ.get("PATHWAYS_CHROMIUM", "/usr/bin/chromium"))


def ensure_chromium() -> None:
    """The browser tests drive Debian's Chromium. Install it when it is missing and we are root
    (a fresh machine or CI); otherwise stop before pytest with one line saying what to install."""
    chromium = chromium_path()
    if chromium.exists():
        return
    if "PATHWAYS_CHROMIUM" in os.environ:
        sys.exit(f"PATHWAYS_CHROMIUM is {chromium}, which does not exist: fix or unset it.")
    apt = shutil.which("apt-get")
    if os.geteuid() != 0 or apt is None:
        sys.exit(
            "The browser tests need Debian's Chromium at /usr/bin/chromium: run "
            "`sudo apt-get install -y chromium` (or set PATHWAYS_CHROMIUM to a Chromium), "
            "then run this command again."
        )
    print("Chromium is missing: installing Debian's chromium package.", flush=True)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    run(apt, "update", "-q", env=env)
    run(apt, "install", "-y", "-q", "chromium", env=env)
    if not chromium.exists():
        sys.exit("apt-get installed chromium but /usr/bin/chromium is still missing.")


def test(pytest_args: list[str]) -> None:
    if "not browser" not in " ".join(pytest_args):  # e.g. -m "not browser" needs no Chromium
        ensure_chromium()
    ensure_venv("dev")
    run(PY, "-m", "ruff", "check", ".")
    run(PY, "-m", "ruff", "format", "--check", ".")
    run(PY, "-m", "mypy", "pathways", "bench", "tests", "conftest.py", "dev.py")
    # the dependency picture (.importlinter; docs/ARCHITECTURE.md): a broken layer stops here
    run(VENV / "bin" / "lint-imports", "--no-cache")
    # the suite on every core (pytest-xdist: a database and a browser per worker; idle workers
    # take tests queued for busy ones), unless the arguments say how to run it
    parallel = not any(a.startswith(("-n", "--numprocesses")) for a in pytest_args)
    workers = ["-n", "auto", "--dist", "worksteal"] if parallel else []
    run(PY, "-m", "pytest", *workers, *pytest_args)


def main() -> None:
    if len(sys.argv) < 2 or sys.argv[1] not in {"demo", "test"}:
        sys.exit(__doc__)
    try:
        if sys.argv[1] == "demo":
            demo()
        else:
            test(sys.argv[2:])
    except subprocess.CalledProcessError as exc:
        sys.exit(exc.returncode)


if __name__ == "__main__":
    main()
