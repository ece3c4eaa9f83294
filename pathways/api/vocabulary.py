"""The partner API's scopes: what a registered client may do, each with what it lets the client
see and change, and the roles it acts with. The one list: the coordinator's page, the endpoints
and the OpenAPI document all read it (docs/decisions/0029-partner-api-credentials.md).

A client acts as its own account (never a person's) holding, at its agency, the roles of its
scopes. The selectors, services and the one disclosure check decide from those roles exactly as
they do for staff on the pages: a consent naming supervisors lets a client with referrals:read
see a referral's progress, as it lets the agency's supervisors."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models

from pathways.accounts.models import FIRST_RESPONDER_KINDS, PROVIDER_KINDS, AgencyKind, Role


class ApiScope(models.TextChoices):
    REFERRALS_READ = "referrals:read", "Read referrals"
    REFERRALS_WRITE = "referrals:write", "Answer referrals"
    DIRECTORY_WRITE = "directory:write", "Update service capacity"
    ENCOUNTERS_WRITE = "encounters:write", "Record contacts"
    OVERDOSES_WRITE = "overdoses:write", "Report overdoses"
    IMPORTS_READ = "imports:read", "Follow import jobs"
    FHIR_READ = "fhir:read", "Read FHIR Tasks, ServiceRequests and the directory"
    FHIR_WRITE = "fhir:write", "Update FHIR Tasks (answer and follow referrals)"


#: The agencies files are imported for (imports.services.AGENCY_KINDS).
IMPORT_AGENCY_KINDS = (AgencyKind.EMS, AgencyKind.FIRE, AgencyKind.COMMUNITY_RESPONSE)


@dataclass(frozen=True)
class ScopeRule:
    description: str
    roles: tuple[str, ...]
    #: Only an agency of these kinds may hold the scope (empty: any agency).
    agency_kinds: frozenset[str] = frozenset()
    #: Who those agencies are, for the refusal when another kind asks for the scope.
    agency_kinds_label: str = "service providers"


SCOPE_RULES: dict[str, ScopeRule] = {
    ApiScope.REFERRALS_READ: ScopeRule(
        "The referrals your agency sent and their status (beyond “sent” only under the "
        "person's consent, as for your supervisors), and the status of a referral to your "
        "agency.",
        (Role.SUPERVISOR,),
    ),
    ApiScope.REFERRALS_WRITE: ScopeRule(
        "Answer a referral addressed to your agency: accept it, or decline it with a reason.",
        (Role.PROVIDER_INTAKE,),
        frozenset(PROVIDER_KINDS),
    ),
    ApiScope.DIRECTORY_WRITE: ScopeRule(
        "Report the open capacity of your agency's services.",
        (Role.PROVIDER_INTAKE,),
        frozenset(PROVIDER_KINDS),
    ),
    ApiScope.ENCOUNTERS_WRITE: ScopeRule(
        "Record a contact in the field under a pathway your agency may start, with the "
        "pathway's sections, and send its referral: the field form's own checks "
        "(eligibility, the program's services, capacity) apply.",
        (Role.OFFICER,),
        frozenset(FIRST_RESPONDER_KINDS),
        "first responders (police, fire, EMS, community response)",
    ),
    ApiScope.OVERDOSES_WRITE: ScopeRule(
        "Report an overdose your agency responded to (e.g. from an EMS or dispatch system), "
        "for the program's overdose surveillance.",
        (Role.OFFICER,),
        frozenset(FIRST_RESPONDER_KINDS),
        "first responders (police, fire, EMS, community response)",
    ),
    ApiScope.IMPORTS_READ: ScopeRule(
        "Follow the import jobs of files imported for your agency (EMS patient care reports, "
        "dispatch calls): status, progress, counts and the problems found, which name a line "
        "and an element or column, never a value from the file.",
        (Role.SUPERVISOR,),
        frozenset(IMPORT_AGENCY_KINDS),
        "EMS, fire and community response agencies",
    ),
    # FHIR R4 (/api/fhir/r4/, docs/decisions/0030-fhir-closed-loop-referral.md): the roles of
    # the REST scopes, so the same selectors and disclosure check decide.
    ApiScope.FHIR_READ: ScopeRule(
        "FHIR Tasks and ServiceRequests of the referrals your agency sent (their status "
        "beyond “requested”, and the Patient, only under the person's consent, as for your "
        "supervisors), and the program's directory (Organization, HealthcareService, "
        "Location). A provider's system also needs fhir:write to see the Tasks it owns.",
        (Role.SUPERVISOR,),
    ),
    ApiScope.FHIR_WRITE: ScopeRule(
        "See and update the FHIR Tasks your agency owns: receive, accept, reject with a "
        "reason, and record intake, completion or disengagement.",
        (Role.PROVIDER_INTAKE,),
        frozenset(PROVIDER_KINDS),
    ),
}


def roles_for_scopes(scopes: list[str]) -> list[str]:
    """The roles a client with `scopes` holds at its agency, each once, in a stable order."""
    roles: list[str] = []
    for scope in scopes:
        for role in SCOPE_RULES[scope].roles:
            if role not in roles:
                roles.append(role)
    return roles
