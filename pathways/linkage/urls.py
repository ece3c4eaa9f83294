from django.urls import path

from pathways.linkage import views

app_name = "linkage"
urlpatterns = [
    path("arrests/", views.arrests, name="arrests"),
    path("arrests/link/", views.arrests_link, name="arrests_link"),
    path("arrests/template.csv", views.arrests_template, name="arrests_template"),
]
