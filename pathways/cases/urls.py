from django.urls import path

from pathways.cases import views

app_name = "cases"
urlpatterns = [
    path("", views.case_list, name="list"),
    path("review/", views.review_queue, name="review_queue"),
    path("<uuid:case_id>/", views.detail, name="detail"),
    path(
        "<uuid:case_id>/requirements/<uuid:requirement_id>/<slug:action>/",
        views.requirement_act,
        name="requirement_act",
    ),
    path("<uuid:case_id>/<slug:action>/", views.act, name="act"),
]
