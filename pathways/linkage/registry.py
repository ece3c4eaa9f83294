"""Source records that apps above linkage contribute (docs/decisions/0033): an app that keeps
identities linkage may use (EMS patient care reports, in `pathways.imports`) registers a
`Source` when Django starts, and linkage reads it beside the program's people and arrest
records. Linkage never imports those apps; the registry is the one way in.

A source gives, for a program: its records in the engine's layout (pathways.linkage.engine
.records), the ids of those added or changed since a moment (for the incremental run), and a
record's fields as the reviewer sees them on the linkage pages."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ShownRecord:
    """What the reviewer sees of one record: its kind in words and its fields."""

    kind: str
    fields: list[tuple[str, str]]


@dataclass(frozen=True)
class Source:
    #: the records' key prefix ("ems" makes "ems:<uuid>"), unique across sources
    kind: str
    #: the kind of record, in words, for the route counts ("EMS patient care reports")
    label: str
    #: the program's records, in the engine's layout (its `unique_id` already "<kind>:<pk>")
    rows: Callable[[Any], Iterator[dict[str, Any]]]
    #: the pks of the program's records added or changed at or after the moment
    changed: Callable[[Any, dt.datetime], Iterable[Any]]
    #: one record of the program as the reviewer sees it, or None when it is not there
    shown: Callable[[Any, str], ShownRecord | None]


_SOURCES: dict[str, Source] = {}


def register(source: Source) -> None:
    """Add a source (an app's `ready()`). Registering the same kind again replaces it, so a
    reloaded app does not count twice."""
    if source.kind in ("person", "arrest") or ":" in source.kind:
        raise ValueError(f"{source.kind!r} cannot name a registered source")
    _SOURCES[source.kind] = source


def sources() -> list[Source]:
    return [_SOURCES[kind] for kind in sorted(_SOURCES)]


def source(kind: str) -> Source | None:
    return _SOURCES.get(kind)
