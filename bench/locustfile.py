"""Simulated officers for bench/field_entry.py: each signs in, opens the Officer Prevention
form once, then submits contacts with referrals as fast as the server answers (a closed loop).
BENCH_TARGET=pathways submits the real form; BENCH_TARGET=bare posts to the bare view."""

from __future__ import annotations

import datetime as dt
import os
import random
import re
import uuid
from typing import Any

from locust import FastHttpUser, task

FORM = "/encounters/new/officer_prevention/"
OFFICERS = [u for u in os.environ.get("BENCH_OFFICERS", "officer.rivera").split(",") if u]
PASSWORD = os.environ.get("BENCH_PASSWORD", "pathways-demo")
TARGET = os.environ.get("BENCH_TARGET", "pathways")
FIRST = ["Alex", "Jordan", "Casey", "Riley", "Morgan", "Taylor", "Jamie", "Avery", "Quinn", "Rowan"]
LAST = [
    "Abernathy",
    "Birchfield",
    "Castellano",
    "Delacroix",
    "Eastwood",
    "Fairbanks",
    "Galloway",
    "Hollister",
    "Ingram",
    "Jablonski",
    "Kowalczyk",
    "Lindqvist",
]


def token(html: str, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]+)"', html)
    if not match:
        raise RuntimeError(f"no {name} in page")
    return match.group(1)


class Officer(FastHttpUser):
    def on_start(self) -> None:
        username = random.choice(OFFICERS)
        page = self.client.get("/accounts/login/", name="login page").text or ""
        self.client.post(
            "/accounts/login/",
            data={
                "username": username,
                "password": PASSWORD,
                "csrfmiddlewaretoken": token(page, "csrfmiddlewaretoken"),
            },
            name="login",
        )
        form = self.client.get(FORM, name="form page").text or ""
        self.csrf = token(form, "csrfmiddlewaretoken")
        self.services = re.findall(r'name="service" value="([0-9a-f-]{36})" data-full="0"', form)
        if not self.services:
            raise RuntimeError("no service with open capacity on the form")

    def _entry(self) -> dict[str, Any]:
        born = dt.date(1960, 1, 1) + dt.timedelta(days=random.randrange(16000))
        return {
            "csrfmiddlewaretoken": self.csrf,
            "idempotency_key": str(uuid.uuid4()),
            "first_name": random.choice(FIRST),
            "last_name": random.choice(LAST) + "-" + uuid.uuid4().hex[:6],
            "date_of_birth": born.isoformat(),
            "person_choice": "new",
            "location_text": f"{random.randrange(100, 9999)} Main St",
            "presenting_needs": "substance_use",
            "service": random.choice(self.services),
            "warm_handoff": "on",
            "call_source": "on_view",
            "disposition": "referred",
            # a real service may fill up during the run; say why, as an officer would
            "capacity_override_reason": "confirmed by phone",
        }

    @task
    def submit(self) -> None:
        url = "/bench/bare/" if TARGET == "bare" else FORM
        with self.client.post(
            url,
            data=self._entry(),
            name=f"submit ({TARGET})",
            allow_redirects=False,
            catch_response=True,
        ) as response:
            if response.status_code != 302:
                response.failure(f"status {response.status_code}")
