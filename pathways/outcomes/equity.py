"""The relative rate index (RRI) of the equity reports: how often a decision point happens to a
group compared with a reference group, with its 95% confidence interval.

For a decision point (eligible, offered, accepted, engaged, completed …) each group has a number
of people who reached it (`events`) out of the people at the step before (`base`). The RRI is the
group's rate divided by the reference group's rate; 1 means parity. The interval is the usual
one for a ratio of two proportions (Katz's log method): the standard error of ln(RRI) is
sqrt(1/a − 1/n₁ + 1/b − 1/n₂); the interval is exp(ln RRI ± 1.96·SE). An interval that excludes 1
is flagged. A rate that is 0, or a base of 0, gives no index (None), and the report says why.
When a whole group reached the decision point, 0.5 is added to each cell for the interval."""

from __future__ import annotations

import math
from dataclasses import dataclass

Z_95 = 1.959963984540054  # the standard normal's 97.5th percentile


@dataclass(frozen=True)
class RelativeRate:
    rri: float | None
    low: float | None
    high: float | None
    why_none: str = ""

    @property
    def flagged(self) -> bool:
        """The interval excludes parity (1): a difference the data support."""
        if self.low is None or self.high is None:
            return False
        return self.high < 1 or self.low > 1


def relative_rate(events: int, base: int, ref_events: int, ref_base: int) -> RelativeRate:
    """The RRI of a group (events of base) against the reference group (ref_events of ref_base),
    with its 95% interval."""
    _not_negative(events=events, base=base, ref_events=ref_events, ref_base=ref_base)
    if events > base or ref_events > ref_base:
        raise ValueError("events cannot exceed the base they are counted from")
    if base == 0 or ref_base == 0:
        return RelativeRate(None, None, None, "No one in the group or the reference group.")
    if ref_events == 0:
        return RelativeRate(None, None, None, "The reference group's rate is 0.")
    if events == 0:
        return RelativeRate(0.0, None, None, "The group's rate is 0; no interval.")
    rri = (events / base) / (ref_events / ref_base)
    a, n1, b, n2 = float(events), float(base), float(ref_events), float(ref_base)
    if a == n1 or b == n2:
        # Everyone in a group reached the decision: Katz's error would be too small (one term is
        # 0), so 0.5 is added to each cell (Haldane-Anscombe) for the interval only.
        a, n1, b, n2 = a + 0.5, n1 + 1, b + 0.5, n2 + 1
    se = math.sqrt(1 / a - 1 / n1 + 1 / b - 1 / n2)
    log = math.log(rri)
    return RelativeRate(rri, math.exp(log - Z_95 * se), math.exp(log + Z_95 * se))


def rate_ratio(events: int, residents: int, ref_events: int, ref_residents: int) -> RelativeRate:
    """Contacts per resident of a group against the reference group's, with its 95% interval.

    Contacts are counted events (a person may have several), so they are treated as Poisson
    counts over the residents as exposure: the standard error of ln(ratio) is
    sqrt(1/a + 1/b). The window's length is the same for both groups and cancels out."""
    _not_negative(
        events=events, residents=residents, ref_events=ref_events, ref_residents=ref_residents
    )
    if residents == 0 or ref_residents == 0:
        return RelativeRate(None, None, None, "No population figure for the group.")
    if ref_events == 0:
        return RelativeRate(None, None, None, "The reference group's rate is 0.")
    if events == 0:
        return RelativeRate(0.0, None, None, "The group's rate is 0; no interval.")
    ratio = (events / residents) / (ref_events / ref_residents)
    se = math.sqrt(1 / events + 1 / ref_events)
    log = math.log(ratio)
    return RelativeRate(ratio, math.exp(log - Z_95 * se), math.exp(log + Z_95 * se))


def _not_negative(**counts: int) -> None:
    for name, value in counts.items():
        if value < 0:
            raise ValueError(f"{name} cannot be negative")
