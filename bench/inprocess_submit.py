#!/usr/bin/env python3
"""In-process cost of one Officer Prevention submit: Django's test client, no server, no load
generator; prints the statements one submit runs and the mean milliseconds over N submits.

    DATABASE_URL=sqlite:////tmp/bench-inprocess.sqlite3 .venv/bin/python manage.py migrate
    DATABASE_URL=sqlite:////tmp/bench-inprocess.sqlite3 .venv/bin/python manage.py demo_load
    DATABASE_URL=sqlite:////tmp/bench-inprocess.sqlite3 \\
        .venv/bin/python bench/inprocess_submit.py --submits 200 [--profile [--sort tottime]]
        [--show-sql]

Use a throw-away database: every submit records a new person, contact and referral."""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import random
import sys
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--submits", type=int, default=200)
    parser.add_argument("--user", default="officer.rivera")
    parser.add_argument("--profile", action="store_true", help="print the top of a cProfile")
    parser.add_argument(
        "--sort",
        choices=("cumulative", "tottime"),
        default="cumulative",
        help="the profile's order: our functions by cumulative time, or every function by "
        "its own time",
    )
    parser.add_argument("--show-sql", action="store_true", help="print each statement's start")
    parser.add_argument("--profile-out", default="", help="also write the cProfile stats here")
    args = parser.parse_args()

    import django

    django.setup()
    from django.db import connection
    from django.test import Client

    from pathways.accounts.models import User
    from pathways.accounts.testing import verified_client
    from pathways.directory.models import Service

    client = Client(HTTP_HOST="127.0.0.1")
    # signed in and through the second step (the user gets an authenticator-app device)
    verified_client(User.objects.get(username=args.user), client)
    service = Service.objects.filter(capacity_open__gt=0).order_by("name").first()
    assert service is not None, "load the demo county first"
    rng = random.Random(1)
    path = "/encounters/new/officer_prevention/"

    def submit() -> int:
        client.cookies.pop("messages", None)  # (messages live in the session: at most 10 kept)
        born = f"19{rng.randint(50, 99)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        response = client.post(
            path,
            {
                "idempotency_key": str(uuid.uuid4()),
                "first_name": "Alex",
                "last_name": "Zq" + uuid.uuid4().hex[:6],
                "date_of_birth": born,
                "person_choice": "new",
                "location_text": "1 Main St",
                "presenting_needs": "substance_use",
                "service": str(service.pk),
                "warm_handoff": "on",
                "call_source": "on_view",
                "disposition": "referred",
            },
        )
        return response.status_code

    assert submit() == 302, "the submit was refused"
    statements: list[str] = []

    def count(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        statements.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        status = submit()
    assert status == 302, status
    started = time.perf_counter()
    for _ in range(args.submits):
        submit()
    mean_ms = (time.perf_counter() - started) / args.submits * 1000
    print(f"statements per submit: {len(statements)} (BEGIN/COMMIT not counted)")
    if args.show_sql:
        for sql in statements:
            print("  ", " ".join(sql.split())[:150])
    print(f"mean over {args.submits} submits: {mean_ms:.1f} ms")
    if args.profile:
        profile = cProfile.Profile()
        profile.enable()
        for _ in range(100):
            submit()
        profile.disable()
        if args.profile_out:
            profile.dump_stats(args.profile_out)
        stats = pstats.Stats(profile).sort_stats(args.sort)
        stats.print_stats(*(["pathways/"] if args.sort == "cumulative" else []), 25)


if __name__ == "__main__":
    main()
