"""What the API reads and writes. Every body refuses fields it does not know (a client cannot
set a referral's status, agency or person by adding them) and takes each value with its exact
JSON type (no "3" for 3)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Sequence
from typing import Annotated, Any, Literal

from django.core.exceptions import ValidationError as DjangoValidationError
from ninja import Schema
from pydantic import (
    AfterValidator,
    AwareDatetime,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StrictStr,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
)

from pathways.cases.models import OFFENCE_LEVEL_CHOICES, OFFENCE_TYPE_CHOICES, HeldChargeMode
from pathways.core.validators import validate_clean_text
from pathways.encounters.models import (
    CallSource,
    CrisisOutcome,
    CrisisTeamMember,
    Disposition,
    SurrenderedKind,
)
from pathways.people.models import Identity, Language
from pathways.programs.models import PathwayCode
from pathways.programs.vocabulary import Need
from pathways.referrals.models import DeclineReason, ReferralStatus
from pathways.surveillance.models import AdministeredBy

NOTE_MAX = 500


class Body(Schema):
    model_config = ConfigDict(extra="forbid", strict=True)


# --- typed values: strict bodies take JSON strings for dates, times, ids and codes ----------


def _one_of(values: Sequence[str]) -> Callable[[str], str]:
    allowed = tuple(values)

    def check(value: str) -> str:
        if value not in allowed:
            raise ValueError(f"Not one of: {', '.join(allowed)}.")
        return value

    return check


def _from_text(parse: Callable[[str], Any], what: str) -> Callable[[object], object]:
    """Strict mode takes a date, time or UUID only as that object: a JSON body sends text."""

    def convert(value: object) -> object:
        if not isinstance(value, str):
            raise ValueError(f"Send {what} as a JSON string.")
        try:
            return parse(value)
        except (ValueError, OverflowError) as exc:
            raise ValueError(f"Not {what}.") from exc

    return convert


def _clean(value: str) -> str:
    try:
        validate_clean_text(value)
    except DjangoValidationError as exc:
        raise ValueError(" ".join(exc.messages)) from exc
    return value


EARLIEST = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
LATEST = dt.datetime(9000, 1, 1, tzinfo=dt.UTC)


def _in_range(value: dt.datetime) -> dt.datetime:
    try:
        in_utc = value.astimezone(dt.UTC)
    except OverflowError as exc:
        raise ValueError("Not a time Pathways can record.") from exc
    if not EARLIEST <= in_utc < LATEST:
        raise ValueError("Not a time Pathways can record (1970 onwards).")
    return in_utc


def _codes(values: Sequence[str], description: str = "") -> WithJsonSchema:
    schema: dict[str, Any] = {"type": "string", "enum": list(values)}
    if description:
        schema["description"] = description
    return WithJsonSchema(schema)


Date = Annotated[dt.date, BeforeValidator(_from_text(dt.date.fromisoformat, "a date (YYYY-MM-DD)"))]
Moment = Annotated[
    AwareDatetime,
    BeforeValidator(
        _from_text(dt.datetime.fromisoformat, "a date and time with its UTC offset (RFC 3339)")
    ),
    AfterValidator(_in_range),
]
Id = Annotated[uuid.UUID, BeforeValidator(_from_text(uuid.UUID, "a UUID"))]
Text = Annotated[StrictStr, AfterValidator(_clean)]

FIELD_DISPOSITIONS = (
    Disposition.REFERRED.value,
    Disposition.DECLINED.value,
    Disposition.INFORMATION.value,
    Disposition.TRANSPORTED.value,
)
NeedCode = Annotated[StrictStr, AfterValidator(_one_of(Need.values)), _codes(Need.values)]
SurrenderedCode = Annotated[
    StrictStr, AfterValidator(_one_of(SurrenderedKind.values)), _codes(SurrenderedKind.values)
]
TeamMemberCode = Annotated[
    StrictStr, AfterValidator(_one_of(CrisisTeamMember.values)), _codes(CrisisTeamMember.values)
]

IdentityCode = Annotated[
    StrictStr, AfterValidator(_one_of(Identity.values)), _codes(Identity.values)
]
LANGUAGES = ("", *Language.values)
LanguageCode = Annotated[StrictStr, AfterValidator(_one_of(LANGUAGES)), _codes(LANGUAGES)]
GIVERS = tuple(v for v in AdministeredBy.values if v != AdministeredBy.NONE)
GiverCode = Annotated[StrictStr, AfterValidator(_one_of(GIVERS)), _codes(GIVERS)]
CrisisOutcomeCode = Annotated[
    StrictStr, AfterValidator(_one_of(CrisisOutcome.values)), _codes(CrisisOutcome.values)
]
ChargeModeCode = Annotated[
    StrictStr, AfterValidator(_one_of(HeldChargeMode.values)), _codes(HeldChargeMode.values)
]
OFFENCE_TYPES = tuple(c[0] for c in OFFENCE_TYPE_CHOICES)
OffenceTypeCode = Annotated[
    StrictStr, AfterValidator(_one_of(OFFENCE_TYPES)), _codes(OFFENCE_TYPES)
]
OFFENCE_LEVELS = tuple(c[0] for c in OFFENCE_LEVEL_CHOICES)
OffenceLevelCode = Annotated[
    StrictStr, AfterValidator(_one_of(OFFENCE_LEVELS)), _codes(OFFENCE_LEVELS)
]
PathwayCodeValue = Annotated[
    StrictStr, AfterValidator(_one_of(PathwayCode.values)), _codes(PathwayCode.values)
]
CallSourceCode = Annotated[
    StrictStr, AfterValidator(_one_of(CallSource.values)), _codes(CallSource.values)
]
DispositionCode = Annotated[
    StrictStr, AfterValidator(_one_of(FIELD_DISPOSITIONS)), _codes(FIELD_DISPOSITIONS)
]
Money = Annotated[float, Field(ge=0, le=100_000, allow_inf_nan=False)]


class StatusChangeOut(Schema):
    status: str = Field(description="A referral status (ReferralStatus)")
    at: dt.datetime


class ReferralOut(Schema):
    id: uuid.UUID
    encounter_id: uuid.UUID = Field(description="The contact the referral was made at")
    service_id: uuid.UUID
    service_name: str
    referring_agency: str
    receiving_agency: str
    warm_handoff: bool
    sent_at: dt.datetime
    status: str = Field(
        description="The status as your agency may see it: beyond `sent` only for the receiving "
        "provider, or under the person's written consent (42 CFR Part 2)"
    )
    status_label: str
    status_changed_at: dt.datetime = Field(description="When the status shown was reached")
    shared_under_consent: bool = Field(
        description="The status is shown to you under the person's consent: the redisclosure "
        "notice applies"
    )
    redisclosure_notice: str | None = None


class ReferralDetailOut(ReferralOut):
    history: list[StatusChangeOut]


class ReferralPage(Schema):
    items: list[ReferralOut]
    next: str | None = Field(description="The next page's address; null on the last page")


class AnswerIn(Body):
    """A provider's answer to a referral addressed to its agency."""

    decision: Literal["accept", "decline"]
    expected_status: Literal["sent", "received"] = Field(
        description="The status your system last read; if the referral has moved on since, "
        "nothing is changed and the answer is a 409 problem"
    )
    reason: DeclineReason | None = Field(
        default=None, description="Why it is declined (required to decline; only then)"
    )
    note: StrictStr = Field(default="", max_length=NOTE_MAX)

    @field_validator("reason", mode="before")
    @classmethod
    def _reason_from_text(cls, value: object) -> object:
        # strict mode takes an enum member only; JSON sends its value
        if isinstance(value, str) and value in DeclineReason.values:
            return DeclineReason(value)
        return value

    @field_validator("note")
    @classmethod
    def _clean_note(cls, value: str) -> str:
        try:
            validate_clean_text(value)
        except DjangoValidationError as exc:
            raise ValueError(" ".join(exc.messages)) from exc
        return value

    @field_validator("reason")
    @classmethod
    def _reason_only_to_decline(cls, value: object, info: ValidationInfo) -> object:
        if value is not None and info.data.get("decision") == "accept":
            raise ValueError("A reason is given only to decline.")
        return value


class CapacityIn(Body):
    capacity_open: StrictInt = Field(ge=0, le=100_000, description="Slots open now")
    capacity_total: StrictInt | None = Field(
        default=None, ge=0, le=100_000, description="Slots offered in all (unchanged if absent)"
    )


class CapacityOut(Schema):
    id: uuid.UUID
    name: str
    capacity_open: int
    capacity_total: int
    capacity_updated_at: dt.datetime | None


class ImportProblemOut(Schema):
    line: int = Field(description="The file's line (0: the file as a whole)")
    where: str = Field(description="The element or column")
    message: str = Field(description="What is wrong, never the value that was written")


class ImportJobOut(Schema):
    id: uuid.UUID
    kind: Literal["nemsis", "cad"]
    agency: str
    file_name: str
    file_size: int
    status: Literal["queued", "validating", "applying", "done", "refused", "failed"]
    percent: int = Field(description="How far the job is, 0 to 100")
    records: int = Field(description="Reports or calls read")
    added: int
    repeated: int = Field(description="Imported before: left as they were")
    skipped: int = Field(description="Not an opioid overdose / not a community response call")
    work_items: int = Field(description="Naloxone Plus follow-ups opened")
    problems: list[ImportProblemOut]
    more_problems: int = Field(description="Problems found beyond those listed")
    created_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None


class ImportJobPage(Schema):
    items: list[ImportJobOut]
    next: str | None = Field(description="The next page's address; null on the last page")


class ProblemOut(Schema):
    """An RFC 9457 problem detail (sent as application/problem+json)."""

    type: str
    title: str
    status: int
    detail: str
    errors: list[dict[str, str]] | None = None
    instance: str | None = None


REFERRAL_STATUSES = tuple(ReferralStatus.values)


# --- contacts ---------------------------------------------------------------------------------


class PersonIn(Body):
    """Who the contact was with: a named person (first and last name and date of birth), or
    someone who cannot or will not be named (an approximate age and a description)."""

    identity: IdentityCode = Identity.KNOWN.value
    first_name: Text = Field(default="", max_length=80)
    last_name: Text = Field(default="", max_length=80)
    date_of_birth: Date | None = None
    approximate_age: StrictInt | None = Field(default=None, ge=0, le=120)
    description: Text = Field(default="", max_length=500)
    existing_person_id: Id | None = Field(
        default=None,
        description="When the name and birth date match someone already in Pathways: the "
        "`person_id` of an earlier contact with them. Only a person they match can be chosen",
    )
    confirm_new: StrictBool = Field(
        default=False,
        description="When the name and birth date match someone already in Pathways but this "
        "is a different person: record a new person",
    )


class ReachIn(Body):
    """How to reach the person, as they gave it at the contact."""

    phone: StrictStr = Field(default="", max_length=40)
    texts_ok: StrictBool = False
    voicemail_ok: StrictBool = False
    best_time: Text = Field(default="", max_length=100)
    other_way: Text = Field(default="", max_length=200)
    language: LanguageCode = ""
    share_with_provider: StrictBool = Field(
        default=False,
        description="The person agrees that the service they are referred to may reach them so",
    )


class OverdoseIn(Body):
    naloxone_given: StrictBool
    naloxone_doses: StrictInt | None = Field(default=None, ge=1, le=20)
    administered_by: GiverCode | None = None
    fatal: StrictBool
    transported: StrictBool
    destination: Text = Field(default="", max_length=120, description="Where the person was taken")


class SurrenderIn(Body):
    kinds: list[SurrenderedCode] = Field(default_factory=list, max_length=len(SurrenderedKind))
    quantity: Text = Field(default="", max_length=60)
    disposal_method: Text = Field(default="", max_length=80)


class CompanionIn(Body):
    companion_id: Id | None = Field(
        default=None, description="The volunteer or peer (an outreach worker of the program)"
    )


class CrisisIn(Body):
    team_members: list[TeamMemberCode] = Field(min_length=1, max_length=len(CrisisTeamMember))
    arrived_at: Moment | None = None
    outcome: CrisisOutcomeCode


class ChargeIn(Body):
    mode: ChargeModeCode | None = Field(
        default=None, description="Only when the pathway's configuration leaves it open"
    )
    offence_type: OffenceTypeCode
    offence_level: OffenceLevelCode
    statute: Text = Field(default="", max_length=60)
    citation_number: Text = Field(default="", max_length=40)
    description: Text = Field(default="", max_length=200)
    fine_amount: Money | None = Field(default=None, description="Dollars and cents")
    fee_amount: Money | None = Field(default=None, description="Dollars and cents")


class SectionsIn(Body):
    """The pathway's own sections: send the ones its configuration asks (GET the pathway's
    form on the pages, or the integrator's guide); any other is refused."""

    overdose: OverdoseIn | None = None
    surrendered_items: SurrenderIn | None = None
    companion: CompanionIn | None = None
    crisis_team: CrisisIn | None = None
    charge: ChargeIn | None = None


FactAnswer = (
    StrictBool | StrictInt | Annotated[float, Field(allow_inf_nan=False)] | StrictStr | None
)


class ContactIn(Body):
    """A contact in the field under a pathway, as the field form records it."""

    pathway: PathwayCodeValue = Field(description="The pathway (PathwayCode)")
    occurred_at: Moment | None = Field(default=None, description="Now when absent")
    call_source: CallSourceCode
    presenting_needs: list[NeedCode] = Field(min_length=1, max_length=len(Need))
    location_text: Text = Field(min_length=1, max_length=200)
    disposition: DispositionCode
    service_id: Id | None = Field(default=None, description="The service referred to")
    warm_handoff: StrictBool = False
    capacity_override_reason: Text = Field(
        default="",
        max_length=300,
        description="Only when the service has no open capacity: why refer there anyway",
    )
    notes: Text = Field(default="", max_length=2000)
    person: PersonIn
    reach: ReachIn | None = None
    eligibility: dict[StrictStr, FactAnswer] = Field(
        default_factory=dict,
        max_length=50,
        description="Answers to the pathway's eligibility questions, by fact code; a number "
        "for a number, true/false for yes/no, the choice's code otherwise",
    )
    sections: SectionsIn = Field(default_factory=SectionsIn)


class ContactReferralOut(Schema):
    id: uuid.UUID
    service_id: uuid.UUID
    status: str


class ContactOut(Schema):
    id: uuid.UUID
    pathway: str
    occurred_at: dt.datetime
    disposition: str
    person_id: uuid.UUID = Field(description="The person, for a later contact with them")
    eligibility_outcome: str = Field(description="The rules' decision ('' when none apply)")
    referral: ContactReferralOut | None
    case_id: uuid.UUID | None = Field(description="The diversion case opened for a held charge")
    work_items: list[str] = Field(description="The kinds of follow-up opened (WorkKind)")


# --- overdoses --------------------------------------------------------------------------------


class OverdoseEventIn(OverdoseIn):
    """An overdose your agency responded to, reported from its own system."""

    occurred_at: Moment
    location_text: Text = Field(default="", max_length=200)
    area: Text = Field(default="", max_length=40, description="Beat, district or ZIP")


class OverdoseEventOut(Schema):
    id: uuid.UUID
    occurred_at: dt.datetime
    reporting_agency: str
    naloxone_given: bool
    naloxone_doses: int | None
    administered_by: str
    fatal: bool
    transported: bool
    source: str
