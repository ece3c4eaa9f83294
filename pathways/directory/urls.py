from django.urls import path

from pathways.directory import views

app_name = "directory"
urlpatterns = [
    path("", views.service_list, name="services"),
    path("services/<uuid:service_id>/capacity/", views.capacity_update, name="capacity"),
    path("hsds/", views.hsds_exchange, name="hsds"),
    path("hsds/export.<str:fmt>", views.hsds_download, name="hsds_export"),
]
