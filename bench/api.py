#!/usr/bin/env python3
"""API contact creation beside the field form's submit, in one run, in process (Django's test
client, no server): for each, the statements one create runs and the mean milliseconds over N
creates. Both record the same contact (a new person under Officer Prevention, referred with a
warm hand-off to a service with open capacity) through the same workflow service
(field_entry_submit); the API adds its credential check, the strict body, and the kept
idempotent answer; the form adds the session and its redirect.

    DATABASE_URL=sqlite:////tmp/bench-api.sqlite3 .venv/bin/python manage.py migrate
    DATABASE_URL=sqlite:////tmp/bench-api.sqlite3 .venv/bin/python manage.py demo_load
    DATABASE_URL=sqlite:////tmp/bench-api.sqlite3 \\
        .venv/bin/python bench/api.py --creates 200 [--user officer.rivera] [--show-sql]

Use a throw-away database: every create records a new person, contact and referral, and the
run registers an API client ("bench api client <time>") for the officer's agency."""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
# the run makes more requests a minute than a partner system may
os.environ.setdefault("PATHWAYS_API_RATE_PER_MINUTE", "100000000")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--creates", type=int, default=200, help="creates of each kind")
    parser.add_argument("--user", default="officer.rivera", help="the officer of the form")
    parser.add_argument("--show-sql", action="store_true", help="print each statement's start")
    args = parser.parse_args()

    import django

    django.setup()
    from django.db import connection
    from django.test import Client

    from pathways.accounts.models import User
    from pathways.accounts.selectors import agencies_for
    from pathways.accounts.testing import verified_client
    from pathways.api.services import api_client_register
    from pathways.directory.models import Service

    officer = User.objects.get(username=args.user)
    agency = agencies_for(officer, "officer")[0]
    token = api_client_register(
        actor=None,
        agency=agency,
        name=f"bench api client {time.time():.0f}",
        scopes=["encounters:write"],
        days=1,
        on_server=True,
    ).token
    service = Service.objects.filter(capacity_open__gt=0).order_by("name").first()
    assert service is not None, "load the demo county first"
    form_client = Client(HTTP_HOST="127.0.0.1")
    verified_client(officer, form_client)  # signed in, through the second step
    api_client = Client(HTTP_HOST="127.0.0.1")
    rng = random.Random(1)

    def born() -> str:
        return f"19{rng.randint(50, 99)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"

    def form_submit() -> int:
        form_client.cookies.pop("messages", None)
        response = form_client.post(
            "/encounters/new/officer_prevention/",
            {
                "idempotency_key": str(uuid.uuid4()),
                "first_name": "Alex",
                "last_name": "Zq" + uuid.uuid4().hex[:6],
                "date_of_birth": born(),
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

    def api_create() -> int:
        body = {
            "pathway": "officer_prevention",
            "call_source": "on_view",
            "presenting_needs": ["substance_use"],
            "location_text": "1 Main St",
            "disposition": "referred",
            "service_id": str(service.pk),
            "warm_handoff": True,
            "person": {
                "first_name": "Alex",
                "last_name": "Zq" + uuid.uuid4().hex[:6],
                "date_of_birth": born(),
                "confirm_new": True,
            },
        }
        response = api_client.post(
            "/api/v1/contacts/",
            json.dumps(body),
            content_type="application/json",
            headers={"Authorization": f"Bearer {token}", "Idempotency-Key": str(uuid.uuid4())},
        )
        return response.status_code

    def measure(name: str, create: Callable[[], int], ok: int) -> None:
        assert create() == ok, f"the {name} was refused"
        statements: list[str] = []

        def count(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
            statements.append(sql)
            return execute(sql, params, many, context)

        with connection.execute_wrapper(count):
            status = create()
        assert status == ok, status
        started = time.perf_counter()
        for _ in range(args.creates):
            create()
        mean_ms = (time.perf_counter() - started) / args.creates * 1000
        print(
            f"{name:<22} {mean_ms:8.1f} ms mean over {args.creates:>5}   "
            f"{len(statements):>4} statements per create"
        )
        if args.show_sql:
            for sql in statements:
                print("  ", " ".join(sql.split())[:150])

    print(f"{'create':<22} {'time':>11} {'':>13}   {'statements (BEGIN/COMMIT not counted)'}")
    measure("field form submit", form_submit, 302)
    measure("API POST /contacts/", api_create, 201)


if __name__ == "__main__":
    main()
