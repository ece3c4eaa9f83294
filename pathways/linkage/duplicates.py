"""The field entry's duplicate check through the program's trained linkage model (issue 21,
decision 0033 "Duplicate check at field entry").

The people the database finds for the name and birth date being entered (the blocking of
people.selectors.duplicate_block) are scored by the model's quick path
(engine/quick.py: the same comparisons and weights as Splink, in plain Python, neutral term
frequencies); those at or above the review band are offered, best first, with what agrees in
words. A program without a trained model keeps the hand-written check
(people.selectors.person_duplicates). Only the program's own people are ever candidates."""

from __future__ import annotations

import datetime as dt
import functools
import json
import logging
from typing import TYPE_CHECKING, Any

from pathways.linkage.models import LinkageModel
from pathways.linkage.sources import PERSON, PERSON_FIELDS, person_records, record_key
from pathways.people.matching import MatchScore
from pathways.people.models import Person
from pathways.people.selectors import (
    MAX_CANDIDATES,
    PERSON_COLUMNS,
    Candidate,
    duplicate_block,
    person_duplicates,
)

if TYPE_CHECKING:
    from pathways.linkage.engine.quick import PairScore, QuickScorer

logger = logging.getLogger(__name__)

#: the review band of engine.model (REVIEW_BAND): a pair from here up goes to a reviewer, so
#: the field entry offers it too. Kept here so that a check without a model, or before the
#: engine is loaded, does not import it (and pandas with it).
REVIEW_BAND = 0.50

#: what agrees, in words, per (comparison, level label); a level missing here (a different
#: name, the twins check) gives no reason
REASONS: dict[tuple[str, str], str] = {
    ("first_name", "exact"): "same first name",
    ("first_name", "same name (nickname)"): "first name is a known nickname or other form",
    ("first_name", "close (JW>0.92)"): "first name spelled nearly the same",
    ("first_name", "one edit"): "first name one letter off",
    ("first_name", "first and last swapped"): "first and last names swapped",
    ("first_name", "matches middle name or alias"): "first name matches a middle or other name",
    ("first_name", "similar (JW>0.8)"): "similar first name",
    ("last_name", "exact"): "same last name",
    ("last_name", "shares a surname part or alias"): "shares a last name or other name",
    ("last_name", "close (JW>0.92)"): "last name spelled nearly the same",
    ("last_name", "one edit"): "last name one letter off",
    ("last_name", "similar (JW>0.8)"): "similar last name",
    ("dob", "exact"): "same date of birth",
    ("dob", "day and month swapped"): "date of birth with day and month swapped",
    ("dob", "year off by one"): "born the same day, a year apart",
    ("dob", "one-digit typo or within a week"): "nearly the same date of birth",
    ("sex", "same"): "same sex",
    ("postal_code", "same ZIP"): "same ZIP code",
    ("postal_code", "same 3-digit area"): "nearby ZIP code",
    ("address", "same number and street"): "same address",
    ("address", "close"): "similar address",
    ("phone", "same"): "same phone number",
    ("phone", "one digit off"): "phone number one digit off",
    ("ext_ids", "a shared id"): "a number in another system is the same",
}

#: the record being entered, as the engine keys it (it is never stored)
_NEW = "person:new"


def newest_model_id(*, program: Any) -> Any | None:
    """The id of the program's newest trained model (None: it has none). One query."""
    return (
        LinkageModel.objects.filter(program=program)
        .order_by("-created_at")
        .values_list("pk", flat=True)
        .first()
    )


@functools.lru_cache(maxsize=16)
def _scorer(model_id: Any) -> QuickScorer | None:
    """The model's quick scorer, parsed once per process (a model version is never
    changed, so its id names it for good). None for a model the quick path cannot score."""
    from pathways.linkage.engine.model import TrainedModel
    from pathways.linkage.engine.quick import QuickScorer, UnsupportedModel

    parameters = LinkageModel.objects.values_list("parameters", flat=True).get(pk=model_id)
    try:
        return QuickScorer(TrainedModel.from_json(json.dumps(parameters)))
    except (UnsupportedModel, KeyError, TypeError, ValueError):
        logger.warning("linkage model %s cannot score the duplicate check quickly", model_id)
        return None


def scorer_for(*, program: Any) -> QuickScorer | None:
    """The quick scorer of the program's newest model (None: no model, or one it cannot
    score)."""
    model_id = newest_model_id(program=program) if program is not None else None
    return _scorer(model_id) if model_id is not None else None


def reasons(score: PairScore) -> tuple[str, ...]:
    """What agrees and counts for the pair (a level weighing for it), in words."""
    return tuple(
        REASONS[(level.field, level.label)]
        for level in score.levels
        if level.weight > 0 and (level.field, level.label) in REASONS
    )


def likely_duplicates(
    *,
    program: Any,
    first_name: str,
    last_name: str,
    date_of_birth: dt.date | None,
    sex: str | None = None,
    postal_code: str | None = None,
    phone: str | None = None,
    limit: int = 5,
) -> list[Candidate]:
    """People of `program` who may be the one being entered, best first: by the program's
    newest trained linkage model when it has one (probability at or above the review band),
    else by the hand-written check (people.selectors.person_duplicates, which reads only
    the names and birth date). Only the program's own people are candidates: a namesake known
    only to another program is never offered (CJIS, 42 CFR Part 2).

    With a model: five queries whatever the number of candidates (the model's id, the
    blocked people, their other names, their numbers, their phones), and a sixth the first
    time a process meets a model version."""
    if program is None:
        return []
    scorer = scorer_for(program=program)
    if scorer is None:
        return person_duplicates(
            program=program,
            first_name=first_name,
            last_name=last_name,
            date_of_birth=date_of_birth,
            limit=limit,
        )
    block = duplicate_block(
        program=program,
        first_name=first_name,
        last_name=last_name,
        date_of_birth=date_of_birth,
        near_dates=True,
    )
    if block is None:
        return []
    columns = tuple(dict.fromkeys((*PERSON_FIELDS, *PERSON_COLUMNS)))
    people = list(block.values(*columns)[:MAX_CANDIDATES])
    if not people:
        return []
    entered = {
        "unique_id": _NEW,
        "source": "pathways",
        "first_name": first_name or None,
        "last_name": last_name or None,
        "dob": date_of_birth.isoformat() if date_of_birth else None,
        "sex": sex or None,
        "postal_code": postal_code or None,
        "phone": phone or None,
    }
    best = scorer.best(entered, person_records(people), top=limit, threshold=REVIEW_BAND)
    by_key = {record_key(PERSON, person["id"]): person for person in people}
    return [
        Candidate(
            Person(**{c: by_key[score.unique_id][c] for c in PERSON_COLUMNS}),
            MatchScore(score.match_probability, reasons(score), threshold=REVIEW_BAND),
        )
        for score in best
    ]
