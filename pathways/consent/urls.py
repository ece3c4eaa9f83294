from django.urls import path

from pathways.consent import views

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
