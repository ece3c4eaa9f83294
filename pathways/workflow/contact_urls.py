"""/encounters/: the contact pages, composed in the workflow layer (contact_views.py). The
namespace stays "encounters", with every URL name and path it had."""

from django.urls import path

from pathways.workflow import contact_views as views

app_name = "encounters"
urlpatterns = [
    path("", views.encounter_list, name="list"),
    path("new/", views.start, name="start"),
    path("new/services/", views.services_partial, name="services"),
    path("new/<slug:code>/", views.new, name="new"),
    path("new/<slug:code>/eligibility/", views.eligibility_partial, name="eligibility"),
    path("<uuid:encounter_id>/", views.detail, name="detail"),
    path(
        "<uuid:encounter_id>/eligibility-review/",
        views.eligibility_review,
        name="eligibility_review",
    ),
]
