"""ASGI entry point. Production uses WSGI (see docs/operations.md): sync views under ASGI
exhaust PostgreSQL connections."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pathways.settings")
application = get_asgi_application()
