from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from pathways.audit.models import AuditEvent
from pathways.directory.models import CapacityUpdate, Service


def post(cast: Any, user: Any, service: Service, **data: Any) -> Any:
    payload = {f"{service.pk}-{k}": v for k, v in data.items()}
    return cast.client_for(user).post(reverse("directory:capacity", args=[service.pk]), payload)


def test_provider_updates_own_capacity(cast: Any) -> None:
    response = post(cast, cast.intake_p, cast.detox_p, capacity_open=7, capacity_total=12)
    assert response.status_code == 302
    cast.detox_p.refresh_from_db()
    assert (cast.detox_p.capacity_open, cast.detox_p.capacity_total) == (7, 12)
    assert cast.detox_p.capacity_updated_by == cast.intake_p
    assert AuditEvent.objects.filter(event_type="service.capacity_set").count() == 1


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"capacity_open": 9, "capacity_total": 5}, "cannot exceed the total"),
        ({"capacity_open": -1, "capacity_total": 5}, "cannot be negative"),
        ({"capacity_open": "lots", "capacity_total": 5}, "whole number"),
        ({"capacity_total": 5}, "Enter how many slots are open now."),
    ],
)
def test_bad_capacity_is_refused_and_nothing_changes(
    cast: Any, data: dict[str, Any], message: str
) -> None:
    response = post(cast, cast.intake_p, cast.detox_p, **data)
    assert response.status_code == 422
    assert message in response.content.decode()
    cast.detox_p.refresh_from_db()
    assert (cast.detox_p.capacity_open, cast.detox_p.capacity_total) == (3, 10)
    assert CapacityUpdate.objects.count() == 0


def test_other_provider_cannot_update(cast: Any) -> None:
    assert (
        post(cast, cast.intake_q, cast.detox_p, capacity_open=1, capacity_total=1).status_code
        == 404
    )
    assert (
        post(cast, cast.officer_a, cast.detox_p, capacity_open=1, capacity_total=1).status_code
        == 403
    )
    cast.detox_p.refresh_from_db()
    assert cast.detox_p.capacity_open == 3


def test_directory_lists_services_with_capacity(cast: Any) -> None:
    html = cast.client_for(cast.officer_a).get(reverse("directory:services")).content.decode()
    assert "3 of 10 open" in html
    assert "No open capacity" in html
    assert "Update capacity" not in html  # officers do not edit
    own = cast.client_for(cast.intake_p).get(reverse("directory:services")).content.decode()
    assert own.count("Update capacity") == 2  # the two services of provider P


def test_directory_has_each_services_number_to_tap(cast: Any) -> None:
    Service.objects.filter(pk=cast.detox_p.pk).update(phone="555-010-2000")
    html = cast.client_for(cast.officer_a).get(reverse("directory:services")).content.decode()
    card = html.split(cast.detox_p.name, 1)[1].split("usa-card__body", 1)[0]
    assert 'href="tel:5550102000"' in card and "Call 555-010-2000" in card
    # a service with no number, nor its organisation, shows no link
    assert html.count('href="tel:') == 1
