from django.urls import path

from pathways.oversight import views

app_name = "audit"
urlpatterns = [path("", views.search, name="search")]
