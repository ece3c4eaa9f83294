"""The contact pages: start a contact, the field form (and the two parts of it the browser
refreshes), a contact's page with the supervisor's eligibility decision, and "Our contacts".
They compose encounters with people, referrals, followups, surveillance and consent, so they
live in the workflow layer (docs/decisions/0023). Their URLs keep the "encounters" namespace
(contact_urls.py) and their templates stay in encounters/templates."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import IntegrityError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from pathways.accounts.access import SignedInRequest, role_required
from pathways.accounts.models import Agency, Role
from pathways.accounts.selectors import agency_ids_for, has_role, program_for_user
from pathways.audit.services import audit_read, record_search
from pathways.consent.selectors import REDISCLOSURE_NOTICE
from pathways.core import clock
from pathways.core.deadlines import describe_due
from pathways.core.idempotency import body_digest
from pathways.directory.selectors import services_for_needs
from pathways.encounters.eligibility import EligibilityCheckForm, rules_of
from pathways.encounters.forms import ContactFilterForm, EligibilityReviewForm
from pathways.encounters.models import CrisisResponse, EligibilityReview, Encounter
from pathways.encounters.selectors import (
    contacts_filtered,
    encounter_for_user,
    encounters_visible_to,
)
from pathways.followups.selectors import work_items_of_contact
from pathways.followups.services import work_items_disclosures_record
from pathways.people.selectors import SEARCH_ROLES
from pathways.programs.models import ProgramPathway
from pathways.programs.selectors import (
    enabled_pathways,
    startable_pathway,
    startable_pathways,
    starting_agency,
)
from pathways.programs.vocabulary import Need
from pathways.referrals.disclosure import referral_for_viewer, referrals_for_viewer
from pathways.referrals.selectors import history_of
from pathways.surveillance.models import OverdoseEvent
from pathways.surveillance.selectors import overdoses_of_person
from pathways.workflow.commands import FieldEntry, KeyLookup
from pathways.workflow.forms import FieldEntryForm
from pathways.workflow.selectors import key_lookup, may_identify
from pathways.workflow.services import (
    KEY_REUSED,
    FieldEntryResult,
    eligibility_review_decide,
    field_entry_submit,
    key_reused,
)

FIELD_ROLES = (Role.OFFICER, Role.SUPERVISOR, Role.OUTREACH)
#: What the contact page shows of the person and the contact (audited as a read).
ENCOUNTER_READ_FIELDS = ("person", "presenting_needs", "notes", "eligibility", "referrals")
ALREADY_RECORDED = "This contact was already recorded; nothing new was saved."


def _get_program_pathway_for_user(request: SignedInRequest, code: str) -> ProgramPathway:
    pp = startable_pathway(user=request.user, code=code)
    if pp is None:
        raise Http404("This pathway is not open to you.")
    return pp


def _get_encounter_for_user(request: SignedInRequest, encounter_id: uuid.UUID) -> Encounter:
    encounter = encounter_for_user(user=request.user, encounter_id=encounter_id)
    if encounter is None:
        raise Http404("No such contact.")
    return encounter


def _uuid_or_none(data: Any) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(data.get("idempotency_key", "")))
    except ValueError:
        return None


@role_required(*FIELD_ROLES)
def start(request: SignedInRequest) -> HttpResponse:
    recent = encounters_visible_to(user=request.user).filter(responder_id=request.user.pk)[:5]
    return render(
        request,
        "encounters/start.html",
        {"pathways": startable_pathways(user=request.user), "recent": recent},
    )


@role_required(*FIELD_ROLES)
def new(request: SignedInRequest, code: str) -> HttpResponse:
    """The field form of a pathway; a valid submission records the contact (field_entry_submit)
    and lands on its page."""
    pp = _get_program_pathway_for_user(request, code)
    agency = starting_agency(user=request.user, pp=pp)
    digest = body_digest(request.POST) if request.method == "POST" else ""
    reused = False
    seen: KeyLookup | None = None
    if request.method == "POST":
        # A resubmission (double tap, retry after a dropped connection) lands on what the first
        # submission recorded, before any validation that the first one changed the answer to.
        seen = key_lookup(user=request.user, key=_uuid_or_none(request.POST))
        already = seen.found if seen is not None else None
        if already is not None and key_reused(already, digest):
            reused = True  # the same key with another body: refused, and a fresh form
        elif already is not None:
            messages.info(request, ALREADY_RECORDED)
            return redirect("encounters:detail", encounter_id=already.pk)
    form = FieldEntryForm(
        None if reused else request.POST or None,
        program=pp.program,
        pathway=pp.pathway,
        config=pp.current_config,
    )
    if reused:
        messages.error(request, KEY_REUSED)
    if request.method == "GET":
        form.decision = form.decision_before_answers(clock.now())
    if request.method == "POST" and form.is_valid():
        entry = form.entry(
            agency=agency, program_pathway=pp, idempotency_digest=digest, key_lookup=seen
        )
        recorded = _submit(request, form, entry)
        if recorded is not None:
            return redirect("encounters:detail", encounter_id=recorded.pk)
    status = 409 if reused else 422 if form.is_bound else 200
    return _field_form(request, form, pp, agency, status=status)


def _submit(request: SignedInRequest, form: FieldEntryForm, entry: FieldEntry) -> Encounter | None:
    """Record the valid form's contact: the contact to show, or None with the refusal on the
    form. The same submission twice at once: the first one wins, the second lands on it."""
    try:
        result = field_entry_submit(actor=request.user, entry=entry)
    except IntegrityError:
        # The same submission arrived twice at once; the first one won.
        twin = key_lookup(user=request.user, key=entry.idempotency_key)
        found = twin.found if twin is not None else None
        if found is None:
            raise
        if not key_reused(found, entry.idempotency_digest):
            messages.info(request, ALREADY_RECORDED)
            return found
        form.add_service_error(ValidationError(KEY_REUSED))
    except ValidationError as exc:
        form.add_service_error(exc)
    else:
        if result.created:
            messages.success(request, _recorded_message(result))
        else:
            messages.info(request, ALREADY_RECORDED)
        return result.encounter
    return None


def _recorded_message(result: FieldEntryResult) -> str:
    return (
        "Contact recorded."
        + (" Referral sent." if result.referral else "")
        + (" Diversion case opened." if result.case else "")
        + "".join(f" {item.get_kind_display()} is on the worklist." for item in result.work_items)
    )


def _field_form(
    request: SignedInRequest,
    form: FieldEntryForm,
    pp: ProgramPathway,
    agency: Agency,
    *,
    status: int,
) -> HttpResponse:
    needs = request.POST.getlist("presenting_needs") if form.is_bound else pp.pathway.typical_needs
    partners = pp.current_config.partner_service_ids if pp.current_config else []
    return render(
        request,
        "encounters/new.html",
        {
            "form": form,
            "program_pathway": pp,
            "pathway": pp.pathway,
            "agency": agency,
            "services": services_for_needs(program=pp.program, needs=needs, only=partners),
            "chosen_service": form.data.get("service", "") if form.is_bound else "",
            "needs_initial": needs,
            "need_choices": Need.choices,
        },
        status=status,
    )


@role_required(*FIELD_ROLES)
def services_partial(request: SignedInRequest) -> HttpResponse:
    """The service list for the chosen needs, refreshed as the officer ticks them (htmx)."""
    program = program_for_user(user=request.user)
    if program is None:
        raise Http404
    partners: list[str] = []
    pp = startable_pathway(user=request.user, code=request.GET.get("pathway_code", ""))
    if pp is not None and pp.current_config is not None:
        partners = pp.current_config.partner_service_ids
    needs = [n for n in request.GET.getlist("presenting_needs") if n in Need.values]
    return render(
        request,
        "encounters/new.html#services",
        {
            "services": services_for_needs(program=program, needs=needs, only=partners),
            "chosen_service": request.GET.get("service", ""),
        },
    )


@role_required(*FIELD_ROLES)
def eligibility_partial(request: SignedInRequest, code: str) -> HttpResponse:
    """The decision under the pathway's rules, refreshed as the officer answers (htmx)."""
    pp = _get_program_pathway_for_user(request, code)
    config = pp.current_config
    form = EligibilityCheckForm(
        request.GET,
        rules=rules_of(config),
        with_charge=config is not None and "charge" in config.sections,
    )
    return render(
        request,
        "encounters/_eligibility.html",
        {"decision": form.decision(pp.program, clock.now())},
    )


@role_required(*FIELD_ROLES, Role.COORDINATOR, Role.ADMIN)
def detail(
    request: SignedInRequest,
    encounter_id: uuid.UUID,
    review_form: EligibilityReviewForm | None = None,
) -> HttpResponse:
    encounter = _get_encounter_for_user(request, encounter_id)
    audit_read(actor=request.user, obj=encounter, fields=ENCOUNTER_READ_FIELDS)
    referrals = [
        (r, referral_for_viewer(request.user, r, list(history_of(referral=r))))
        for r in encounter.referrals.select_related("service", "receiving_agency")
    ]
    now = clock.now()
    items = work_items_of_contact(encounter=encounter, viewer=request.user)
    # a provider's work item shown under the person's consent is a disclosure (42 CFR 2.24)
    work_items_disclosures_record(viewer=request.user, items=items)
    clocks = [(item, describe_due(item.due_at, now, encounter.program.time_zone)) for item in items]
    overdose = OverdoseEvent.objects.filter(encounter=encounter).first()
    review = (
        EligibilityReview.objects.filter(encounter=encounter).select_related("decided_by").first()
    )
    may_review = (
        review is None
        and encounter.eligibility_outcome == "supervisor_review"
        and encounter.agency_id in agency_ids_for(request.user, Role.SUPERVISOR)
    )
    return render(
        request,
        "encounters/detail.html",
        {
            "review": review,
            # a refused decision is shown with its message even when no decision is open
            "review_form": review_form or (EligibilityReviewForm() if may_review else None),
            "encounter": encounter,
            "referrals": referrals,
            "clocks": clocks,
            "overdose": overdose,
            "overdoses": overdoses_of_person(person=encounter.person) if overdose else [],
            "surrendered": list(encounter.surrendered_items.all()),
            "crisis": CrisisResponse.objects.filter(encounter=encounter).first(),
            "notice": REDISCLOSURE_NOTICE,
            "may_open_person": has_role(request.user, *SEARCH_ROLES),
            "may_identify": may_identify(viewer=request.user, person=encounter.person),
        },
    )


@require_POST
@role_required(Role.SUPERVISOR)
def eligibility_review(request: SignedInRequest, encounter_id: uuid.UUID) -> HttpResponse:
    """A supervisor decides what the rules left to a supervisor."""
    encounter = _get_encounter_for_user(request, encounter_id)
    form = EligibilityReviewForm(request.POST)
    if form.is_valid():
        try:
            eligibility_review_decide(
                actor=request.user,
                encounter=encounter,
                decision=form.cleaned_data["decision"],
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as exc:
            form.add_error(None, exc.messages if not hasattr(exc, "error_dict") else exc)
        else:
            messages.success(request, "Eligibility decided.")
            return redirect("encounters:detail", encounter_id=encounter.pk)
    response = detail(request, encounter_id, review_form=form)
    response.status_code = 422
    return response


#: Contacts per page of "Our contacts".
CONTACTS_PER_PAGE = 25


@role_required(*FIELD_ROLES, Role.COORDINATOR, Role.ADMIN)
def encounter_list(request: SignedInRequest) -> HttpResponse:
    """The contacts the user may see, 25 a page, with a name search and filters. A referral
    shows its progress where the person's consent (or the viewer's work) allows it."""
    program = program_for_user(user=request.user)
    if program is None:
        raise Http404
    choices = [
        (pp.pathway.code, pp.local_name or pp.pathway.name)
        for pp in enabled_pathways(program=program)
    ]
    form = ContactFilterForm(request.GET or None, pathways=choices)
    filters: dict[str, Any] = {}
    if form.is_bound and form.is_valid():
        filters = {k: v for k, v in form.cleaned_data.items() if v}
    qs = contacts_filtered(user=request.user, time_zone=program.time_zone, **filters)
    page = Paginator(qs.prefetch_related("referrals"), CONTACTS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    if filters.get("q"):
        record_search(
            actor=request.user,
            object_type="encounters.encounter",
            purpose="contact_list",
            results=page.paginator.count,
        )
    encounters = list(page.object_list)
    shown = referrals_for_viewer(request.user, [r for e in encounters for r in e.referrals.all()])
    for e in encounters:
        e.shown_referrals = [shown[r.pk] for r in e.referrals.all()]
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "encounters/list.html",
        {
            "form": form,
            "page": page,
            "encounters": encounters,
            "filtered": bool(filters),
            "query": query.urlencode(),
        },
        status=422 if form.errors else 200,
    )
