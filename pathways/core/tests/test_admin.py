from __future__ import annotations

from typing import Any

from django.test import Client
from django.urls import reverse

from pathways.accounts.factories import UserFactory
from pathways.audit.models import AuditEvent


def test_admin_edits_of_agencies_are_audited_and_domain_records_are_read_only(
    cast: Any,
) -> None:
    staff = UserFactory.create(username="root", is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(staff)
    url = reverse("admin:accounts_agency_change", args=[cast.police_a.pk])
    page = client.get(url)
    form = page.context["adminform"].form
    data = {k: v if v is not None else "" for k, v in form.initial.items()}
    data.update({"name": "Northside Police Dept.", "program": cast.program.pk})
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    event = AuditEvent.objects.get(event_type="agency.admin_change")
    assert event.actor == staff
    assert event.changes["name"] == ["Northside Police Department", "Northside Police Dept."]
    assert client.get(reverse("admin:people_person_add")).status_code == 403
    assert (
        client.get(reverse("admin:accounts_agency_delete", args=[cast.police_a.pk])).status_code
        == 403
    )
