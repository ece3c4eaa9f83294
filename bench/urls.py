from django.urls import include, path

from bench.bare import bare_submit, bare_submit_anonymous

urlpatterns = [
    path("bench/bare/", bare_submit),
    path("bench/bare-anonymous/", bare_submit_anonymous),
    path("", include("pathways.urls")),
]
