"""The FHIR R4 addresses, under /api/fhir/r4/ (included by pathways.api.urls, namespace api)."""

from django.urls import path, re_path

from pathways.api.fhir import views

urlpatterns = [
    path("metadata", views.metadata, name="fhir_metadata"),
    path("CodeSystem/<slug:name>", views.code_system, name="fhir_code_system"),
    path("Task", views.task_search, name="fhir_task_search"),
    path("Task/<uuid:referral_id>", views.task_read, name="fhir_task"),
    path(
        "ServiceRequest/<uuid:referral_id>",
        views.service_request_read,
        name="fhir_service_request",
    ),
    path("Patient/<uuid:person_id>", views.patient_read, name="fhir_patient"),
    path("Organization", views.organization_search, name="fhir_organization_search"),
    path("Organization/<uuid:pk>", views.organization_read, name="fhir_organization"),
    path(
        "HealthcareService",
        views.healthcare_service_search,
        name="fhir_healthcare_service_search",
    ),
    path(
        "HealthcareService/<uuid:pk>",
        views.healthcare_service_read,
        name="fhir_healthcare_service",
    ),
    path("Location", views.location_search, name="fhir_location_search"),
    path("Location/<uuid:pk>", views.location_read, name="fhir_location"),
    # any other address under /api/fhir/r4/ is an OperationOutcome, not the site's 404 page
    re_path(r"^(?P<rest>.*)$", views.not_found, name="fhir_not_found"),
]
