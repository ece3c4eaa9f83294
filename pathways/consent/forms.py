"""The provider's consent form (every 42 CFR 2.31 element) and the revocation form."""

from __future__ import annotations

from typing import Any

from django import forms

from pathways.accounts.models import Agency, Role
from pathways.consent.models import ConsentKind, ExpiryEvent, InfoCategory, SignatureMethod
from pathways.consent.services import MAX_CONSENT_YEARS, MAX_DOCUMENT_BYTES, ScannedCopy
from pathways.core.forms import DateInput, Form
from pathways.core.validators import validate_clean_text

RECIPIENT_ROLE_CHOICES = [
    (Role.OFFICER, "Officers, firefighters, paramedics"),
    (Role.SUPERVISOR, "Supervisors"),
    (Role.OUTREACH, "Outreach team, peers, clinicians"),
    (Role.CASE_MANAGER, "Case managers"),
    (Role.PROSECUTOR, "The prosecutor monitoring the case"),
]
DEFAULT_REVOCATION = (
    "You may revoke this consent at any time, except for what has already been disclosed, by "
    "telling the provider's staff in person, by phone or in writing."
)
#: The form's suggested intermediary ({program}: the program's name) and purpose; the printable
#: consent (pdf.py) translates them when the record holds them unchanged.
DEFAULT_INTERMEDIARY = "Pathways, the information system of {program}"
DEFAULT_PURPOSE = (
    "So the responder who referred the person knows whether they connected with treatment."
)


class ConsentForm(Form):
    kind = forms.ChoiceField(
        label="Kind of consent", choices=ConsentKind.choices, widget=forms.RadioSelect
    )
    categories = forms.MultipleChoiceField(
        label="What may be shared",
        choices=InfoCategory.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    recipient_agency = forms.ChoiceField(label="Shared with (agency)")
    recipient_roles = forms.MultipleChoiceField(
        label="Who at that agency",
        choices=RECIPIENT_ROLE_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    intermediary = forms.CharField(
        label="Through (intermediary)", max_length=200, validators=[validate_clean_text]
    )
    purpose = forms.CharField(
        label="Purpose", max_length=300, required=False, validators=[validate_clean_text]
    )
    revocation_statement = forms.CharField(
        label="The right to revoke, as the person read it",
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        validators=[validate_clean_text],
    )
    expires_on = forms.DateField(
        label="Ends on",
        required=False,
        widget=DateInput(),
        help_text=(
            "The date the person chooses: one year after signing is suggested, at most "
            f"{MAX_CONSENT_YEARS} years."
        ),
    )
    expiry_event = forms.ChoiceField(
        label="Or ends earlier, at an event (optional)",
        choices=ExpiryEvent.choices,
        required=False,
        help_text=(
            "Sharing stops the moment the event happens, so the agency it is shared with does "
            "not learn that outcome (for example that the person completed treatment)."
        ),
    )
    revocable_after = forms.DateField(
        label="Criminal-justice consent: cannot be revoked before",
        required=False,
        widget=DateInput(),
    )
    revocable_after_event = forms.ChoiceField(
        label="Or cannot be revoked until", choices=ExpiryEvent.choices, required=False
    )
    signature_method = forms.ChoiceField(
        label="How it was signed", choices=SignatureMethod.choices, widget=forms.RadioSelect
    )
    signed_by = forms.CharField(
        label="Signed by",
        max_length=200,
        required=False,
        validators=[validate_clean_text],
        help_text="The person, or their authorized representative (say who).",
    )
    signed_on = forms.DateField(label="Date signed", required=False, widget=DateInput())
    signature_image = forms.CharField(required=False, widget=forms.HiddenInput)
    scanned_copy = forms.FileField(
        label="Scanned copy of the signed paper consent (PDF, PNG or JPEG, up to 5 MB)",
        required=False,
    )

    def __init__(self, *args: Any, agencies: list[Agency], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.agencies = {str(a.pk): a for a in agencies}
        field = self.fields["recipient_agency"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [(pk, a.name) for pk, a in self.agencies.items()]

    def clean_scanned_copy(self) -> Any:
        upload = self.cleaned_data.get("scanned_copy")
        if upload is not None and upload.size > MAX_DOCUMENT_BYTES:
            raise forms.ValidationError("The scanned copy is over 5 MB.")
        return upload

    def service_values(self) -> dict[str, Any]:
        data = self.cleaned_data
        upload = data.get("scanned_copy")
        return {
            "kind": data["kind"],
            "categories": data["categories"],
            "recipient_agency": self.agencies.get(data["recipient_agency"]),
            "recipient_roles": data["recipient_roles"],
            "intermediary": data["intermediary"],
            "purpose": data["purpose"],
            "revocation_statement": data["revocation_statement"],
            "expires_on": data["expires_on"],
            "expiry_event": data["expiry_event"] or "",
            "revocable_after": data["revocable_after"],
            "revocable_after_event": data["revocable_after_event"] or "",
            "signature_method": data["signature_method"],
            "signed_by": data["signed_by"],
            "signed_on": data["signed_on"],
            "signature_image": data["signature_image"],
            "scanned_copy": ScannedCopy(upload.read(), upload.name) if upload else None,
        }


class RevokeForm(Form):
    note = forms.CharField(
        label="How the person revoked it (optional)",
        max_length=300,
        required=False,
        validators=[validate_clean_text],
    )
