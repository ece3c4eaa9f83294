from django.urls import path

from pathways.referrals import views

app_name = "referrals"
urlpatterns = [
    path("", views.queue, name="queue"),
    path("<uuid:referral_id>/", views.detail, name="detail"),
    path("<uuid:referral_id>/<slug:action>/", views.act, name="act"),
]
