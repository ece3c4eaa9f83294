from django.urls import path

from pathways.people import views

app_name = "people"
urlpatterns = [path("duplicates/", views.duplicates, name="duplicates")]
