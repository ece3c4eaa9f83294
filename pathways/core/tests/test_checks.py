from __future__ import annotations

import base64
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings

from pathways.core import clock
from pathways.core.checks import production_has_no_demo, production_settings
from pathways.core.env import env_bool, env_list

ROOT = Path(__file__).resolve().parents[3]


def test_production_check_refuses_unsafe_settings(settings: Any) -> None:
    settings.PRODUCTION = True
    settings.DEBUG = True
    settings.SECRET_KEY = "dev-only-short"
    ids = {e.id for e in production_settings(None)}
    assert {"pathways.E001", "pathways.E002"} <= ids


def test_production_check_is_quiet_in_development(settings: Any) -> None:
    settings.PRODUCTION = False
    assert production_settings(None) == []


def test_env_helpers(monkeypatch: Any) -> None:
    monkeypatch.setenv("X_FLAG", "yes")
    monkeypatch.setenv("X_LIST", "a, b,,c")
    assert env_bool("X_FLAG") is True
    assert env_list("X_LIST") == ["a", "b", "c"]
    monkeypatch.setenv("X_FLAG", "maybe")
    with pytest.raises(ValueError, match="X_FLAG"):
        env_bool("X_FLAG")


def test_clock_can_be_frozen() -> None:
    import datetime as dt

    moment = dt.datetime(2026, 1, 2, 3, 4, tzinfo=dt.UTC)
    with clock.frozen(moment):
        assert clock.now() == moment
    assert clock.now() != moment
    with pytest.raises(ValueError), clock.frozen(dt.datetime(2026, 1, 2)):  # noqa: DTZ001
        pass


# --- the demo is not installed in production (decision 0025) -------------------------------


def _manage(*args: str, production: bool, **extra: str) -> subprocess.CompletedProcess[str]:
    """Run manage.py in a fresh process with only the given PATHWAYS_ settings (the settings
    module decides INSTALLED_APPS once, as it is imported)."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("PATHWAYS_") and k not in {"DJANGO_ALLOW_ASYNC_UNSAFE", "DATABASE_URL"}
    }
    if production:
        env.update(
            PATHWAYS_PRODUCTION="1",
            PATHWAYS_SECRET_KEY=base64.b64encode(os.urandom(48)).decode(),
            PATHWAYS_FIELD_KEYS="k2026:" + base64.b64encode(os.urandom(32)).decode(),
            DATABASE_URL="postgres://pathways:unused@127.0.0.1:9/pathways",  # never connected
            PATHWAYS_EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        )
    env.update(extra)
    return subprocess.run(  # noqa: S603 - our own interpreter and manage.py, fixed arguments
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


INSTALLED = "from django.conf import settings; print('pathways.demo' in settings.INSTALLED_APPS)"


def test_the_tests_and_development_have_the_demo() -> None:
    assert "pathways.demo" in django_settings.INSTALLED_APPS
    assert production_has_no_demo(None) == []  # development: nothing to say


def test_production_settings_leave_the_demo_out_and_deploy_checks_pass() -> None:
    shell = _manage("shell", "--no-imports", "-c", INSTALLED, production=True)
    assert shell.returncode == 0, shell.stderr
    assert shell.stdout.strip() == "False"
    deploy = _manage("check", "--deploy", "--fail-level", "WARNING", production=True)
    assert deploy.returncode == 0, deploy.stdout + deploy.stderr
    # and the demo's commands are not there to run
    load = _manage("demo_load", "--encounters", "1", production=True)
    assert load.returncode != 0 and "Unknown command: 'demo_load'" in load.stderr


def test_asking_for_the_demo_in_production_is_refused_and_installs_nothing() -> None:
    check = _manage("check", production=True, PATHWAYS_DEMO="1")
    assert check.returncode != 0
    assert "pathways.E006" in check.stderr and "PATHWAYS_DEMO=1" in check.stderr
    assert "pathways.E007" not in check.stderr  # it was not installed all the same
    shell = _manage("shell", "--no-imports", "-c", INSTALLED, production=True, PATHWAYS_DEMO="1")
    assert shell.stdout.strip() == "False", shell.stderr


def test_development_can_leave_the_demo_out() -> None:
    shell = _manage("shell", "--no-imports", "-c", INSTALLED, production=False, PATHWAYS_DEMO="0")
    assert shell.returncode == 0, shell.stderr
    assert shell.stdout.strip() == "False"


def test_production_check_refuses_the_demo(settings: Any) -> None:
    settings.PRODUCTION = True
    settings.PATHWAYS_DEMO = True
    # this process is a test run, so pathways.demo is installed: as if a settings module of
    # an installation had added it back
    ids = [e.id for e in production_has_no_demo(None)]
    assert ids == ["pathways.E006", "pathways.E007"]
    settings.PATHWAYS_DEMO = False
    assert [e.id for e in production_has_no_demo(None)] == ["pathways.E007"]
