"""Template hygiene: a `{# #}` comment must close on its own line, or Django prints it."""

from __future__ import annotations

from pathlib import Path

import pathways


def test_no_template_comment_spans_lines() -> None:
    root = Path(pathways.__file__).parent
    offenders = [
        f"{path.relative_to(root)}:{number}"
        for path in root.rglob("*.html")
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if "{#" in line and "#}" not in line.split("{#", 1)[1]
    ]
    assert offenders == []
