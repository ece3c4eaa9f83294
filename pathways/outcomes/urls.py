from django.urls import path

from pathways.outcomes import views

app_name = "outcomes"
urlpatterns = [path("", views.dashboard, name="dashboard")]
