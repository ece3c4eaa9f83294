"""What the API reads and writes. Every body refuses fields it does not know (a client cannot
set a referral's status, agency or person by adding them) and takes each value with its exact
JSON type (no "3" for 3)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Literal

from django.core.exceptions import ValidationError as DjangoValidationError
from ninja import Schema
from pydantic import ConfigDict, Field, StrictInt, StrictStr, ValidationInfo, field_validator

from pathways.core.validators import validate_clean_text
from pathways.referrals.models import DeclineReason, ReferralStatus

NOTE_MAX = 500


class Body(Schema):
    model_config = ConfigDict(extra="forbid", strict=True)


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


class ProblemOut(Schema):
    """An RFC 9457 problem detail (sent as application/problem+json)."""

    type: str
    title: str
    status: int
    detail: str
    errors: list[dict[str, str]] | None = None
    instance: str | None = None


REFERRAL_STATUSES = tuple(ReferralStatus.values)
