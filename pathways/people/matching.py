"""Name normalisation and the likely-duplicate score used when a person is created."""

from __future__ import annotations

import datetime as dt
import unicodedata
from dataclasses import dataclass

import jellyfish


def name_key(value: str) -> str:
    """Lower-case ASCII letters only: 'José-María O'Neil' -> 'josemariaoneil'."""
    folded = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode()
    return "".join(ch for ch in folded.lower() if ch.isalpha())


def name_sound(value: str) -> str:
    key = name_key(value)
    return jellyfish.soundex(key) if key else ""


def _dates_close(a: dt.date, b: dt.date) -> bool:
    """Same date, or a typical keying slip: day and month swapped, or one field off."""
    if a == b:
        return True
    if (a.day, a.month, a.year) == (b.month, b.day, b.year):
        return True
    same = (a.year == b.year) + (a.month == b.month) + (a.day == b.day)
    return same == 2


#: the hand-written score from which a pair is a likely duplicate
LIKELY = 0.85


@dataclass(frozen=True)
class MatchScore:
    """How likely a candidate is the same person (0-1) and why, in words. `threshold` is the
    score from which the check offers it: LIKELY for score_pair, the linkage model's review
    band for its probability (pathways.linkage.duplicates)."""

    score: float
    reasons: tuple[str, ...]
    threshold: float = LIKELY

    @property
    def is_likely(self) -> bool:
        return self.score >= self.threshold


def score_pair(
    first_a: str,
    last_a: str,
    dob_a: dt.date | None,
    first_b: str,
    last_b: str,
    dob_b: dt.date | None,
) -> MatchScore:
    """How likely two name/birth-date records are the same person (0–1) and why."""
    fa, la, fb, lb = name_key(first_a), name_key(last_a), name_key(first_b), name_key(last_b)
    last_sim = jellyfish.jaro_winkler_similarity(la, lb) if la and lb else 0.0
    first_sim = jellyfish.jaro_winkler_similarity(fa, fb) if fa and fb else 0.0
    # Initials and common short forms ("Bob"/"Robert") are not caught here; a program with a
    # trained linkage model checks with it instead (pathways.linkage.duplicates).
    if fa and fb and (fa.startswith(fb) or fb.startswith(fa)):
        first_sim = max(first_sim, 0.9)
    reasons: list[str] = []
    if last_sim >= 0.9:
        reasons.append("same or similar last name")
    if first_sim >= 0.9:
        reasons.append("same or similar first name")
    name_score = 0.6 * last_sim + 0.4 * first_sim
    if dob_a and dob_b:
        if dob_a == dob_b:
            reasons.append("same date of birth")
            score = 0.5 + 0.5 * name_score
        elif _dates_close(dob_a, dob_b):
            reasons.append("nearly the same date of birth")
            score = 0.35 + 0.55 * name_score
        else:
            score = 0.6 * name_score
    else:
        score = 0.9 * name_score
    return MatchScore(round(score, 3), tuple(reasons))
