"""WSGI entry point (gunicorn pathways.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pathways.settings")
application = get_wsgi_application()
