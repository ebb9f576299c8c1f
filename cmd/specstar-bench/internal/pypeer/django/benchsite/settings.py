"""Settings of the specstar-bench Django REST Framework peer.

A production configuration for a JSON API: DEBUG off, only the middleware
an API needs, JSON in and out (no browsable API), open permissions (as
every system of the benchmark), and persistent database connections
(CONN_MAX_AGE=None: each gunicorn worker keeps its connection, which is
Django's connection pooling).

The database comes from BENCH_DATABASE_URL: "sqlite:<path>" or a
postgres:// URL.
"""
import os
from urllib.parse import parse_qs, unquote, urlparse

DEBUG = False
# Not a secret: nothing is signed. Django refuses to start without one.
SECRET_KEY = "specstar-bench-peer-not-a-secret"
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]

INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",  # django-simple-history links each change to a user
    "rest_framework",
    "django_filters",
    "simple_history",
    "items",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.common.CommonMiddleware",
]

ROOT_URLCONF = "benchsite.urls"
WSGI_APPLICATION = "benchsite.wsgi.application"
USE_TZ = True
TIME_ZONE = "UTC"
USE_I18N = False
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"


def database(url):
    """The DATABASES entry for BENCH_DATABASE_URL."""
    if url.startswith("sqlite:"):
        return {
            # Django's SQLite backend with BEGIN IMMEDIATE for writes
            # (benchsite/sqlite3/base.py).
            "ENGINE": "benchsite.sqlite3",
            "NAME": url[len("sqlite:"):],
            # The busy timeout in seconds, Django's default, written out.
            "OPTIONS": {"timeout": 5},
            "CONN_MAX_AGE": None,
        }
    u = urlparse(url)
    options = {k: v[-1] for k, v in parse_qs(u.query).items()}
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": u.path.lstrip("/"),
        "USER": unquote(u.username or ""),
        "PASSWORD": unquote(u.password or ""),
        "HOST": u.hostname or "",
        "PORT": str(u.port or ""),
        "OPTIONS": options,
        "CONN_MAX_AGE": None,
    }


DATABASES = {"default": database(os.environ.get("BENCH_DATABASE_URL", "sqlite:db.sqlite3"))}

REST_FRAMEWORK = {
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "UNAUTHENTICATED_USER": None,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}
