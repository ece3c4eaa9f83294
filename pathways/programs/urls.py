from django.urls import path

from pathways.programs import views

app_name = "programs"
urlpatterns = [
    path("pathways/", views.pathway_list, name="pathway_list"),
    path("pathways/<slug:code>/", views.pathway_edit, name="pathway_edit"),
    path("pathways/<slug:code>/history/", views.pathway_history, name="pathway_history"),
    path("templates/", views.template_list, name="template_list"),
    path("templates/<slug:code>/", views.template_detail, name="template_detail"),
]
