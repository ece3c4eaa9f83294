from django.urls import path

from pathways.imports import views

app_name = "imports"
urlpatterns = [
    path("", views.index, name="index"),
    path("upload/<str:kind>/", views.upload, name="upload"),
    path("cad-mapping/", views.mapping, name="mapping"),
    path("jobs/<uuid:job_id>/", views.job, name="job"),
]
