"""Every table of the worklist and set-up pages stacks on a phone: USWDS `usa-table--stacked`,
with each cell labelled (`data-label`) so a stacked row still says what each value is."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

APPS = Path(__file__).resolve().parents[2]
TEMPLATES = sorted(
    [
        *(APPS / "followups" / "templates").rglob("*.html"),
        *(APPS / "programs" / "templates").rglob("*.html"),
    ]
)


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: p.name)
def test_tables_stack_with_labelled_cells(path: Path) -> None:
    source = path.read_text("utf-8")
    for table in re.findall(r"<table\b.*?</table>", source, flags=re.S):
        opening = table.split(">", 1)[0]
        assert "usa-table--stacked" in opening, path.name
        body = table.split("<tbody", 1)[-1]
        for cell in re.findall(r"<t[dh]\b[^>]*>", body):
            if cell.startswith("<th") and 'scope="col"' in cell:
                continue
            assert "data-label=" in cell, f"{path.name}: {cell}"
