from __future__ import annotations

from typing import Any

from django import forms

from pathways.core.forms import Form


class CapacityForm(Form):
    capacity_open = forms.IntegerField(
        label="Open now",
        min_value=0,
        max_value=10000,
        error_messages={
            "required": "Enter how many slots are open now.",
            "invalid": "Enter a whole number.",
            "min_value": "Open slots cannot be negative.",
        },
    )
    capacity_total = forms.IntegerField(
        label="Offered in total",
        min_value=0,
        max_value=10000,
        error_messages={
            "required": "Enter how many slots you offer in total.",
            "invalid": "Enter a whole number.",
            "min_value": "The total cannot be negative.",
        },
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        open_now, total = data.get("capacity_open"), data.get("capacity_total")
        if open_now is not None and total is not None and open_now > total:
            self.add_error(
                "capacity_open",
                f"Open slots ({open_now}) cannot exceed the total offered ({total}).",
            )
        return data


def capacity_override_problem(service: Any, reason: str) -> str | None:
    """A referral to a service showing no open capacity needs a reason (None when fine)."""
    if service.capacity_open == 0 and not reason:
        return (
            f"{service.name} shows no open capacity. Say why you are referring anyway (for "
            "example, the provider confirmed a slot by phone)."
        )
    return None
