"""The three match probabilities record linkage clusters at (issue 21; decision 0033).

The clusters the reports count people by are built at the auto-link probability
(`pathways.linkage.engine.model.AUTO_LINK`, 0.95): the *main* threshold. At every recluster
the same kept pairs, decisions and number links are also clustered at a stricter and a looser
threshold, so that a report can say how much its figures depend on where the line is drawn."""

from __future__ import annotations

MAIN, STRICT, LOOSE = "main", "strict", "loose"
#: In the order the reports show them: stricter, as reported, looser.
THRESHOLDS: tuple[str, ...] = (STRICT, MAIN, LOOSE)
#: Only pairs this likely link at the stricter threshold.
STRICT_LINK = 0.99
#: Pairs from this likely up link at the looser threshold (reviewed or not).
LOOSE_LINK = 0.80


def link_threshold(name: str) -> float:
    """The match probability a threshold links pairs from."""
    if name == STRICT:
        return STRICT_LINK
    if name == LOOSE:
        return LOOSE_LINK
    if name == MAIN:
        # the engine module imports pandas: read it only when a threshold is wanted
        from pathways.linkage.engine.model import AUTO_LINK

        return AUTO_LINK
    raise ValueError(f"unknown linkage threshold {name!r}")
