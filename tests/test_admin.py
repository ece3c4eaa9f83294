from __future__ import annotations

import datetime as dt
from typing import Any

from django.urls import reverse
from django.utils import timezone

from pathways.accounts.factories import UserFactory
from pathways.accounts.testing import verified_client
from pathways.audit.models import AuditEvent


def test_admin_edits_of_agencies_are_audited_and_domain_records_are_read_only(
    cast: Any,
) -> None:
    staff = UserFactory.create(username="root", is_staff=True, is_superuser=True)
    client = verified_client(staff)
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


def _user_change_data(page: Any) -> dict[str, Any]:
    """The admin's user change form as shown, with its membership inline, ready to post."""
    data: dict[str, Any] = {}
    form = page.context["adminform"].form
    for name, field in form.fields.items():
        value = form.initial.get(name, field.initial)
        if name == "password":
            continue
        if isinstance(value, dt.datetime):  # a split date and time widget
            local = timezone.localtime(value)
            data[f"{name}_0"], data[f"{name}_1"] = f"{local:%Y-%m-%d}", f"{local:%H:%M:%S}"
        elif isinstance(value, list | tuple):
            data[name] = [getattr(v, "pk", v) for v in value]
        elif isinstance(value, bool):
            if value:
                data[name] = "on"
        elif value is not None:
            data[name] = getattr(value, "pk", value)
    for formset in page.context["inline_admin_formsets"]:
        management = formset.formset.management_form
        for name in management.fields:
            data[f"{management.prefix}-{name}"] = management.initial.get(name, 0)
        for inline in formset.formset.initial_forms:
            prefix = inline.prefix
            data[f"{prefix}-id"] = inline.instance.pk
            data[f"{prefix}-user"] = inline.instance.user_id
            data[f"{prefix}-agency"] = inline.instance.agency_id
            data[f"{prefix}-role"] = inline.instance.role
            if inline.instance.is_active:
                data[f"{prefix}-is_active"] = "on"
    return data


def test_permission_changes_in_the_admin_are_audited(cast: Any) -> None:
    """A role changed, a membership added and superuser status granted are each audited as
    permission.change with the old and new values; a password is never recorded."""
    from django.contrib.auth.models import Group

    from pathways.accounts.models import Membership

    root = UserFactory.create(username="root", is_staff=True, is_superuser=True)
    Group.objects.create(name="Report readers")
    client = verified_client(root)
    url = reverse("admin:accounts_user_change", args=[cast.officer_a.pk])
    data = _user_change_data(client.get(url))
    membership = Membership.objects.get(user=cast.officer_a)
    prefix = "memberships-0"
    assert data[f"{prefix}-id"] == membership.pk
    data[f"{prefix}-role"] = "supervisor"
    data["is_superuser"] = "on"
    data["groups"] = [Group.objects.get().pk]
    # and a second membership, at the other police agency
    data["memberships-TOTAL_FORMS"] = 2
    data.update(
        {
            "memberships-1-user": cast.officer_a.pk,
            "memberships-1-agency": cast.police_b.pk,
            "memberships-1-role": "officer",
            "memberships-1-is_active": "on",
        }
    )
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors

    events = AuditEvent.objects.filter(event_type="permission.change", actor=root)
    changes = [event.changes for event in events]
    assert {"role": ["officer", "supervisor"]} in changes
    user_change = next(c for c in changes if "is_superuser" in c)
    assert user_change["is_superuser"] == ["False", "True"]
    assert user_change["groups"] == ["", "Report readers"]
    added = next(c for c in changes if c.get("agency", [None])[0] is None and "agency" in c)
    assert added["agency"][1] == str(cast.police_b)
    assert Membership.objects.filter(user=cast.officer_a).count() == 2


def test_a_user_added_in_the_admin_has_no_password_in_the_audit_log(cast: Any) -> None:
    root = UserFactory.create(username="root", is_staff=True, is_superuser=True)
    client = verified_client(root)
    secret = "Tr1cky-new-password-42"
    response = client.post(
        reverse("admin:accounts_user_add"),
        {
            "username": "new.officer",
            "password1": secret,
            "password2": secret,
            "usable_password": "true",
            "memberships-TOTAL_FORMS": 0,
            "memberships-INITIAL_FORMS": 0,
        },
    )
    assert response.status_code == 302
    event = AuditEvent.objects.get(event_type="user.admin_create")
    assert secret not in str(event.changes)
    assert event.changes["password1"] == ["[redacted]", "[redacted]"]
