"""`.githooks/commit-msg` refuses a commit subject over 72 characters (CONTRIBUTING.md) with one
clear line, counts characters rather than bytes, and skips the comment lines git adds."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
HOOK = ROOT / ".githooks" / "commit-msg"


def run_hook(tmp_path: Path, message: str) -> subprocess.CompletedProcess[str]:
    path = tmp_path / "COMMIT_EDITMSG"
    path.write_text(message, encoding="utf-8")
    return subprocess.run(  # noqa: S603 - the repository's own hook, a temporary file
        [str(HOOK), str(path)], capture_output=True, text=True, timeout=30, check=False
    )


def test_the_hook_is_an_executable_posix_script() -> None:
    assert os.access(HOOK, os.X_OK)
    assert HOOK.read_text(encoding="utf-8").startswith("#!/bin/sh\n")


@pytest.mark.parametrize(
    "message",
    [
        "x" * 72 + "\n\nThe body may be as long as it likes " + "y" * 100 + "\n",
        "Über " + "z" * 67 + "\n",  # 72 characters, 73 bytes
        "# Please enter the commit message" + " long" * 30 + "\n\nShort subject\n",
        "",  # git refuses an empty message itself
    ],
)
def test_a_subject_of_72_characters_or_fewer_passes(tmp_path: Path, message: str) -> None:
    result = run_hook(tmp_path, message)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""


@pytest.mark.parametrize("subject", ["x" * 73, "Über " + "z" * 68, "\r\n".join(["a" * 80, ""])])
def test_a_longer_subject_is_refused_with_one_line(tmp_path: Path, subject: str) -> None:
    result = run_hook(tmp_path, subject + "\n\nWhy it changed.\n")
    assert result.returncode == 1
    lines = result.stderr.splitlines()
    assert len(lines) == 1
    assert "keep it to 72 or fewer" in lines[0] and "CONTRIBUTING.md" in lines[0]
    assert f"is {len(subject.strip())} characters" in lines[0]
