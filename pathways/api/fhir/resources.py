"""Our records as FHIR R4 resources, each validated with fhir.resources before it is sent (an
invalid one is our bug: it fails loudly rather than reach a partner).

Statuses (docs/decisions/0030-fhir-closed-loop-referral.md):

=================  ===========  ====================  ==============================
ours               Task.status  ServiceRequest.status  also
=================  ===========  ====================  ==============================
sent               requested    active
received           received     active
accepted           accepted     active
declined           rejected     revoked               statusReason: the decline reason
intake_scheduled   in-progress  active                executionPeriod.start: the intake
engaged            in-progress  active                executionPeriod.start: the intake
completed          completed    completed
disengaged         cancelled    revoked
=================  ===========  ====================  ==============================

Task.businessStatus always carries our own status (the referral-status CodeSystem), so the two
in-progress steps stay apart. What the viewer may not see (the provider's record under 42 CFR
Part 2, beyond "sent") is shown as "requested", with the version and time of the sending only.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.capabilitystatement import CapabilityStatement
from fhir.resources.R4B.codesystem import CodeSystem
from fhir.resources.R4B.healthcareservice import HealthcareService
from fhir.resources.R4B.location import Location as FhirLocation
from fhir.resources.R4B.organization import Organization
from fhir.resources.R4B.patient import Patient
from fhir.resources.R4B.resource import Resource
from fhir.resources.R4B.servicerequest import ServiceRequest
from fhir.resources.R4B.task import Task

from pathways.accounts.models import Agency, AgencyKind
from pathways.directory.models import Location, Service, ServiceType
from pathways.directory.vocabulary import Need
from pathways.people.models import Person, Sex
from pathways.referrals.disclosure import ReferralShown
from pathways.referrals.models import (
    STATUS_DESCRIPTIONS,
    DeclineReason,
    Referral,
    ReferralStatus,
)

FHIR_VERSION = "4.0.1"
TASK_CODE_SYSTEM = "http://hl7.org/fhir/CodeSystem/task-code"

#: Every Task.status of FHIR R4 (a required binding fhir.resources does not check).
TASK_STATUSES = frozenset(
    {
        "draft",
        "requested",
        "received",
        "accepted",
        "rejected",
        "ready",
        "cancelled",
        "in-progress",
        "on-hold",
        "failed",
        "completed",
        "entered-in-error",
    }
)

TASK_STATUS_FOR: dict[str, str] = {
    ReferralStatus.SENT: "requested",
    ReferralStatus.RECEIVED: "received",
    ReferralStatus.ACCEPTED: "accepted",
    ReferralStatus.DECLINED: "rejected",
    ReferralStatus.INTAKE_SCHEDULED: "in-progress",
    ReferralStatus.ENGAGED: "in-progress",
    ReferralStatus.COMPLETED: "completed",
    ReferralStatus.DISENGAGED: "cancelled",
}

SERVICE_REQUEST_STATUS_FOR: dict[str, str] = {
    **dict.fromkeys(
        (
            ReferralStatus.SENT,
            ReferralStatus.RECEIVED,
            ReferralStatus.ACCEPTED,
            ReferralStatus.INTAKE_SCHEDULED,
            ReferralStatus.ENGAGED,
        ),
        "active",
    ),
    ReferralStatus.COMPLETED: "completed",
    ReferralStatus.DECLINED: "revoked",
    ReferralStatus.DISENGAGED: "revoked",
}

GENDER_FOR: dict[str, str] = {
    Sex.FEMALE: "female",
    Sex.MALE: "male",
    Sex.X: "other",
    Sex.UNKNOWN: "unknown",
}

#: Our vocabularies as CodeSystems, at <base>/CodeSystem/<name>: (title, choices, definitions).
CODE_SYSTEMS: dict[str, tuple[str, Any, dict[str, str]]] = {
    "referral-status": ("Pathways referral status", ReferralStatus, dict(STATUS_DESCRIPTIONS)),
    "decline-reason": ("Pathways reason a referral is declined", DeclineReason, {}),
    "service-type": ("Pathways service type", ServiceType, {}),
    "need": ("Pathways presenting need", Need, {}),
    "agency-kind": ("Pathways agency kind", AgencyKind, {}),
}


def system(base: str, name: str) -> str:
    """The URL of one of our CodeSystems under the site's FHIR base."""
    return f"{base}/CodeSystem/{name}"


def concept(base: str, name: str, code: str, text: str | None = None) -> dict[str, Any]:
    labels = dict(CODE_SYSTEMS[name][1].choices)
    display = str(labels.get(code, code))
    found: dict[str, Any] = {
        "coding": [{"system": system(base, name), "code": code, "display": display}]
    }
    if text:
        found["text"] = text
    return found


def validated(model: type[Resource], data: dict[str, Any]) -> dict[str, Any]:
    """`data` checked by fhir.resources' model and given back as the JSON it sends."""
    return dict(model.model_validate(data).model_dump(mode="json", exclude_none=True))


def _ref(kind: str, pk: Any, display: str | None = None) -> dict[str, Any]:
    found: dict[str, Any] = {"reference": f"{kind}/{pk}"}
    if display:
        found["display"] = display
    return found


def organization_ref(agency: Agency) -> dict[str, Any]:
    return _ref("Organization", agency.pk, agency.name)


def version_of(shown: ReferralShown) -> str:
    """The Task's (and ServiceRequest's) version: one per status change the viewer may see, so
    a withheld referral's version tells nothing of the provider's steps."""
    return str(max(1, len(shown.history)))


def last_updated(referral: Referral, shown: ReferralShown) -> dt.datetime:
    changed: dt.datetime = shown.history[-1].changed_at if shown.history else referral.created_at
    return changed


def _meta(referral: Referral, shown: ReferralShown) -> dict[str, Any]:
    return {"versionId": version_of(shown), "lastUpdated": last_updated(referral, shown)}


def _last_change_to(shown: ReferralShown, status: str) -> Any:
    for change in reversed(shown.history):
        if change.to_status == status:
            return change
    return None


def task(referral: Referral, shown: ReferralShown, base: str) -> dict[str, Any]:
    data: dict[str, Any] = {
        "resourceType": "Task",
        "id": str(referral.pk),
        "meta": _meta(referral, shown),
        "status": TASK_STATUS_FOR[shown.status],
        "businessStatus": concept(base, "referral-status", shown.status),
        "intent": "order",
        "code": {
            "coding": [
                {
                    "system": TASK_CODE_SYSTEM,
                    "code": "fulfill",
                    "display": "Fulfill the focal request",
                }
            ]
        },
        "focus": _ref("ServiceRequest", referral.pk),
        "for": _ref("Patient", referral.person_id),
        "authoredOn": referral.created_at,
        "lastModified": last_updated(referral, shown),
        "requester": organization_ref(referral.referring_agency),
        "owner": organization_ref(referral.receiving_agency),
    }
    if shown.status == ReferralStatus.DECLINED:
        change = _last_change_to(shown, ReferralStatus.DECLINED)
        if change is not None and change.decline_reason:
            data["statusReason"] = concept(base, "decline-reason", change.decline_reason)
    elif shown.status in (ReferralStatus.INTAKE_SCHEDULED, ReferralStatus.ENGAGED):
        change = _last_change_to(shown, shown.status)
        start = change.scheduled_for if change is not None else None
        if start is not None:
            data["executionPeriod"] = {"start": start}
    return validated(Task, data)


def service_request(
    referral: Referral, shown: ReferralShown, base: str, *, with_reasons: bool
) -> dict[str, Any]:
    """The referral as a ServiceRequest. `with_reasons`: the person's presenting needs as the
    reason (the same gate as the Patient's details)."""
    service = referral.service
    data: dict[str, Any] = {
        "resourceType": "ServiceRequest",
        "id": str(referral.pk),
        "meta": _meta(referral, shown),
        "status": SERVICE_REQUEST_STATUS_FOR[shown.status],
        "intent": "order",
        "code": {**concept(base, "service-type", service.service_type), "text": service.name},
        "subject": _ref("Patient", referral.person_id),
        "authoredOn": referral.created_at,
        "requester": organization_ref(referral.referring_agency),
        "performer": [
            organization_ref(referral.receiving_agency),
            _ref("HealthcareService", service.pk, service.name),
        ],
    }
    needs = list(referral.encounter.presenting_needs or []) if with_reasons else []
    if needs:
        data["reasonCode"] = [concept(base, "need", str(code)) for code in needs]
    return validated(ServiceRequest, data)


def patient(person: Person) -> dict[str, Any]:
    """The minimal Patient: name, birth date and gender, nothing else."""
    data: dict[str, Any] = {
        "resourceType": "Patient",
        "id": str(person.pk),
        "gender": GENDER_FOR.get(person.sex, "unknown"),
    }
    given = [n for n in (person.first_name, person.middle_name) if n]
    name: dict[str, Any] = {}
    if person.last_name:
        name["family"] = person.last_name
    if given:
        name["given"] = given
    if name and person.suffix:
        name["suffix"] = [person.suffix]
    if name:
        data["name"] = [name]
    if person.date_of_birth is not None:
        data["birthDate"] = person.date_of_birth.isoformat()
    return validated(Patient, data)


def organization(agency: Agency, base: str) -> dict[str, Any]:
    telecom = [
        {"system": kind, "value": value}
        for kind, value in (
            ("phone", agency.phone),
            ("email", agency.email),
            ("url", agency.website),
        )
        if value
    ]
    data: dict[str, Any] = {
        "resourceType": "Organization",
        "id": str(agency.pk),
        "active": not agency.is_archived,
        "name": agency.name,
        "type": [concept(base, "agency-kind", agency.kind)],
    }
    if agency.short_name:
        data["alias"] = [agency.short_name]
    if telecom:
        data["telecom"] = telecom
    return validated(Organization, data)


DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def healthcare_service(service: Service, base: str) -> dict[str, Any]:
    data: dict[str, Any] = {
        "resourceType": "HealthcareService",
        "id": str(service.pk),
        "active": not service.is_archived,
        "providedBy": organization_ref(service.organization),
        "type": [concept(base, "service-type", service.service_type)],
        "name": service.name,
    }
    if service.description:
        data["comment"] = service.description
    locations = [
        _ref("Location", loc.pk, loc.name) for loc in service.locations.all() if not loc.is_archived
    ]
    if locations:
        data["location"] = locations
    if service.phone:
        data["telecom"] = [{"system": "phone", "value": service.phone}]
    if service.languages:
        data["communication"] = [
            {"coding": [{"system": "urn:ietf:bcp:47", "code": str(code)}]}
            for code in service.languages
        ]
    if service.open_24_7:
        data["availableTime"] = [{"daysOfWeek": list(DAYS), "allDay": True}]
    else:
        hours = [
            {
                "daysOfWeek": [DAYS[h.weekday]],
                "availableStartTime": h.opens_at.strftime("%H:%M:%S"),
                "availableEndTime": h.closes_at.strftime("%H:%M:%S"),
            }
            for h in service.hours.all()
        ]
        if hours:
            data["availableTime"] = hours
    return validated(HealthcareService, data)


def location(place: Location) -> dict[str, Any]:
    data: dict[str, Any] = {
        "resourceType": "Location",
        "id": str(place.pk),
        "status": "inactive" if place.is_archived else "active",
        "name": place.name,
        "managingOrganization": organization_ref(place.organization),
        "address": {
            "line": [place.address_1],
            "city": place.city,
            "state": place.state_province,
            "postalCode": place.postal_code,
            "country": "US",
        },
    }
    if place.latitude is not None and place.longitude is not None:
        data["position"] = {"latitude": place.latitude, "longitude": place.longitude}
    return validated(FhirLocation, data)


def code_system(name: str, base: str) -> dict[str, Any]:
    title, choices, definitions = CODE_SYSTEMS[name]
    concepts = []
    for code, display in choices.choices:
        entry = {"code": code, "display": str(display)}
        if definitions.get(code):
            entry["definition"] = definitions[code]
        concepts.append(entry)
    return validated(
        CodeSystem,
        {
            "resourceType": "CodeSystem",
            "id": name,
            "url": system(base, name),
            "name": "".join(part.title() for part in name.split("-")),
            "title": title,
            "status": "active",
            "content": "complete",
            "caseSensitive": True,
            "concept": concepts,
        },
    )


def searchset(
    entries: Iterable[dict[str, Any]], base: str, self_url: str, next_url: str | None
) -> dict[str, Any]:
    links = [{"relation": "self", "url": self_url}]
    if next_url:
        links.append({"relation": "next", "url": next_url})
    return validated(
        Bundle,
        {
            "resourceType": "Bundle",
            "type": "searchset",
            "link": links,
            "entry": [
                {
                    "fullUrl": f"{base}/{entry['resourceType']}/{entry['id']}",
                    "resource": entry,
                    "search": {"mode": "match"},
                }
                for entry in entries
            ],
        },
    )


def _resource(kind: str, interactions: list[str], **more: Any) -> dict[str, Any]:
    return {"type": kind, "interaction": [{"code": code} for code in interactions], **more}


def capability_statement(base: str, now: dt.datetime) -> dict[str, Any]:
    read_search = ["read", "search-type"]
    paging = [
        {"name": "_count", "type": "number", "documentation": "Page size, 1 to 100 (50)."},
    ]
    return validated(
        CapabilityStatement,
        {
            "resourceType": "CapabilityStatement",
            "status": "active",
            "date": now,
            "publisher": "Pathways",
            "kind": "instance",
            "software": {"name": "Pathways"},
            "implementation": {
                "description": "Pathways closed-loop referrals (HL7 SDOH Clinical Care pattern)",
                "url": base,
            },
            "fhirVersion": FHIR_VERSION,
            "format": ["application/fhir+json", "json"],
            "rest": [
                {
                    "mode": "server",
                    "documentation": (
                        "Authenticate with the client credential the program coordinator "
                        "registered (Authorization: Bearer pwapi_…); scopes fhir:read and "
                        'fhir:write. A Task is updated with PUT and If-Match: W/"<versionId>".'
                    ),
                    "security": {
                        "cors": False,
                        "description": "Bearer client credential with named scopes.",
                    },
                    "resource": [
                        _resource(
                            "Task",
                            ["read", "update", "search-type"],
                            versioning="versioned-update",
                            readHistory=False,
                            updateCreate=False,
                            conditionalUpdate=False,
                            searchParam=[
                                {"name": "owner", "type": "reference"},
                                {"name": "requester", "type": "reference"},
                                {
                                    "name": "_lastUpdated",
                                    "type": "date",
                                    "documentation": "Prefixes gt, ge, lt, le, eq.",
                                },
                                *paging,
                            ],
                        ),
                        _resource("ServiceRequest", ["read"], versioning="versioned"),
                        _resource("Patient", ["read"]),
                        _resource("Organization", read_search, searchParam=paging),
                        _resource("HealthcareService", read_search, searchParam=paging),
                        _resource("Location", read_search, searchParam=paging),
                        _resource("CodeSystem", ["read"]),
                    ],
                }
            ],
        },
    )
