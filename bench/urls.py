from django.urls import include, path

from bench.bare import bare_submit

urlpatterns = [
    path("bench/bare/", bare_submit),
    path("", include("pathways.urls")),
]
