from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from pathways.people.matching import name_key, name_sound, score_pair

D = dt.date(1990, 6, 1)


def test_name_key_folds_accents_case_and_punctuation() -> None:
    assert name_key("José-María O'Neil") == "josemariaoneil"
    assert name_sound("Whitfield") == name_sound("Whitfeld")


def test_same_person_with_typo_is_likely() -> None:
    assert score_pair("Dana", "Whitfield", D, "Dana", "Whitfeld", D).is_likely
    assert score_pair("Dan", "Whitfield", D, "Dana", "Whitfield", D).is_likely
    swapped = dt.date(1990, 1, 6)
    assert score_pair("Dana", "Whitfield", D, "Dana", "Whitfield", swapped).is_likely


def test_different_people_are_not_likely() -> None:
    assert not score_pair("Dana", "Whitfield", D, "Marcus", "Okafor", D).is_likely
    assert not score_pair(
        "Dana", "Whitfield", D, "Dana", "Whitfield", dt.date(1961, 11, 23)
    ).is_likely


@settings(deadline=None)  # timing is not under test; a busy CI machine must not flake it
@given(st.text(max_size=30), st.text(max_size=30))
def test_score_is_symmetric_and_bounded(a: str, b: str) -> None:
    one = score_pair(a, "Smith", D, b, "Smith", D).score
    two = score_pair(b, "Smith", D, a, "Smith", D).score
    assert one == two
    assert 0.0 <= one <= 1.0
