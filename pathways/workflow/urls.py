"""/people/: the person search and page (composed here from every app's scoped selectors), the
duplicate check of the field form, and naming a person recorded without a name."""

from django.urls import path

from pathways.workflow import views

app_name = "people"
urlpatterns = [
    path("", views.search, name="search"),
    path("duplicates/", views.duplicates, name="duplicates"),
    path("<uuid:person_id>/", views.detail, name="detail"),
    path("<uuid:person_id>/identify/", views.identify, name="identify"),
]
