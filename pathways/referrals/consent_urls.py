"""The consent screens of a referral, under the consent namespace (consent:referral_consents,
consent:consent_new, consent:revoke, consent:pdf): the views are the referral's
(consent_views), the names and paths are unchanged."""

from django.urls import path

from pathways.referrals import consent_views as views

app_name = "consent"
urlpatterns = [
    path("referral/<uuid:referral_id>/", views.referral_consents, name="referral_consents"),
    path("referral/<uuid:referral_id>/new/", views.consent_new, name="consent_new"),
    path(
        "referral/<uuid:referral_id>/<uuid:consent_id>/revoke/",
        views.revoke,
        name="revoke",
    ),
    path(
        "referral/<uuid:referral_id>/<uuid:consent_id>/pdf/",
        views.consent_pdf,
        name="pdf",
    ),
]
