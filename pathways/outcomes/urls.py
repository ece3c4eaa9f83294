from django.urls import path

from pathways.outcomes import views

app_name = "outcomes"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("reports/", views.report_index, name="report_index"),
    path("reports/cost-settings/", views.cost_settings, name="cost_settings"),
    path("reports/population/", views.population, name="population"),
    path("reports/research-extract/", views.research, name="research"),
    path("reports/<slug:slug>/", views.report, name="report"),
]
