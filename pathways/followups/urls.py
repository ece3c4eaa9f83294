from django.urls import path

from pathways.followups import views

app_name = "followups"
urlpatterns = [
    path("", views.worklist, name="list"),
    path("<uuid:item_id>/done/", views.complete, name="complete"),
    path("<uuid:item_id>/visit/", views.visit, name="visit"),
    path("outreach/", views.outreach_lists, name="outreach_lists"),
    path("outreach/<uuid:list_id>/", views.outreach_list, name="outreach_list"),
    path("outreach/<uuid:list_id>/add/", views.outreach_entry_add_view, name="outreach_add"),
    path(
        "outreach/entry/<uuid:entry_id>/assign/",
        views.outreach_entry_assign_view,
        name="outreach_assign",
    ),
    path(
        "outreach/entry/<uuid:entry_id>/close/",
        views.outreach_entry_close_view,
        name="outreach_close",
    ),
]
