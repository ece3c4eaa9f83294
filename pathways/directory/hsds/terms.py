"""What Pathways keeps that HSDS 3.0 has no field for, said as attributes with taxonomy terms of
Pathways' own taxonomies; and the stable ids of the rows Pathways derives (phones, addresses,
languages, schedules, attributes), so an export is the same file each time."""

from __future__ import annotations

import uuid
from typing import Any

from pathways.accounts.models import AgencyKind
from pathways.directory.models import Population, ServiceType

HSDS_VERSION = "3.0"
NAMESPACE = uuid.UUID("6f1c4a52-3a0e-5c1b-9d43-2f7b0e0c8a11")

SERVICE_TYPE = "pathways-service-type"
POPULATION = "pathways-population"
ACCESS = "pathways-access"
CAPACITY = "pathways-capacity"
AGENCY_KIND = "pathways-agency-kind"

OPEN_24_7 = "open_24_7"
WALK_IN = "walk_in"
CAPACITY_TOTAL = "capacity_total"
CAPACITY_OPEN = "capacity_open"

#: Each of Pathways' taxonomies: its codes and their names.
TAXONOMIES: dict[str, dict[str, str]] = {
    SERVICE_TYPE: {str(k): str(v) for k, v in ServiceType.choices},
    POPULATION: {str(k): str(v) for k, v in Population.choices},
    ACCESS: {OPEN_24_7: "Open 24 hours a day, 7 days a week", WALK_IN: "Accepts walk-ins"},
    CAPACITY: {
        CAPACITY_TOTAL: "Slots or beds offered to the program",
        CAPACITY_OPEN: "Slots or beds open now",
    },
    AGENCY_KIND: {str(k): str(v) for k, v in AgencyKind.choices},
}

#: Service type of a service whose file names none of Pathways' types.
DEFAULT_SERVICE_TYPE = ServiceType.BASIC_NEEDS
#: Kind of an organization whose file names none of Pathways' kinds.
DEFAULT_AGENCY_KIND = AgencyKind.SOCIAL_SERVICES

WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


def derived_id(*parts: object) -> str:
    """A stable UUID for a row Pathways derives from a record (same parts, same id)."""
    return str(uuid.uuid5(NAMESPACE, "/".join(str(p) for p in parts)))


def term(taxonomy: str, code: str) -> dict[str, Any]:
    name = TAXONOMIES[taxonomy][code]
    return {
        "id": derived_id("taxonomy_term", taxonomy, code),
        "code": code,
        "name": name,
        "description": name,
        "taxonomy": taxonomy,
    }


def attribute(
    link_entity: str, link_id: str, taxonomy: str, code: str, value: str | None = None
) -> dict[str, Any]:
    found = term(taxonomy, code)
    row: dict[str, Any] = {
        "id": derived_id("attribute", link_entity, link_id, taxonomy, code),
        "link_id": link_id,
        "link_entity": link_entity,
        "link_type": taxonomy,
        "taxonomy_term_id": found["id"],
        "taxonomy_term": found,
    }
    if value is not None:
        row["value"] = value
    return row


#: taxonomy term id → (taxonomy, code), for reading a file's attributes back.
TERM_BY_ID: dict[str, tuple[str, str]] = {
    derived_id("taxonomy_term", taxonomy, code): (taxonomy, code)
    for taxonomy, codes in TAXONOMIES.items()
    for code in codes
}
