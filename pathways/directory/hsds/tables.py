"""One shape for every HSDS file: its records as flat tables (HSDS's tabular form), each row
remembering where in the file it came from. The nested JSON (the directory, or an API page of
services in the full view) is flattened into it; the tabular package is read into it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pathways.directory.hsds.validation import TABLES


@dataclass
class Row:
    ref: str
    """Where it is in the file: `services[3].schedules[0]`, or `schedules.csv row 4`."""
    values: dict[str, Any]


@dataclass
class Tables:
    rows: dict[str, list[Row]] = field(default_factory=lambda: {t: [] for t in TABLES})

    def add(self, table: str, ref: str, values: Mapping[str, Any]) -> None:
        self.rows.setdefault(table, []).append(Row(ref, dict(values)))

    def has(self, table: str, record_id: Any) -> bool:
        return any(r.values.get("id") == record_id for r in self.rows.get(table, []))

    def __getitem__(self, table: str) -> list[Row]:
        return self.rows.get(table, [])


def _scalars(obj: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in obj.items() if not isinstance(v, dict | list) and v is not None}


def _items(obj: Mapping[str, Any], key: str) -> list[tuple[int, dict[str, Any]]]:
    value = obj.get(key) or []
    return [(i, item) for i, item in enumerate(value) if isinstance(item, dict)]


class _Flattener:
    def __init__(self) -> None:
        self.tables = Tables()

    def children(
        self, obj: Mapping[str, Any], ref: str, key: str, table: str, parent: dict[str, Any]
    ) -> None:
        for i, child in _items(obj, key):
            self.tables.add(table, f"{ref}.{key}[{i}]", {**parent, **_scalars(child)})

    def attributes(self, obj: Mapping[str, Any], ref: str, entity: str) -> None:
        for i, attr in _items(obj, "attributes"):
            values = {"link_id": obj.get("id"), "link_entity": entity, **_scalars(attr)}
            term = attr.get("taxonomy_term")
            if isinstance(term, dict):
                values.setdefault("taxonomy_term_id", term.get("id"))
                if not self.tables.has("taxonomy_term", term.get("id")):
                    self.tables.add(
                        "taxonomy_term", f"{ref}.attributes[{i}].taxonomy_term", _scalars(term)
                    )
            self.tables.add("attribute", f"{ref}.attributes[{i}]", values)

    def organization(self, org: Mapping[str, Any], ref: str, *, nested: bool = False) -> None:
        if nested and self.tables.has("organization", org.get("id")):
            return
        self.tables.add("organization", ref, _scalars(org))
        link = {"organization_id": org.get("id")}
        self.children(org, ref, "phones", "phone", link)
        self.children(org, ref, "contacts", "contact", link)
        for i, loc in _items(org, "locations"):
            self.location({**link, **loc}, f"{ref}.locations[{i}]")
        self.attributes(org, ref, "organization")

    def location(self, loc: Mapping[str, Any], ref: str, *, nested: bool = False) -> None:
        if nested and self.tables.has("location", loc.get("id")):
            return
        self.tables.add("location", ref, _scalars(loc))
        link = {"location_id": loc.get("id")}
        for key, table in (
            ("addresses", "address"),
            ("phones", "phone"),
            ("languages", "language"),
            ("schedules", "schedule"),
            ("contacts", "contact"),
        ):
            self.children(loc, ref, key, table, link)
        self.attributes(loc, ref, "location")

    def service(self, svc: Mapping[str, Any], ref: str) -> None:
        values = _scalars(svc)
        org = svc.get("organization")
        if isinstance(org, dict):
            values.setdefault("organization_id", org.get("id"))
            self.organization(org, f"{ref}.organization", nested=True)
        self.tables.add("service", ref, values)
        link = {"service_id": svc.get("id")}
        for key, table in (
            ("phones", "phone"),
            ("languages", "language"),
            ("schedules", "schedule"),
            ("contacts", "contact"),
        ):
            self.children(svc, ref, key, table, link)
        for i, sal in _items(svc, "service_at_locations"):
            sal_ref = f"{ref}.service_at_locations[{i}]"
            sal_values = {**link, **_scalars(sal)}
            loc = sal.get("location")
            if isinstance(loc, dict):
                sal_values.setdefault("location_id", loc.get("id"))
                loc_values = dict(loc)
                if "organization_id" not in loc_values and values.get("organization_id"):
                    loc_values["organization_id"] = values["organization_id"]
                self.location(loc_values, f"{sal_ref}.location", nested=True)
            self.tables.add("service_at_location", sal_ref, sal_values)
            sal_link = {"service_at_location_id": sal.get("id"), **link}
            self.children(sal, sal_ref, "schedules", "schedule", sal_link)
            self.children(sal, sal_ref, "phones", "phone", sal_link)
        self.attributes(svc, ref, "service")


def flatten(doc: Any) -> Tables:
    """The tables of a schema-valid document: the Pathways directory (organizations and
    services), an API page of services (`contents`), or a list of services."""
    flat = _Flattener()
    if isinstance(doc, list):
        services, key = doc, "contents"  # named as in an API page
    elif "contents" in doc:
        services, key = doc["contents"], "contents"
    else:
        for i, org in enumerate(doc.get("organizations") or []):
            flat.organization(org, f"organizations[{i}]")
        services, key = doc.get("services") or [], "services"
    for i, svc in enumerate(services):
        flat.service(svc, f"{key}[{i}]")
    return flat.tables
