#!/usr/bin/env python3
"""In-process cost of the signed-in stack: the bare reference view (bench/bare.py) posted
through Django's whole handler and middleware, signed in (session, user, second step, CSRF
enforced) and anonymous. Prints the statements one request runs and the mean milliseconds.

    DATABASE_URL=sqlite:////tmp/bench-inprocess.sqlite3 .venv/bin/python manage.py migrate
    DATABASE_URL=sqlite:////tmp/bench-inprocess.sqlite3 .venv/bin/python manage.py demo_load
    DATABASE_URL=sqlite:////tmp/bench-inprocess.sqlite3 \\
        .venv/bin/python bench/inprocess_bare.py --requests 1000 [--profile] [--show-sql]

The session is a real signed-in session (as bench/field_entry.py makes for wrk), sent as a
cookie; the client keeps no other state between requests."""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
FORM = "application/x-www-form-urlencoded"
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--user", default="officer.rivera")
    parser.add_argument("--profile", action="store_true", help="print the top of a cProfile")
    parser.add_argument("--show-sql", action="store_true", help="print each statement's start")
    parser.add_argument(
        "--profile-dir", default="", help="write both targets' cProfile stats here (compare them)"
    )
    args = parser.parse_args()

    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.db import connection
    from django.middleware.csrf import (  # type: ignore[attr-defined]  # not in the stubs
        _get_new_csrf_string,
        _mask_cipher_secret,
    )
    from django.test import Client
    from django_otp import DEVICE_ID_SESSION_KEY

    from bench.bare import create_tables
    from pathways.accounts.models import User
    from pathways.accounts.testing import totp_device

    create_tables()
    user = User.objects.get(username=args.user)
    engine = __import__(settings.SESSION_ENGINE, fromlist=["SessionStore"])
    session = engine.SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[-1]  # the password backend
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session[DEVICE_ID_SESSION_KEY] = totp_device(user).persistent_id
    session.create()
    secret = _get_new_csrf_string()
    body = {
        "csrfmiddlewaretoken": _mask_cipher_secret(secret),
        "first_name": "Alex",
        "last_name": "Zq",
        "date_of_birth": "1980-01-02",
        "location_text": "1 Main St",
        "service": "00000000-0000-0000-0000-000000000001",
    }
    form = urlencode(body)  # as wrk sends it (bench/submit.lua)
    signed_in = Client(HTTP_HOST="127.0.0.1", enforce_csrf_checks=True)
    anonymous = Client(HTTP_HOST="127.0.0.1")

    def post_signed_in() -> int:
        signed_in.cookies.clear()  # like wrk: the same two cookies every time, nothing else
        signed_in.cookies[settings.SESSION_COOKIE_NAME] = session.session_key or ""
        signed_in.cookies[settings.CSRF_COOKIE_NAME] = secret
        response = signed_in.post("/bench/bare/", form, content_type=FORM)
        return 302 if response.get("Location") == "/" else response.status_code  # not to login

    def post_anonymous() -> int:
        anonymous.cookies.clear()
        response = anonymous.post("/bench/bare-anonymous/", form, content_type=FORM)
        return 302 if response.get("Location") == "/" else response.status_code

    for label, post in (("signed-in", post_signed_in), ("anonymous", post_anonymous)):
        for _ in range(20):  # warm up (the activity stamp gets written once)
            assert post() == 302, f"the {label} bare view refused the post"
        statements: list[str] = []

        def count(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
            statements.append(sql)  # noqa: B023 (used at once)
            return execute(sql, params, many, context)

        with connection.execute_wrapper(count):
            post()
        started = time.perf_counter()
        for _ in range(args.requests):
            post()
        mean_ms = (time.perf_counter() - started) / args.requests * 1000
        print(f"{label}: {len(statements)} statements, {mean_ms:.2f} ms a request")
        if args.show_sql:
            for sql in statements:
                print("  ", " ".join(sql.split())[:150])
        if (args.profile and label == "signed-in") or args.profile_dir:
            profile = cProfile.Profile()
            profile.enable()
            for _ in range(300):
                post()
            profile.disable()
            if args.profile_dir:
                profile.dump_stats(str(Path(args.profile_dir) / f"{label}.prof"))
            if args.profile and label == "signed-in":
                pstats.Stats(profile).sort_stats("cumulative").print_stats(40)


if __name__ == "__main__":
    main()
