"""Settings for Pathways. Everything that differs between machines comes from the environment.

PATHWAYS_PRODUCTION=1 switches on the production posture (HTTPS, secure cookies, no debug) and the
system checks in pathways.core.checks refuse to start with an unsafe configuration.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import dj_database_url
import django_stubs_ext
from csp.constants import NONE, SELF

from pathways.core.env import env_bool, env_int, env_list, env_str

# Django's generic classes (Field, QuerySet, ModelAdmin...) accept type parameters at run time, as
# mypy --strict asks of product code (django-stubs' documented patch; it changes no behaviour).
django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent

PRODUCTION = env_bool("PATHWAYS_PRODUCTION", False)
DEBUG = env_bool("PATHWAYS_DEBUG", not PRODUCTION)
SECRET_KEY = env_str("PATHWAYS_SECRET_KEY", "" if PRODUCTION else "dev-only-not-secret-" + "x" * 40)
# Field encryption at rest (pathways.core.crypto, docs/decisions/0012-field-encryption.md):
# comma-separated keyid:base64-of-32-bytes; the first encrypts, all decrypt. Required in
# production; without it, development derives a labelled key from SECRET_KEY (key id "dev").
PATHWAYS_FIELD_KEYS = env_str("PATHWAYS_FIELD_KEYS", "")
ALLOWED_HOSTS = env_list("PATHWAYS_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("PATHWAYS_CSRF_TRUSTED_ORIGINS", [])
# The synthetic county (pathways.demo: demo_load, demo_logins) is installed for development, the
# tests, the benchmarks and `dev.py demo` (which sets PATHWAYS_DEMO=1), never in production:
# there it is left out whatever the variable says, and PATHWAYS_DEMO=1 is a system-check error
# (pathways.E006). docs/decisions/0025-house-rules-in-the-repo-and-no-demo-in-production.md
PATHWAYS_DEMO = env_bool("PATHWAYS_DEMO", not PRODUCTION)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "template_partials",
    # two-step sign-in (MFA): TOTP devices; security keys are accounts.WebAuthnCredential
    "django_otp",
    "django_otp.plugins.otp_totp",
    "pathways.core",
    "pathways.audit",
    "pathways.accounts",
    "pathways.programs",
    "pathways.directory",
    "pathways.people",
    "pathways.encounters",
    "pathways.referrals",
    "pathways.cases",
    "pathways.surveillance",
    "pathways.followups",
    "pathways.consent",
    "pathways.outcomes",
    "pathways.linkage",
    "pathways.oversight",
    # no models: fills the hooks the apps below call up through (docs/decisions/0023)
    "pathways.workflow",
    # the partner API (/api/v1/) and its clients: docs/decisions/0029
    "pathways.api",
    # EMS (NEMSIS) and dispatch (CAD) imports, run by the django-tasks worker: decision 0032
    "pathways.imports",
    "django_tasks",
    "django_tasks_db",
    "axes",
    "csp",
]
if PATHWAYS_DEMO and not PRODUCTION:
    INSTALLED_APPS.append("pathways.demo")

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "pathways.core.middleware.RejectNulMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # django-otp's OTPMiddleware, reading the session's device in one short statement
    "pathways.accounts.identity.VerifiedDeviceMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "pathways.core.middleware.IdleTimeoutMiddleware",
    # a password-only session reaches nothing but the two-step sign-in pages
    "pathways.accounts.middleware.MfaRequiredMiddleware",
    "pathways.audit.security.DeniedRequestAuditMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "pathways.accounts.middleware.ProgramTimezoneMiddleware",
    # last, as django-axes requires: it turns a locked-out login into the lockout page
    "axes.middleware.AxesMiddleware",
]

# Content-Security-Policy (django-csp): every script and style comes from our own static files;
# no inline script, no inline style, nothing from another site, no framing.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# Brute force (django-axes): 5 failed sign-ins for one username from one address lock that
# pair out for 10 minutes. Keyed on the pair, so someone guessing from one address cannot lock
# the real user (signing in from elsewhere) out, nor every account from that address.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    # Django's ModelBackend whose per-request user read is one short statement
    # (docs/decisions/0020-cheap-signed-in-requests.md)
    "pathways.accounts.identity.UserBackend",
]
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = dt.timedelta(minutes=10)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_CLIENT_IP_CALLABLE = "pathways.accounts.security.client_ip"
AXES_VERBOSE = False  # its log lines carry usernames and addresses: never log personal data
AXES_DISABLE_ACCESS_LOG = True
PATHWAYS_PROXY_COUNT = env_int("PATHWAYS_PROXY_COUNT", 0)

# Two-step sign-in (docs/decisions/0011-mfa.md): after the password, a code from an authenticator
# app (TOTP, django-otp) or a security key / passkey (WebAuthn). Required unless switched off
# here, which production refuses (pathways.core.checks). 5 wrong codes for one user pause that
# user's second step (pathways.accounts.services), so the library's own delay is not used.
PATHWAYS_MFA_REQUIRED = env_bool("PATHWAYS_MFA_REQUIRED", True)
PATHWAYS_WEBAUTHN_RP_ID = env_str("PATHWAYS_WEBAUTHN_RP_ID", "")  # empty: the request's host
PATHWAYS_WEBAUTHN_ORIGIN = env_str("PATHWAYS_WEBAUTHN_ORIGIN", "")  # empty: the request's origin
OTP_TOTP_ISSUER = env_str("PATHWAYS_MFA_ISSUER", "Pathways")
OTP_TOTP_THROTTLE_FACTOR = 0
OTP_ADMIN_HIDE_SENSITIVE_DATA = True

ROOT_URLCONF = "pathways.urls"
WSGI_APPLICATION = "pathways.wsgi.application"
ASGI_APPLICATION = "pathways.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "pathways" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "pathways.accounts.context_processors.pathways",
            ],
        },
    }
]

# --- Database ---------------------------------------------------------------------------------
# DATABASE_URL picks the database: sqlite:///path (default) or postgres://user:pass@host/name.
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=env_int("PATHWAYS_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        # WAL lets readers and one writer work together; IMMEDIATE avoids lock upgrades failing.
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
        "PRAGMA busy_timeout=10000; PRAGMA foreign_keys=ON;",
        "transaction_mode": "IMMEDIATE",
    }
    # A file (not memory) so the browser tests' live server thread shares the test database.
    (BASE_DIR / "var").mkdir(exist_ok=True)
    # One file per test process, so two test runs on one machine never share a database.
    DATABASES["default"]["TEST"] = {"NAME": str(BASE_DIR / "var" / f"test-{os.getpid()}.sqlite3")}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Time and language ------------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
USE_I18N = True
USE_TZ = True
TIME_ZONE = "UTC"  # stored and computed in UTC; pages show the program's zone (middleware)
PATHWAYS_DEFAULT_PROGRAM_TZ = env_str("PATHWAYS_TIME_ZONE", "America/Chicago")

# --- Reports: the analytics extract (outcomes.extract) ----------------------------------------
# A DuckDB copy of the columns the reports need; a refresh swaps in a new file atomically.
PATHWAYS_ANALYTICS_DIR = env_str("PATHWAYS_ANALYTICS_DIR", str(BASE_DIR / "var" / "analytics"))
# Report pages refresh the extract (incrementally) when it is older than this many seconds; a
# cron job (manage.py refresh_analytics) keeps it fresher still.
PATHWAYS_ANALYTICS_MAX_AGE = env_int("PATHWAYS_ANALYTICS_MAX_AGE", 300)
# Built reports (aggregates only, suppressed as shown) are kept until the next refresh in files
# every web worker and the refresh job share: the job builds each report's first view ahead.
# Background jobs (django-tasks, decision 0032): the database backend keeps the queue in the
# app's own database, so the SQLite demo needs no other server; `manage.py db_worker` runs
# them (`dev.py demo` starts it; docs/operations.md for production). The imports tests run
# each job at once (the immediate backend).
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
# The NEMSIS 3.5 EMSDataSet XSD EMS files are validated against: empty, the subset Pathways
# ships (pathways/imports/schemas); a program with the official schema points this at it.
PATHWAYS_NEMSIS_XSD = env_str("PATHWAYS_NEMSIS_XSD", "")
# Where uploaded files wait for the worker (deleted when their job ends).
PATHWAYS_IMPORTS_DIR = env_str("PATHWAYS_IMPORTS_DIR", str(BASE_DIR / "var" / "imports"))

CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "reports": {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": env_str("PATHWAYS_REPORT_CACHE_DIR", str(BASE_DIR / "var" / "report-cache")),
        "OPTIONS": {"MAX_ENTRIES": 5000},
    },
}

# --- Static files -----------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS: list[Path] = [BASE_DIR / "pathways" / "static"]
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

# --- E-mail: console in development, SMTP from the environment in production --------------------
EMAIL_BACKEND = env_str("PATHWAYS_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env_str("PATHWAYS_EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("PATHWAYS_EMAIL_PORT", 25)
DEFAULT_FROM_EMAIL = env_str("PATHWAYS_FROM_EMAIL", "pathways@localhost")

# --- Sessions and security --------------------------------------------------------------------
SESSION_COOKIE_AGE = 60 * 60 * 8
# Django's database sessions (sign-out and the idle timeout end them on the server at once),
# read in one short statement: docs/decisions/0020-cheap-signed-in-requests.md
SESSION_ENGINE = "pathways.accounts.sessions"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
# Flash messages live in the server-side session, never in a cookie of their own (which would
# carry their text to the browser and back): docs/decisions/0015-first-mfa-enrolment-and-secrets.md
MESSAGE_STORAGE = "pathways.accounts.sessions.BoundedSessionStorage"  # the newest 10 unread
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env_bool("PATHWAYS_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env_int("PATHWAYS_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

# --- Logging: no personal data is ever logged; records carry ids, never names ------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("PATHWAYS_LOG_LEVEL", "WARNING")},
    # Splink (record linkage) warns about every comparison level a small program's records do
    # not show, on every run; its errors still reach the log
    "loggers": {"splink": {"level": env_str("PATHWAYS_SPLINK_LOG_LEVEL", "ERROR")}},
}
