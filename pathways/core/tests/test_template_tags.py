from __future__ import annotations

import pytest

from pathways.core.templatetags.pathways_tags import tel_href


@pytest.mark.parametrize(
    ("typed", "href"),
    [
        ("+1 (555) 010-2000 ext. 4", "+15550102000,4"),
        ("555-0100", "5550100"),
        ("(541) 555 0199 x12", "5415550199,12"),
        ("", ""),
        ("n/a", ""),
        ("javascript:alert(1)", "1"),
    ],
)
def test_a_typed_number_becomes_a_tap_to_call_target(typed: str, href: str) -> None:
    assert tel_href(typed) == href


def test_code_spans_escapes_then_marks_backticks() -> None:
    from pathways.core.templatetags.pathways_tags import code_spans

    assert code_spans("From the previous page's `next`") == (
        "From the previous page&#x27;s <code>next</code>"
    )
    assert code_spans("`<script>` & <b>") == "<code>&lt;script&gt;</code> &amp; &lt;b&gt;"
    assert code_spans("an odd ` tick") == "an odd ` tick"
    assert code_spans("") == ""
