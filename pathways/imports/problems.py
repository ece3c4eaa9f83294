"""A problem found in an imported file: where (line, element or column) and what is wrong.
Never the value itself: job records and pages must not carry a patient's data."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

#: Problems kept at most; a file with more is usually the wrong file.
MAX_PROBLEMS = 200
_QUOTED = re.compile(r"'[^'{]*'|\"[^\"]*\"")


def without_values(text: str) -> str:
    """A library's message with anything quoted (a value from the file) left out; quoted tag
    names ('{namespace}name') are kept, without the namespace."""
    text = _QUOTED.sub("…", text)
    return re.sub(r"\{[^}]*\}", "", text).strip()


@dataclass(frozen=True)
class Problem:
    line: int  # 0: the file as a whole
    where: str  # the element path or the column
    message: str

    def __str__(self) -> str:
        at = f"Line {self.line}" if self.line else "The file"
        where = f", {self.where}" if self.where else ""
        return f"{at}{where}: {self.message}"

    def as_json(self) -> dict[str, Any]:
        return {"line": self.line, "where": self.where, "message": self.message}


@dataclass
class Problems:
    items: list[Problem] = field(default_factory=list)
    more: int = 0

    def add(self, line: int, where: str, message: str) -> None:
        if len(self.items) < MAX_PROBLEMS:
            self.items.append(Problem(line, where, message))
        else:
            self.more += 1

    def __bool__(self) -> bool:
        return bool(self.items) or self.more > 0
