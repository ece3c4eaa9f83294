"""A pytest plugin (loaded by the root conftest.py's `pytest_plugins`) for the attack suite:
the `attack(group=...)` marker, and a summary at the end of the run of how many attack cases
ran, held (passed) and failed, by group."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

_groups: dict[str, str] = {}
GROUP_PROPERTY = "attack_group"
_outcomes: Counter[tuple[str, str]] = Counter()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "attack(group): a case of the attack suite; must not succeed"
    )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        marker = item.get_closest_marker("attack")
        if marker is not None:
            group = str(marker.kwargs.get("group", "ungrouped"))
            _groups[item.nodeid] = group
            # reports carry it too: under pytest-xdist the workers collect, the controller sums
            item.user_properties.append((GROUP_PROPERTY, group))


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    found = dict(report.user_properties).get(GROUP_PROPERTY) or _groups.get(report.nodeid)
    if found is None:
        return
    group = str(found)
    if report.when == "call" or (report.when == "setup" and not report.passed):
        outcome = "held" if report.passed else ("skipped" if report.skipped else "FAILED")
        _outcomes[(group, outcome)] += 1


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not _outcomes:
        return
    groups = sorted({group for group, _ in _outcomes})
    ran = sum(_outcomes.values())
    held = sum(n for (_, outcome), n in _outcomes.items() if outcome == "held")
    terminalreporter.section("attack suite")
    terminalreporter.write_line(
        f"{ran} attack cases ran in {len(groups)} groups; {held} held (the attack failed), "
        f"{ran - held} did not"
    )
    for group in groups:
        counts = {o: _outcomes[(group, o)] for o in ("held", "FAILED", "skipped")}
        extra = ", ".join(f"{n} {o}" for o, n in counts.items() if n and o != "held")
        line = f"  {group:<34} {sum(counts.values()):>3}" + (f"  ({extra})" if extra else "")
        terminalreporter.write_line(line)
