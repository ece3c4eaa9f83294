"""The reference points: a bare Django view that validates a small form and inserts two rows.

`bare_submit` has what any signed-in Django POST has here (the session, the user, the second
sign-in step's device, CSRF, the whole middleware stack) and nothing of Pathways' own work
(scoping, duplicate check, service lookup, audit, status history). Our field submit is reported
as a ratio to it, measured side by side on the same server.

`bare_submit_anonymous` is the same view with no session and no CSRF token, the kind of view
FIELD-NOTES measured at about 690 submits/s on these machines: what Django alone does here, and
so what the signed-in stack costs."""

from __future__ import annotations

import uuid

from django import forms
from django.contrib.auth.decorators import login_required
from django.db import connection, transaction
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

TABLES = {
    "bench_bare_contact": "id varchar(36) primary key, first_name varchar(80), "
    "last_name varchar(80), dob date, place varchar(200)",
    "bench_bare_referral": "id varchar(36) primary key, contact_id varchar(36), "
    "service_id varchar(36)",
}


def create_tables() -> None:
    with connection.cursor() as cursor:
        for name, columns in TABLES.items():
            cursor.execute(f"CREATE TABLE IF NOT EXISTS {name} ({columns})")


class BareForm(forms.Form):
    first_name = forms.CharField(max_length=80)
    last_name = forms.CharField(max_length=80)
    date_of_birth = forms.DateField()
    location_text = forms.CharField(max_length=200)
    service = forms.UUIDField()


@require_POST
@login_required
def bare_submit(request: HttpRequest) -> HttpResponse:
    return _insert_two_rows(request)


@csrf_exempt
@require_POST
def bare_submit_anonymous(request: HttpRequest) -> HttpResponse:
    return _insert_two_rows(request)


def _insert_two_rows(request: HttpRequest) -> HttpResponse:
    form = BareForm(request.POST)
    if not form.is_valid():
        return HttpResponseBadRequest("invalid")
    data = form.cleaned_data
    contact_id = str(uuid.uuid4())
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO bench_bare_contact VALUES (%s, %s, %s, %s, %s)",
            [
                contact_id,
                data["first_name"],
                data["last_name"],
                data["date_of_birth"],
                data["location_text"],
            ],
        )
        cursor.execute(
            "INSERT INTO bench_bare_referral VALUES (%s, %s, %s)",
            [str(uuid.uuid4()), contact_id, str(data["service"])],
        )
    return HttpResponse(status=302, headers={"Location": "/"})
