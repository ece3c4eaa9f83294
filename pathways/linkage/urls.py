from django.urls import path

from pathways.linkage import views

app_name = "linkage"
urlpatterns = [
    path("arrests/", views.arrests, name="arrests"),
    path("arrests/link/", views.arrests_link, name="arrests_link"),
    path("arrests/template.csv", views.arrests_template, name="arrests_template"),
    path("linkage/", views.linkage, name="linkage"),
    path("linkage/runs/", views.linkage_start, name="linkage_start"),
    path("linkage/runs/<uuid:run_id>/", views.linkage_run, name="run"),
    path("linkage/review/", views.review, name="review"),
    path("linkage/pairs/<uuid:pair_id>/", views.pair, name="pair"),
    path("linkage/records/<str:key>/", views.cluster, name="cluster"),
    path("linkage/decisions/<uuid:decision_id>/undo/", views.undo, name="undo"),
]
