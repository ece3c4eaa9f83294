"""Writes for people."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError

from pathways.audit.services import audit_log, created, diff, snapshot
from pathways.core import clock
from pathways.core.models import clean_fields_only
from pathways.core.services import service
from pathways.people.matching import name_key, name_sound
from pathways.people.models import ContactDetails, Ethnicity, Identity, Language, Person, Sex

if TYPE_CHECKING:
    from pathways.accounts.models import User

PERSON_FIELDS = [
    "first_name",
    "middle_name",
    "last_name",
    "suffix",
    "date_of_birth",
    "sex",
    "races",
    "ethnicity",
    "postal_code",
    "identity",
    "estimated_birth_year",
    "description",
]
CONTACT_FIELDS = [
    "person",
    "agency",
    "phone",
    "texts_ok",
    "voicemail_ok",
    "best_time",
    "other_way",
    "language",
    "share_with_provider",
]
#: What the audit may not copy: how to reach a person is personal data.
CONTACT_REDACTED = ["phone", "best_time", "other_way"]


def _fill_keys(person: Person) -> None:
    person.first_name_key = name_key(person.first_name)
    person.last_name_key = name_key(person.last_name)
    person.last_name_sound = name_sound(person.last_name)


@service
def person_create(
    *,
    actor: User,
    agency: Any,
    first_name: str,
    last_name: str,
    date_of_birth: dt.date | None,
    middle_name: str = "",
    suffix: str = "",
    sex: str = Sex.UNKNOWN,
    races: list[str] | None = None,
    ethnicity: str = Ethnicity.UNKNOWN,
    postal_code: str = "",
    identity: str = Identity.KNOWN,
    estimated_birth_year: int | None = None,
    description: str = "",
) -> Person:
    """Record a person. A person without a name (`identity` unknown or withheld) is recorded
    with an approximate birth year and a description instead, and named later."""
    errors = unnamed_person_problems(
        identity=identity,
        first_name=first_name,
        last_name=last_name,
        estimated_birth_year=estimated_birth_year,
        description=description,
    )
    if errors:
        raise ValidationError(errors)
    named = identity == Identity.KNOWN
    person = Person(
        identity=identity,
        estimated_birth_year=None if named or date_of_birth else estimated_birth_year,
        description="" if named else " ".join(description.split()),
        first_name=first_name.strip(),
        middle_name=middle_name.strip(),
        last_name=last_name.strip(),
        suffix=suffix.strip(),
        date_of_birth=date_of_birth,
        sex=sex,
        races=sorted(set(races or [])),
        ethnicity=ethnicity,
        demographics_self_reported=bool(races) or ethnicity != Ethnicity.UNKNOWN,
        postal_code=postal_code.strip(),
        created_by_agency=agency,
    )
    _fill_keys(person)
    clean_fields_only(person)
    person.save()
    # Names and birth dates are personal data: the audit row records that they were set, not
    # their values (the row itself is the record of who created whom, when).
    audit_log(
        actor=actor,
        actor_agency=agency,
        event_type="person.create",
        obj=person,
        changes=created(person, PERSON_FIELDS, redact=PERSON_FIELDS),
    )
    return person


def unnamed_person_problems(
    *,
    identity: str,
    first_name: str,
    last_name: str,
    estimated_birth_year: int | None,
    description: str,
) -> dict[str, str]:
    """What is missing or wrong for this kind of person (empty when nothing)."""
    errors: dict[str, str] = {}
    if identity not in Identity.values:
        return {"identity": "Say whether the person's name is known."}
    if identity == Identity.KNOWN:
        if not first_name.strip():
            errors["first_name"] = "Enter the first name."
        if not last_name.strip():
            errors["last_name"] = "Enter the last name."
        return errors
    year = clock.now().year
    if estimated_birth_year is not None and not year - 120 <= estimated_birth_year <= year:
        errors["approximate_age"] = "Give an age between 0 and 120."
    if not " ".join(description.split()):
        errors["description"] = (
            "Describe the person so the team can recognise them (apparent age, build, clothing, "
            "marks)."
        )
    elif len(description) > 500:
        errors["description"] = "The description can have at most 500 characters."
    return errors


@service
def person_name(
    *,
    actor: User,
    agency: Any,
    person: Person,
    first_name: str,
    last_name: str,
    date_of_birth: dt.date | None,
) -> Person:
    """An unidentified person's name is now known (and they are nobody already in Pathways):
    the same record is named, and keeps every contact it has."""
    locked = Person.objects.select_for_update().get(pk=person.pk)
    if locked.is_named:
        raise ValidationError("This person already has a name.")
    if locked.is_archived:
        raise ValidationError("This record was already linked to a named person.")
    errors = unnamed_person_problems(
        identity=Identity.KNOWN,
        first_name=first_name,
        last_name=last_name,
        estimated_birth_year=None,
        description="",
    )
    if errors:
        raise ValidationError(errors)
    old = snapshot(locked, PERSON_FIELDS)
    locked.identity = Identity.KNOWN
    locked.first_name = first_name.strip()
    locked.last_name = last_name.strip()
    locked.date_of_birth = date_of_birth
    if date_of_birth is not None:
        locked.estimated_birth_year = None
    _fill_keys(locked)
    clean_fields_only(locked)
    locked.save()
    audit_log(
        actor=actor,
        actor_agency=agency,
        event_type="person.name",
        obj=locked,
        changes=diff(old, snapshot(locked, PERSON_FIELDS), redact=PERSON_FIELDS),
    )
    return locked


@service
def contact_details_record(
    *,
    actor: User,
    agency: Any,
    person: Person,
    phone: str = "",
    texts_ok: bool = False,
    voicemail_ok: bool = False,
    best_time: str = "",
    other_way: str = "",
    language: str = "",
    share_with_provider: bool = False,
) -> ContactDetails | None:
    """Record how to reach the person, as they gave it now (None when they gave nothing)."""
    errors = contact_details_problems(
        phone=phone,
        best_time=best_time,
        other_way=other_way,
        language=language,
        share_with_provider=share_with_provider,
    )
    if errors:
        raise ValidationError(errors)
    details = ContactDetails(
        person=person,
        agency=agency,
        recorded_by=actor,
        phone=" ".join(phone.split()),
        texts_ok=texts_ok and bool(phone.strip()),
        voicemail_ok=voicemail_ok and bool(phone.strip()),
        best_time=" ".join(best_time.split()),
        other_way=" ".join(other_way.split()),
        language=language,
        share_with_provider=share_with_provider,
    )
    if details.is_empty:
        return None
    clean_fields_only(details)
    details.save()
    audit_log(
        actor=actor,
        actor_agency=agency,
        event_type="contact_details.record",
        obj=details,
        changes=created(details, CONTACT_FIELDS, redact=CONTACT_REDACTED),
    )
    return details


PHONE_CHARACTERS = set("0123456789+-(). xXext")


def contact_details_problems(
    *, phone: str, best_time: str, other_way: str, language: str, share_with_provider: bool
) -> dict[str, str]:
    errors: dict[str, str] = {}
    phone = phone.strip()
    digits = sum(char.isdigit() for char in phone)
    if phone and (set(phone) - PHONE_CHARACTERS or not 7 <= digits <= 15):
        errors["phone"] = "Enter a phone number with 7 to 15 digits, e.g. (555) 010-2000."
    if language and language not in Language.values:
        errors["language"] = "Choose a language from the list."
    if len(best_time) > 100:
        errors["best_time"] = "Say when to reach them in at most 100 characters."
    if len(other_way) > 200:
        errors["other_way"] = "Say how else to reach them in at most 200 characters."
    for name, text in (("best_time", best_time), ("other_way", other_way)):
        if any(ord(char) < 32 for char in text):
            errors[name] = "Write this on one line, without hidden characters."
    if share_with_provider and not (phone or other_way.strip()):
        errors["share_with_provider"] = (
            "Give a phone number or another way to reach the person, or do not share."
        )
    return errors


@service
def person_link(*, actor: User, agency: Any, unidentified: Person, person: Person) -> Person:
    """An unidentified person turns out to be someone already in Pathways: every record of the
    unidentified one (contacts, referrals, overdoses, cases, work items, contact details...)
    moves to the named person, and the unidentified record is archived pointing to them.
    Nothing is deleted; the audit lists how many records of each kind moved."""
    locked = Person.objects.select_for_update().get(pk=unidentified.pk)
    if locked.is_named:
        raise ValidationError("Only a person recorded without a name is linked this way.")
    if locked.is_archived:
        raise ValidationError("This record was already linked to a named person.")
    target = Person.objects.filter(pk=person.pk).first()
    if target is None or target.is_archived or not target.is_named or target.pk == locked.pk:
        raise ValidationError({"person_choice": "Choose a named person who is in Pathways."})
    moved: dict[str, int] = {}
    for relation in Person._meta.related_objects:
        model = relation.related_model
        if not relation.one_to_many or isinstance(model, str) or model is Person:
            continue
        name = relation.field.name
        count = model._default_manager.filter(**{name: locked}).update(**{name: target})
        if count:
            moved[model._meta.label_lower] = count
    locked.merged_into = target
    locked.archived_at = clock.now()
    locked.archived_by = actor
    locked.archive_reason = "Identified as a person already in Pathways."
    locked.save(update_fields=["merged_into", "archived_at", "archived_by", "archive_reason"])
    audit_log(
        actor=actor,
        actor_agency=agency,
        event_type="person.link",
        obj=locked,
        changes={"merged_into": [None, str(target.pk)], "moved": [None, moved]},
    )
    return target
