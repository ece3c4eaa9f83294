"""`python3 dev.py test` does its own set-up on a fresh machine: Debian's Chromium is installed
when it is missing and we are root, and otherwise the command stops before pytest with one line
saying what to install (the browser tests used to end in 28 errors)."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]


def load_dev() -> ModuleType:
    spec = importlib.util.spec_from_file_location("dev_command", ROOT / "dev.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def dev(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Any:
    module = load_dev()
    monkeypatch.delenv("PATHWAYS_CHROMIUM", raising=False)
    missing = tmp_path / "no-chromium"
    monkeypatch.setattr(module, "chromium_path", lambda: missing)
    calls: list[tuple[str, ...]] = []
    monkeypatch.setattr(module, "run", lambda *args, env=None: calls.append(tuple(map(str, args))))
    module.calls = calls  # type: ignore[attr-defined]
    module.missing = missing  # type: ignore[attr-defined]
    return module


def test_without_root_it_stops_with_one_line_saying_what_to_install(
    dev: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(dev.os, "geteuid", lambda: 1000)
    with pytest.raises(SystemExit) as stopped:
        dev.test([])
    message = str(stopped.value.code)
    assert "\n" not in message
    assert "apt-get install -y chromium" in message
    assert dev.calls == []  # neither apt-get nor the venv nor pytest ran


def test_as_root_it_installs_chromium_then_goes_on(
    dev: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(dev.os, "geteuid", lambda: 0)
    monkeypatch.setattr(dev.shutil, "which", lambda name: "/usr/bin/apt-get")

    def installed(*args: Any, env: Any = None) -> None:
        dev.calls.append(tuple(map(str, args)))
        if "install" in args:
            dev.missing.write_text("chromium")

    monkeypatch.setattr(dev, "run", installed)
    monkeypatch.setattr(dev, "ensure_venv", lambda extras: dev.calls.append(("venv", extras)))
    dev.test(["-k", "nothing"])
    assert dev.calls[0] == ("/usr/bin/apt-get", "update", "-q")
    assert dev.calls[1] == ("/usr/bin/apt-get", "install", "-y", "-q", "chromium")
    assert dev.calls[2] == ("venv", "dev")
    assert dev.calls[-1][-2:] == ("-k", "nothing")  # pytest ran after the install


def test_a_wrong_chromium_path_is_named(dev: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATHWAYS_CHROMIUM", str(dev.missing))
    with pytest.raises(SystemExit) as stopped:
        dev.ensure_chromium()
    assert "PATHWAYS_CHROMIUM" in str(stopped.value.code)


def test_tests_without_the_browser_need_no_chromium(
    dev: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(dev.os, "geteuid", lambda: 1000)
    monkeypatch.setattr(dev, "ensure_venv", lambda extras: None)
    dev.test(["-m", "not browser"])
    assert dev.calls[-1][-2:] == ("-m", "not browser")


def test_the_demo_asks_for_the_demo_app_at_every_step(
    dev: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """pathways.demo is installed only when asked for (decision 0025): `dev.py demo` asks for
    it in the migration, the load, the logins and the server, whatever the shell had set."""
    monkeypatch.setenv("PATHWAYS_DEMO", "0")
    monkeypatch.delenv("PATHWAYS_MFA_REQUIRED", raising=False)
    monkeypatch.setattr(dev, "ensure_venv", lambda extras: None)
    envs: list[tuple[str, dict[str, str]]] = []
    monkeypatch.setattr(dev, "run", lambda *args, env=None: envs.append((str(args[2]), env)))
    monkeypatch.setattr(dev.os, "execve", lambda path, args, env: envs.append((args[2], env)))
    dev.demo()
    assert [step for step, _ in envs] == ["migrate", "demo_load", "demo_logins", "runserver"]
    assert all(env is not None and env["PATHWAYS_DEMO"] == "1" for _, env in envs)
    assert envs[-1][1]["PATHWAYS_MFA_REQUIRED"] == "0"  # the server's own, as before
