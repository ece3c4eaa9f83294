from django.urls import path

from pathways.followups import views

app_name = "followups"
urlpatterns = [
    path("", views.worklist, name="list"),
    path("<uuid:item_id>/done/", views.complete, name="complete"),
    path("<uuid:item_id>/visit/", views.visit, name="visit"),
]
