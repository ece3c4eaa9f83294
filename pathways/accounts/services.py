"""Writes for agencies, users and their memberships."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError

from pathways.accounts.models import Agency, AgencyKind, Membership, Role, User
from pathways.audit.services import audit_log, created
from pathways.core.services import service
from pathways.core.validators import clean_text_field
from pathways.programs.models import Program

AGENCY_FIELDS = ["program", "name", "kind"]


@service
def agency_create(*, actor: Any, program: Program, name: str, kind: str) -> Agency:
    """Add an agency (a partner organisation) to the program; names are unique in a program."""
    clean_name = clean_text_field(
        name, field="name", label="agency name", max_length=200, required=True, one_line=True
    )
    if kind not in AgencyKind.values:
        raise ValidationError({"kind": f"{kind!r} is not a kind of agency."})
    if Agency.objects.filter(program=program, name__iexact=clean_name).exists():
        raise ValidationError({"name": f"The program already has an agency called {clean_name}."})
    agency = Agency.objects.create(program=program, name=clean_name, kind=kind)
    audit_log(
        actor=actor, event_type="agency.create", obj=agency, changes=created(agency, AGENCY_FIELDS)
    )
    return agency


@service
def member_create(
    *, actor: Any, agency: Agency, role: str, username: str, email: str = ""
) -> Membership:
    """A new user holding `role` at `agency`. The user has no password until one is set (for
    example with ``manage.py changepassword``), so the account cannot be used before then."""
    if role not in Role.values:
        raise ValidationError({"role": f"{role!r} is not a role."})
    user = User(username=username.strip(), email=email.strip())
    user.set_unusable_password()
    try:
        user.full_clean(exclude=["password"])
    except ValidationError as exc:
        raise ValidationError(
            {f"user_{key}": messages for key, messages in exc.message_dict.items()}
        ) from exc
    user.save()
    audit_log(actor=actor, event_type="user.create", obj=user, changes=created(user, ["username"]))
    membership = Membership.objects.create(user=user, agency=agency, role=role)
    audit_log(
        actor=actor,
        event_type="membership.create",
        obj=membership,
        changes=created(membership, ["user", "agency", "role"]),
    )
    return membership
