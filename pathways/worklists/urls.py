from django.urls import path

from pathways.worklists import views

app_name = "worklists"
urlpatterns = [
    path("", views.worklist, name="list"),
    path("<uuid:item_id>/done/", views.complete, name="complete"),
]
