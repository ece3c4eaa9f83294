"""The command the field form hands the workflow: one contact's facts, typed and frozen
(docs/decisions/0026). The form builds it (FieldEntryForm.entry); field_entry_submit checks and
records it."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pathways.accounts.models import Agency
from pathways.directory.models import Service
from pathways.encounters.models import Encounter
from pathways.encounters.sections import CrisisInput, SurrenderInput
from pathways.people.models import Person
from pathways.programs.models import Pathway, ProgramPathway
from pathways.surveillance.services import OverdoseFacts


@dataclass(frozen=True)
class NewPerson:
    first_name: str
    last_name: str
    date_of_birth: dt.date | None
    sex: str = "unknown"
    races: tuple[str, ...] = ()
    ethnicity: str = "unknown"
    identity: str = "known"  # people.models.Identity: unknown or withheld have no name
    estimated_birth_year: int | None = None
    description: str = ""


@dataclass(frozen=True)
class ContactInput:
    """How to reach the person, as they gave it at the contact."""

    phone: str = ""
    texts_ok: bool = False
    voicemail_ok: bool = False
    best_time: str = ""
    other_way: str = ""
    language: str = ""
    share_with_provider: bool = False


@dataclass(frozen=True)
class PathwayDetails:
    """What the pathway's own sections of the form collected."""

    overdose: OverdoseFacts | None = None
    surrendered: list[SurrenderInput] = field(default_factory=list)
    disposal_method: str = ""
    companion: Any = None
    crisis: CrisisInput | None = None
    charges: list[Any] = field(default_factory=list)  # cases.services.ChargeInput


@dataclass(frozen=True)
class KeyLookup:
    """What one responder's contacts hold under a submission key, as read in this request
    (workflow.selectors.key_lookup): the contact already recorded with it, or None. Handed to
    field_entry_submit in the command, it is the service's own idempotency check without a
    second read; the service reads the key itself when the lookup is for another responder or
    another key, or when there is none."""

    responder_id: Any
    key: uuid.UUID
    found: Encounter | None


@dataclass(frozen=True)
class FieldEntry:
    """One contact recorded in the field, under a pathway: who met whom, when and where, what
    the person needs, the outcome (a referral to `service`), the pathway's own details, and the
    submission's idempotency key and body digest (core.idempotency).

    `program_pathway` is the program's row for `pathway` with its current configuration, as
    read when the form was shown (programs.selectors.startable_pathway): the contact records
    that configuration, and encounter_create checks the actor may start the pathway from it
    without reading it again. `key_lookup` is the same for the idempotency key."""

    agency: Agency
    pathway: Pathway
    occurred_at: dt.datetime
    call_source: str
    presenting_needs: tuple[str, ...]
    disposition: str
    person: Person | None = None
    new_person: NewPerson | None = None
    location_text: str = ""
    service: Service | None = None
    warm_handoff: bool = False
    capacity_override_reason: str = ""
    notes: str = ""
    idempotency_key: uuid.UUID | None = None
    idempotency_digest: str = ""
    program_pathway: ProgramPathway | None = None
    eligibility_answers: Mapping[str, Any] = field(default_factory=dict)
    details: PathwayDetails = field(default_factory=PathwayDetails)
    contact: ContactInput | None = None
    key_lookup: KeyLookup | None = None
