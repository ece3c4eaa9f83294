"""From a file's tables to what the import would write: each organization, location and service
as Pathways holds it. References are checked here (an id that names nothing is fatal), and
each value Pathways cannot hold is a row-level problem: fatal when the record could not be
kept faithfully (a name too long), else a warning and the value is left out."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from pathways.accounts.models import AgencyKind
from pathways.directory.hsds import terms
from pathways.directory.hsds.tables import Row, Tables
from pathways.directory.hsds.validation import Problem
from pathways.directory.models import ServiceType

MAX_CAPACITY = 10_000
_TIME = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?(?:Z|[+-]\d{2}:?\d{2})?$")
_LANGUAGE = re.compile(r"^[a-z]{2}$")


@dataclass
class OrgPlan:
    hsds_id: str
    ref: str
    name: str
    kind: str
    fields: dict[str, str]


@dataclass
class LocationPlan:
    hsds_id: str
    ref: str
    org_id: str
    fields: dict[str, Any]


@dataclass
class ServicePlan:
    hsds_id: str
    ref: str
    org_id: str
    active: bool
    fields: dict[str, Any]
    hours: list[tuple[int, dt.time, dt.time]] = field(default_factory=list)
    location_ids: list[str] = field(default_factory=list)
    capacity: tuple[int, int] | None = None
    """(total, open) when the file says it."""


@dataclass
class Plan:
    organizations: list[OrgPlan] = field(default_factory=list)
    locations: list[LocationPlan] = field(default_factory=list)
    services: list[ServicePlan] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


class _Planner:
    def __init__(self, tables: Tables) -> None:
        self.t = tables
        self.plan = Plan()
        self._ids: dict[str, set[str]] = {}
        self._index: dict[tuple[str, str], dict[str, list[Row]]] = {}
        self.terms = {
            str(r.values["id"]): r.values for r in tables["taxonomy_term"] if "id" in r.values
        }

    def by(self, table: str, key: str, record_id: str) -> list[Row]:
        """The rows of `table` whose `key` is `record_id` (indexed once per table and key)."""
        if (table, key) not in self._index:
            index: dict[str, list[Row]] = {}
            for row in self.t[table]:
                index.setdefault(str(row.values.get(key, "")), []).append(row)
            self._index[table, key] = index
        return self._index[table, key].get(record_id, [])

    # -- problems -------------------------------------------------------------------------
    def problem(self, table: str, row: Row, fld: str, message: str, *, fatal: bool) -> None:
        record_id = str(row.values.get("id", ""))
        self.plan.problems.append(Problem(table, row.ref, record_id, fld, message, fatal))

    def text(
        self, table: str, row: Row, key: str, limit: int | None, *, fatal: bool = False
    ) -> str:
        value = str(row.values.get(key) or "").strip()
        if limit is not None and len(value) > limit:
            action = "" if fatal else "; it was left out"
            self.problem(table, row, key, f"Longer than {limit} characters{action}.", fatal=fatal)
            return "" if not fatal else value[:limit]
        return value

    # -- references -----------------------------------------------------------------------
    def check_ids(self) -> None:
        for table, rows in self.t.rows.items():
            counts = Counter(str(r.values.get("id")) for r in rows)
            for row in rows:
                if counts[str(row.values.get("id"))] > 1:
                    self.problem(
                        table,
                        row,
                        "id",
                        "This id is used by another row of the same table.",
                        fatal=True,
                    )

    def ids(self, table: str) -> set[str]:
        if table not in self._ids:
            self._ids[table] = {str(r.values["id"]) for r in self.t[table] if "id" in r.values}
        return self._ids[table]

    def refer(self, table: str, row: Row, key: str, target: str, *, required: bool) -> str:
        value = row.values.get(key)
        if value in (None, ""):
            if required:
                self.problem(table, row, key, f"It names no {target}.", fatal=True)
            return ""
        if str(value) not in self.ids(target):
            self.problem(
                table, row, key, f"No {target} in the file has the id {value!r}.", fatal=True
            )
            return ""
        return str(value)

    def attributes(self, entity: str, record_id: str) -> list[tuple[Row, str, str, str]]:
        """(row, taxonomy, code, value) of the record's attributes in Pathways' taxonomies."""
        found = []
        for row in self.by("attribute", "link_id", record_id):
            v = row.values
            if v.get("link_entity", entity) != entity:
                continue
            term_id = str(v.get("taxonomy_term_id", ""))
            known = terms.TERM_BY_ID.get(term_id)
            if known is None and term_id in self.terms:
                term = self.terms[term_id]
                taxonomy, code = str(term.get("taxonomy", "")), str(term.get("code", ""))
                if code in terms.TAXONOMIES.get(taxonomy, {}):
                    known = (taxonomy, code)
                elif taxonomy in terms.TAXONOMIES:
                    self.problem(
                        "attribute",
                        row,
                        "taxonomy_term_id",
                        f"{code!r} is not a term of {taxonomy}; it was left out.",
                        fatal=False,
                    )
            if known is not None:
                found.append((row, known[0], known[1], str(v.get("value", ""))))
        return found

    # -- records --------------------------------------------------------------------------
    def organizations(self) -> None:
        names: Counter[str] = Counter(
            str(r.values.get("name", "")).strip().lower() for r in self.t["organization"]
        )
        for row in self.t["organization"]:
            oid = str(row.values["id"])
            name = self.text("organization", row, "name", 200, fatal=True)
            if names[name.lower()] > 1:
                self.problem(
                    "organization",
                    row,
                    "name",
                    "Another organization in the file has the same name.",
                    fatal=True,
                )
            kind = terms.DEFAULT_AGENCY_KIND
            for _, taxonomy, code, _ in self.attributes("organization", oid):
                if taxonomy == terms.AGENCY_KIND:
                    kind = AgencyKind(code)
            phones = self.by("phone", "organization_id", oid)
            fields = {
                "short_name": self.text("organization", row, "alternate_name", 40),
                "description": self.text("organization", row, "description", None),
                "email": self.text("organization", row, "email", 254),
                "website": self.text("organization", row, "website", 200),
                "phone": self.phone("organization", phones),
            }
            self.plan.organizations.append(OrgPlan(oid, row.ref, name, str(kind), fields))

    def phone(self, table: str, phones: list[Row]) -> str:
        if not phones:
            return ""
        first = phones[0]
        number = self.text("phone", first, "number", 40)
        if len(phones) > 1:
            self.problem(
                "phone",
                phones[1],
                "number",
                f"Pathways keeps one number for each {table}; the first was kept.",
                fatal=False,
            )
        return number

    def locations(self, linked_org: dict[str, str]) -> None:
        for row in self.t["location"]:
            lid = str(row.values["id"])
            org_id = str(row.values.get("organization_id") or linked_org.get(lid, ""))
            if not org_id:
                self.problem(
                    "location", row, "organization_id", "It belongs to no organization.", fatal=True
                )
                continue
            if org_id not in self.ids("organization"):
                self.problem(
                    "location",
                    row,
                    "organization_id",
                    f"No organization in the file has the id {org_id!r}.",
                    fatal=True,
                )
                continue
            addresses = list(self.by("address", "location_id", lid))
            addresses.sort(key=lambda a: a.values.get("address_type") != "physical")
            if not addresses:
                self.problem(
                    "location",
                    row,
                    "addresses",
                    "It has no street address (Pathways "
                    "keeps physical places only); it was not imported.",
                    fatal=False,
                )
                continue
            address = addresses[0]
            state = self.text("address", address, "state_province", None).upper()
            if not re.fullmatch(r"[A-Z]{2}", state):
                self.problem(
                    "address",
                    address,
                    "state_province",
                    "Give the two-letter state code (for example OH).",
                    fatal=True,
                )
            fields = {
                "name": self.text("location", row, "name", 200, fatal=True)
                or self.text("address", address, "address_1", 200, fatal=True),
                "address_1": self.text("address", address, "address_1", 200, fatal=True),
                "city": self.text("address", address, "city", 100, fatal=True),
                "state_province": state[:2],
                "postal_code": self.text("address", address, "postal_code", 10, fatal=True),
                "latitude": _coordinate(row.values.get("latitude")),
                "longitude": _coordinate(row.values.get("longitude")),
            }
            self.plan.locations.append(LocationPlan(lid, row.ref, org_id, fields))

    def services(self) -> None:
        kept_locations = {p.hsds_id for p in self.plan.locations}
        for row in self.t["service"]:
            sid = str(row.values["id"])
            org_id = self.refer("service", row, "organization_id", "organization", required=True)
            plan = ServicePlan(
                sid,
                row.ref,
                org_id,
                active=row.values.get("status") == "active",
                fields={
                    "name": self.text("service", row, "name", 200, fatal=True),
                    "description": self.text("service", row, "description", None),
                },
            )
            if not plan.active:
                self.problem(
                    "service",
                    row,
                    "status",
                    f"Its status is {row.values.get('status')!r}"
                    ": it is not offered (and archived if it was).",
                    fatal=False,
                )
            self.classify(row, plan)
            phones = [
                p
                for p in self.by("phone", "service_id", sid)
                if not p.values.get("service_at_location_id")
            ]
            plan.fields["phone"] = self.phone("service", phones)
            plan.fields["languages"] = self.languages(sid)
            plan.hours = self.hours(sid)
            for sal in self.by("service_at_location", "service_id", sid):
                lid = self.refer(
                    "service_at_location", sal, "location_id", "location", required=True
                )
                if lid in kept_locations and lid not in plan.location_ids:
                    plan.location_ids.append(lid)
            self.plan.services.append(plan)

    def classify(self, row: Row, plan: ServicePlan) -> None:
        service_type, populations, capacity = "", [], {}
        access = set()
        for attr_row, taxonomy, code, value in self.attributes("service", plan.hsds_id):
            if taxonomy == terms.SERVICE_TYPE and not service_type:
                service_type = code
            elif taxonomy == terms.POPULATION and code not in populations:
                populations.append(code)
            elif taxonomy == terms.ACCESS:
                access.add(code)
            elif taxonomy == terms.CAPACITY:
                capacity[code] = (attr_row, value)
        if not service_type:
            service_type = terms.DEFAULT_SERVICE_TYPE
            self.problem(
                "service",
                row,
                "attributes",
                "It names none of Pathways' service types "
                f"({terms.SERVICE_TYPE}); it was imported as "
                f"'{ServiceType(service_type).label}'.",
                fatal=False,
            )
        plan.fields.update(
            service_type=str(service_type),
            populations=populations,
            open_24_7=terms.OPEN_24_7 in access,
            accepts_walk_ins=terms.WALK_IN in access,
        )
        plan.capacity = self.capacity(row, capacity)

    def capacity(self, row: Row, found: dict[str, tuple[Row, str]]) -> tuple[int, int] | None:
        if not found:
            return None
        numbers = {}
        for code in (terms.CAPACITY_TOTAL, terms.CAPACITY_OPEN):
            attr_row, value = found.get(code, (row, ""))
            if not value.isdigit() or int(value) > MAX_CAPACITY:
                self.problem(
                    "attribute",
                    attr_row,
                    "value",
                    f"{code} must be a whole number "
                    f"from 0 to {MAX_CAPACITY:,}; the capacity was left out.",
                    fatal=False,
                )
                return None
            numbers[code] = int(value)
        total, open_now = numbers[terms.CAPACITY_TOTAL], numbers[terms.CAPACITY_OPEN]
        if open_now > total:
            attr_row = found[terms.CAPACITY_OPEN][0]
            self.problem(
                "attribute",
                attr_row,
                "value",
                f"Open ({open_now}) exceeds the total ({total}); the capacity was left out.",
                fatal=False,
            )
            return None
        return total, open_now

    def languages(self, sid: str) -> list[str]:
        codes: list[str] = []
        for row in self.by("language", "service_id", sid):
            code = str(row.values.get("code", "")).strip().lower()
            if not _LANGUAGE.match(code):
                self.problem(
                    "language",
                    row,
                    "code",
                    "Not a two-letter ISO 639-1 code; the language was left out.",
                    fatal=False,
                )
            elif code not in codes:
                codes.append(code)
        return codes

    def hours(self, sid: str) -> list[tuple[int, dt.time, dt.time]]:
        rows = list(self.by("schedule", "service_id", sid))
        for sal in self.by("service_at_location", "service_id", sid):
            rows += [
                r
                for r in self.by("schedule", "service_at_location_id", str(sal.values.get("id")))
                if r not in rows
            ]
        found: list[tuple[int, dt.time, dt.time]] = []
        for row in rows:
            for entry in self.schedule(row):
                if entry not in found:
                    found.append(entry)
        return sorted(found)

    def schedule(self, row: Row) -> list[tuple[int, dt.time, dt.time]]:
        v = row.values

        def skip(fld: str, why: str) -> list[tuple[int, dt.time, dt.time]]:
            self.problem("schedule", row, fld, f"{why}; these hours were left out.", fatal=False)
            return []

        if v.get("freq", "WEEKLY") != "WEEKLY" or v.get("interval", 1) not in (1, 1.0):
            return skip("freq", "Pathways keeps weekly hours only")
        days = [d.strip().upper() for d in str(v.get("byday", "")).split(",") if d.strip()]
        if not days or any(d not in terms.WEEKDAYS for d in days):
            return skip("byday", "Give the days as MO,TU,WE,TH,FR,SA,SU")
        opens, closes = _time(v.get("opens_at")), _time(v.get("closes_at"))
        if opens is None or closes is None:
            return skip("opens_at" if opens is None else "closes_at", "Give times as HH:MM")
        if closes <= opens:
            return skip("closes_at", "It closes before it opens")
        return [(terms.WEEKDAYS.index(d), opens, closes) for d in days]


def _time(value: Any) -> dt.time | None:
    match = _TIME.match(str(value or "").strip())
    if not match:
        return None
    hour, minute, second = int(match[1]), int(match[2]), int(match[3] or 0)
    if hour > 23 or minute > 59 or second > 59:
        return None
    return dt.time(hour, minute, second)


def _coordinate(value: Any) -> Decimal | None:
    if value in (None, ""):
        return None
    return Decimal(str(value)).quantize(Decimal("0.000001"))


def plan_import(tables: Tables) -> Plan:
    """What the tables would write, and every problem found on the way."""
    planner = _Planner(tables)
    planner.check_ids()
    for row in tables["phone"]:
        for key, target in (
            ("organization_id", "organization"),
            ("service_id", "service"),
            ("location_id", "location"),
        ):
            planner.refer("phone", row, key, target, required=False)
    for row in tables["attribute"]:
        entity = str(row.values.get("link_entity", ""))
        if entity in ("organization", "service", "location"):
            planner.refer("attribute", row, "link_id", entity, required=True)
    for row in tables["schedule"]:
        planner.refer("schedule", row, "service_id", "service", required=False)
        planner.refer(
            "schedule", row, "service_at_location_id", "service_at_location", required=False
        )
    for row in tables["language"]:
        planner.refer("language", row, "service_id", "service", required=False)
    for row in tables["service_at_location"]:
        planner.refer("service_at_location", row, "service_id", "service", required=True)
    if tables["contact"]:
        planner.problem(
            "contact",
            tables["contact"][0],
            "",
            "Pathways keeps no named contacts; the contacts were not imported.",
            fatal=False,
        )
    planner.organizations()
    service_orgs = {
        str(r.values.get("id")): str(r.values.get("organization_id", "")) for r in tables["service"]
    }
    linked_org = {
        str(r.values.get("location_id")): service_orgs.get(str(r.values.get("service_id")), "")
        for r in tables["service_at_location"]
    }
    planner.locations(linked_org)
    planner.services()
    return planner.plan
