from django.contrib import admin
from django.urls import include, path

from pathways.accounts import views as accounts_views
from pathways.core import views as core_views

urlpatterns = [
    path("", accounts_views.home, name="home"),
    path("accounts/", include("pathways.accounts.urls")),
    # the contact pages compose several apps: the workflow layer serves them
    path("encounters/", include("pathways.workflow.contact_urls")),
    path("referrals/", include("pathways.referrals.urls")),
    path("cases/", include("pathways.cases.urls")),
    path("worklist/", include("pathways.followups.urls")),
    path("people/", include("pathways.workflow.urls")),
    path("program/", include("pathways.outcomes.urls")),
    path("program/records/", include("pathways.linkage.urls")),
    path("program/imports/", include("pathways.imports.urls")),
    path("directory/", include("pathways.directory.urls")),
    path("setup/", include("pathways.programs.urls")),
    path("consent/", include("pathways.referrals.consent_urls")),
    path("audit/", include("pathways.oversight.urls")),
    # the partner API (/api/v1/) and the coordinator's API clients page (setup/api-clients/)
    path("", include("pathways.api.urls")),
    path("healthz", core_views.healthz, name="healthz"),
    path("admin/", admin.site.urls),
]
