"""The partner API (/api/v1/) and the coordinator's pages that register its clients."""

from django.urls import include, path, re_path

from pathways.api import views
from pathways.api.v1 import api, not_found

app_name = "api"

v1 = [
    path("docs/", views.docs, name="docs"),
    *api.urls[0],
    # any other address under /api/v1/ is a problem detail, not the site's HTML 404 page
    re_path(r"^(?P<rest>.*)$", not_found, name="not_found"),
]

urlpatterns = [
    path("api/v1/", include(v1)),
    path("api/fhir/r4/", include("pathways.api.fhir.urls")),
    path("setup/api-clients/", views.client_list, name="clients"),
    path("setup/api-clients/new/", views.client_new, name="client_new"),
    path("setup/api-clients/<uuid:client_id>/revoke/", views.client_revoke, name="client_revoke"),
]
