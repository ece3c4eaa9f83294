from __future__ import annotations

from typing import Any

import pytest

from pathways.core import clock
from pathways.core.checks import production_settings
from pathways.core.env import env_bool, env_list


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
